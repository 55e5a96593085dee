//! Redaction of stored objects (snapshots, evidence bundles): no Secret value and no full card
//! number is ever written to a file, yet scanning the stored object gives the findings the
//! original gave.
//!
//! [`redact_item`] rewrites one object (a JSON item, as a snapshot stores it):
//! * a Secret's `data` and `stringData` values become `""` (the keys stay), and so do the
//!   values under `data`/`stringData` in its `kubectl.kubernetes.io/last-applied-configuration`
//!   annotation;
//! * every card number in any string (and map key) of the object is masked, and card numbers in
//!   a ConfigMap's `binaryData` too;
//! * what the checks read from the values removed is recorded in the annotation
//!   [`REDACTION_ANNOTATION`] ([`Redaction`]): the card-data detectors' masked results (DATA-001,
//!   DATA-002), the default-password results (SEC-006), each removed value's size, and a TLS
//!   Secret's certificate facts (TLS-001..003, `kubepci certs`).
//!
//! The checks read that record back ([`recorded`]) and add it to what they find in the object
//! itself, so a scan of the stored object and of the original agree. No check compares Secret
//! values with each other, so no hash of a value is stored (a hash of a short password could be
//! reversed by guessing). A check that comes to need another fact of a Secret value adds it to
//! [`Redaction`] here.

use std::collections::BTreeMap;

