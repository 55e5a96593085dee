//! Text renderings of the plans (JSON and YAML are their serde forms). Stable: the same plan
//! always renders the same text.

use std::fmt::Write as _;

use crate::plan::{ApiRequest, ControllerAction, QUARANTINE_LABEL, QuarantinePlan, policy_name};
use crate::release::ReleasePlan;

pub fn quarantine_text(plan: &QuarantinePlan) -> String {
    let mut out = String::new();
    let ns = &plan.target.namespace;
    let _ = writeln!(out, "Quarantine of {} (incident {})", plan.target, plan.incident);
    if let Some(reason) = &plan.reason {
        let _ = writeln!(out, "reason: {reason}");
    }
    let _ = writeln!(out, "\nPods isolated ({})", plan.pods.len());
    for p in &plan.pods {
        let owners = if p.owners.is_empty() { "none".to_string() } else { p.owners.join(" → ") };
        let _ = writeln!(out, "  {}  node {}  serviceAccount {}  owners {owners}{}", p.name, p.node.as_deref().unwrap_or("-"), p.service_account, if p.host_network { "  hostNetwork" } else { "" });
        if !p.detach_labels.is_empty() {
            let labels: Vec<String> = p.detach_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "    detach: remove {}", labels.join(", "));
        }
    }
    let action = match plan.controller.action {
        ControllerAction::None => "none",
        ControllerAction::Detach => "detach",
        ControllerAction::KeepAttached => "keep attached",
        ControllerAction::Suspend => "suspend",
    };
    let _ = writeln!(out, "\nController: {action}\n  {}", plan.controller.explanation);
    let _ = writeln!(out, "\nNetworkPolicy {ns}/{}: selects {QUARANTINE_LABEL}={}, denies all ingress and egress", policy_name(&plan.incident), plan.incident);
    if plan.cordon.is_empty() && plan.already_cordoned.is_empty() {
        let _ = writeln!(out, "\nCordon: not requested (--cordon)");
    } else {
        let _ = writeln!(out, "\nCordon: {}", if plan.cordon.is_empty() { "nothing to do".to_string() } else { plan.cordon.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ") });
        if !plan.already_cordoned.is_empty() {
            let _ = writeln!(out, "  already cordoned (left alone): {}", plan.already_cordoned.join(", "));
        }
    }
    let _ = writeln!(out, "\nServiceAccount revocation (a plan to review; not applied)");
    for sa in &plan.service_accounts {
        let _ = writeln!(out, "  {}", sa.service_account);
        let _ = writeln!(out, "    bindings: {}", if sa.bindings.is_empty() { "none".to_string() } else { sa.bindings.join("; ") });
        if !sa.group_bindings.is_empty() {
            let _ = writeln!(out, "    through groups: {}", sa.group_bindings.join("; "));
        }
        if !sa.shared_with.is_empty() {
            let _ = writeln!(out, "    also used by: {}", sa.shared_with.join(", "));
        }
        for (i, s) in sa.steps.iter().enumerate() {
            let _ = writeln!(out, "    {}. {s}", i + 1);
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings");
        for w in &plan.warnings {
            let _ = writeln!(out, "  ! {w}");
        }
    }
    write_requests(&mut out, &plan.requests);
    let _ = writeln!(out, "\nFollow-up");
    for f in &plan.follow_up {
        let _ = writeln!(out, "  - {f}");
    }
    out
}

pub fn release_text(plan: &ReleasePlan) -> String {
    let mut out = String::new();
    let ns = &plan.target.namespace;
    let _ = writeln!(out, "Release of {} (incident {})", plan.target, plan.incident);
    let _ = writeln!(out, "\nRestores");
    for p in &plan.record.pods {
        let restored: Vec<String> = p.removed_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let restore = if restored.is_empty() { String::new() } else { format!(", restore {}", restored.join(", ")) };
        let _ = writeln!(out, "  pod {}: remove {QUARANTINE_LABEL}{restore}", p.name);
    }
    if let Some(cj) = &plan.record.cron_job {
        let _ = writeln!(out, "  CronJob {}: spec.suspend back to {}", cj.name, cj.suspend_before.map_or("unset".to_string(), |b| b.to_string()));
    }
    for n in &plan.record.nodes {
        let _ = writeln!(out, "  node {}: spec.unschedulable back to {}", n.name, n.unschedulable_before.map_or("unset".to_string(), |b| b.to_string()));
    }
    let _ = writeln!(out, "  NetworkPolicy {ns}/{}: deleted", policy_name(&plan.incident));
    write_requests(&mut out, &plan.requests);
    out
}

fn write_requests(out: &mut String, requests: &[ApiRequest]) {
    let _ = writeln!(out, "\nAPI requests (--apply sends exactly these, in order)");
    for (i, r) in requests.iter().enumerate() {
        let _ = writeln!(out, "  {}. {} {}  # {}", i + 1, r.method.as_str(), r.path, r.purpose);
        if let Some(body) = &r.body {
            let _ = writeln!(out, "     {body}");
        }
    }
}
