use std::collections::BTreeMap;

use kubepci_findings::Evidence;
use kubepci_model::k8s_openapi::api::core::v1::PersistentVolumeClaimSpec;
use kubepci_model::{Object, Resource};
use serde_json::Value;

use crate::support::each::{Verdict, each_of_kind, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE volumes must be on storage classes that encrypt at rest
    ///
    /// ## What it checks
    /// Every PersistentVolumeClaim in a CDE namespace (and, in manifests, every
    /// `volumeClaimTemplate` of a CDE StatefulSet) is resolved to its StorageClass
    /// (`spec.storageClassName`, or the class annotated
    /// `storageclass.kubernetes.io/is-default-class: "true"`), whose provisioner and
    /// parameters must encrypt the volume at rest:
    ///
    /// | Provisioner | Encrypted when |
    /// |---|---|
    /// | `ebs.csi.aws.com`, `kubernetes.io/aws-ebs` | `encrypted: "true"` (an account's default EBS encryption is not visible here) |
    /// | `pd.csi.storage.gke.io`, `kubernetes.io/gce-pd`, `disk.csi.azure.com`, `kubernetes.io/azure-disk`, `file.csi.azure.com` | always (provider-managed keys; a customer key is `disk-encryption-kms-key` / `diskEncryptionSetID`) |
    /// | `rbd.csi.ceph.com`, `cephfs.csi.ceph.com`, `driver.longhorn.io` | `encrypted: "true"` |
    /// | `pxd.portworx.com`, `kubernetes.io/portworx-volume` | `secure: "true"` |
    /// | `rancher.io/local-path`, `hostpath.csi.k8s.io`, `nfs.csi.k8s.io`, `k8s.io/minikube-hostpath` | never (node disks or NFS; fails) |
    ///
    /// Other provisioners (`kubernetes.io/no-provisioner` local volumes, EFS, vSphere …), a
    /// claim bound statically (`storageClassName: ""`) and a class not in the input are not
    /// assessed.
    ///
    /// ## Why PCI DSS cares
    /// Volumes of CDE workloads hold databases, queues and files that may contain PAN;
    /// requirement 3.5.1 asks that PAN is unreadable wherever it is stored, including on disks
    /// and their snapshots. Unencrypted volumes expose it to anyone who gets a snapshot, a
    /// detached disk or the node's storage. Volume encryption alone is disk-level encryption,
    /// which 3.5.1.2 accepts only with other protection of PAN, so a pass is partial evidence.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata: {name: gp3}
    /// provisioner: ebs.csi.aws.com
    /// parameters: {type: gp3}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: ledger-data, namespace: payments}
    /// spec:
    ///   storageClassName: gp3
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 20Gi}}
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
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3-encrypted
    ///   annotations: {storageclass.kubernetes.io/is-default-class: "true"}
    /// provisioner: ebs.csi.aws.com
    /// parameters: {type: gp3, encrypted: "true", kmsKeyId: "arn:aws:kms:eu-west-1:111122223333:key/pay"}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: ledger-data, namespace: payments}
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 20Gi}}
    /// ```
    ///
    /// ## Fix
    /// Create an encrypting StorageClass (for EBS `encrypted: "true"` with your KMS key in
    /// `kmsKeyId`; for Ceph or Longhorn `encrypted: "true"` with a key Secret) and move the CDE
    /// claims to it (a new claim and a data copy, or a snapshot restore: a class cannot be
    /// changed on a bound claim). Keep card data itself encrypted or tokenised as well.
    pub VOLUME_ENCRYPTION {
        id: "STO-001",
        name: "cde-volume-not-encrypted",
        severity: High,
        applies: Cde,
        reads: [workloads, Namespace, PersistentVolumeClaim, StorageClass],
        requirements: [
            ("3.5.1", "3.5.1.b", "the storage class of each CDE volume shows whether data written to it, PAN included, is stored encrypted"),
        ],
        run: run,
    }
}

/// What a provisioner's parameters say about encryption at rest.
#[derive(Debug, PartialEq)]
pub enum AtRest {
    Encrypted,
    Unencrypted(String),
    Unknown(String),
}

/// The provisioner table (see the check's documentation).
pub fn judge_class(provisioner: &str, parameters: &BTreeMap<String, String>) -> AtRest {
    let param = |k: &str| parameters.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    let flag = |k: &str| param(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    match provisioner {
        "ebs.csi.aws.com" | "kubernetes.io/aws-ebs" | "rbd.csi.ceph.com" | "cephfs.csi.ceph.com" | "driver.longhorn.io" => {
            if flag("encrypted") {
                AtRest::Encrypted
            } else {
                AtRest::Unencrypted(format!("{provisioner} without encrypted: \"true\"{}", param("encrypted").map(|v| format!(" (encrypted: {v:?})")).unwrap_or_default()))
            }
        }
        "pxd.portworx.com" | "kubernetes.io/portworx-volume" => {
            if flag("secure") { AtRest::Encrypted } else { AtRest::Unencrypted(format!("{provisioner} without secure: \"true\"")) }
        }
        "pd.csi.storage.gke.io" | "kubernetes.io/gce-pd" | "disk.csi.azure.com" | "kubernetes.io/azure-disk" | "file.csi.azure.com" => AtRest::Encrypted,
        "rancher.io/local-path" | "hostpath.csi.k8s.io" | "nfs.csi.k8s.io" | "k8s.io/minikube-hostpath" | "microk8s.io/hostpath" => {
            AtRest::Unencrypted(format!("{provisioner} stores volumes on node disks or NFS without encryption"))
        }
        other => AtRest::Unknown(format!("provisioner {other} is not one kubepci knows; whether it encrypts is decided outside the StorageClass")),
    }
}

/// A StorageClass's provisioner and parameters (StorageClass stays a generic object).
fn class_of(o: &Object) -> Option<(&str, BTreeMap<String, String>)> {
    let Resource::Generic(g) = &o.resource else { return None };
    if g.kind != "StorageClass" || !g.api_version.starts_with("storage.k8s.io/") {
        return None;
    }
    let provisioner = g.body.get("provisioner")?.as_str()?;
    let params = g.body.get("parameters").and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect()).unwrap_or_default();
    Some((provisioner, params))
}

