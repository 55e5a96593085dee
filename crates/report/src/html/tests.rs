//! The HTML report of the printers' fixture: pinned as a snapshot, checked for the attributes
//! scripts read, for escaping of hostile text and for the absence of any external resource.

use kubepci_findings::{Evidence, Status};

use super::render;
use crate::tests::demo_report;

#[test]
fn snapshot() {
    insta::assert_snapshot!("html", render(&demo_report()));
}

#[test]
fn every_requirement_and_every_finding_is_marked_for_scripts() {
    let r = demo_report();
    let html = render(&r);
    for q in &r.requirements {
        assert_eq!(html.matches(&format!("<tr data-requirement=\"{}\"", q.id)).count(), 1, "requirement {}", q.id);
    }
    assert_eq!(html.matches("<tr data-requirement=").count(), r.requirements.len());
    for (i, f) in r.findings.iter().enumerate() {
        let object = f.object.as_ref().map_or_else(|| "cluster".to_string(), ToString::to_string);
        let tag = format!("<details class=\"finding st-{}\" id=\"f-{i}\" data-filter data-status=\"{}\" data-finding=\"{}\" data-object=\"{}\"", f.status.as_str(), f.status.as_str(), f.check, object);
        assert!(html.contains(&tag), "{tag}");
    }
    assert!(html.contains("data-finding=\"DATA-001\" data-object=\"ConfigMap/payments/replay\""), "card-data section");
    assert!(html.contains("Visa 455673******9855"), "masked card number shown");
}

#[test]
fn hostile_text_from_the_cluster_cannot_become_markup() {
    let mut r = demo_report();
    let hostile = "</script><img src=x onerror=alert(1)><script>alert(2)</script>\"'";
    let f = &mut r.findings[0];
    f.message = hostile.into();
    f.remediation = format!("run `{hostile}` then {hostile}").into();
    f.evidence.push(Evidence::field(hostile, hostile));
    if let Some(o) = &mut f.object {
        o.name = hostile.into();
    }
    r.scope.namespaces[0].reason = hostile.into();
    r.boundary[0].from = hostile.into();
    r.input.sources.push(hostile.into());
    let html = render(&r);
    assert!(!html.contains("<img"), "an element was injected");
    assert!(!html.contains("onerror=alert(1)>"), "an attribute was injected");
    assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
    assert_eq!(html.matches("</script>").count(), 1);
    assert!(html.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn the_page_loads_nothing_from_anywhere() {
    let html = render(&demo_report());
    for needle in ["src=\"http", "href=\"http", "url(http", "url(//", "src=\"//", "href=\"//", "@import", "<link rel=\"stylesheet\"", "<iframe", "<img"] {
        assert!(!html.contains(needle), "{needle}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // The fixture's live object is an https address: shown as text only.
    assert!(html.contains("https://cluster.example:6443") && !html.contains("href=\"https://cluster.example"));
}

#[test]
fn sections_are_there_without_script_and_the_script_marks_the_page() {
    let html = render(&demo_report());
    for id in ["summary", "requirements", "scope", "boundary", "access", "card-data", "exceptions", "findings", "provenance"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    // The search controls are hidden until the script shows them; content is never hidden.
    assert!(html.contains("<div id=\"controls\" hidden>"));
    assert!(html.contains("setAttribute('data-script','ok')"));
    assert!(html.contains("@media print"));
}

#[test]
fn the_summary_says_the_scope_in_one_sentence() {
    let sentence = super::summary::scope_sentence(&demo_report());
    assert_eq!(sentence, "The CDE is 1 namespace (payments) running 3 workloads; assessed from 52 objects (manifests) of manifests/.");
}

#[test]
fn the_exceptions_register_tells_applied_expired_and_unused_apart() {
    let mut r = demo_report();
    let mut stale = r.provenance.config.exceptions[0].clone();
    stale.object = "Deployment/gone/app".into();
    stale.reason = "nothing matches".into();
    let mut expired = stale.clone();
    expired.expires = Some("2020-01-01".into());
    r.provenance.config.exceptions.extend([stale, expired]);
    let html = render(&r);
    assert!(html.contains("<tr data-exception=\"active\"><td><code>POD-004</code>"), "the demo exception applied to a finding");
    assert!(html.contains("<tr data-exception=\"unused\">"));
    assert!(html.contains("<tr data-exception=\"expired\">") && html.contains("expired on 2020-01-01"));
    assert!(r.findings.iter().any(|f| f.status == Status::Excepted));
}

#[test]
fn every_link_in_the_page_has_its_target() {
    let html = render(&demo_report());
    let values = |attr: &str| -> Vec<String> {
        let needle = format!(" {attr}=\"");
        html.match_indices(&needle).map(|(i, _)| html[i + needle.len()..].split('"').next().unwrap_or("").to_string()).collect()
    };
    let ids = values("id");
    let links = values("href");
    assert!(links.len() > 10);
    for link in links {
        if link == "data:," {
            continue; // the empty favicon, so the browser asks for none
        }
        let target = link.strip_prefix('#').unwrap_or_else(|| panic!("{link} leaves the page"));
        assert!(ids.iter().any(|id| id == target), "#{target} has no target");
    }
}

#[test]
fn the_access_review_lists_every_sensitive_grant_approved_or_not() {
    let html = render(&demo_report());
    assert_eq!(html.matches("<tr data-access=\"approved\">").count(), 1);
    assert_eq!(html.matches("<tr data-access=\"unapproved\">").count(), 1);
    assert!(html.contains("<code>User:alice@example</code></td><td>payments</td>"));
    assert!(html.contains("2 grants of a sensitive capability in a CDE namespace or cluster-wide; 1 to approved subjects."));
}
