use kubepci_findings::Evidence;
use kubepci_model::{Object, Resource};
use serde_json::{Map, Value};

use crate::support::each::{Verdict, each_of_kind};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Backups of CDE namespaces must be stored encrypted
    ///
    /// ## What it checks
    /// Every Velero `Schedule` whose backups include a CDE namespace
    /// (`spec.template.includedNamespaces` naming it, `*`, or empty; not in
    /// `excludedNamespaces`) must write to a `BackupStorageLocation`
    /// (`spec.template.storageLocation`, else the one marked `spec.default: true`) that
    /// encrypts with a key: provider `aws` (or `velero.io/aws`) with `config.kmsKeyId` or
    /// `config.serverSideEncryption`, `gcp` with `config.kmsKeyName`; `azure` stores are always
    /// encrypted by the storage service. Other providers, and a location not in the input, are
    /// not assessed. Without any Velero `Schedule` in the input the check is not assessed:
    /// backups may be made some other way.
    ///
    /// ## Why PCI DSS cares
    /// A Velero backup holds every object of the namespace, Secrets included, and with volume
    /// backups the data of CDE databases: PAN and the keys protecting it. Requirement 3.5.1 asks
    /// that PAN is unreadable wherever it is stored, backups included; an object store without
    /// encryption keeps it readable to anyone with access to the bucket.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: velero.io/v1
    /// kind: BackupStorageLocation
    /// metadata: {name: default, namespace: velero}
    /// spec:
    ///   provider: aws
    ///   default: true
    ///   objectStorage: {bucket: cluster-backups}
    ///   config: {region: eu-west-1}
    /// ---
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: nightly, namespace: velero}
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template: {includedNamespaces: ["*"]}
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
    /// apiVersion: velero.io/v1
    /// kind: BackupStorageLocation
    /// metadata: {name: cde-backups, namespace: velero}
    /// spec:
    ///   provider: aws
    ///   objectStorage: {bucket: cde-backups}
    ///   config: {region: eu-west-1, kmsKeyId: "alias/cde-backups"}
    /// ---
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: payments-nightly, namespace: velero}
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template: {includedNamespaces: [payments], storageLocation: cde-backups}
    /// ```
    ///
    /// ## Fix
    /// Point the CDE's backup schedules at a storage location encrypted with a key you manage
    /// (AWS `kmsKeyId`, GCP `kmsKeyName`), restrict access to that bucket, and keep the
    /// backups' retention within your data retention policy.
    pub BACKUP_ENCRYPTION {
        id: "STO-002",
        name: "cde-backup-not-encrypted",
        severity: High,
        applies: CdeRelated,
        reads: [Namespace, Schedule, BackupStorageLocation],
        requirements: [("3.5.1", "3.5.1.b", "backups of CDE namespaces are a data repository whose PAN must be unreadable; the storage location shows whether they are encrypted")],
        run: run,
    }
}

fn velero<'a>(o: &'a Object, kind: &str) -> Option<&'a Map<String, Value>> {
    match &o.resource {
        Resource::Generic(g) if g.kind == kind && g.api_version.starts_with("velero.io/") => Some(&g.body),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// What a storage location's provider and config say about encryption.
fn location_encrypted(body: &Map<String, Value>) -> Result<bool, String> {
    let spec = body.get("spec");
    let provider = spec.and_then(|s| s.get("provider")).and_then(Value::as_str).unwrap_or("");
    let config = spec.and_then(|s| s.get("config"));
    let has = |k: &str| config.and_then(|c| c.get(k)).and_then(Value::as_str).is_some_and(|v| !v.is_empty());
    match provider.trim_start_matches("velero.io/") {
        "aws" => Ok(has("kmsKeyId") || has("serverSideEncryption") || has("customerKeyEncryptionFile")),
        "gcp" => Ok(has("kmsKeyName")),
        "azure" => Ok(true),
        other => Err(format!("provider {other:?} is not one kubepci knows; its encryption is configured outside the location")),
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let schedules: Vec<usize> = cx.inv.indices_of_kind("Schedule").iter().copied().filter(|&i| velero(&cx.inv.objects[i], "Schedule").is_some()).collect();
    if schedules.is_empty() {
        e.not_assessed(None, "no Velero Schedule in the input: backups of the CDE may be made another way, which the cluster does not show");
        return;
    }
    let cde: Vec<String> = cx.inv.namespaces().filter(|n| n.scope.scope == kubepci_inventory::Scope::Cde).map(|n| n.name.clone()).collect();
    each_of_kind(e, "Schedule", |cx, _, o| {
        let Some(body) = velero(o, "Schedule") else { return Verdict::Skip };
        let template = body.get("spec").and_then(|s| s.get("template"));
        let included = strings(template.and_then(|t| t.get("includedNamespaces")));
        let excluded = strings(template.and_then(|t| t.get("excludedNamespaces")));
        let covered: Vec<&String> = cde.iter().filter(|ns| (included.is_empty() || included.contains(&"*") || included.contains(&ns.as_str())) && !excluded.contains(&ns.as_str())).collect();
        if covered.is_empty() {
            return Verdict::Skip;
        }
        let named = template.and_then(|t| t.get("storageLocation")).and_then(Value::as_str).filter(|s| !s.is_empty());
        let location = match named {
            Some(name) => cx.inv.get("BackupStorageLocation", o.namespace(), name),
            None => cx.inv.of_kind("BackupStorageLocation").find(|l| velero(l, "BackupStorageLocation").and_then(|b| b.get("spec")?.get("default")?.as_bool()) == Some(true)),
        };
        let Some(location) = location else {
            return Verdict::NotAssessed(format!("its BackupStorageLocation ({}) is not in the input", named.unwrap_or("the default")));
        };
        let Some(loc_body) = velero(location, "BackupStorageLocation") else { return Verdict::NotAssessed(format!("{} is not a Velero BackupStorageLocation", location.name())) };
        let names: Vec<&str> = covered.iter().map(|s| s.as_str()).collect();
        match location_encrypted(loc_body) {
            Ok(true) => Verdict::Pass,
            Ok(false) => Verdict::Fail(
                format!("backs up CDE namespaces {} to BackupStorageLocation {} without a managed encryption key", names.join(", "), location.name()),
                vec![Evidence::field(format!("BackupStorageLocation/{}/{}.spec.config", location.namespace().unwrap_or(""), location.name()), "no kmsKeyId / serverSideEncryption / kmsKeyName")],
            ),
            Err(why) => Verdict::NotAssessed(format!("BackupStorageLocation {}: {why}", location.name())),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default, namespace: velero}\nspec: {provider: minio, default: true, objectStorage: {bucket: b}}\n";

    #[test]
    fn excluded_cde_and_unknown_providers() {
        let excluded = format!("{BASE}---\napiVersion: velero.io/v1\nkind: Schedule\nmetadata: {{name: s, namespace: velero}}\nspec: {{template: {{excludedNamespaces: [payments]}}}}\n");
        let out = crate::testing::run(&BACKUP_ENCRYPTION, &excluded, "");
        assert_eq!((out.fails.len(), out.not_assessed.len(), out.passed), (0, 0, 0));
        let all = excluded.replace("excludedNamespaces: [payments]", "includedNamespaces: [\"*\"]");
        let out = crate::testing::run(&BACKUP_ENCRYPTION, &all, "");
        assert!(out.not_assessed[0].message.contains("minio"), "{:?}", out.not_assessed);
        assert_eq!(crate::testing::run(&BACKUP_ENCRYPTION, BASE, "").not_assessed.len(), 1, "no Schedule: not assessed");
    }
}
