use kubepci_findings::Evidence;

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Exceptions must not outlive their approval
    ///
    /// ## What it checks
    /// Every object that an exception in `kubepci.yaml` names (its `object` pattern): it fails
    /// when an exception naming it has passed its `expires` date, and passes when the
    /// exceptions naming it are all current. An expired exception no longer applies, so the
    /// findings it covered fail again; this finding says why and whose approval lapsed. An
    /// expired exception that names no object of the input is listed by
    /// `kubepci exceptions list` (status `expired`), the scan's text report and the OSCAL
    /// risks, not here.
    ///
    /// ## Why PCI DSS cares
    /// An exception is a risk the organisation analysed and accepted, or a compensating control
    /// it relies on, for a stated time. Past that time nobody has re-analysed the risk: targeted
    /// risk analyses must be reviewed at least every 12 months (12.3.1), and a compensating
    /// control must be re-validated at each assessment (Appendix B).
    ///
    /// ## Example configuration
    /// ```yaml
    /// exceptions:
    /// - check: POD-003
    ///   object: Deployment/shop/legacy-agent
    ///   reason: node agent on the host network; replaced by the log pipeline in Q3
    ///   approvedBy: security-officer@pay.example
    ///   ticket: RISK-12
    ///   expires: "2024-09-30"
    /// - check: POD-003
    ///   object: Deployment/shop/web
    ///   reason: metrics sidecar needs the host network until the CNI upgrade
    ///   approvedBy: security-officer@pay.example
    ///   ticket: RISK-31
    ///   expires: "2099-12-31"
    /// ```
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: legacy-agent, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: legacy-agent}}
    ///   template:
    ///     metadata: {labels: {app: legacy-agent}}
    ///     spec:
    ///       hostNetwork: true
    ///       containers: [{name: agent, image: registry.example.com/shop/agent:2.1}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       hostNetwork: true
    ///       containers: [{name: web, image: registry.example.com/shop/web:1.4}]
    /// ```
    ///
    /// ## Fix
    /// Either fix what the exception covered (then delete the exception), or have the approver
    /// re-analyse the risk and renew the exception with a new `expires` date and ticket.
    /// `kubepci exceptions list` shows every exception's status, including those expiring
    /// within 30 days.
    pub EXPIRED_EXCEPTION {
        id: "EXC-001",
        name: "expired-exception",
        severity: Medium,
        applies: All,
        reads: [any],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [("12.3.1", "12.3.1", "an exception is a risk accepted after analysis for a stated time; once it has expired the analysis is overdue and no approval covers the risk")],
        run: run,
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    let exceptions = &cx.inventory().config.exceptions;
    if exceptions.is_empty() {
        return;
    }
    let Some(today) = e.today().map(str::to_string) else {
        e.not_assessed(None, "no date to judge exception expiry against");
        return;
    };
    for index in crate::support::each::object_indices(e) {
        let o = &cx.inv.objects[index];
        if !e.sees(index) {
            continue;
        }
        let name = match o.namespace() {
            Some(ns) => format!("{}/{ns}/{}", o.kind(), o.name()),
            None => format!("{}/{}", o.kind(), o.name()),
        };
        let naming: Vec<(usize, &kubepci_inventory::config::Exception)> = exceptions.iter().enumerate().filter(|(_, ex)| kubepci_inventory::config::glob_match(&ex.object, &name)).collect();
        if naming.is_empty() {
            continue;
        }
        let lapsed: Vec<_> = naming.into_iter().filter(|(_, ex)| crate::exceptions::expired(ex, Some(&today))).collect();
        if lapsed.is_empty() {
            e.pass(index);
            continue;
        }
        let what: Vec<String> = lapsed
            .iter()
            .map(|(_, ex)| {
                let ticket = ex.ticket.as_deref().map(|t| format!(", ticket {t}")).unwrap_or_default();
                format!("the exception for {} expired on {} (approved by {}{ticket})", ex.check, ex.expires.as_deref().unwrap_or("?"), ex.approved_by)
            })
            .collect();
        let evidence = lapsed.iter().map(|(i, ex)| Evidence::field(format!("kubepci.yaml exceptions[{i}].expires"), ex.expires.clone().unwrap_or_default())).collect();
        e.fail(index, format!("{}; it no longer applies: renew it or fix the finding", what.join("; ")), evidence);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::run;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: r.example/api:1}]\n";

    #[test]
    fn an_expired_exception_names_its_approver_and_date_and_a_current_one_passes() {
        let config = |expires: &str| format!("exceptions:\n- {{check: POD-004, object: Deployment/shop/*, reason: r, approvedBy: ciso@example, ticket: RISK-9, expires: '{expires}'}}\n");
        let out = run(&super::EXPIRED_EXCEPTION, DEPLOYMENT, &config("2026-12-06"));
        assert_eq!(out.fails.len(), 1);
        assert_eq!(out.fails[0].message, "the exception for POD-004 expired on 2026-12-06 (approved by ciso@example, ticket RISK-9); it no longer applies: renew it or fix the finding");
        assert_eq!(out.fails[0].evidence[0].path, "kubepci.yaml exceptions[0].expires");
        // It applies through its last day (the test date is 2026-12-07).
        let out = run(&super::EXPIRED_EXCEPTION, DEPLOYMENT, &config("2026-12-07"));
        assert!(out.fails.is_empty());
        assert_eq!(out.passed, 1);
        // Without exceptions there is nothing to judge.
        let out = run(&super::EXPIRED_EXCEPTION, DEPLOYMENT, "");
        assert!(out.fails.is_empty() && out.not_assessed.is_empty());
        assert_eq!(out.passed, 0);
    }
}
