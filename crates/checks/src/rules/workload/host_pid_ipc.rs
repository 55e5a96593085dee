use crate::support::each::each_workload;
use crate::support::hardening::host_flags_verdict;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not share the node's process or IPC namespace
    ///
    /// ## What it checks
    /// Every workload's pod spec for `hostPID: true` or `hostIPC: true` (part of the Pod
    /// Security Standards control `hostNamespaces`; `hostNetwork` is POD-003).
    ///
    /// ## Why PCI DSS cares
    /// With the host PID namespace a container sees and can signal or trace every process on
    /// the node, including other tenants' CDE processes; with the host IPC namespace it reads
    /// their shared memory. That breaks the isolation between functions of different security
    /// levels that 2.2.3 asks for and is a security parameter that 2.2.6 expects to be set.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: debug, namespace: tools}
    /// spec:
    ///   hostPID: true
    ///   containers:
    ///   - {name: shell, image: registry.example.com/tools/shell:1.0}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPID` and `hostIPC` (or set them to false). Node agents that need them belong
    /// in a dedicated security namespace with a documented exception.
    pub HOST_PID_IPC {
        id: "POD-002",
        name: "host-pid-ipc",
        severity: High,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [
            ("2.2.3", "2.2.3.c", "sharing the node's process and IPC namespaces removes isolation between workloads"),
            ("2.2.6", "2.2.6.b", "hostPID and hostIPC are security parameters that must be off"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |_, _, _, t| host_flags_verdict(t, &["hostPID", "hostIPC"]));
}
