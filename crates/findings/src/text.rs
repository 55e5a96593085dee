//! [`Text`]: an immutable string that clones by sharing, for the parts of a finding that
//! repeat across findings (the check's id, title, fix text and requirement numbers, the scope
//! class, the file an object came from). A large cluster has hundreds of thousands of
//! findings; each one owning its copy of a check's fix paragraph cost more than its message.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable, shared string: reads, prints, compares and serialises as the `str` it holds;
/// `clone` copies a pointer. 16 bytes, against a `String`'s 24 and its own heap copy.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<str>);

/// A shared list of strings (a finding's requirement numbers): one allocation per check,
/// not per finding.
pub type TextList = Arc<[String]>;

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(s.into())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(s.into())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(s.as_str().into())
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text(s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_reads_compares_and_serialises_as_its_string() {
        let t = Text::from("POD-001");
        assert_eq!(t, "POD-001");
        assert_eq!("POD-001", t);
        assert_eq!(t, "POD-001".to_string());
        assert_eq!(t.as_str().len(), 7);
        assert_eq!(format!("{t} {t:?}"), "POD-001 \"POD-001\"");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"POD-001\"");
        let back: Text = serde_json::from_str("\"POD-001\"").unwrap();
        assert_eq!(back, t);
        let mut sorted = vec![Text::from("b"), Text::from("a")];
        sorted.sort();
        assert_eq!(sorted, ["a", "b"], "ordered as their strings");
    }

    #[test]
    fn clones_share_one_string() {
        let t = Text::from(String::from("Fix: set runAsNonRoot"));
        let u = t.clone();
        assert!(std::ptr::eq(t.as_str().as_ptr(), u.as_str().as_ptr()));
        assert_eq!(std::mem::size_of::<Text>(), 16);
    }
}
