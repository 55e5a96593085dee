//! [`Labels`]: the string-to-string maps of object metadata (labels, annotations), held small.
//!
//! k8s-openapi holds them as `BTreeMap<String, String>`: a one-entry map allocates a 544-byte
//! B-tree node beside its two strings, and most objects carry a map or two of a few entries
//! (a ReplicaSet three). Here a map is one boxed slice of key/value pairs sorted by key
//! (binary-searched; 16 bytes inline, 32 bytes a pair) whose strings are boxed to their length.
//! It reads, compares, iterates and serializes as the `BTreeMap` did, so JSON in and out is the
//! same: an object whose keys repeat keeps the last value, as `BTreeMap::insert` does.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A sorted map of strings (label and annotation maps): see the module comment.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Box<[(Box<str>, Box<str>)]>);

impl Labels {
    /// The empty map (no allocation).
    pub fn new() -> Labels {
        Labels::default()
    }

    /// A shared empty map, for readers that want a map whatever is set.
    pub fn empty() -> &'static Labels {
        static EMPTY: std::sync::LazyLock<Labels> = std::sync::LazyLock::new(Labels::default);
        &EMPTY
    }

    /// From pairs in any order; a key given twice keeps its last value.
    fn from_pairs(mut pairs: Vec<(Box<str>, Box<str>)>) -> Labels {
        // A stable sort keeps the repeats of a key in input order, so the last of each run is
        // the one `BTreeMap::insert` would have kept.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(Box<str>, Box<str>)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        Labels(kept.into_boxed_slice())
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).ok().map(|i| &*self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.0.iter())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + Clone {
        self.0.iter().map(|(_, v)| &**v)
    }

    /// Set `key` to `value` (the map is rebuilt: for the rare edit, not for building maps).
    pub fn insert(&mut self, key: impl Into<Box<str>>, value: impl Into<Box<str>>) {
        let (key, value) = (key.into(), value.into());
        match self.position(&key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                let mut pairs = std::mem::take(&mut self.0).into_vec();
                pairs.insert(i, (key, value));
                self.0 = pairs.into_boxed_slice();
            }
        }
    }

    /// Remove `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<str>> {
        let i = self.position(key).ok()?;
        let mut pairs = std::mem::take(&mut self.0).into_vec();
        let (_, value) = pairs.remove(i);
        self.0 = pairs.into_boxed_slice();
        Some(value)
    }

    /// The same entries as a `BTreeMap`, for the places that build k8s-openapi values.
    pub fn to_btree(&self) -> BTreeMap<String, String> {
        self.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
}

/// The entries of a [`Labels`] in key order.
#[derive(Clone, Debug)]
pub struct Iter<'a>(std::slice::Iter<'a, (Box<str>, Box<str>)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&**k, &**v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&**k, &**v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<K: Into<Box<str>>, V: Into<Box<str>>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Labels {
        Labels::from_pairs(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Labels {
        // Already sorted and unique.
        Labels(map.into_iter().map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str())).collect())
    }
}

impl From<Labels> for BTreeMap<String, String> {
    fn from(labels: Labels) -> BTreeMap<String, String> {
        labels.0.into_vec().into_iter().map(|(k, v)| (k.into_string(), v.into_string())).collect()
    }
}

impl PartialEq<BTreeMap<String, String>> for Labels {
    fn eq(&self, other: &BTreeMap<String, String>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|((k, v), (ok, ov))| k == ok && v == ov)
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Labels, D::Error> {
        struct LabelsVisitor;
        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                // No length is known while decoding JSON or YAML: most maps hold a few entries.
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(4).min(64));
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    pairs.push((k.into_boxed_str(), v.into_boxed_str()));
                }
                Ok(Labels::from_pairs(pairs))
            }
        }
        deserializer.deserialize_map(LabelsVisitor)
    }
}

/// Looking a label up, in the maps kubepci holds ([`Labels`]) and the ones k8s-openapi values
/// carry (`BTreeMap`), so selectors match either.
pub trait LabelLookup {
    fn label(&self, key: &str) -> Option<&str>;
    fn has_label(&self, key: &str) -> bool {
        self.label(key).is_some()
    }
}

