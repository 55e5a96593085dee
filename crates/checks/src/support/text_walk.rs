//! Every string of a typed object's body, with its JSON field path, as the card-data walk
//! visits a generic object's body (`support::text_fields`), without building a JSON value.
//!
//! Kinds that were held as generic objects (EndpointSlice, PodDisruptionBudget, LimitRange,
//! ResourceQuota) are typed now, and the walk must still see each of their text fields under
//! the same path (`endpoints[0].targetRef.name`, `spec.hard.pods`). Their serde code writes
//! what a generic body held, so a serializer that hands every string to the visitor, with the
//! path of keys and indices built only on a hit, walks the same fields in the same order (the
//! fields are written in their JSON names' sorted order, a generic body's order). Numbers and
//! booleans are not text, as in the generic walk.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::text_fields::Visit;

/// Visit every string field of `value`'s body: its fields except `apiVersion`, `kind` and
/// `metadata` (whose labels and annotations the caller walks).
pub fn visit_body<T: Serialize + ?Sized>(value: &T, visit: &mut Visit) {
    // The walker never fails; an error would only stop the walk early.
    let _ = value.serialize(Walker { visit, path: None, root: true });
}

/// A field path: the parent's path and this field's key or index (`None` at the top).
type Path<'p> = Option<&'p dyn Fn() -> String>;

fn key_path(parent: Path, key: &str) -> String {
    match parent {
        None => key.to_string(),
        Some(p) => format!("{}.{key}", p()),
    }
}

/// The walk never fails; serde wants an error type anyway.
#[derive(Debug)]
pub struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("stop")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

struct Walker<'a, 'v> {
    visit: &'a mut Visit<'v>,
    path: Path<'a>,
    /// The object itself, whose `apiVersion`, `kind` and `metadata` are skipped.
    root: bool,
}

impl<'a, 'v> Walker<'a, 'v> {
    fn string(self, v: &str) -> Result<(), Stop> {
        let path = self.path;
        (self.visit)(v.as_bytes(), &|| path.map(|p| p()).unwrap_or_default());
        Ok(())
    }

    fn compound(self) -> Compound<'a, 'v> {
        Compound { visit: self.visit, path: self.path, root: self.root, index: 0, key: None }
    }
}

/// A value under `key` below `parent`.
fn under<T: Serialize + ?Sized>(visit: &mut Visit, parent: Path, key: &str, value: &T) -> Result<(), Stop> {
    value.serialize(Walker { visit, path: Some(&|| key_path(parent, key)), root: false })
}

impl<'a, 'v> ser::Serializer for Walker<'a, 'v> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Compound<'a, 'v>;
    type SerializeTuple = Compound<'a, 'v>;
    type SerializeTupleStruct = Compound<'a, 'v>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Compound<'a, 'v>;
    type SerializeStruct = Compound<'a, 'v>;
    type SerializeStructVariant = Impossible<(), Stop>;

    fn serialize_str(self, v: &str) -> Result<(), Stop> {
        self.string(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Stop> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Stop> {
        self.string(variant)
    }
    fn serialize_bool(self, _: bool) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> Result<(), Stop> {
        Ok(())
    }
    // JSON writes bytes as a list of numbers: no text.
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, variant: &'static str, value: &T) -> Result<(), Stop> {
        under(self.visit, self.path, variant, value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'v>, Stop> {
        Ok(self.compound())
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a, 'v>, Stop> {
        Ok(self.compound())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a, 'v>, Stop> {
        Ok(self.compound())
    }
    // No Kubernetes type has these (JSON would nest them under the variant's name).
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'v>, Stop> {
        Ok(self.compound())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a, 'v>, Stop> {
        Ok(self.compound())
    }
}

/// A list, map or struct being walked.
struct Compound<'a, 'v> {
    visit: &'a mut Visit<'v>,
    path: Path<'a>,
    root: bool,
    /// The next list item's index.
    index: usize,
    /// A map key given apart from its value (serde's `serialize_key`).
    key: Option<String>,
}

