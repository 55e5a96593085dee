use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::containers::containers;
use crate::support::each::{Problem, Verdict, container_label, each_workload};
use crate::{Context, Emitter, declare_check};

/// Node OS families whose mandatory access control is AppArmor, and those using SELinux.
const APPARMOR_OS: &[&str] = &["ubuntu", "debian", "suse", "opensuse"];
const SELINUX_OS: &[&str] = &["red hat", "centos", "rocky", "almalinux", "fedora", "amazon linux", "bottlerocket", "oracle linux"];

/// SELinux types that lift confinement.
const UNCONFINED_SELINUX_TYPES: &[&str] = &["spc_t", "unconfined_t"];

declare_check! {
    /// CDE containers must run under an AppArmor or SELinux profile
    ///
    /// ## What it checks
    /// Every container and init container of every CDE workload declares a mandatory access
    /// control profile: AppArmor (`securityContext.appArmorProfile` of the container or the
    /// pod, `RuntimeDefault` or `Localhost`, or the legacy annotation
    /// `container.apparmor.security.beta.kubernetes.io/<container>` with `runtime/default` or
    /// `localhost/<name>`) or SELinux (`seLinuxOptions` of the container or the pod). When the
    /// input has Nodes, the profile must be for the system their OS uses (AppArmor on Ubuntu,
    /// Debian and SUSE; SELinux on RHEL and its rebuilds, Fedora, Amazon Linux, Bottlerocket);
    /// otherwise either counts. `Unconfined` AppArmor and the `spc_t`/`unconfined_t` SELinux
    /// types count as unset, and the finding names the profile found. Seccomp is POD-011.
    ///
    /// ## Why PCI DSS cares
    /// The runtime's default confinement applies only when the node enables it and nothing
    /// overrides it; declaring the profile makes the confinement of every CDE container part of
    /// its reviewed configuration. Mandatory access control is a security parameter configured
    /// to prevent misuse (2.2.6) and part of the hardening standard applied to CDE components
    /// (2.2.1).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: payments
    ///   annotations: {container.apparmor.security.beta.kubernetes.io/sidecar: unconfined}
    /// spec:
    ///   containers:
    ///   - {name: api, image: "registry.pay.example/payments/api:3.4.2"}
    ///   - {name: sidecar, image: "registry.pay.example/payments/proxy:1.2"}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: payments
    ///   annotations: {container.apparmor.security.beta.kubernetes.io/sidecar: localhost/proxy-strict}
    /// spec:
    ///   securityContext:
    ///     appArmorProfile: {type: RuntimeDefault}
    ///   containers:
    ///   - {name: api, image: "registry.pay.example/payments/api:3.4.2"}
    ///   - {name: sidecar, image: "registry.pay.example/payments/proxy:1.2"}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.appArmorProfile: {type: RuntimeDefault}` (or a `Localhost` profile
    /// loaded on the nodes) on AppArmor nodes, or `seLinuxOptions` (a container type such as
    /// `container_t` with the pod's MCS level) on SELinux nodes, in the pod or each container.
    pub MAC_PROFILE {
        id: "POD-023",
        name: "cde-mandatory-access-control",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace, Node],
        requirements: [
            ("2.2.6", "2.2.6.b", "a declared AppArmor or SELinux profile is the mandatory access control parameter set on every CDE container"),
            ("2.2.1", "2.2.1.c", "confinement of CDE containers is part of the hardening standard applied to them"),
        ],
        run: run,
    }
}

/// Which systems the nodes use: (AppArmor, SELinux); both when no Node says.
fn node_systems(cx: &Context) -> (bool, bool) {
    let (mut apparmor, mut selinux) = (false, false);
    for node in cx.inv.of_kind("Node") {
        let Resource::Node(n) = &node.resource else { continue };
        let os = n.status.as_ref().and_then(|s| s.node_info.as_ref()).map(|i| i.os_image.to_ascii_lowercase()).unwrap_or_default();
        apparmor |= APPARMOR_OS.iter().any(|f| os.starts_with(f));
        selinux |= SELINUX_OS.iter().any(|f| os.starts_with(f));
    }
    if apparmor || selinux { (apparmor, selinux) } else { (true, true) }
}

