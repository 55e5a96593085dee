use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_model::kinds::Secret;

use crate::support::each::{Problem, Verdict, container_label, each_container, each_of_kind};
use crate::support::leaks::{Literal, entry_literals, env_literals, is_default_credential};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Default passwords must not be used
    ///
    /// ## What it checks
    /// Credential-named literals (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, ...) whose value is a
    /// well-known default (`admin`, `password`, `changeme`, `root`, `secret`, `123456`, ...):
    /// container `env[].value` of every workload, ConfigMap `data` (keys and `name=value` lines
    /// of embedded files), and Secret `stringData` and decoded `data` (including the
    /// `password` key of basic-auth Secrets). Only where it is is reported, never the value.
    ///
    /// ## Why PCI DSS cares
    /// Default passwords from charts, images and quick-starts are the first thing an attacker
    /// tries. Vendor defaults must be changed before a system goes live (2.2.2), and
    /// application passwords must not be hard-coded (8.6.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: grafana, namespace: monitoring}
    /// type: Opaque
    /// stringData: {admin-password: admin}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   containers:
    ///   - name: db
    ///     image: registry.example.com/shop/postgres:16
    ///     env:
    ///     - {name: POSTGRES_PASSWORD, value: changeme}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: grafana, namespace: monitoring}
    /// type: Opaque
    /// stringData: {admin-password: "v9#Lq2!xR7@pZ4"}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   containers:
    ///   - name: db
    ///     image: registry.example.com/shop/postgres:16
    ///     env:
    ///     - name: POSTGRES_PASSWORD
    ///       valueFrom: {secretKeyRef: {name: db, key: password}}
    /// ```
    ///
    /// ## Fix
    /// Generate a unique, strong password per installation (most charts take an existing
    /// Secret), store it in a Secret or secrets manager, and change it now.
    pub DEFAULT_PASSWORDS {
        id: "SEC-006",
        name: "default-password",
        severity: High,
        applies: All,
        reads: [workloads, ConfigMap, Secret],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [
            ("2.2.2", "2.2.2.b", "a vendor or chart default password is still in use"),
            ("8.6.2", "8.6.2.b", "a default password in configuration is a hard-coded credential"),
        ],
        run: run,
    }
}

fn default_problem(who: impl std::fmt::Display, l: &Literal) -> Problem {
    Problem::new(format!("{who}{} is a well-known default password", l.label()), Evidence::field(l.path(), "<redacted>"))
}

fn verdict<'a>(literals: impl IntoIterator<Item = Literal<'a>>) -> Verdict {
    Verdict::from_problems(literals.into_iter().filter(is_default_credential).map(|l| default_problem("", &l)))
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        env_literals(c.container, c.path).filter(is_default_credential).map(|l| default_problem(format_args!("{} ", container_label(c)), &l)).collect::<Vec<_>>()
    });
    each_of_kind(e, "ConfigMap", |_, _, o| match &o.resource {
        Resource::ConfigMap(cm) => verdict(cm.data.iter().flatten().flat_map(|(k, v)| entry_literals("data", k, v))),
        _ => Verdict::Skip,
    });
    each_of_kind(e, "Secret", |_, _, o| {
        let Resource::Secret(s) = &o.resource else { return Verdict::Skip };
        // A stored (redacted) Secret has no values; what they gave is in its redaction record.
        let recorded = crate::redaction::recorded(o).map(|r| r.default_passwords).unwrap_or_default();
        let recorded = recorded.into_iter().map(|p| Problem { message: p.message, evidence: p.evidence });
        Verdict::from_problems(recorded.chain(default_password_problems(s)))
    });
}

/// The default passwords in a Secret's `stringData` and decoded `data`.
pub(crate) fn default_password_problems(s: &Secret) -> Vec<Problem> {
    // Borrowed when the value is UTF-8 already: no copy per entry.
    let decoded: Vec<(&String, std::borrow::Cow<str>)> = s.data.iter().flatten().map(|(k, v)| (k, String::from_utf8_lossy(&v.0))).collect();
    let string_data = s.string_data.iter().flatten().flat_map(|(k, v)| entry_literals("stringData", k, v));
    string_data.chain(decoded.iter().flat_map(|(k, v)| entry_literals("data", k, v))).filter(is_default_credential).map(|l| default_problem("", &l)).collect()
}
