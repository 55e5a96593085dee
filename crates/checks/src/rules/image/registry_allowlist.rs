use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE images must come from approved registries
    ///
    /// ## What it checks
    /// Every container and init container image of every CDE workload starts with one of the
    /// prefixes under `approvedRegistries` in `kubepci.yaml` (such as
    /// `registry.example.com/`). Without that list the check is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// Images from arbitrary public registries bypass the organisation's build, scanning and
    /// signing pipeline, so software reaches the CDE without the change control of 6.5.1. Where
    /// the image comes from is not a software inventory (6.3.2); that inventory lists bespoke
    /// software and its components.
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
    ///   containers:
    ///   - {name: api, image: "docker.io/someone/payments-api:1.0"}
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
    ///   containers:
    ///   - {name: api, image: "registry.example.com/pay/api:1.0"}
    /// ```
    ///
    /// ## Example configuration
    /// ```yaml
    /// approvedRegistries: [registry.example.com/]
    /// ```
    ///
    /// ## Fix
    /// Mirror the image into an approved registry through the build pipeline, or add the
    /// registry to `approvedRegistries` once it is approved.
    pub REGISTRY_ALLOWLIST {
        id: "IMG-003",
        name: "image-registry-not-approved",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("6.5.1", "6.5.1.b", "an image from a registry outside the approved ones did not come through the build and release path that change control governs")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if cx.inv.config.approved_registries.is_empty() {
        e.not_assessed(None, kubepci_findings::reasons::NO_APPROVED_REGISTRIES);
        return;
    }
    each_container(e, |cx, c| {
        let image = c.container.image.as_deref().unwrap_or("");
        (!cx.inv.config.registry_approved(image))
            .then(|| Problem::new(format!("{} image {image:?} is not from an approved registry", container_label(c)), Evidence::field(format!("{}.image", c.path), image)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run as run_check;

    #[test]
    fn without_allowlist_is_not_assessed() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: pay, labels: {pci.kubepci.io/scope: cde}}\nspec: {containers: [{name: a, image: x:1}]}\n";
        let out = run_check(&REGISTRY_ALLOWLIST, yaml, "");
        assert_eq!(out.not_assessed.len(), 1);
        assert_eq!(out.not_assessed[0].message, "no approvedRegistries in kubepci.yaml");
        assert_eq!(run_check(&REGISTRY_ALLOWLIST, yaml, "approvedRegistries: [x]").passed, 1);
    }
}
