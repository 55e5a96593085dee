use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::support::leaks::{Literal, env_literals, looks_like_credential};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Credentials must not be hard-coded in container environment variables
    ///
    /// ## What it checks
    /// Every literal `env[].value` of every container and init container of every workload:
    /// it fails when the value has a credential format (private key, cloud access key, access
    /// token, URL with an embedded password) or when the variable's name says it holds a
    /// credential (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*API_KEY*`, ... but not `*_FILE`,
    /// `*_PATH`, `*_URL`) and the value is not a placeholder or reference. Only the variable's
    /// name and path are reported, never its value.
    ///
    /// ## Why PCI DSS cares
    /// A literal in the pod spec is stored in plain text in etcd, in Git and in every
    /// rendered manifest, readable by anyone who can read the workload. Passwords of
    /// application accounts must not be hard-coded (8.6.2) and must be unreadable in storage
    /// (8.3.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/shop/api:1.0
    ///     env:
    ///     - {name: DB_PASSWORD, value: "Tr0ub4dor-and-3"}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/shop/api:1.0
    ///     env:
    ///     - {name: DB_PASSWORD_FILE, value: /secrets/db/password}
    ///     - {name: LOG_LEVEL, value: info}
    /// ```
    ///
    /// ## Fix
    /// Move the value into a Secret (or an external secrets manager), rotate it since it has
    /// been exposed, and mount it as a file.
    pub ENV_LITERAL_CREDENTIALS {
        id: "SEC-002",
        name: "hardcoded-credential-in-env",
        severity: High,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [
            ("8.6.2", "8.6.2.b", "a literal in the pod spec is a password hard-coded in configuration"),
            ("8.3.2", "8.3.2.b", "pod specs are stored and shown in clear text"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let problem = |l: &Literal, why| Problem::new(format!("{} {}: {why}", container_label(c), l.label()), Evidence::field(l.path(), "<redacted>"));
        env_literals(c.container, c.path).filter_map(|l| looks_like_credential(&l).map(|why| problem(&l, why))).collect::<Vec<_>>()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run as run_check;

    #[test]
    fn never_prints_the_value_and_ignores_placeholders() {
        let pod = |env: &str| format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec: {{containers: [{{name: c, image: x:1, env: [{env}]}}]}}\n");
        let out = run_check(&ENV_LITERAL_CREDENTIALS, &pod("{name: DSN, value: 'postgres://app:Sup3rS3cret@db/x'}"), "");
        let f = &out.fails[0];
        assert!(f.message.contains("env DSN: URL with embedded password"), "{}", f.message);
        assert!(!serde_json::to_string(f).unwrap_or_default().contains("Sup3rS3cret"));
        assert_eq!(f.evidence[0].path, "spec.containers[0].env[0].value");
        for placeholder in ["{name: API_TOKEN, value: '$(TOKEN)'}", "{name: API_TOKEN, value: '${TOKEN}'}", "{name: API_TOKEN, value: ''}"] {
            assert_eq!(run_check(&ENV_LITERAL_CREDENTIALS, &pod(placeholder), "").fails.len(), 0, "{placeholder}");
        }
    }
}
