use super::view::{Perm, RbacView, perm, report_grants};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Only approved subjects may change admission webhooks, network policies or security tooling
    ///
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role allows `create`, `update`, `patch`
    /// or `delete` on: validating or mutating webhook configurations and validating admission
    /// policies (cluster-scoped); NetworkPolicies, AdminNetworkPolicies,
    /// BaselineAdminNetworkPolicies, Cilium and Calico network policies; or, when the binding
    /// reaches a namespace classified `security` (a RoleBinding there, or any
    /// ClusterRoleBinding), pods, workloads, ConfigMaps or Secrets there. It fails when the
    /// binding names a subject not in `approvedSubjects`; bootstrap bindings pass.
    ///
    /// ## Why PCI DSS cares
    /// Admission webhooks enforce pod security and can inject into every pod; network policies
    /// are the CDE's segmentation; the security namespace runs the policy engine, runtime
    /// detection and log shipping. Whoever can change them can switch the controls off.
    /// Requirement 1.2.8 asks that network security control configurations are secured from
    /// unauthorized access, and 7.2.2 for least privilege. If anti-malware runs in a security
    /// namespace, this is also how it is kept from being disabled (5.3.5), but the check does
    /// not know which workloads are anti-malware and is not mapped to it.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: netpol-editor}
    /// rules:
    /// - {apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "update", "delete"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: developers-netpol}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: netpol-editor}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: developers}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: netpol-editor}
    /// rules:
    /// - {apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "update", "delete"]}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: netsec-netpol}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: netpol-editor}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: network-security}
    /// ```
    ///
    /// ## Example configuration
    /// ```yaml
    /// approvedSubjects:
    /// - {kind: Group, name: network-security}
    /// ```
    ///
    /// ## Fix
    /// Keep write access to admission configuration, network policies and the security
    /// namespaces with the security team (and the GitOps identity that applies their
    /// changes); give others read access. List the approved subjects under
    /// `approvedSubjects` in `kubepci.yaml`.
    pub CONTROL_TAMPERING {
        id: "RBAC-007",
        name: "control-tampering",
        severity: High,
        applies: All,
        reads: [workloads, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding, ServiceAccount],
        requirements: [
            ("1.2.8", "1.2.8", "NetworkPolicies are the network security controls' configuration, which must be secured from unauthorized change"),
            ("7.2.2", "7.2.2.b", "changing security controls is a separate job function with its own approval"),
        ],
        run: run,
    }
}

const WRITE: &[&str] = &["create", "update", "patch", "delete"];

/// The controls themselves, wherever the binding reaches.
const CONTROLS: &[(&str, &str)] = &[
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
    ("networking.k8s.io", "networkpolicies"),
    ("policy.networking.k8s.io", "adminnetworkpolicies"),
    ("policy.networking.k8s.io", "baselineadminnetworkpolicies"),
    ("cilium.io", "ciliumnetworkpolicies"),
    ("cilium.io", "ciliumclusterwidenetworkpolicies"),
    ("crd.projectcalico.org", "networkpolicies"),
    ("crd.projectcalico.org", "globalnetworkpolicies"),
];

/// What runs and configures the tooling in a security namespace.
const TOOLING: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "configmaps"),
    ("", "secrets"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
];

fn writes(targets: &[(&'static str, &'static str)]) -> Vec<Perm> {
    targets.iter().flat_map(|&(g, r)| WRITE.iter().map(move |&v| perm(v, g, r))).collect()
}

fn run(cx: &Context, e: &mut Emitter) {
    let view = RbacView::new(cx);
    let controls = writes(CONTROLS);
    let tooling = writes(TOOLING);
    report_grants(
        &view,
        e,
        |_| true,
        |b| {
            let mut what = view.granted(b, &controls);
            let security = view.reached(b, &view.security_namespaces);
            if !security.is_empty() {
                let namespaces = kubepci_findings::noun(security.len(), "namespace", "namespaces");
                what.extend(view.granted(b, &tooling).into_iter().map(|w| format!("{w} in security {namespaces} {}", security.join(", "))));
            }
            what
        },
        |b, subjects, what| format!("{} lets {subjects} change security controls ({}), not in approvedSubjects", b.display(), what.join(", ")),
    );
}
