use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Containers in restricted-level scope must have a read-only root filesystem
    ///
    /// ## What it checks
    /// Every container and init container of every workload held to the restricted level (CDE
    /// and connected by default; `hardening` in kubepci.yaml) sets
    /// `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why PCI DSS cares
    /// An immutable container filesystem makes a change to the running software (a dropped web
    /// shell, a modified binary or library) impossible rather than something to detect: a
    /// security parameter (2.2.6) against tampering. It is not the change-detection mechanism
    /// of 11.5.2, which must detect and alert on changes to critical files; that needs a file
    /// integrity or runtime monitoring tool.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - {name: api, image: registry.example.com/pay/api:1.0}
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
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/pay/api:1.0
    ///         securityContext: {readOnlyRootFilesystem: true}
    ///         volumeMounts: [{name: tmp, mountPath: /tmp}]
    ///       volumes:
    ///       - {name: tmp, emptyDir: {}}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.readOnlyRootFilesystem: true` on every container and mount
    /// `emptyDir` volumes for the paths the process must write (such as `/tmp`).
    pub READ_ONLY_ROOT_FS {
        id: "POD-018",
        name: "writable-root-filesystem",
        severity: Medium,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "a read-only root filesystem is a container security parameter against tampering")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let read_only = c.container.security_context.as_ref().and_then(|s| s.read_only_root_filesystem);
        (read_only != Some(true)).then(|| {
            let path = format!("{}.securityContext.readOnlyRootFilesystem", c.path);
            let shown = read_only.map_or("<unset>".to_string(), |v| v.to_string());
            Problem::new(format!("{} does not set readOnlyRootFilesystem: true", container_label(c)), Evidence::field(path, shown))
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run as run_check;

    #[test]
    fn init_containers_count_and_no_cde_is_not_assessed() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: pay, labels: {pci.kubepci.io/scope: cde}}\nspec:\n  initContainers: [{name: init, image: x:1}]\n  containers: [{name: app, image: x:1, securityContext: {readOnlyRootFilesystem: true}}]\n";
        let out = run_check(&READ_ONLY_ROOT_FS, yaml, "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("init container \"init\""), "{}", out.fails[0].message);
        assert_eq!(out.fails[0].evidence[0].path, "spec.initContainers[0].securityContext.readOnlyRootFilesystem");
        let out = run_check(&READ_ONLY_ROOT_FS, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}]}\n", "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1));
    }
}
