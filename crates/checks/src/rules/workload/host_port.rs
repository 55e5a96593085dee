use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers must not bind host ports
    ///
    /// ## What it checks
    /// Every container's `ports[*].hostPort` is unset or 0 (Pod Security Standards control
    /// `hostPorts`).
    ///
    /// ## Why PCI DSS cares
    /// A host port publishes the container on the node's own address, outside Services, Ingress
    /// and usually outside the NetworkPolicies that guard the CDE. Requirement 2.2.6 asks that
    /// security parameters prevent misuse; the Pod Security Standards baseline forbids host
    /// ports. Host ports of CDE pods that make them directly reachable are what 1.4.4 is about;
    /// the assessor judges them with the node's network exposure.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     ports: [{containerPort: 8443, hostPort: 8443}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     ports: [{containerPort: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPort` and expose the container through a Service (and an Ingress or load
    /// balancer where it must be reachable from outside).
    pub HOST_PORT {
        id: "POD-005",
        name: "host-port",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "host ports are a Pod Security Standards baseline control: a security parameter that keeps pods off the node's own addresses")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["hostPorts"]));
}
