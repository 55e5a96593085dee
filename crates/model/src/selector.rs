//! Kubernetes label selectors, with the semantics of apimachinery's `LabelSelectorAsSelector`:
//! requirements are ANDed; `matchLabels` entries are `In` with one value; `NotIn` and
//! `DoesNotExist` match objects that lack the key; an empty selector matches everything.
//! "A missing selector matches nothing" differs per API field, so it is the caller's call:
//! this module only sees selectors that are present.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::LabelLookup;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Requirement {
    /// Whether `labels` (an object's [`crate::Labels`] or a k8s-openapi map) satisfy it.
    pub fn matches(&self, labels: &(impl LabelLookup + ?Sized)) -> bool {
        match self {
            Requirement::In(k, vs) => labels.label(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => labels.label(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            Requirement::Exists(k) => labels.has_label(k),
            Requirement::DoesNotExist(k) => !labels.has_label(k),
        }
    }
}

/// A validated label selector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid label selector: {}", self.0)
    }
}
impl std::error::Error for SelectorError {}

impl Selector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        Selector::default()
    }

    /// Equality-only selector, as Services and ReplicationControllers use.
    pub fn from_map(map: &BTreeMap<String, String>) -> Self {
        Selector {
            requirements: map.iter().map(|(k, v)| Requirement::In(k.clone(), vec![v.clone()])).collect(),
        }
    }

    pub fn from_label_selector(sel: &LabelSelector) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        if let Some(ml) = &sel.match_labels {
            requirements.extend(ml.iter().map(|(k, v)| Requirement::In(k.clone(), vec![v.clone()])));
        }
        for expr in sel.match_expressions.iter().flatten() {
            let values = expr.values.clone().unwrap_or_default();
            let req = match expr.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(SelectorError(format!(
                        "operator {} on key {:?} needs at least one value",
                        expr.operator, expr.key
                    )))
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(SelectorError(format!(
                        "operator {} on key {:?} takes no values",
                        expr.operator, expr.key
                    )))
                }
                "In" => Requirement::In(expr.key.clone(), values),
                "NotIn" => Requirement::NotIn(expr.key.clone(), values),
                "Exists" => Requirement::Exists(expr.key.clone()),
                "DoesNotExist" => Requirement::DoesNotExist(expr.key.clone()),
                other => return Err(SelectorError(format!("unknown operator {other:?} on key {:?}", expr.key))),
            };
            requirements.push(req);
        }
        Ok(Selector { requirements })
    }

    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    pub fn matches(&self, labels: &(impl LabelLookup + ?Sized)) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

impl fmt::Display for Selector {
    /// The string form kubectl prints (`app=web,tier in (a,b),!legacy`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r {
                Requirement::In(k, vs) if vs.len() == 1 => format!("{k}={}", vs[0]),
                Requirement::In(k, vs) => format!("{k} in ({})", vs.join(",")),
                Requirement::NotIn(k, vs) => format!("{k} notin ({})", vs.join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::DoesNotExist(k) => format!("!{k}"),
            })
            .collect();
        if parts.is_empty() { write!(f, "<everything>") } else { write!(f, "{}", parts.join(",")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: if values.is_empty() { None } else { Some(values.iter().map(|s| s.to_string()).collect()) },
        }
    }

    #[test]
    fn operators() {
        let sel = Selector::from_label_selector(&LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![expr("tier", "NotIn", &["db"]), expr("legacy", "DoesNotExist", &[])]),
        })
        .unwrap();
        assert!(sel.matches(&labels(&[("app", "web")])));
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "fe")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "db")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("legacy", "")])));
        assert!(!sel.matches(&labels(&[])));
        assert_eq!(sel.to_string(), "app=web,tier notin (db),!legacy");
    }

    #[test]
    fn invalid_selectors_are_rejected() {
        let bad_in = LabelSelector { match_expressions: Some(vec![expr("a", "In", &[])]), ..Default::default() };
        assert!(Selector::from_label_selector(&bad_in).is_err());
        let bad_exists = LabelSelector { match_expressions: Some(vec![expr("a", "Exists", &["x"])]), ..Default::default() };
        assert!(Selector::from_label_selector(&bad_exists).is_err());
        let bad_op = LabelSelector { match_expressions: Some(vec![expr("a", "Has", &["x"])]), ..Default::default() };
        assert!(Selector::from_label_selector(&bad_op).is_err());
    }

    fn small_labels() -> impl Strategy<Value = BTreeMap<String, String>> {
        prop::collection::btree_map("[abc]", "[xyz]", 0..3)
    }

    proptest! {
        #[test]
        fn empty_selector_matches_everything(l in small_labels()) {
            prop_assert!(Selector::from_label_selector(&LabelSelector::default()).unwrap().matches(&l));
        }

        #[test]
        fn match_labels_is_map_subset(sel in small_labels(), l in small_labels()) {
            let s = Selector::from_label_selector(&LabelSelector { match_labels: Some(sel.clone()), ..Default::default() }).unwrap();
            let subset = sel.iter().all(|(k, v)| l.get(k) == Some(v));
            prop_assert_eq!(s.matches(&l), subset);
            prop_assert_eq!(Selector::from_map(&sel).matches(&l), subset);
        }

        #[test]
        fn notin_is_negation_of_in(k in "[abc]", vs in prop::collection::vec("[xyz]", 1..3), l in small_labels()) {
            let vals: Vec<&str> = vs.iter().map(String::as_str).collect();
            let in_sel = Selector::from_label_selector(&LabelSelector { match_expressions: Some(vec![expr(&k, "In", &vals)]), ..Default::default() }).unwrap();
            let notin = Selector::from_label_selector(&LabelSelector { match_expressions: Some(vec![expr(&k, "NotIn", &vals)]), ..Default::default() }).unwrap();
            prop_assert_eq!(in_sel.matches(&l), !notin.matches(&l));
        }

        #[test]
        fn exists_is_negation_of_does_not_exist(k in "[abc]", l in small_labels()) {
            let ex = Selector::from_label_selector(&LabelSelector { match_expressions: Some(vec![expr(&k, "Exists", &[])]), ..Default::default() }).unwrap();
            let dne = Selector::from_label_selector(&LabelSelector { match_expressions: Some(vec![expr(&k, "DoesNotExist", &[])]), ..Default::default() }).unwrap();
            prop_assert_eq!(ex.matches(&l), !dne.matches(&l));
            prop_assert_eq!(ex.matches(&l), l.contains_key(&k));
        }
    }
}