fn run(cx: &Context, e: &mut Emitter) {
    let (need_apparmor, need_selinux) = node_systems(cx);
    each_workload(e, |_, _, _, t| Verdict::from_problems(containers(t).filter_map(|c| {
        let pod_sc = t.spec.security_context.as_ref();
        let sc = c.container.security_context.as_ref();
        // AppArmor: the container's field, else the legacy annotation, else the pod's field.
        let annotation = t.metadata.annotations.as_ref().and_then(|a| a.get(&format!("container.apparmor.security.beta.kubernetes.io/{}", c.container.name))).map(str::to_string);
        let field = sc.and_then(|s| s.app_armor_profile.as_ref()).or_else(|| pod_sc.and_then(|p| p.app_armor_profile.as_ref()));
        let apparmor: Option<String> = match (field, annotation) {
            (Some(p), _) => Some(match p.localhost_profile.as_deref() {
                Some(name) => format!("{}/{name}", p.type_),
                None => p.type_.clone(),
            }),
            (None, Some(a)) => Some(a),
            (None, None) => None,
        };
        let apparmor_ok = apparmor.as_deref().is_some_and(|p| !p.eq_ignore_ascii_case("unconfined"));
        let selinux = sc.and_then(|s| s.se_linux_options.as_ref()).or_else(|| pod_sc.and_then(|p| p.se_linux_options.as_ref()));
        let selinux_type = selinux.and_then(|o| o.type_.clone());
        let selinux_ok = selinux.is_some() && !selinux_type.as_deref().is_some_and(|t| UNCONFINED_SELINUX_TYPES.contains(&t));
        let ok = (need_apparmor && apparmor_ok) || (need_selinux && selinux_ok);
        if ok {
            return None;
        }
        let found = match (&apparmor, &selinux_type) {
            (Some(a), Some(t)) => format!("AppArmor {a}, SELinux type {t}"),
            (Some(a), None) if selinux.is_some() => format!("AppArmor {a}, SELinux options without a type"),
            (Some(a), None) => format!("AppArmor {a}"),
            (None, Some(t)) => format!("SELinux type {t}"),
            (None, None) if selinux.is_some() => "SELinux options without a type".into(),
            (None, None) => "no profile".into(),
        };
        let wanted = match (need_apparmor, need_selinux) {
            (true, true) => "an AppArmor or SELinux profile",
            (true, false) => "an AppArmor profile (the nodes run an AppArmor OS)",
            _ => "SELinux options (the nodes run an SELinux OS)",
        };
        Some(Problem::new(format!("{} runs without {wanted}: {found}", container_label(&c)), Evidence::field(format!("{}.securityContext", c.path), found)))
    })));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci.kubepci.io/scope: cde}}\n---\n";

    fn node(os: &str) -> String {
        format!("---\napiVersion: v1\nkind: Node\nmetadata: {{name: n}}\nstatus:\n  nodeInfo: {{kubeletVersion: v1.34.2, osImage: \"{os}\", kernelVersion: k, containerRuntimeVersion: \"containerd://2.1.4\", machineID: a, systemUUID: a, bootID: a, kubeProxyVersion: \"\", operatingSystem: linux, architecture: amd64}}\n")
    }

    const SELINUX_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: pay}\nspec:\n  securityContext: {seLinuxOptions: {type: container_t, level: \"s0:c1,c2\"}}\n  containers: [{name: a, image: a:1}]\n";

    #[test]
    fn the_nodes_os_decides_which_system_counts() {
        assert_eq!(run(&MAC_PROFILE, &format!("{NS}{SELINUX_POD}"), "").passed, 1, "no Nodes: either counts");
        assert_eq!(run(&MAC_PROFILE, &format!("{NS}{SELINUX_POD}{}", node("Red Hat Enterprise Linux 9.4 (Plow)")), "").passed, 1);
        let out = run(&MAC_PROFILE, &format!("{NS}{SELINUX_POD}{}", node("Ubuntu 24.04.1 LTS")), "");
        assert!(out.fails[0].message.contains("without an AppArmor profile (the nodes run an AppArmor OS): SELinux type container_t"), "{:?}", out.fails);
    }

    #[test]
    fn unconfined_profiles_are_named() {
        let spc = SELINUX_POD.replace("container_t", "spc_t");
        let out = run(&MAC_PROFILE, &format!("{NS}{spc}"), "");
        assert!(out.fails[0].message.ends_with("SELinux type spc_t"), "{:?}", out.fails);
        let unconfined = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: pay}\nspec:\n  containers: [{name: a, image: a:1, securityContext: {appArmorProfile: {type: Unconfined}}}]\n";
        assert!(run(&MAC_PROFILE, &format!("{NS}{unconfined}"), "").fails[0].message.ends_with("AppArmor Unconfined"));
        let custom = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: pay}\nspec:\n  containers: [{name: a, image: a:1, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: pay-strict}}}]\n";
        assert_eq!(run(&MAC_PROFILE, &format!("{NS}{custom}"), "").passed, 1);
    }
}
