//! The exceptions register: every exception of kubepci.yaml with its approver, ticket, expiry,
//! compensating control and what it did in this run (applied, expired, matched nothing).

use kubepci_findings::Status;
use kubepci_inventory::config::Exception;

use super::{escape, section, w};
use crate::Report;

pub fn write(o: &mut String, r: &Report) {
    section(o, "exceptions");
    let all = &r.provenance.config.exceptions;
    if all.is_empty() {
        w!(o, "<p>No exception is configured: every failure counts.</p>\n</section>\n");
        return;
    }
    let today = r.provenance.run.date.as_deref();
    w!(o, "<p class=\"small muted\">Exceptions from kubepci.yaml, judged against {}. An exception without a compensating control is an accepted risk.</p>\n", escape(today.unwrap_or("the scan date")));
    w!(o, "<table><thead><tr><th>Check</th><th>Object</th><th>Reason</th><th>Approved by</th><th>Ticket</th><th>Expires</th><th>Compensating control</th><th>In this run</th></tr></thead><tbody>\n");
    for e in all {
        let (state, text) = state(r, e, today);
        w!(
            o,
            "<tr data-exception=\"{state}\"><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&e.check),
            escape(&e.object),
            escape(&e.reason),
            escape(&e.approved_by),
            escape(e.ticket.as_deref().unwrap_or("–")),
            escape(e.expires.as_deref().unwrap_or("never")),
            escape(e.compensating_control.as_deref().unwrap_or("none (risk accepted)")),
            escape(&text)
        );
    }
    w!(o, "</tbody></table>\n</section>\n");
}

/// What the exception did: `expired`, `applied` (with how many findings), `not-run` (its check
/// did not run) or `unused` (it matched nothing: stale paperwork).
fn state(r: &Report, e: &Exception, today: Option<&str>) -> (&'static str, String) {
    if let (Some(until), Some(today)) = (e.expires.as_deref(), today) {
        // Both are YYYY-MM-DD: text order is date order.
        if until < today {
            return ("expired", format!("expired on {until}: no longer applies, renew or fix"));
        }
    }
    let applied = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Excepted && f.check == e.check)
        .filter(|f| f.exception.as_ref().is_some_and(|x| x.reason == e.reason && x.approved_by == e.approved_by && x.ticket == e.ticket && x.expires == e.expires))
        .count();
    if applied > 0 {
        return ("applied", format!("applied to {applied} {}", kubepci_findings::noun(applied, "finding", "findings")));
    }
    match r.check(&e.check).and_then(|c| c.summary.not_run.as_deref()) {
        Some(why) => ("not-run", format!("its check did not run ({why})")),
        None => ("unused", "matched nothing: stale, remove it or fix its object".to_string()),
    }
}
