use kubepci_pss::Level;
use crate::support::pss::report_controls;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pods in restricted-level scope must use only restricted volume types
    ///
    /// ## What it checks
    /// Every volume of every workload held to the restricted level (CDE and connected by
    /// default; `hardening` in kubepci.yaml) is one of configMap, csi, downwardAPI, emptyDir, ephemeral,
    /// image, persistentVolumeClaim, projected or secret (Pod Security Standards control
    /// `restrictedVolumes`).
    ///
    /// ## Why PCI DSS cares
    /// Other volume types (nfs, iscsi, cephfs, hostPath, cloud disks named inline) attach
    /// storage directly, outside PersistentVolumeClaims and the storage classes whose
    /// encryption and access controls are reviewed: functions the CDE does not need (2.2.4)
    /// and security parameters bypassed (2.2.6).
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
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    ///   volumes:
    ///   - name: exports
    ///     nfs: {server: nfs.example.com, path: /exports}
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
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    ///   volumes:
    ///   - name: data
    ///     persistentVolumeClaim: {claimName: api-data}
    /// ```
    ///
    /// ## Fix
    /// Mount storage through PersistentVolumeClaims (or CSI) bound to reviewed storage
    /// classes instead of inline volume sources.
    pub VOLUME_TYPES {
        id: "POD-016",
        name: "restricted-volume-types",
        severity: Medium,
        applies: Restricted,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("2.2.4", "2.2.4.b", "inline storage types are functions CDE pods do not need"),
            ("2.2.6", "2.2.6.b", "inline volumes bypass the storage class security parameters"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    report_controls(e, Level::Restricted, Some(&["restrictedVolumes"]));
}
