use kubepci_findings::Evidence;

use super::audit_policy::{HUMAN, Level, Probe, SERVICE_ACCOUNT, decide, describe};
use super::control_plane::{config_objects, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The audit policy must not write Secret or token contents into the log
    ///
    /// ## What it checks
    /// Every audit Policy (`audit.k8s.io`, given with `--platform-config`) gives requests on
    /// `secrets` (every verb), `serviceaccounts/token` and `tokenreviews` a level of at most
    /// `Metadata`. `Request` and `RequestResponse` copy request and response bodies, that is the
    /// Secret values and bearer tokens, into every audit log copy.
    ///
    /// ## Why PCI DSS cares
    /// Audit logs are widely shipped and retained for a year. Secret values in them are
    /// credentials and keys stored in clear text outside their protected store. Requirement
    /// 8.3.2 asks that authentication factors are unreadable in storage, and 3.3.1 that
    /// sensitive authentication data is not retained.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: RequestResponse
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: Metadata
    ///   resources:
    ///   - {group: "", resources: [secrets, serviceaccounts/token]}
    ///   - {group: authentication.k8s.io, resources: [tokenreviews]}
    /// - level: RequestResponse
    /// ```
    ///
    /// ## Fix
    /// Add, before any `Request` or `RequestResponse` rule, a rule logging `secrets`,
    /// `serviceaccounts/token` and `authentication.k8s.io/tokenreviews` at `Metadata`.
    pub AUDIT_SECRET_PAYLOADS {
        id: "AUD-002",
        name: "audit-no-secret-payloads",
        severity: High,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.3.2", "8.3.2.a", "Secret values and tokens in audit logs are credentials stored unprotected"),
            ("3.3.1", "3.3.1.a", "logged request bodies can retain sensitive authentication data"),
        ],
        run: run,
    }
}

fn probes() -> Vec<Probe> {
    let mut out = Vec::new();
    for who in [HUMAN, SERVICE_ACCOUNT] {
        for verb in ["get", "list", "watch", "create", "update", "patch", "delete"] {
            out.push(Probe::new(who, verb, "", "secrets", "apps", format!("{verb} on Secrets")));
        }
        out.push(Probe::new(who, "create", "", "serviceaccounts/token", "apps", "creating service account tokens"));
        out.push(Probe::new(who, "create", "authentication.k8s.io", "tokenreviews", "", "token reviews"));
    }
    out
}

fn run(cx: &Context, e: &mut Emitter) {
    let policies = config_objects(cx, "audit.k8s.io", "Policy");
    if policies.is_empty() {
        not_visible(cx, e, "audit Policy (pass it with --platform-config)");
        return;
    }
    let probes = probes();
    for (index, policy) in policies {
        let mut leaks: Vec<String> = Vec::new();
        for p in &probes {
            let d = decide(policy, p);
            let line = format!("{} at {}", p.what, describe(&d));
            if d.level >= Level::Request && !leaks.contains(&line) {
                leaks.push(line);
            }
        }
        if leaks.is_empty() {
            e.pass(index);
        } else {
            let evidence = leaks.iter().map(|l| Evidence::field("rules", l.clone())).collect();
            e.fail(index, format!("the audit policy logs bodies of: {}", leaks.join("; ")), evidence);
        }
    }
}
