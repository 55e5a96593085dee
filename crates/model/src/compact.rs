//! The mechanism behind kubepci's compact copies of k8s-openapi structs ([`crate::pod`]):
//! one macro writes a struct with the same fields as k8s-openapi's, serde code that reads and
//! writes the same JSON, and lossless conversions both ways; a second one does the same for a
//! top-level resource (`apiVersion`, `kind`, `metadata`, then its fields).
//!
//! k8s-openapi holds every optional sub-struct inline, set or not, and decodes lists with room
//! for four items; at a million objects that room is most of the memory. A compact struct boxes
//! the large, rarely-set parts and shrinks decoded lists to their length. The serde code does
//! exactly what k8s-openapi's does (unknown fields ignored, a repeated field keeps its last
//! value, a missing required field is its default, `apiVersion`/`kind` checked on a resource),
//! so both read the same documents the same way and write the same bytes.

/// How a field is held, by its tag in [`compact_struct!`]:
/// `req` a required field (`T`, its default when missing, always written);
/// `opt` an optional one as k8s-openapi has it (`Option<T>`);
/// `boxed` an optional one behind a box (`Option<Box<T>>`, k8s-openapi's `Option<T>`);
/// `vec` an optional list as k8s-openapi has it (`Option<Vec<T>>`);
/// `conv` an optional value of one of these compact types (`Option<T>`, k8s-openapi's
/// `Option<k8s::T>`);
/// `list` an optional list of one of these compact types (`Option<Vec<T>>`, k8s-openapi's
/// `Option<Vec<k8s::T>>`); `req_list` a required one (`Vec<T>`);
/// `req_conv` a required value of one of these compact types (`T`, k8s-openapi's `k8s::T`);
/// `shared` an optional value of one of these compact types held behind an [`std::sync::Arc`]
/// so that equal values can be shared (`Option<Arc<T>>`, k8s-openapi's `Option<k8s::T>`; a
/// workload controller's pod template spec, see [`crate::templated`]).
/// Lists are decoded with no length known, so a `Vec` grows to room for four items on its
/// first one: decoded lists are shrunk to their length (a Pod's one container status would
/// otherwise hold room for four, 3 KB).
macro_rules! held {
    (req, $ty:ty) => { $ty };
    (opt, $ty:ty) => { Option<$ty> };
    (vec, $ty:ty) => { Option<Vec<$ty>> };
    (boxed, $ty:ty) => { Option<Box<$ty>> };
    (conv, $ty:ty) => { Option<$ty> };
    (list, $ty:ty) => { Option<Vec<$ty>> };
    (req_list, $ty:ty) => { Vec<$ty> };
    (req_conv, $ty:ty) => { $ty };
    (shared, $ty:ty) => { Option<::std::sync::Arc<$ty>> };
}

/// What the decoder gathers for a field: required ones may be missing.
macro_rules! gathered {
    (req, $ty:ty) => { Option<$ty> };
    (req_list, $ty:ty) => { Option<Vec<$ty>> };
    (req_conv, $ty:ty) => { Option<$ty> };
    (shared, $ty:ty) => { Option<$ty> };
    ($tag:ident, $ty:ty) => { held!($tag, $ty) };
}

macro_rules! finish {
    (req, $v:expr) => { $v.unwrap_or_default() };
    (req_list, $v:expr) => { $crate::compact::shrunk($v).unwrap_or_default() };
    (req_conv, $v:expr) => { $v.unwrap_or_default() };
    (shared, $v:expr) => { $v.map(::std::sync::Arc::new) };
    (list, $v:expr) => { $crate::compact::shrunk($v) };
    (vec, $v:expr) => { $crate::compact::shrunk($v) };
    ($tag:ident, $v:expr) => { $v };
}

/// From k8s-openapi's field to ours.
macro_rules! from_k8s {
    (req, $v:expr) => { $v };
    (opt, $v:expr) => { $v };
    (vec, $v:expr) => { $v };
    (boxed, $v:expr) => { $v.map(Box::new) };
    (conv, $v:expr) => { $v.map(From::from) };
    (list, $v:expr) => { $v.map(|items| items.into_iter().map(From::from).collect()) };
    (req_list, $v:expr) => { $v.into_iter().map(From::from).collect() };
    (req_conv, $v:expr) => { From::from($v) };
    (shared, $v:expr) => { $v.map(|value| ::std::sync::Arc::new(From::from(value))) };
}

