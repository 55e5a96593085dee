use kubepci_findings::Evidence;

use super::control_plane::{config_objects, not_visible};
use super::encryption_config::{SecretsProvider, secrets_provider};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Secrets should be encrypted with KMS v2, not aescbc or KMS v1
    ///
    /// ## What it checks
    /// In every EncryptionConfiguration, the first provider for `secrets` is `kms` with
    /// `apiVersion: v2` (preferred: keys stay in an external KMS), or `aesgcm` or `secretbox`.
    /// `aescbc` fails (CBC mode is no longer recommended upstream and is open to padding-oracle
    /// attacks) and so does `kms` v1 (deprecated, disabled by default since Kubernetes 1.29).
    /// Configurations that do not encrypt Secrets at all are ENC-002's finding and are reported
    /// here as not assessed.
    ///
    /// ## Why PCI DSS cares
    /// The provider is a security parameter of the API server (2.2.6): upstream Kubernetes no
    /// longer recommends `aescbc` and has deprecated KMS v1, and KMS v2 keeps the
    /// key-encryption key outside the cluster. Whether the keys protecting account data are
    /// stored in the forms 3.6.1.2 allows depends on where the provider's keys live, which the
    /// assessor confirms with the key management documentation.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources: [secrets]
    ///   providers:
    ///   - aescbc:
    ///       keys: [{name: key1, secret: "<redacted>"}]
    ///   - identity: {}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources: [secrets]
    ///   providers:
    ///   - kms: {apiVersion: v2, name: cloud-kms, endpoint: "unix:///var/run/kms/socket.sock"}
    ///   - identity: {}
    /// ```
    ///
    /// ## Fix
    /// Move to a `kms` provider with `apiVersion: v2` backed by a cloud or hardware KMS (or at
    /// least `aesgcm` with key rotation), keep the old provider after it to read existing data,
    /// and rewrite all Secrets.
    pub ENCRYPTION_STRENGTH {
        id: "ENC-003",
        name: "secrets-encryption-provider-strength",
        severity: Low,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [("2.2.6", "2.2.6.b", "the encryption provider is a security parameter of the API server; upstream advises against aescbc and has deprecated KMS v1")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let configs = config_objects(cx, "apiserver.config.k8s.io", "EncryptionConfiguration");
    if configs.is_empty() {
        not_visible(cx, e, "EncryptionConfiguration (pass it with --platform-config)");
        return;
    }
    for (index, body) in configs {
        match secrets_provider(body) {
            SecretsProvider::First { entry, provider, kms_version } => {
                let path = format!("resources[{entry}].providers[0]");
                match (provider.as_str(), kms_version.as_deref()) {
                    ("kms", Some("v2")) | ("aesgcm", _) | ("secretbox", _) => e.pass(index),
                    ("kms", _) => e.fail(index, "Secrets are encrypted with KMS v1, deprecated and disabled by default since Kubernetes 1.29; use KMS v2", vec![Evidence::field(path, "kms apiVersion v1")]),
                    ("aescbc", _) => e.fail(index, "Secrets are encrypted with aescbc, which upstream no longer recommends; use KMS v2", vec![Evidence::field(path, "aescbc")]),
                    ("identity", _) => e.not_assessed(Some(index), "Secrets are not encrypted (see ENC-002)"),
                    (other, _) => e.not_assessed(Some(index), format!("unknown encryption provider `{other}`")),
                }
            }
            _ => e.not_assessed(Some(index), "Secrets are not encrypted (see ENC-002)"),
        }
    }
}
