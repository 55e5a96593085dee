use std::collections::BTreeMap;

use kubepci_findings::Evidence;

use crate::rules::change::nonprod_colocated::non_production_evidence;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Pre-production namespaces must not hold real card numbers
    ///
    /// ## What it checks
    /// In every namespace marked as pre-production (as for CHG-002: an `env`, `environment` or
    /// `app.kubernetes.io/environment` label or annotation, or the name, containing a word such
    /// as `dev`, `test`, `qa`, `uat`, `staging` or `preprod`), every object's text fields (as
    /// DATA-001 searches them) must hold no card number that passes the Luhn check and is not
    /// a public test card number. Objects in other namespaces are not judged; when no
    /// namespace is marked pre-production the check is not assessed (pre-production may be a
    /// cluster of its own: scan it too).
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.5.5 forbids live PANs in pre-production environments, which have weaker
    /// controls and wider access than production; test data must be test card numbers. A real
    /// PAN in a ConfigMap or Secret of a staging namespace is live account data where it must
    /// not be.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: checkout-staging
    ///   labels: {environment: staging}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: fixtures, namespace: checkout-staging}
    /// data:
    ///   order.json: '{"card": "4539 1488 0343 6467", "amount": 1250}'
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: checkout-staging
    ///   labels: {environment: staging}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: fixtures, namespace: checkout-staging}
    /// data:
    ///   order.json: '{"card": "4111 1111 1111 1111", "amount": 1250}'
    /// ```
    ///
    /// ## Fix
    /// Replace the number with a public test card number or a token, delete the object's
    /// history (repository, backups), find where the live data came from, and treat it as
    /// account data found outside the CDE (12.10.7).
    pub PAN_IN_PREPRODUCTION {
        id: "DATA-004",
        name: "live-pan-in-preproduction",
        severity: Critical,
        applies: All,
        reads: [any],
        on_partial_input: FailuresStand,
        requirements: [("6.5.5", "6.5.5.b", "the objects of pre-production namespaces are pre-production data; a real card number among them is a live PAN used there")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let namespaces: Vec<&kubepci_inventory::NamespaceInfo> = match cx.focus_object() {
        // A review of one object: only its namespace decides its result.
        Some(i) => cx.inv.objects.get(i).and_then(|o| o.namespace()).and_then(|ns| cx.inv.namespace(ns)).into_iter().collect(),
        None => cx.inv.namespaces().collect(),
    };
    let preproduction: BTreeMap<&str, Vec<Evidence>> = namespaces.into_iter().map(|ns| (ns.name.as_str(), non_production_evidence(cx, ns))).filter(|(_, ev)| !ev.is_empty()).collect();
    if preproduction.is_empty() {
        // On partial input the runner already reports the check not assessed, once.
        if cx.unlisted.is_empty() {
            e.not_assessed(None, "no namespace is marked as pre-production (environment label or name); if pre-production is another cluster, scan it");
        }
        return;
    }
    let found = cx.card_numbers();
    for index in crate::support::each::object_indices(e) {
        let o = &cx.inv.objects[index];
        let Some(ns) = o.namespace().filter(|ns| preproduction.contains_key(ns)) else { continue };
        if !e.sees(index) {
            continue;
        }
        let live: Vec<Evidence> = found.iter().filter(|c| c.object == index).flat_map(|c| &c.found).filter(|(is_test, _)| !is_test).map(|(_, ev)| ev.clone()).collect();
        if live.is_empty() {
            e.pass(index);
        } else {
            let what = format!("pre-production namespace {ns} holds {} at ", kubepci_findings::noun(live.len(), "a real card number", "real card numbers"));
            e.fail_listing(index, &what, &live, |ev| ev.path.clone(), Clone::clone, "`kubepci pan scan` on the source file lists every one");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ns_labels: &str, value: &str) -> crate::testing::Outcome {
        let yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: checkout, labels: {ns_labels}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: f, namespace: checkout}}\ndata: {{card: \"{value}\"}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: g, namespace: prod}}\ndata: {{card: \"4539148803436467\"}}\n");
        crate::testing::run(&PAN_IN_PREPRODUCTION, &yaml, "")
    }

    #[test]
    fn real_pans_fail_only_in_preproduction_and_are_masked() {
        let out = run("{env: uat}", "4539148803436467");
        assert_eq!((out.fails.len(), out.passed), (1, 0), "{out:?}");
        assert!(!out.fails[0].message.contains("4539148803436467") && out.fails[0].message.contains("data[card]"), "{out:?}");
        assert_eq!(run("{env: uat}", "4111111111111111").passed, 1);
    }

    #[test]
    fn without_preproduction_not_assessed() {
        let out = run("{team: pay}", "4539148803436467");
        assert_eq!((out.fails.len(), out.not_assessed.len()), (0, 1), "{out:?}");
    }
}
