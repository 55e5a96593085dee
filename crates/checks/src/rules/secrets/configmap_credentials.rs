use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::each::{Problem, Verdict, each_of_kind};
use crate::support::leaks::{entry_literals, looks_like_credential};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// ConfigMaps must not hold credentials
    ///
    /// ## What it checks
    /// Every ConfigMap's `data`: a key whose value has a credential format (private key, cloud
    /// access key, access token, URL with embedded password), a credential-named key
    /// (`password`, `apiKey`, `client_secret`, ...) with a literal value, or such a
    /// `name=value` / `name: value` line inside a config file stored under a key. Findings name
    /// the key (and line), never the value.
    ///
    /// ## Why PCI DSS cares
    /// ConfigMaps are not Secrets: they are readable by far more subjects (every `view` role),
    /// not encrypted at rest by the API server's secret encryption, and printed freely by
    /// tooling. Application passwords must not be hard-coded in configuration (8.6.2) and
    /// must be unreadable in storage (8.3.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config, namespace: shop}
    /// data:
    ///   LOG_LEVEL: info
    ///   application.properties: |
    ///     server.port=8080
    ///     spring.datasource.password=Pr0d-db-pass!
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config, namespace: shop}
    /// data:
    ///   LOG_LEVEL: info
    ///   application.properties: |
    ///     server.port=8080
    ///     spring.datasource.password=${DB_PASSWORD}
    /// ```
    ///
    /// ## Fix
    /// Move the credential into a Secret or an external secrets manager, reference it from the
    /// configuration (`${DB_PASSWORD}`), and rotate it since it has been exposed.
    pub CONFIGMAP_CREDENTIALS {
        id: "SEC-003",
        name: "credential-in-configmap",
        severity: High,
        applies: All,
        reads: [ConfigMap],
        locality: Object,
        requirements: [
            ("8.6.2", "8.6.2.b", "a password in a ConfigMap is hard-coded in a configuration file"),
            ("8.3.2", "8.3.2.b", "ConfigMaps are stored and shown without any protection for the credentials in them"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "ConfigMap", |_, _, o| {
        let Resource::ConfigMap(cm) = &o.resource else { return Verdict::Skip };
        // At most one problem per key: the first literal in it that looks like a credential.
        Verdict::from_problems(cm.data.iter().flatten().filter_map(|(key, value)| {
            entry_literals("data", key, value).find_map(|l| looks_like_credential(&l).map(|why| Problem::new(format!("{}: {why}", l.label()), Evidence::field(l.path(), "<redacted>"))))
        }))
    });
}
