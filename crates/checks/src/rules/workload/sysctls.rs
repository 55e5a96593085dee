use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must set only namespaced, safe sysctls
    ///
    /// ## What it checks
    /// Every workload's `spec.securityContext.sysctls` names only the Pod Security Standards
    /// safe set (`kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    /// `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`, ... per policy version):
    /// control `sysctls`.
    ///
    /// ## Why PCI DSS cares
    /// Unsafe sysctls change kernel behaviour for the whole node (memory, networking, IPC),
    /// letting one pod weaken or starve every other workload on it: kernel security
    /// parameters (2.2.6) under a tenant's control.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: cache, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     sysctls: [{name: kernel.msgmax, value: "65536"}]
    ///   containers:
    ///   - {name: cache, image: registry.example.com/shop/cache:7.2}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: cache, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     sysctls: [{name: net.ipv4.ip_local_port_range, value: "1024 65535"}]
    ///   containers:
    ///   - {name: cache, image: registry.example.com/shop/cache:7.2}
    /// ```
    ///
    /// ## Fix
    /// Remove unsafe sysctls; tune the node itself (through node configuration under change
    /// control) when the kernel setting is really needed.
    pub SYSCTLS {
        id: "POD-014",
        name: "unsafe-sysctls",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "node-wide kernel parameters must not be changed by a workload")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["sysctls"]));
}
