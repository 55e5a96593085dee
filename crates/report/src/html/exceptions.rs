//! The exceptions register: every exception of kubepci.yaml with its approver, ticket, expiry,
//! compensating control and its lifecycle in this run (active, expiring, expired, unused), from
//! the one register every format uses (`kubepci_checks::exceptions::register`).

use kubepci_checks::exceptions::{ExceptionStatus, Lifecycle, register};

use super::{escape, section, w};
use crate::Report;

pub fn write(o: &mut String, r: &Report) {
    section(o, "exceptions");
    let all = &r.provenance.config.exceptions;
    if all.is_empty() {
        w!(o, "<p>No exception is configured: every failure counts.</p>\n</section>\n");
        return;
    }
    let today = r.provenance.run.date.as_deref().or_else(|| r.generated_at.get(..10));
    w!(o, "<p class=\"small muted\">Exceptions from kubepci.yaml, judged against {}. An exception without a compensating control is an accepted risk.</p>\n", escape(today.unwrap_or("the scan date")));
    w!(o, "<table><thead><tr><th>Check</th><th>Object</th><th>Reason</th><th>Approved by</th><th>Ticket</th><th>Expires</th><th>Compensating control</th><th>In this run</th></tr></thead><tbody>\n");
    // The one register text, JSON, OSCAL and `kubepci exceptions list` judge exceptions by.
    for status in register(all, Some(&r.findings), today) {
        let e = &status.exception;
        let (state, text) = state(r, &status);
        let control = match (&e.compensating_control, e.compensates.is_empty()) {
            (Some(c), true) => c.clone(),
            (Some(c), false) => format!("{c} (compensates {})", e.compensates.join(", ")),
            (None, _) => "none (risk accepted)".to_string(),
        };
        w!(
            o,
            "<tr data-exception=\"{state}\"><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&e.check),
            escape(&e.object),
            escape(&e.reason),
            escape(&e.approved_by),
            escape(e.ticket.as_deref().unwrap_or("–")),
            escape(e.expires.as_deref().unwrap_or("never")),
            escape(&control),
            escape(&text)
        );
    }
    w!(o, "</tbody></table>\n</section>\n");
}

/// The exception's lifecycle state (`active`, `expiring`, `expired`, `unused`, or `not-run`
/// when it matched nothing because its check did not run) and what it did in this run.
fn state(r: &Report, s: &ExceptionStatus) -> (&'static str, String) {
    let e = &s.exception;
    let matched = s.matched.unwrap_or(0);
    let applies = format!("applies to {matched} {}", kubepci_findings::noun(matched, "finding", "findings"));
    match s.status {
        Lifecycle::Expired => ("expired", format!("expired on {}: no longer applies, renew or fix", e.expires.as_deref().unwrap_or("?"))),
        Lifecycle::Expiring => ("expiring", format!("{applies}; expires in {} days: renew or fix", s.days_left.unwrap_or(0))),
        Lifecycle::Active => ("active", applies),
        Lifecycle::Unused => match r.check(&e.check).and_then(|c| c.summary.not_run.as_deref()) {
            Some(why) => ("not-run", format!("its check did not run ({why})")),
            None => ("unused", "matched nothing: stale, remove it or fix its object".to_string()),
        },
    }
}
