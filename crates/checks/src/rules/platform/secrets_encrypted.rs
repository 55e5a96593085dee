use kubepci_findings::Evidence;

use super::control_plane::{config_objects, not_visible};
use super::encryption_config::{SecretsProvider, secrets_provider};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Secrets must be encrypted at rest by a real provider first
    ///
    /// ## What it checks
    /// Every EncryptionConfiguration (`apiserver.config.k8s.io`, given with `--platform-config`)
    /// has a `resources` entry covering `secrets` (by name, `*.` or `*.*`) whose first provider is
    /// not `identity`. The first provider encrypts every new write; `identity` first means
    /// Secrets are written in plain text even if other providers follow.
    ///
    /// ## Why PCI DSS cares
    /// Secrets hold database passwords, API keys and keys protecting card data. Unencrypted in
    /// etcd, they are readable from any etcd backup or disk image. Requirement 8.3.2 asks that
    /// authentication factors are unreadable in storage, and 3.6.1.2 that keys protecting
    /// stored account data are kept only in protected forms.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources: [secrets]
    ///   providers:
    ///   - identity: {}
    ///   - aesgcm:
    ///       keys: [{name: key1, secret: "<redacted>"}]
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
    /// Put a `kms` provider with `apiVersion: v2` (or `aesgcm`/`secretbox`) first in the entry
    /// for `secrets`, keep `identity` last only to read old data, restart the API server and
    /// rewrite all Secrets so they are re-encrypted.
    pub SECRETS_ENCRYPTED {
        id: "ENC-002",
        name: "secrets-encrypted-at-rest",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.3.2", "8.3.2.b", "Secrets written in plain text leave the passwords and tokens they hold readable in etcd and its backups"),
            ("3.6.1.2", "3.6.1.2.b", "a Secret holding a key that protects account data is then stored in cleartext, a form 3.6.1.2 does not allow"),
        ],
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
            SecretsProvider::NotCovered => e.fail(index, "no resources entry covers secrets: Secrets are stored unencrypted", vec![Evidence::path("resources")]),
            SecretsProvider::NoProviders { entry } => e.fail(index, "the entry covering secrets lists no providers", vec![Evidence::path(format!("resources[{entry}].providers"))]),
            SecretsProvider::First { entry, provider, .. } if provider == "identity" => e.fail(
                index,
                "the first provider for secrets is identity: new Secrets are written unencrypted",
                vec![Evidence::field(format!("resources[{entry}].providers[0]"), "identity")],
            ),
            SecretsProvider::First { .. } => e.pass(index),
        }
    }
}