/// From our field to k8s-openapi's.
macro_rules! to_k8s {
    (req, $v:expr) => { $v };
    (opt, $v:expr) => { $v };
    (vec, $v:expr) => { $v };
    (boxed, $v:expr) => { $v.map(|b| *b) };
    (conv, $v:expr) => { $v.map(From::from) };
    (list, $v:expr) => { $v.map(|items| items.into_iter().map(From::from).collect()) };
    (req_list, $v:expr) => { $v.into_iter().map(From::from).collect() };
    (req_conv, $v:expr) => { From::from($v) };
    (shared, $v:expr) => { $v.map(|value| ::std::sync::Arc::unwrap_or_clone(value).into()) };
}

/// Written unless absent: required fields always.
macro_rules! present {
    (req, $v:expr) => { true };
    (req_list, $v:expr) => { true };
    (req_conv, $v:expr) => { true };
    ($tag:ident, $v:expr) => { $v.is_some() };
}

macro_rules! write_field {
    (req, $state:ident, $json:literal, $v:expr) => { $state.serialize_field($json, &$v)? };
    (req_list, $state:ident, $json:literal, $v:expr) => { $state.serialize_field($json, &$v)? };
    (req_conv, $state:ident, $json:literal, $v:expr) => { $state.serialize_field($json, &$v)? };
    (shared, $state:ident, $json:literal, $v:expr) => {
        if let Some(value) = &$v {
            $state.serialize_field($json, &**value)?;
        }
    };
    ($tag:ident, $state:ident, $json:literal, $v:expr) => {
        if let Some(value) = &$v {
            $state.serialize_field($json, value)?;
        }
    };
}

/// A decoded list without its spare room (see [`held!`]).
pub fn shrunk<T>(list: Option<Vec<T>>) -> Option<Vec<T>> {
    list.map(|mut items| {
        items.shrink_to_fit();
        items
    })
}

/// The keys a compact struct decodes: an enum read from the key's text, `Other` for any key it
/// does not keep (skipped, as k8s-openapi skips unknown fields).
macro_rules! field_identifier {
    ( $( $variant:ident = $json:literal, )* ) => {
        #[allow(non_camel_case_types)]
        enum Field {
            $( $variant, )*
            Other,
        }

        impl<'de> ::serde::Deserialize<'de> for Field {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct FieldVisitor;
                impl ::serde::de::Visitor<'_> for FieldVisitor {
                    type Value = Field;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("field identifier")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<Field, E> {
                        Ok(match v {
                            $( $json => Field::$variant, )*
                            _ => Field::Other,
                        })
                    }
                }
                deserializer.deserialize_identifier(FieldVisitor)
            }
        }
    };
}

/// A struct with the fields (in k8s-openapi's order), its serde code and its conversions.
macro_rules! compact_struct {
    (
        $(#[$doc:meta])*
        $name:ident <=> $k8s:ty {
            $( $tag:ident $field:ident : $ty:ty = $json:literal, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( pub $field: held!($tag, $ty), )*
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                field_identifier! { $( $field = $json, )* }

                struct StructVisitor;
                impl<'de> ::serde::de::Visitor<'de> for StructVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(stringify!($name))
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        $( let mut $field: gathered!($tag, $ty) = None; )*
                        while let Some(key) = map.next_key::<Field>()? {
                            match key {
                                $( Field::$field => $field = map.next_value()?, )*
                                Field::Other => {
                                    let _: ::serde::de::IgnoredAny = map.next_value()?;
                                }
                            }
                        }
                        Ok($name { $( $field: finish!($tag, $field), )* })
                    }
                }

                deserializer.deserialize_struct(stringify!($name), &[$( $json, )*], StructVisitor)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                let count = 0 $( + usize::from(present!($tag, self.$field)) )*;
                let mut state = serializer.serialize_struct(stringify!($name), count)?;
                $( write_field!($tag, state, $json, self.$field); )*
                state.end()
            }
        }

        impl From<$k8s> for $name {
            fn from(k: $k8s) -> $name {
                $name { $( $field: from_k8s!($tag, k.$field), )* }
            }
        }

        impl From<$name> for $k8s {
            fn from(c: $name) -> $k8s {
                type K8s = $k8s;
                K8s { $( $field: to_k8s!($tag, c.$field), )* }
            }
        }
    };
}

