use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::support::image::parse;
use super::latest_tag::is_latest;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE containers with mutable tags must pull the image every time
    ///
    /// ## What it checks
    /// Every container and init container of every CDE workload whose image has no digest
    /// uses `imagePullPolicy: Always`. When the field is unset Kubernetes defaults it to
    /// `Always` for `latest`/untagged images and to `IfNotPresent` otherwise.
    ///
    /// ## Why PCI DSS cares
    /// With a mutable tag and `IfNotPresent`, each node runs whatever it cached under that tag:
    /// two replicas can run different software, and a re-pushed (fixed or malicious) image
    /// reaches some nodes and not others. The running version must be the change-controlled
    /// one (6.5.1).
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
    ///   - {name: api, image: "registry.example.com/pay/api:1.0", imagePullPolicy: Always}
    ///   - {name: proxy, image: "registry.example.com/pay/proxy:2.0@sha256:77aa01", imagePullPolicy: IfNotPresent}
    /// ```
    ///
    /// ## Fix
    /// Pin the image by digest (then any pull policy is safe), or set
    /// `imagePullPolicy: Always`.
    pub PULL_POLICY {
        id: "IMG-004",
        name: "mutable-tag-pull-policy",
        severity: Low,
        applies: Cde,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("6.5.1", "6.5.1.b", "nodes caching a mutable tag can run software other than the change-controlled version")],
        run: run,
    }
}

/// The pull policy Kubernetes applies when the field is unset.
fn effective_policy(explicit: Option<&str>, image: &str) -> String {
    match explicit {
        Some(p) => p.to_string(),
        None if is_latest(&parse(image)) => "Always".into(),
        None => "IfNotPresent".into(),
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let image = c.container.image.as_deref().unwrap_or("");
        let policy = effective_policy(c.container.image_pull_policy.as_deref(), image);
        (parse(image).digest.is_none() && policy != "Always").then(|| {
            let shown = c.container.image_pull_policy.clone().unwrap_or_else(|| format!("<unset: {policy}>"));
            Problem::new(
                format!("{} pulls the mutable image {image:?} with {policy}", container_label(c)),
                Evidence::field(format!("{}.imagePullPolicy", c.path), shown),
            )
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_kubernetes() {
        assert_eq!(effective_policy(None, "nginx"), "Always");
        assert_eq!(effective_policy(None, "nginx:latest"), "Always");
        assert_eq!(effective_policy(None, "nginx:1.2"), "IfNotPresent");
        assert_eq!(effective_policy(Some("Never"), "nginx"), "Never");
    }
}