impl Compound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let (parent, i) = (self.path, self.index);
        self.index += 1;
        value.serialize(Walker { visit: &mut *self.visit, path: Some(&|| format!("{}[{i}]", parent.map(|p| p()).unwrap_or_default())), root: false })
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        if self.root && matches!(key, "apiVersion" | "kind" | "metadata") {
            return Ok(());
        }
        under(self.visit, self.path, key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let key = self.key.take().unwrap_or_default();
        under(self.visit, self.path, &key, value)
    }
    // The common case (a `BTreeMap`): key and value together, the key's text borrowed.
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(&mut self, key: &K, value: &V) -> Result<(), Stop> {
        key.serialize(EntryKey { visit: self.visit, parent: self.path, value })
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

/// A map key as text (keys of Kubernetes maps are strings).
struct KeyText;

/// A map key, walking its value under it once the key's text is known.
struct EntryKey<'a, 'v, V: ?Sized> {
    visit: &'a mut Visit<'v>,
    parent: Path<'a>,
    value: &'a V,
}

macro_rules! key_from_display {
    ($($method:ident($ty:ty))*) => {
        $( fn $method(self, v: $ty) -> Result<Self::Ok, Stop> { self.serialize_str(&v.to_string()) } )*
    };
}

macro_rules! key_only_scalars {
    () => {
        type Error = Stop;
        type SerializeSeq = Impossible<Self::Ok, Stop>;
        type SerializeTuple = Impossible<Self::Ok, Stop>;
        type SerializeTupleStruct = Impossible<Self::Ok, Stop>;
        type SerializeTupleVariant = Impossible<Self::Ok, Stop>;
        type SerializeMap = Impossible<Self::Ok, Stop>;
        type SerializeStruct = Impossible<Self::Ok, Stop>;
        type SerializeStructVariant = Impossible<Self::Ok, Stop>;

        key_from_display! {
            serialize_bool(bool) serialize_i8(i8) serialize_i16(i16) serialize_i32(i32) serialize_i64(i64)
            serialize_u8(u8) serialize_u16(u16) serialize_u32(u32) serialize_u64(u64)
            serialize_f32(f32) serialize_f64(f64) serialize_char(char)
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Self::Ok, Stop> {
            self.serialize_str(variant)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<Self::Ok, Stop> {
            value.serialize(self)
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Stop> {
            Err(Stop)
        }
        fn serialize_none(self) -> Result<Self::Ok, Stop> {
            Err(Stop)
        }
        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, Stop> {
            value.serialize(self)
        }
        fn serialize_unit(self) -> Result<Self::Ok, Stop> {
            Err(Stop)
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Stop> {
            Err(Stop)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<Self::Ok, Stop> {
            Err(Stop)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
            Err(Stop)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
            Err(Stop)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Stop> {
            Err(Stop)
        }
        fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant, Stop> {
            Err(Stop)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
            Err(Stop)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
            Err(Stop)
        }
        fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant, Stop> {
            Err(Stop)
        }
    };
}

impl ser::Serializer for KeyText {
    type Ok = String;
    key_only_scalars!();
    fn serialize_str(self, v: &str) -> Result<String, Stop> {
        Ok(v.to_string())
    }
}

impl<V: Serialize + ?Sized> ser::Serializer for EntryKey<'_, '_, V> {
    type Ok = ();
    key_only_scalars!();
    fn serialize_str(self, key: &str) -> Result<(), Stop> {
        under(self.visit, self.parent, key, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::{Resource, SourceLoc, decode_value};
    use serde_json::Value;

    const EVERY_FIELD: &str = include_str!("../../../model/testdata/kinds-every-field.json");

    fn walked(visit_all: impl FnOnce(&mut Visit)) -> Vec<(String, String)> {
        let mut seen = Vec::new();
        visit_all(&mut |bytes, path| seen.push((path(), String::from_utf8_lossy(bytes).into_owned())));
        seen
    }

    /// The generic walk over a document's body, as `text_fields` did for these kinds.
    fn generic_walk(doc: &Value) -> Vec<(String, String)> {
        fn walk(v: &Value, path: String, seen: &mut Vec<(String, String)>) {
            match v {
                Value::String(s) => seen.push((path, s.clone())),
                Value::Array(items) => items.iter().enumerate().for_each(|(i, item)| walk(item, format!("{path}[{i}]"), seen)),
                Value::Object(map) => map.iter().for_each(|(k, item)| walk(item, format!("{path}.{k}"), seen)),
                _ => {}
            }
        }
        let mut seen = Vec::new();
        for (k, v) in doc.as_object().unwrap() {
            if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                walk(v, k.clone(), &mut seen);
            }
        }
        seen
    }

    /// Every text field of each typed kind, under the same path and in the same order as the
    /// generic walk gave them.
    #[test]
    fn typed_bodies_walk_like_generic_ones() {
        let all: Vec<Value> = serde_json::from_str(EVERY_FIELD).unwrap();
        for doc in all {
            let o = decode_value(doc.clone(), SourceLoc::new("t", 1, 1)).unwrap();
            let typed = walked(|visit| match &o.resource {
                Resource::EndpointSlice(s) => visit_body(&**s, visit),
                Resource::PodDisruptionBudget(p) => visit_body(&**p, visit),
                Resource::LimitRange(l) => visit_body(&**l, visit),
                Resource::ResourceQuota(q) => visit_body(&**q, visit),
                other => panic!("{other:?}"),
            });
            let expected = generic_walk(&doc);
            assert!(expected.len() > 5, "{expected:?}");
            assert_eq!(typed, expected, "{}", o.kind());
        }
    }

    #[test]
    fn maps_given_key_then_value_walk_the_same() {
        struct Split;
        impl Serialize for Split {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_key("k")?;
                m.serialize_value(&["v"])?;
                m.end()
            }
        }
        assert_eq!(walked(|visit| visit_body(&Split, visit)), [("k[0]".to_string(), "v".to_string())]);
    }
}
