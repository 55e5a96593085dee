use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::support::image::{ImageRef, parse};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Images must not use the latest tag or no tag
    ///
    /// ## What it checks
    /// Every container and init container image of every workload has a tag other than
    /// `latest`, or a digest (`@sha256:...`). An image without tag or digest means `latest`.
    ///
    /// ## Why PCI DSS cares
    /// `latest` changes under the same name: what runs after a reschedule is whatever was
    /// pushed last, not the version that was reviewed and approved. Changes to system
    /// components must follow change control (6.5.1), and a change nobody made in the cluster
    /// cannot be traced to a change record. A tag is not a software inventory: the inventory of
    /// 6.3.2 lists the bespoke software and its third-party components, which image names do
    /// not show.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///   - {name: web, image: "nginx:latest"}
    ///   - {name: sidecar, image: registry.example.com/shop/proxy}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   containers:
    ///   - {name: web, image: "nginx:1.27.2"}
    ///   - {name: sidecar, image: "registry.example.com/shop/proxy@sha256:4c1e9f2b7a"}
    /// ```
    ///
    /// ## Fix
    /// Reference a fixed version tag, or better a digest, and update it through the release
    /// process.
    pub LATEST_TAG {
        id: "IMG-001",
        name: "image-latest-tag",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [("6.5.1", "6.5.1.b", "a moving tag changes the running software with no change record to trace it to")],
        run: run,
    }
}

/// `latest` explicitly, or implicitly (no tag and no digest).
pub(crate) fn is_latest(image: &ImageRef) -> bool {
    image.digest.is_none() && image.tag.is_none_or(|t| t == "latest")
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let image = c.container.image.as_deref().unwrap_or("");
        is_latest(&parse(image)).then(|| Problem::new(format!("{} uses {image:?} (latest)", container_label(c)), Evidence::field(format!("{}.image", c.path), image)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_detection() {
        assert!(is_latest(&parse("nginx")));
        assert!(is_latest(&parse("registry.local:5000/pay/api")));
        assert!(is_latest(&parse("nginx:latest")));
        assert!(!is_latest(&parse("nginx:latest@sha256:abc")));
        assert!(!is_latest(&parse("nginx:1.2")));
    }
}
