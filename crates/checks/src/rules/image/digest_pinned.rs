use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::support::image::parse;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE images must be pinned by digest
    ///
    /// ## What it checks
    /// Every container and init container image of every CDE workload carries a digest
    /// (`image@sha256:...`).
    ///
    /// ## Why PCI DSS cares
    /// A tag can be moved to different content; a digest cannot. Pinning makes the running
    /// software exactly the reviewed artefact, so each change to it is a change to the workload
    /// that change control (6.5.1) sees. A digest is not a software inventory (6.3.2) and
    /// pinning is not the change-detection mechanism of 11.5.2, which must detect and alert on
    /// changes to critical files.
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
    ///   - {name: api, image: "registry.example.com/pay/api:1.0"}
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
    ///   - {name: api, image: "registry.example.com/pay/api:1.0@sha256:9b2f0c4d1e"}
    /// ```
    ///
    /// ## Fix
    /// Deploy images by digest (`image: repo:tag@sha256:...`), resolved by the CI pipeline or
    /// an admission controller that mutates tags to digests.
    pub DIGEST_PINNED {
        id: "IMG-002",
        name: "image-not-digest-pinned",
        severity: Low,
        applies: Cde,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("6.5.1", "6.5.1.b", "only a digest makes the running software exactly the artefact the change record approved")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let image = c.container.image.as_deref().unwrap_or("");
        parse(image).digest.is_none().then(|| Problem::new(format!("{} image {image:?} has no digest", container_label(c)), Evidence::field(format!("{}.image", c.path), image)))
    });
}
