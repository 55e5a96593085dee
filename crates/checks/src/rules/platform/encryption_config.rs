//! Reading an EncryptionConfiguration (apiserver.config.k8s.io/v1): which provider encrypts
//! Secrets first.

use serde_json::{Map, Value};

/// The provider that writes new Secrets, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretsProvider {
    /// No `resources` entry covers Secrets: they are stored unencrypted.
    NotCovered,
    /// The entry covering Secrets has no providers.
    NoProviders { entry: usize },
    /// The first provider of the entry covering Secrets: its type (`identity`, `aescbc`,
    /// `aesgcm`, `secretbox`, `kms`) and, for `kms`, its `apiVersion` (`v1` when unset).
    First { entry: usize, provider: String, kms_version: Option<String> },
}

/// Whether a `resources[].resources` name covers core Secrets: `secrets`, `secrets.`
/// (core group spelled out), `*.` (every core resource) or `*.*` (everything).
fn covers_secrets(name: &str) -> bool {
    matches!(name.trim(), "secrets" | "secrets." | "*." | "*.*")
}

/// The provider that encrypts Secrets: the first provider of the first `resources` entry
/// that covers them (the apiserver uses the first matching entry).
pub fn secrets_provider(body: &Map<String, Value>) -> SecretsProvider {
    let entries = body.get("resources").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (entry, r) in entries.iter().enumerate() {
        let names = r.get("resources").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        if !names.iter().filter_map(Value::as_str).any(covers_secrets) {
            continue;
        }
        let first = r.get("providers").and_then(Value::as_array).and_then(|p| p.first()).and_then(Value::as_object);
        return match first.and_then(|p| p.iter().next()) {
            None => SecretsProvider::NoProviders { entry },
            Some((kind, config)) => SecretsProvider::First {
                entry,
                provider: kind.clone(),
                kms_version: (kind == "kms").then(|| config.get("apiVersion").and_then(Value::as_str).unwrap_or("v1").to_string()),
            },
        };
    }
    SecretsProvider::NotCovered
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn first_matching_entry_and_provider() {
        let b = body(json!({"resources": [
            {"resources": ["configmaps"], "providers": [{"aesgcm": {}}]},
            {"resources": ["secrets"], "providers": [{"kms": {"apiVersion": "v2", "name": "k"}}, {"identity": {}}]}
        ]}));
        assert_eq!(secrets_provider(&b), SecretsProvider::First { entry: 1, provider: "kms".into(), kms_version: Some("v2".into()) });
        let b = body(json!({"resources": [{"resources": ["*.*"], "providers": [{"identity": {}}, {"aescbc": {}}]}]}));
        assert_eq!(secrets_provider(&b), SecretsProvider::First { entry: 0, provider: "identity".into(), kms_version: None });
        let b = body(json!({"resources": [{"resources": ["configmaps"], "providers": [{"aescbc": {}}]}]}));
        assert_eq!(secrets_provider(&b), SecretsProvider::NotCovered);
        let b = body(json!({"resources": [{"resources": ["secrets"], "providers": [{"kms": {"name": "old"}}]}]}));
        assert_eq!(secrets_provider(&b), SecretsProvider::First { entry: 0, provider: "kms".into(), kms_version: Some("v1".into()) });
        assert_eq!(secrets_provider(&body(json!({}))), SecretsProvider::NotCovered);
    }
}
