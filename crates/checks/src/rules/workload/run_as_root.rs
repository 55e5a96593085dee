use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers in restricted-level scope must run as a non-root user
    ///
    /// ## What it checks
    /// Every workload held to the restricted level (CDE and connected by default; `hardening`
    /// in kubepci.yaml) sets `runAsNonRoot: true` on the pod or on every container (and
    /// `false` nowhere), and `runAsUser: 0` nowhere (Pod Security Standards controls
    /// `runAsNonRoot` and `runAsUser`).
    ///
    /// ## Why PCI DSS cares
    /// Root in a container is root on the node once any isolation layer fails, and owns every
    /// file in the image. Application accounts must have least privilege (7.2.5) and the
    /// security parameters must prevent misuse (2.2.6).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   securityContext: {runAsUser: 0}
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   securityContext: {runAsNonRoot: true, runAsUser: 10001}
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser` on the pod, and build
    /// the image with a non-root `USER`.
    pub RUN_AS_ROOT {
        id: "POD-009",
        name: "runs-as-root",
        severity: High,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("2.2.6", "2.2.6.b", "non-root execution is a core container security parameter"),
            ("7.2.5", "7.2.5.b", "the application's system account must not be the all-powerful root"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["runAsNonRoot", "runAsUser"]));
}
