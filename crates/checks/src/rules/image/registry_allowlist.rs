use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::{Applies, Context, Emitter, declare_check};

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
    /// signing pipeline. Software in the CDE must be inventoried and known (6.3.2) and reach
    /// production through change control (6.5.1).
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
        requirements: [
            ("6.3.2", "images from approved registries are the inventoried software components"),
            ("6.5.1", "approved registries are where change-controlled builds are published"),
        ],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if cx.inv.config.approved_registries.is_empty() {
        e.not_assessed(None, kubepci_findings::reasons::NO_APPROVED_REGISTRIES);
        return;
    }
    each_container(e, Applies::Cde, |cx, c| {
        let image = c.container.image.as_deref().unwrap_or("");
        (!cx.inv.config.registry_approved(image))
            .then(|| Problem::new(format!("{} image {image:?} is not from an approved registry", container_label(c)), Evidence::field(format!("{}.image", c.path), image)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::testing::run as run_check;

    #[test]
    fn without_allowlist_is_not_assessed() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: pay, labels: {pci.kubepci.io/scope: cde}}\nspec: {containers: [{name: a, image: x:1}]}\n";
        let out = run_check(&REGISTRY_ALLOWLIST, yaml, "");
        assert_eq!(out.not_assessed.len(), 1);
        assert_eq!(out.not_assessed[0].message, "no approvedRegistries in kubepci.yaml");
        assert_eq!(run_check(&REGISTRY_ALLOWLIST, yaml, "approvedRegistries: [x]").passed, 1);
    }
}
