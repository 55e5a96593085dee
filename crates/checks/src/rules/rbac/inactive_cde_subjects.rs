use kubepci_findings::Evidence;
use kubepci_model::Resource;
use kubepci_rbac::SubjectKind;
use serde_json::Value;

use super::view::{RbacView, subject_label};
use crate::{Context, Emitter, declare_check};

/// Days without a request after which a subject with CDE access counts as inactive (8.2.6).
pub const INACTIVE_DAYS: i64 = 90;

declare_check! {
    /// Subjects with CDE access must not stay inactive for 90 days
    ///
    /// ## What it checks
    /// With API audit logs given to the scan (`kubepci scan --audit-log FILE`, which adds an
    /// `AuditActivity` summary of the logs to the input: the window they cover and each
    /// identity's last request), every User and ServiceAccount named by a binding that reaches a
    /// CDE namespace must have made a request in the last 90 days of the window. Fails for
    /// subjects never seen, or last seen more than 90 days before the end of the logs. Not
    /// assessed without audit logs, when they cover less than 90 days, and for Groups (audit
    /// events name users, not the groups a binding names).
    ///
    /// ## Why PCI DSS cares
    /// Requirement 8.2.6 asks that inactive user accounts are removed or disabled within 90
    /// days of inactivity: a dormant account with CDE access is a credential nobody watches.
    /// Only the API server's audit log shows whether an identity still uses its access.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: ops-view, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: former-contractor}]
    /// ---
    /// apiVersion: kubepci.io/v1
    /// kind: AuditActivity
    /// metadata: {name: audit-logs}
    /// window: {first: "2026-07-01T00:00:00Z", last: "2026-12-01T00:00:00Z", firstEpoch: 1782864000, lastEpoch: 1796083200}
    /// lastSeen:
    ///   former-contractor: {time: "2026-07-15T09:00:00Z", epoch: 1784106000}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: ops-view, namespace: payments}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: oncall}]
    /// ---
    /// apiVersion: kubepci.io/v1
    /// kind: AuditActivity
    /// metadata: {name: audit-logs}
    /// window: {first: "2026-07-01T00:00:00Z", last: "2026-12-01T00:00:00Z", firstEpoch: 1782864000, lastEpoch: 1796083200}
    /// lastSeen:
    ///   oncall: {time: "2026-11-28T22:10:00Z", epoch: 1795903800}
    /// ```
    ///
    /// ## Fix
    /// Remove the inactive subject from the binding (or delete the binding), and disable the
    /// account in the identity provider; for a ServiceAccount no workload uses, delete it.
    pub INACTIVE_CDE_SUBJECTS {
        id: "RBAC-012",
        name: "inactive-cde-subjects",
        severity: Medium,
        applies: CdeRelated,
        reads: [AuditActivity, ClusterRole, ClusterRoleBinding, Namespace, Role, RoleBinding],
        requirements: [("8.2.6", "8.2.6", "the audit log shows the identity with CDE access made no request for 90 days or more")],
        run: run,
    }
}

/// The audit-log summary `scan --audit-log` adds: window end and span, and last requests.
struct Activity<'a> {
    first: i64,
    last: i64,
    text: String,
    last_seen: Option<&'a serde_json::Map<String, Value>>,
}

/// The summary, `Err` with a reason when there is none or it has no time window.
fn activity<'a>(cx: &'a Context) -> Result<Activity<'a>, &'static str> {
    let inv = cx.inv;
    let summaries: Vec<&kubepci_model::GenericObject> =
        inv.indices_of_kind("AuditActivity").iter().filter_map(|&i| if let Resource::Generic(g) = &inv.objects[i].resource { Some(&**g) } else { None }).collect();
    if summaries.is_empty() {
        return Err("no API audit logs given (kubepci scan --audit-log FILE): inactivity cannot be told from cluster objects");
    }
    summaries.into_iter().find_map(|g| {
        let window = g.body.get("window")?;
        let first = window.get("firstEpoch")?.as_i64()?;
        let last = window.get("lastEpoch")?.as_i64()?;
        let text = format!("{} .. {}", window.get("first").and_then(Value::as_str).unwrap_or("?"), window.get("last").and_then(Value::as_str).unwrap_or("?"));
        Some(Activity { first, last, text, last_seen: g.body.get("lastSeen").and_then(Value::as_object) })
    })
    .ok_or("the audit logs given have no event timestamps: inactivity cannot be told")
}

fn run(cx: &Context, e: &mut Emitter) {
    let act = match activity(cx) {
        Ok(a) => a,
        Err(why) => {
            e.not_assessed(None, why);
            return;
        }
    };
    let days = (act.last - act.first) / 86_400;
    if days < INACTIVE_DAYS {
        e.not_assessed(None, format!("the audit logs cover {days} days ({}); {INACTIVE_DAYS} are needed to tell inactivity", act.text));
        return;
    }
    let view = RbacView::new(cx);
    for b in &view.model.bindings {
        let reached = view.reached(b, &view.cde_namespaces);
        if reached.is_empty() || view.is_platform_default(b) {
            continue;
        }
        let mut inactive = Vec::new();
        let mut users = 0;
        for s in &b.subjects {
            let user = match s.kind {
                SubjectKind::Group => continue,
                SubjectKind::User => s.name.clone(),
                SubjectKind::ServiceAccount => format!("system:serviceaccount:{}:{}", s.namespace.as_deref().unwrap_or("default"), s.name),
            };
            users += 1;
            let seen = act.last_seen.and_then(|m| m.get(&user));
            let epoch = seen.and_then(|v| v.get("epoch")).and_then(Value::as_i64);
            let when = seen.and_then(|v| v.get("time")).and_then(Value::as_str);
            match epoch {
                Some(t) if act.last - t < INACTIVE_DAYS * 86_400 => {}
                Some(t) => inactive.push((s, format!("last request {} ({} days before the end of the logs)", when.unwrap_or("?"), (act.last - t) / 86_400))),
                None => inactive.push((s, "no request in the logs".to_string())),
            }
        }
        if users == 0 {
            e.not_assessed(Some(b.object), format!("{} names only groups; audit events name users, so their members' activity cannot be matched", b.display()));
        } else if inactive.is_empty() {
            e.pass(b.object);
        } else {
            let who: Vec<String> = inactive.iter().map(|(s, why)| format!("{} ({why})", subject_label(s))).collect();
            let mut evidence = view.evidence(b, &inactive.iter().map(|(s, _)| *s).collect::<Vec<_>>(), &[]);
            evidence.push(Evidence::field("audit window", act.text.clone()));
            e.fail(b.object, format!("{} gives CDE access ({}) to subjects inactive for {INACTIVE_DAYS} days or more: {}", b.display(), reached.join(", "), who.join("; ")), evidence);
        }
    }
}