/// A top-level resource: `apiVersion` and `kind` checked and written as k8s-openapi's `$k8s`
/// has them, then `metadata` and the fields (tags as in [`compact_struct!`]; listed in
/// k8s-openapi's order, `metadata` written among them where its name sorts). `tidy`, when
/// given, is called on the decoded value (e.g. to shrink lists inside a kept k8s-openapi
/// struct). Implements k8s-openapi's `Resource`, `ListableResource` and `Metadata` traits.
macro_rules! compact_resource {
    (
        $(#[$doc:meta])*
        $name:ident <=> $k8s:ty {
            $( $tag:ident $field:ident : $ty:ty = $json:literal, )*
        }
        $( tidy = $tidy:path; )?
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            pub metadata: $crate::Meta,
            $( pub $field: held!($tag, $ty), )*
        }

        impl ::k8s_openapi::Resource for $name {
            const API_VERSION: &'static str = <$k8s as ::k8s_openapi::Resource>::API_VERSION;
            const GROUP: &'static str = <$k8s as ::k8s_openapi::Resource>::GROUP;
            const KIND: &'static str = <$k8s as ::k8s_openapi::Resource>::KIND;
            const VERSION: &'static str = <$k8s as ::k8s_openapi::Resource>::VERSION;
            const URL_PATH_SEGMENT: &'static str = <$k8s as ::k8s_openapi::Resource>::URL_PATH_SEGMENT;
            type Scope = <$k8s as ::k8s_openapi::Resource>::Scope;
        }

        impl ::k8s_openapi::ListableResource for $name {
            const LIST_KIND: &'static str = <$k8s as ::k8s_openapi::ListableResource>::LIST_KIND;
        }

        impl ::k8s_openapi::Metadata for $name {
            type Ty = $crate::Meta;
            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }
            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }

        impl From<$k8s> for $name {
            fn from(k: $k8s) -> $name {
                $name { metadata: k.metadata.into(), $( $field: from_k8s!($tag, k.$field), )* }
            }
        }

        impl From<$name> for $k8s {
            fn from(c: $name) -> $k8s {
                type K8s = $k8s;
                K8s { metadata: c.metadata.into(), $( $field: to_k8s!($tag, c.$field), )* }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use ::k8s_openapi::Resource as _;

                field_identifier! {
                    Key_apiVersion = "apiVersion",
                    Key_kind = "kind",
                    Key_metadata = "metadata",
                    $( $field = $json, )*
                }

                struct ResourceVisitor;
                impl<'de> ::serde::de::Visitor<'de> for ResourceVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($name::KIND)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut metadata: Option<$crate::Meta> = None;
                        $( let mut $field: gathered!($tag, $ty) = None; )*
                        while let Some(key) = map.next_key::<Field>()? {
                            match key {
                                Field::Key_apiVersion => {
                                    let value: String = map.next_value()?;
                                    if value != $name::API_VERSION {
                                        return Err(::serde::de::Error::invalid_value(::serde::de::Unexpected::Str(&value), &$name::API_VERSION));
                                    }
                                }
                                Field::Key_kind => {
                                    let value: String = map.next_value()?;
                                    if value != $name::KIND {
                                        return Err(::serde::de::Error::invalid_value(::serde::de::Unexpected::Str(&value), &$name::KIND));
                                    }
                                }
                                Field::Key_metadata => metadata = map.next_value()?,
                                $( Field::$field => $field = map.next_value()?, )*
                                Field::Other => {
                                    let _: ::serde::de::IgnoredAny = map.next_value()?;
                                }
                            }
                        }
                        #[allow(unused_mut)]
                        let mut value = $name { metadata: metadata.unwrap_or_default(), $( $field: finish!($tag, $field), )* };
                        $( $tidy(&mut value); )?
                        Ok(value)
                    }
                }

                deserializer.deserialize_struct($name::KIND, &["apiVersion", "kind", "metadata", $( $json, )*], ResourceVisitor)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::k8s_openapi::Resource as _;
                use ::serde::ser::SerializeStruct as _;
                let count = 3 $( + usize::from(present!($tag, self.$field)) )*;
                let mut state = serializer.serialize_struct($name::KIND, count)?;
                state.serialize_field("apiVersion", $name::API_VERSION)?;
                state.serialize_field("kind", $name::KIND)?;
                // k8s-openapi writes the fields, `metadata` among them, in their names' order
                // (an EndpointSlice's `addressType` and `endpoints` come before it).
                let mut metadata_written = false;
                $(
                    if !metadata_written && $json > "metadata" {
                        state.serialize_field("metadata", &self.metadata)?;
                        metadata_written = true;
                    }
                    write_field!($tag, state, $json, self.$field);
                )*
                if !metadata_written {
                    state.serialize_field("metadata", &self.metadata)?;
                }
                state.end()
            }
        }
    };
}