fn default_class<'a>(cx: &Context<'a>) -> Option<&'a Object> {
    cx.inv.of_kind("StorageClass").find(|o| {
        let a = o.annotations();
        ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"].iter().any(|k| a.get(k).is_some_and(|v| v == "true"))
    })
}

fn judge_claim(cx: &Context, spec: Option<&PersistentVolumeClaimSpec>, path: &str, claim: &str) -> Verdict {
    let named = spec.and_then(|s| s.storage_class_name.as_deref());
    let class = match named {
        Some("") => return Verdict::NotAssessed(format!("{claim} binds a volume statically (storageClassName: \"\"): its encryption is the volume's")),
        Some(name) => match cx.inv.get("StorageClass", None, name) {
            Some(c) => c,
            None => return Verdict::NotAssessed(format!("StorageClass {name} of {claim} is not in the input")),
        },
        None => match default_class(cx) {
            Some(c) => c,
            None => return Verdict::NotAssessed(format!("{claim} names no StorageClass and the input has no default class")),
        },
    };
    let Some((provisioner, params)) = class_of(class) else { return Verdict::NotAssessed(format!("StorageClass {} has no provisioner", class.name())) };
    match judge_class(provisioner, &params) {
        AtRest::Encrypted => Verdict::Pass,
        AtRest::Unencrypted(why) => Verdict::Fail(format!("{claim} is on StorageClass {}: {why}", class.name()), vec![Evidence::field(format!("{path}.storageClassName"), class.name())]),
        AtRest::Unknown(why) => Verdict::NotAssessed(format!("{claim} is on StorageClass {}: {why}", class.name())),
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_of_kind(e, "PersistentVolumeClaim", |cx, _, o| {
        let Resource::PersistentVolumeClaim(pvc) = &o.resource else { return Verdict::Skip };
        judge_claim(cx, pvc.spec.as_ref(), "spec", &format!("claim {}", o.name()))
    });
    // On a cluster the claims StatefulSets create are PersistentVolumeClaims, judged above.
    if e.context().input.is_cluster() {
        return;
    }
    each_workload(e, |cx, _, o, _| {
        let Resource::StatefulSet(sts) = &o.resource else { return Verdict::Skip };
        let templates = sts.spec.volume_claim_templates.as_deref().unwrap_or_default();
        if templates.is_empty() {
            return Verdict::Skip;
        }
        let verdicts: Vec<Verdict> = templates
            .iter()
            .enumerate()
            .map(|(i, t)| judge_claim(cx, t.spec.as_ref(), &format!("spec.volumeClaimTemplates[{i}].spec"), &format!("volumeClaimTemplate {}", t.metadata.name.as_deref().unwrap_or("?"))))
            .collect();
        combine(verdicts)
    });
}

/// Several claims of one workload: any failure fails, else any unknown is not assessed.
fn combine(verdicts: Vec<Verdict>) -> Verdict {
    let (mut fails, mut evidence, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for v in verdicts {
        match v {
            Verdict::Fail(m, ev) => {
                fails.push(m);
                evidence.extend(ev);
            }
            Verdict::NotAssessed(m) => unknown.push(m),
            _ => {}
        }
    }
    if !fails.is_empty() {
        Verdict::Fail(fails.join("; "), evidence)
    } else if !unknown.is_empty() {
        Verdict::NotAssessed(unknown.join("; "))
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn provisioner_table() {
        assert_eq!(judge_class("ebs.csi.aws.com", &params(&[("encrypted", "true")])), AtRest::Encrypted);
        assert!(matches!(judge_class("ebs.csi.aws.com", &params(&[("encrypted", "false")])), AtRest::Unencrypted(m) if m.contains("\"false\"")));
        assert!(matches!(judge_class("driver.longhorn.io", &params(&[])), AtRest::Unencrypted(_)));
        assert_eq!(judge_class("pxd.portworx.com", &params(&[("secure", "true")])), AtRest::Encrypted);
        assert_eq!(judge_class("pd.csi.storage.gke.io", &params(&[])), AtRest::Encrypted);
        assert!(matches!(judge_class("rancher.io/local-path", &params(&[])), AtRest::Unencrypted(_)));
        assert!(matches!(judge_class("efs.csi.aws.com", &params(&[])), AtRest::Unknown(_)));
    }

    #[test]
    fn statefulset_templates_in_manifests() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: local}\nprovisioner: rancher.io/local-path\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: payments}\nspec:\n  selector: {matchLabels: {app: db}}\n  serviceName: db\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: db, image: r.example/db:1}]}\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {storageClassName: local, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n";
        let out = crate::testing::run(&VOLUME_ENCRYPTION, yaml, "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("volumeClaimTemplate data"));
        let unknown = yaml.replace("storageClassName: local", "storageClassName: missing");
        assert_eq!(crate::testing::run(&VOLUME_ENCRYPTION, &unknown, "").not_assessed.len(), 1);
    }
}
