use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers must not add dangerous Linux capabilities
    ///
    /// ## What it checks
    /// Every container's `securityContext.capabilities.add` lists only the capabilities the Pod
    /// Security Standards baseline allows (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
    /// KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT): control
    /// `capabilities_baseline`, evaluated at baseline level.
    ///
    /// ## Why PCI DSS cares
    /// Capabilities such as SYS_ADMIN, NET_ADMIN, NET_RAW or SYS_PTRACE give a container
    /// kernel-level powers (mounting filesystems, reconfiguring or sniffing the network,
    /// tracing other processes) that let it escape or attack neighbours: security parameters
    /// that 2.2.6 requires to be set against misuse.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: sniffer, namespace: tools}
    /// spec:
    ///   containers:
    ///   - name: sniffer
    ///     image: registry.example.com/tools/tcpdump:4.9
    ///     securityContext:
    ///       capabilities: {add: [NET_ADMIN, NET_RAW]}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: tools}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: registry.example.com/tools/web:1.0
    ///     securityContext:
    ///       capabilities: {add: [NET_BIND_SERVICE]}
    /// ```
    ///
    /// ## Fix
    /// Remove the added capabilities; redesign the workload so it does not need kernel-level
    /// privileges, or run it as a documented node agent in a security namespace.
    pub CAPABILITIES_ADDED {
        id: "POD-006",
        name: "dangerous-capabilities",
        severity: High,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "added kernel capabilities weaken the container's security parameters")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Baseline, Some(&["capabilities_baseline"]));
}
