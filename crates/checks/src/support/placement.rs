//! Would the scheduler place a pod of this spec on that node? The parts that decide a
//! DaemonSet's reach: `nodeSelector`, required node affinity, and taints the pod does not
//! tolerate (`NoSchedule`, `NoExecute`; `PreferNoSchedule` does not keep a DaemonSet away).

use kubepci_model::k8s_openapi::api::core::v1::{NodeSelectorRequirement, Taint, Toleration};

use kubepci_model::kinds::Node;
use kubepci_model::pod::PodSpec;

/// `Ok` when a pod of `spec` may run on `node`; else why not.
pub fn admits(spec: &PodSpec, node: &Node) -> Result<(), String> {
    let empty = Default::default();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let name = node.metadata.name.as_deref().unwrap_or("");
    for (k, v) in spec.node_selector.iter().flatten() {
        if labels.get(k) != Some(v) {
            return Err(format!("nodeSelector {k}={v} does not match the node"));
        }
    }
    if let Some(required) = spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref()) {
        // Terms are ORed; the requirements of a term are ANDed.
        let any = required.node_selector_terms.iter().any(|t| {
            t.match_expressions.iter().flatten().all(|r| requirement_holds(r, labels.get(&r.key)))
                && t.match_fields.iter().flatten().all(|r| r.key != "metadata.name" || requirement_holds(r, Some(name)))
        });
        if !any {
            return Err("its required node affinity does not select the node".into());
        }
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or(&[]);
    for taint in node.spec.as_ref().and_then(|s| s.taints.as_ref()).into_iter().flatten() {
        if matches!(taint.effect.as_str(), "NoSchedule" | "NoExecute") && !tolerations.iter().any(|t| tolerates(t, taint)) {
            let value = taint.value.as_deref().map(|v| format!("={v}")).unwrap_or_default();
            return Err(format!("it does not tolerate the taint {}{value}:{}", taint.key, taint.effect));
        }
    }
    Ok(())
}

fn requirement_holds(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    let number = |s: &str| s.parse::<i64>().ok();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" => matches!((value.and_then(number), values.first().and_then(|x| number(x))), (Some(v), Some(x)) if v > x),
        "Lt" => matches!((value.and_then(number), values.first().and_then(|x| number(x))), (Some(v), Some(x)) if v < x),
        _ => false,
    }
}

fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect_ok = t.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key_ok = t.key.as_deref().is_none_or(|k| k.is_empty()) && t.operator.as_deref() == Some("Exists") || t.key.as_deref() == Some(taint.key.as_str());
    let value_ok = match t.operator.as_deref() {
        Some("Exists") => true,
        _ => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
    };
    effect_ok && key_ok && value_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        yaml_serde::from_str(yaml).unwrap()
    }

    fn spec(yaml: &str) -> PodSpec {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn selectors_affinity_and_taints() {
        let n = node("metadata: {name: n1, labels: {pool: cde, zone: a}}\nspec: {taints: [{key: pci, value: cde, effect: NoSchedule}, {key: soft, effect: PreferNoSchedule}]}");
        let bare = spec("containers: [{name: a}]");
        assert_eq!(admits(&bare, &n).unwrap_err(), "it does not tolerate the taint pci=cde:NoSchedule");
        let all = spec("containers: [{name: a}]\ntolerations: [{operator: Exists}]");
        assert!(admits(&all, &n).is_ok());
        let keyed = spec("containers: [{name: a}]\ntolerations: [{key: pci, operator: Equal, value: cde}]");
        assert!(admits(&keyed, &n).is_ok());
        let wrong = spec("containers: [{name: a}]\ntolerations: [{key: pci, operator: Equal, value: other}]");
        assert!(admits(&wrong, &n).is_err());
        let selector = spec("containers: [{name: a}]\nnodeSelector: {pool: general}\ntolerations: [{operator: Exists}]");
        assert_eq!(admits(&selector, &n).unwrap_err(), "nodeSelector pool=general does not match the node");
        let affinity = spec("containers: [{name: a}]\ntolerations: [{operator: Exists}]\naffinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: NotIn, values: [cde]}]}, {matchExpressions: [{key: zone, operator: In, values: [b]}]}]}}}");
        assert!(admits(&affinity, &n).is_err());
        let by_name = spec("containers: [{name: a}]\ntolerations: [{operator: Exists}]\naffinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}]}}}");
        assert!(admits(&by_name, &n).is_ok());
    }
}
