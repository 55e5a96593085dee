use kubepci_findings::Evidence;
use serde_json::Value;

use super::control_plane::{config_objects, not_visible};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Kubelets must authenticate and authorize every request
    ///
    /// ## What it checks
    /// Every KubeletConfiguration (`kubelet.config.k8s.io`, given with `--platform-config`) has
    /// `authentication.anonymous.enabled` not `true`, `authentication.webhook.enabled` not
    /// `false` and `authorization.mode` not `AlwaysAllow`. Unset fields take the config file's
    /// defaults (anonymous off, webhook on, mode `Webhook`). Command-line flags on the node can
    /// override the file and are not visible here.
    ///
    /// ## Why PCI DSS cares
    /// The kubelet API (port 10250) runs commands in any container on the node and reads its
    /// logs and Secrets. Anonymous or unauthorized access to it bypasses cluster RBAC and audit
    /// entirely. Requirement 8.3.1 asks that all access is authenticated, 7.3.1 and 7.3.3 for
    /// an access control system that covers every component and denies by default, and 2.2.6
    /// for secure security parameters.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous: {enabled: true}
    ///   webhook: {enabled: false}
    /// authorization: {mode: AlwaysAllow}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous: {enabled: false}
    ///   webhook: {enabled: true}
    ///   x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
    /// authorization: {mode: Webhook}
    /// ```
    ///
    /// ## Fix
    /// In the kubelet configuration file set `authentication.anonymous.enabled: false`,
    /// `authentication.webhook.enabled: true` and `authorization.mode: Webhook`, remove
    /// `--anonymous-auth=true` / `--authorization-mode=AlwaysAllow` from the kubelet's flags, and
    /// restart the kubelets.
    pub KUBELET_AUTH {
        id: "KUB-001",
        name: "kubelet-authn-authz",
        severity: Critical,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [
            ("8.3.1", "8.3.1.b", "the kubelet API must authenticate every caller"),
            ("7.3.1", "7.3.1", "webhook authorization puts the kubelet API under the cluster's access control system"),
            ("7.3.3", "7.3.3", "AlwaysAllow on the kubelet grants every authenticated caller everything"),
            ("2.2.6", "2.2.6.b", "anonymous access and AlwaysAllow are insecure kubelet parameters"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let configs = config_objects(cx, "kubelet.config.k8s.io", "KubeletConfiguration");
    if configs.is_empty() {
        not_visible(cx, e, "KubeletConfiguration (pass it with --platform-config)");
        return;
    }
    for (index, body) in configs {
        let at = |path: &[&str]| -> Option<&Value> {
            let (first, rest) = path.split_first()?;
            rest.iter().try_fold(body.get(*first)?, |v, k| v.get(*k))
        };
        let mut evidence = Vec::new();
        if at(&["authentication", "anonymous", "enabled"]).and_then(Value::as_bool) == Some(true) {
            evidence.push(Evidence::field("authentication.anonymous.enabled", "true"));
        }
        if at(&["authentication", "webhook", "enabled"]).and_then(Value::as_bool) == Some(false) {
            evidence.push(Evidence::field("authentication.webhook.enabled", "false"));
        }
        if at(&["authorization", "mode"]).and_then(Value::as_str) == Some("AlwaysAllow") {
            evidence.push(Evidence::field("authorization.mode", "AlwaysAllow"));
        }
        if evidence.is_empty() {
            e.pass(index);
        } else {
            let what: Vec<String> = evidence.iter().map(|ev| format!("{}={}", ev.path, ev.value.as_deref().unwrap_or(""))).collect();
            e.fail(index, format!("the kubelet serves unauthenticated or unauthorized requests: {}", what.join(", ")), evidence);
        }
    }
}