use base64::Engine as _;
use kubepci_findings::Evidence;
use kubepci_model::{Object, Resource, SourceLoc, decode_value};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The annotation that carries a stored object's [`Redaction`] record (canonical JSON).
pub const REDACTION_ANNOTATION: &str = "kubepci.io/redacted";

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What the checks need from the values [`redact_item`] removed or masked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redaction {
    /// The card numbers the detectors found in the object's text fields, masked, in field order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub card_numbers: Vec<RecordedCard>,
    /// SEC-006's problems in the Secret's values (where a default password was, never which).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_passwords: Vec<RecordedProblem>,
    /// Each removed Secret value by field path (`data[password]`): its size in bytes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_values: BTreeMap<String, ValueFacts>,
    /// A TLS Secret's certificate chain as the TLS checks and `kubepci certs` read it from
    /// `tls.crt` (public facts only: names, validity, key type and size, signature algorithm,
    /// fingerprint), or why it could not be read. The certificate itself is not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_certificates: Option<Result<Vec<crate::support::x509::CertFacts>, String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCard {
    /// A public test card number (DATA-002) rather than a real one (DATA-001).
    pub test: bool,
    pub path: String,
    /// `Visa 411111******1111`.
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedProblem {
    pub message: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueFacts {
    pub bytes: usize,
}

/// The redaction record of a stored object, if it has one (a malformed record is ignored: it
/// can only add findings, never hide the object's own).
pub fn recorded(o: &Object) -> Option<Redaction> {
    o.annotations().get(REDACTION_ANNOTATION).and_then(|text| serde_json::from_str(text).ok())
}

/// Redact one object for storage (see the module documentation). Pure; an item that is not a
/// valid object still has its Secret values removed (by its `kind`) and its card numbers masked.
pub fn redact_item(item: &mut Value) {
    let is_secret = item.get("kind").and_then(Value::as_str) == Some("Secret");
    let has_card = holds_card_number(item);
    if !is_secret && !has_card {
        return;
    }
    // An item redacted before keeps its record (what its values gave then), and adds to it.
    let mut record = Redaction::default();
    // What the checks find in the original, computed by the checks' own code.
    if let Ok(object) = decode_value(item.clone(), SourceLoc::whole("redaction")) {
        record = recorded(&object).unwrap_or_default();
        record.card_numbers.extend(
            crate::analyses::object_card_numbers(&object)
                .into_iter()
                .map(|(test, ev)| RecordedCard { test, path: kubepci_pan::redact(&ev.path), value: ev.value.unwrap_or_default() }),
        );
        if let Some(chain) = crate::support::certificates::object_chain(&object) {
            record.tls_certificates = match chain {
                crate::support::certificates::SecretChain::Parsed(c) => Some(Ok(c)),
                crate::support::certificates::SecretChain::Unreadable(why) => Some(Err(why)),
                crate::support::certificates::SecretChain::Missing => record.tls_certificates,
            };
        }
        if let Resource::Secret(secret) = &object.resource {
            record.default_passwords.extend(
                crate::rules::secrets::default_password_problems(secret)
                    .into_iter()
                    .map(|p| RecordedProblem { message: kubepci_pan::redact(&p.message), evidence: p.evidence }),
            );
        }
    }
    if let Value::Object(map) = item {
        if is_secret {
            for field in ["data", "stringData"] {
                if let Some(Value::Object(values)) = map.get_mut(field) {
                    for (key, value) in values.iter_mut() {
                        let bytes = match (field, value.as_str()) {
                            ("data", Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_or(b64.len(), |d| d.len()),
                            (_, Some(s)) => s.len(),
                            _ => 0,
                        };
                        record.secret_values.entry(format!("{field}[{}]", kubepci_pan::redact(key))).or_insert(ValueFacts { bytes });
                        *value = Value::String(String::new());
                    }
                }
            }
            redact_last_applied(map);
        }
        mask_binary_data(map);
    }
    mask_strings(item);
    if record != Redaction::default() {
        set_annotation(item, serde_json::to_string(&record).unwrap_or_default());
    }
}

/// Empty the `data`/`stringData` values in a Secret's last-applied annotation (keys kept, as
/// SEC-004 reports them); an annotation that is not JSON is replaced whole.
fn redact_last_applied(item: &mut Map<String, Value>) {
    let Some(Value::String(text)) = item.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(|a| a.get_mut(LAST_APPLIED)) else { return };
    *text = match serde_json::from_str::<Value>(text) {
        Ok(mut doc) => {
            for field in ["data", "stringData"] {
                if let Some(Value::Object(values)) = doc.get_mut(field) {
                    values.values_mut().for_each(|v| *v = Value::String(String::new()));
                }
            }
            doc.to_string()
        }
        Err(_) => "(not JSON; removed by kubepci)".into(),
    };
}

/// Mask card numbers inside a ConfigMap's `binaryData` (base64 of bytes).
fn mask_binary_data(item: &mut Map<String, Value>) {
    let Some(Value::Object(values)) = item.get_mut("binaryData") else { return };
    let engine = &base64::engine::general_purpose::STANDARD;
    for value in values.values_mut() {
        if let Some(bytes) = value.as_str().and_then(|b| engine.decode(b.trim()).ok())
            && let Some(masked) = mask_bytes(&bytes)
        {
            *value = Value::String(engine.encode(masked));
        }
    }
}

/// `bytes` with every card number masked, or `None` when there is none.
fn mask_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut copied = 0;
    for m in kubepci_pan::find_pans(bytes) {
        out.extend_from_slice(&bytes[copied..m.start]);
        out.extend_from_slice(m.masked(kubepci_pan::MaskMode::First6Last4).as_bytes());
        copied = m.end;
    }
    (copied > 0).then(|| {
        out.extend_from_slice(&bytes[copied..]);
        out
    })
}

fn holds_card_number(item: &Value) -> bool {
    strings_hold_card(item) || binary_data_holds_card(item)
}

fn strings_hold_card(value: &Value) -> bool {
    match value {
        Value::String(s) => kubepci_pan::contains_pan(s),
        Value::Array(items) => items.iter().any(strings_hold_card),
        Value::Object(map) => map.iter().any(|(k, v)| kubepci_pan::contains_pan(k) || strings_hold_card(v)),
        _ => false,
    }
}

fn binary_data_holds_card(value: &Value) -> bool {
    let Some(Value::Object(values)) = value.get("binaryData") else { return false };
    values.values().filter_map(Value::as_str).filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok()).any(|b| kubepci_pan::find_pans(&b).next().is_some())
}

/// Mask card numbers in every string and map key of `value`.
fn mask_strings(value: &mut Value) {
    match value {
        Value::String(s) => kubepci_pan::redact_in_place(s),
        Value::Array(items) => items.iter_mut().for_each(mask_strings),
        Value::Object(map) => {
            if map.keys().any(|k| kubepci_pan::contains_pan(k)) {
                *map = std::mem::take(map).into_iter().map(|(k, v)| (kubepci_pan::redact(&k), v)).collect();
            }
            map.values_mut().for_each(mask_strings);
        }
        _ => {}
    }
}

fn set_annotation(item: &mut Value, text: String) {
    let Value::Object(map) = item else { return };
    let metadata = map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(metadata) = metadata else { return };
    let annotations = metadata.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(annotations) = annotations {
        annotations.insert(REDACTION_ANNOTATION.into(), Value::String(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pan() -> String {
        // A valid (Luhn) Visa number that is not a public test card, built so the source holds
        // no card number as one literal.
        let prefix = "484719000001362";
        let check = kubepci_pan::luhn_check_digit(prefix.as_bytes()).expect("digits");
        format!("{prefix}{}", char::from(check))
    }

    #[test]
    fn a_tls_secrets_certificate_facts_survive_redaction_and_its_values_do_not() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let pem = include_str!("support/testdata/rsa1024-sha1-selfsigned.pem");
        let mut item = json!({
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "legacy-tls", "namespace": "shop"},
            "data": {"tls.crt": b64(pem), "tls.key": b64("-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n")},
        });
        let before = decode_value(item.clone(), SourceLoc::whole("t")).expect("object");
        let live = crate::support::certificates::object_chain(&before).expect("tls secret");
        redact_item(&mut item);
        let text = item.to_string();
        assert!(!text.contains(&b64(pem)[..40]) && !text.contains("not-a-real-key") && !text.contains("BEGIN"), "{text}");
        let after = decode_value(item.clone(), SourceLoc::whole("t")).expect("object");
        let stored = crate::support::certificates::object_chain(&after).expect("tls secret");
        match (live, stored) {
            (crate::support::certificates::SecretChain::Parsed(a), crate::support::certificates::SecretChain::Parsed(b)) => {
                assert_eq!(a, b);
                assert!(b[0].weak_signature);
            }
            other => panic!("both chains must parse: {other:?}"),
        }
        // Redacting again keeps the record (the value is gone, the facts are not).
        redact_item(&mut item);
        let again = decode_value(item, SourceLoc::whole("t")).expect("object");
        assert!(matches!(crate::support::certificates::object_chain(&again), Some(crate::support::certificates::SecretChain::Parsed(_))));
    }

    #[test]
    fn secret_values_are_removed_and_their_facts_recorded() {
        let card = pan();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let last_applied = json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2-very-secret"}}).to_string();
        let mut item = json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "shop", "annotations": {LAST_APPLIED: last_applied}},
            "data": {"ADMIN_PASSWORD": b64("admin"), "card": b64(&format!("pan {card}")), "token": b64("hunter2-very-secret")},
            "stringData": {"extra": "hunter2-very-secret"},
        });
        redact_item(&mut item);
        let text = item.to_string();
        assert!(!text.contains("hunter2") && !text.contains(&card) && !text.contains(&b64("admin")), "{text}");
        assert_eq!(item["data"], json!({"ADMIN_PASSWORD": "", "card": "", "token": ""}));
        assert_eq!(item["stringData"], json!({"extra": ""}));
        let annotation: Value = serde_json::from_str(item["metadata"]["annotations"][LAST_APPLIED].as_str().unwrap()).unwrap();
        assert_eq!(annotation["stringData"], json!({"password": ""}), "keys stay for SEC-004");
        let record: Redaction = serde_json::from_str(item["metadata"]["annotations"][REDACTION_ANNOTATION].as_str().unwrap()).unwrap();
        assert_eq!(record.card_numbers, [RecordedCard { test: false, path: "data[card]".into(), value: "Visa 484719******3621".into() }]);
        assert_eq!(record.default_passwords.len(), 1);
        assert_eq!(record.default_passwords[0].evidence, [Evidence::field("data[ADMIN_PASSWORD]", "<redacted>")]);
        assert_eq!(record.secret_values["data[token]"], ValueFacts { bytes: 19 });
        assert_eq!(record.secret_values["stringData[extra]"], ValueFacts { bytes: 19 });
        // Redacting again changes nothing: the record survives, no value is left to remove.
        let once = item.clone();
        redact_item(&mut item);
        assert_eq!(item, once);
    }

    #[test]
    fn card_numbers_are_masked_everywhere_and_recorded_where_checks_look() {
        let card = pan();
        let spaced = format!("{} {} {} {}", &card[..4], &card[4..8], &card[8..12], &card[12..]);
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mut item = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "shop", "annotations": {"note": format!("card {spaced}")}},
            "data": {"fixture.json": format!("{{\"pan\":\"{card}\"}}"), card.clone(): "key is a card"},
            "binaryData": {"blob": b64(&format!("x {card} x"))},
        });
        redact_item(&mut item);
        let text = item.to_string();
        assert!(!text.contains(&card) && !text.contains(&spaced), "{text}");
        let blob = base64::engine::general_purpose::STANDARD.decode(item["binaryData"]["blob"].as_str().unwrap()).unwrap();
        assert!(kubepci_pan::find_pans(&blob).next().is_none());
        let object = decode_value(item, SourceLoc::whole("s")).unwrap();
        let record = recorded(&object).expect("record");
        let paths: Vec<&str> = record.card_numbers.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["metadata.annotations[note]", "data[fixture.json]", "binaryData[blob]"]);
        assert!(record.card_numbers.iter().all(|c| !c.path.contains(&card)));
        assert!(record.secret_values.is_empty());
    }

    #[test]
    fn objects_without_secrets_or_cards_are_untouched_and_junk_does_not_panic() {
        let mut item = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "4111"}});
        let before = item.clone();
        redact_item(&mut item);
        assert_eq!(item, before);
        for mut junk in [json!(null), json!("x"), json!({"kind": "Secret", "data": 3}), json!({"kind": "Secret", "metadata": 1, "data": {"a": 1}})] {
            redact_item(&mut junk);
        }
        let mut invalid = json!({"kind": "Secret", "data": {"a": "c2VjcmV0"}});
        redact_item(&mut invalid);
        assert_eq!(invalid["data"]["a"], "");
    }
}
