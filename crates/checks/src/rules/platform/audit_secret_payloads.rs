use kubepci_findings::Evidence;

use super::audit_policy::{HUMAN, Level, Probe, SERVICE_ACCOUNT, decide, describe, report_loaded};
use super::control_plane::{Verdict, config_objects, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The audit policy must not write Secret or token contents into the log
    ///
    /// ## What it checks
    /// Every audit Policy (`audit.k8s.io`, given with `--platform-config`) gives requests on
    /// `secrets` (every verb), `serviceaccounts/token` and `tokenreviews` a level of at most
    /// `Metadata`. `Request` and `RequestResponse` copy request and response bodies, that is the
    /// Secret values and bearer tokens, into every audit log copy.
    /// The verdict counts only for a policy the API server loads: a kube-apiserver's
    /// `--audit-policy-file` must name the policy's file (by file name, so the node's
    /// `/etc/kubernetes/audit/policy.yaml` is the input's `policy.yaml`). A policy the API
    /// server does not load is not assessed, and so is an API server whose policy file is not
    /// in the input; with no kube-apiserver manifest in the input, failures stand and a pass is
    /// reported as not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Audit logs are widely shipped and retained for a year. Secret values in them are
    /// credentials and keys stored in clear text outside their protected store: requirement
    /// 8.3.2 asks that authentication factors are unreadable in storage. (Secrets are not
    /// sensitive authentication data in the sense of 3.3.1, which is about card verification
    /// codes, PINs and track data.)
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
    /// # file: policy.yaml (the name the API server loads)
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    /// - level: Metadata
    ///   resources:
    ///   - {group: "", resources: [secrets, serviceaccounts/token]}
    ///   - {group: authentication.k8s.io, resources: [tokenreviews]}
    /// - level: RequestResponse
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit/policy.yaml, --audit-webhook-config-file=/etc/kubernetes/audit/webhook.yaml]
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
        requirements: [("8.3.2", "8.3.2.b", "Secret values and tokens written into audit logs are authentication factors stored readable outside their protected store")],
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
    report_loaded(cx, e, &policies, |policy| {
        let mut leaks: Vec<String> = Vec::new();
        for p in &probes {
            let d = decide(policy, p);
            let line = format!("{} at {}", p.what, describe(&d));
            if d.level >= Level::Request && !leaks.contains(&line) {
                leaks.push(line);
            }
        }
        if leaks.is_empty() {
            return Verdict::Pass;
        }
        let evidence = leaks.iter().map(|l| Evidence::field("rules", l.clone())).collect();
        Verdict::Fail(format!("the audit policy logs bodies of: {}", leaks.join("; ")), evidence)
    });
}
