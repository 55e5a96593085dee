//! What lifts a "not assessed" reason that one action of the user can lift: the terminal
//! report prints it under the reason, so that the way forward stands next to what is missing.
//! Keyed by the reasons the checks give (`kubepci_findings::reasons`), compared whole.

use kubepci_findings::reasons::{
    DISABLED_IN_CONFIG, NOT_SELECTED, NETWORK_PLUGIN_NOT_IN_MANIFESTS, NO_APPROVED_REGISTRIES, NO_CDE_DECLARED, NO_NODES_IN_MANIFESTS, NO_NODES_OR_APISERVER_IN_MANIFESTS, NO_PLATFORM_CONFIGURATION,
    SECURITY_TOOLING_NOT_IN_MANIFESTS,
    NO_VULNERABILITY_EVIDENCE,
};

/// One reason and what unlocks the checks it holds back.
#[derive(Debug)]
pub struct Unlock {
    pub reason: &'static str,
    /// What the checks wait for, read after "N checks wait for".
    pub waits_for: &'static str,
    /// What the user does to give it.
    pub action: &'static str,
}

const SNAPSHOT: &str = "scan a live cluster or a snapshot (`kubepci collect`)";

pub const UNLOCKS: &[Unlock] = &[
    Unlock {
        reason: NO_CDE_DECLARED,
        waits_for: "a declared CDE",
        action: "label namespaces `pci.kubepci.io/scope=cde`, list them in kubepci.yaml (`scope.cde.namespaces` or `scope.cde.namespaceSelector`), or run `kubepci init`",
    },
    Unlock {
        reason: NO_APPROVED_REGISTRIES,
        waits_for: "approved registries",
        action: "list the registries CDE images come from under `approvedRegistries` in kubepci.yaml (`kubepci init` proposes them from the images the CDE runs)",
    },
    Unlock {
        reason: NO_PLATFORM_CONFIGURATION,
        waits_for: "the control plane's configuration",
        action: "give the kube-apiserver manifest, EncryptionConfiguration, audit Policy and KubeletConfiguration with `--platform-config DIR`, or scan a live cluster or a snapshot (`kubepci collect`)",
    },
    Unlock { reason: NO_NODES_IN_MANIFESTS, waits_for: "the cluster's Nodes", action: SNAPSHOT },
    Unlock {
        reason: NO_NODES_OR_APISERVER_IN_MANIFESTS,
        waits_for: "the cluster's versions",
        action: "give the kube-apiserver manifest with `--platform-config DIR`, or scan a live cluster or a snapshot (`kubepci collect`)",
    },
    Unlock { reason: NETWORK_PLUGIN_NOT_IN_MANIFESTS, waits_for: "the network plugin", action: SNAPSHOT },
    Unlock { reason: SECURITY_TOOLING_NOT_IN_MANIFESTS, waits_for: "the cluster's security tooling and access", action: SNAPSHOT },
    Unlock {
        reason: DISABLED_IN_CONFIG,
        waits_for: "being enabled",
        action: "remove them from `checks.disable` in kubepci.yaml, or accept the requirements they map to as not assessed",
    },
    Unlock {
        reason: NO_VULNERABILITY_EVIDENCE,
        waits_for: "image vulnerability scans",
        action: "give scanner reports with `--vulns PATH` (Trivy or Grype JSON, CycloneDX, VEX), or scan a cluster running trivy-operator (its VulnerabilityReports are collected)",
    },
    Unlock { reason: NOT_SELECTED, waits_for: "a run of every check", action: "scan without `--only` for a report an assessor can use" },
];

/// What unlocks the checks a reason holds back, when one action does.
pub fn unlock(reason: &str) -> Option<&'static Unlock> {
    UNLOCKS.iter().find(|u| u.reason == reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_one_entry_and_the_cde_action_names_the_scope_label() {
        for u in UNLOCKS {
            assert_eq!(UNLOCKS.iter().filter(|o| o.reason == u.reason).count(), 1, "{u:?}");
            assert!(!u.waits_for.is_empty() && !u.action.is_empty(), "{u:?}");
        }
        let cde = unlock(NO_CDE_DECLARED).expect("the CDE reason");
        assert!(cde.action.contains(&format!("`{}=cde`", kubepci_inventory::SCOPE_LABEL)), "{}", cde.action);
        assert!(cde.action.contains("kubepci init"));
        assert!(unlock("some reason of one check").is_none());
    }
}
