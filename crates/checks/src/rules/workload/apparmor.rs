use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods must not disable AppArmor
    ///
    /// ## What it checks
    /// Every workload's `securityContext.appArmorProfile.type` (pod and containers) is
    /// `RuntimeDefault` or `Localhost` when set, and `container.apparmor.security.beta.kubernetes.io/*`
    /// annotations are `runtime/default` or `localhost/*` (Pod Security Standards control
    /// `appArmorProfile`).
    ///
    /// ## Why PCI DSS cares
    /// An `Unconfined` AppArmor profile removes the mandatory access control that stops a
    /// compromised process from writing to sensitive paths or using raw sockets: a security
    /// parameter (2.2.6) switched off.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     appArmorProfile: {type: Unconfined}
    ///   containers:
    ///   - {name: web, image: registry.example.com/shop/web:5.0}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   securityContext:
    ///     appArmorProfile: {type: RuntimeDefault}
    ///   containers:
    ///   - {name: web, image: registry.example.com/shop/web:5.0}
    /// ```
    ///
    /// ## Fix
    /// Remove the `Unconfined` profile (or annotation); use `RuntimeDefault` or a `Localhost`
    /// profile loaded on the nodes.
    pub APPARMOR {
        id: "POD-012",
        name: "apparmor-unconfined",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "mandatory access control is a security parameter that must stay on")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["appArmorProfile"]));
}