impl LabelLookup for Labels {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

impl LabelLookup for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<T: LabelLookup + ?Sized> LabelLookup for &T {
    fn label(&self, key: &str) -> Option<&str> {
        (**self).label(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn entries_come_in_key_order_and_are_found() {
        let labels: Labels = [("tier", "web"), ("app", "shop"), ("pci", "cde")].into_iter().collect();
        assert_eq!(labels.iter().collect::<Vec<_>>(), [("app", "shop"), ("pci", "cde"), ("tier", "web")]);
        assert_eq!(labels.keys().collect::<Vec<_>>(), ["app", "pci", "tier"]);
        assert_eq!(labels.values().collect::<Vec<_>>(), ["shop", "cde", "web"]);
        assert_eq!((labels.get("pci"), labels.get("zone"), labels.get("")), (Some("cde"), None, None));
        assert!(labels.contains_key("app") && !labels.contains_key("ap"));
        assert_eq!((labels.len(), labels.is_empty()), (3, false));
        assert!(Labels::new().is_empty() && Labels::new().get("a").is_none());
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_as_btreemap_does() {
        let text = r#"{"b":"1","a":"x","b":"2","a":"y","b":"3"}"#;
        let ours: Labels = serde_json::from_str(text).unwrap();
        let theirs: BTreeMap<String, String> = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.iter().collect::<Vec<_>>(), [("a", "y"), ("b", "3")]);
        let collected: Labels = [("k", "first"), ("k", "second")].into_iter().collect();
        assert_eq!(collected.get("k"), Some("second"));
    }

    #[test]
    fn json_round_trip_and_empty_versus_absent() {
        #[derive(Deserialize, Serialize, PartialEq, Debug)]
        struct Holder {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            labels: Option<Labels>,
        }
        for text in [r#"{"labels":{"a":"1","b":""}}"#, r#"{"labels":{}}"#, r#"{}"#] {
            let held: Holder = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&held).unwrap(), text);
        }
        let empty: Holder = serde_json::from_str(r#"{"labels":{}}"#).unwrap();
        assert_eq!(empty.labels, Some(Labels::new()));
        let null: Holder = serde_json::from_str(r#"{"labels":null}"#).unwrap();
        assert_eq!(null.labels, None);
        assert!(serde_json::from_str::<Labels>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<Labels>(r#"["a"]"#).is_err());
    }

    #[test]
    fn edits_keep_the_order() {
        let mut labels: Labels = [("b", "2")].into_iter().collect();
        labels.insert("a", "1");
        labels.insert("c", "3");
        labels.insert("b", "two");
        assert_eq!(labels.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "two"), ("c", "3")]);
        assert_eq!(labels.remove("a").as_deref(), Some("1"));
        assert_eq!(labels.remove("a"), None);
        assert_eq!(labels.to_btree(), BTreeMap::from([("b".to_string(), "two".to_string()), ("c".to_string(), "3".to_string())]));
    }

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        // Few distinct keys, so that repeats are common.
        prop::collection::vec(("[a-d]{0,2}", "[x-z]{0,2}"), 0..12)
    }

    proptest! {
        /// Built from the same pairs, a `Labels` reads, iterates, compares and serializes as a
        /// `BTreeMap` does.
        #[test]
        fn behaves_as_a_btreemap(entries in pairs(), probes in prop::collection::vec("[a-d]{0,2}", 0..6)) {
            let ours: Labels = entries.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let theirs: BTreeMap<String, String> = entries.iter().cloned().collect();
            prop_assert_eq!(ours.len(), theirs.len());
            prop_assert_eq!(ours.is_empty(), theirs.is_empty());
            prop_assert!(ours.iter().eq(theirs.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            for probe in &probes {
                prop_assert_eq!(ours.get(probe), theirs.get(probe).map(String::as_str));
                prop_assert_eq!(ours.contains_key(probe), theirs.contains_key(probe));
            }
            let json = serde_json::to_string(&ours).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&theirs).unwrap());
            prop_assert_eq!(serde_json::from_str::<Labels>(&json).unwrap(), ours.clone());
            prop_assert_eq!(Labels::from(theirs.clone()), ours.clone());
            prop_assert_eq!(BTreeMap::from(ours), theirs);
        }

        /// Decoding a JSON object with repeated keys gives what the `BTreeMap` decoding gives.
        #[test]
        fn decodes_as_a_btreemap(entries in pairs()) {
            let body: Vec<String> = entries.iter().map(|(k, v)| format!("{}:{}", json!(k), json!(v))).collect();
            let text = format!("{{{}}}", body.join(","));
            let ours: Labels = serde_json::from_str(&text).unwrap();
            let theirs: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }
}
