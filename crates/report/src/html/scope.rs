//! CDE scope: the namespaces by class with the reason for each, the workload counts, and the
//! workloads reviewed one by one (CDE, connected, and those classed apart from their namespace).

use super::{escape, section, w};
use crate::Report;

/// Classes in the order an assessor reads them.
const CLASSES: [(&str, &str); 5] = [
    ("cde", "CDE: stores, processes or transmits card data"),
    ("connected", "connected to the CDE or able to affect its security"),
    ("security", "provides security services to the CDE"),
    ("out", "declared out of scope"),
    ("unclassified", "not classified: treated as in scope until declared"),
];

pub fn write(o: &mut String, r: &Report) {
    section(o, "scope");
    let s = &r.scope;
    w!(o, "<div class=\"tiles\">");
    for (class, meaning) in CLASSES {
        let ns = s.namespaces.iter().filter(|n| n.scope == class).count();
        let wl = s.workloads.get(class).copied().unwrap_or(0);
        w!(o, "<div class=\"tile\" title=\"{}\"><b>{wl}</b>{class} workloads<br><span class=\"small muted\">{ns} {}</span></div>", escape(meaning), kubepci_findings::noun(ns, "namespace", "namespaces"));
    }
    w!(o, "</div>\n<h3>Namespaces</h3>\n");
    if s.namespaces.is_empty() {
        w!(o, "<p>The input names no namespace.</p>\n");
    } else {
        w!(o, "<table><thead><tr><th>Class</th><th>Namespace</th><th>Reason</th></tr></thead><tbody>\n");
        for (class, _) in CLASSES {
            for n in s.namespaces.iter().filter(|n| n.scope == class) {
                w!(o, "<tr data-scope=\"{class}\"><td>{class}</td><td><code>{}</code></td><td>{}</td></tr>\n", escape(&n.name), escape(&n.reason));
            }
        }
        // A class this page does not know (a newer kubepci) is still listed.
        for n in s.namespaces.iter().filter(|n| !CLASSES.iter().any(|(c, _)| *c == n.scope)) {
            w!(o, "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n", escape(&n.scope), escape(&n.name), escape(&n.reason));
        }
        w!(o, "</tbody></table>\n");
    }
    w!(o, "<h3>Workloads</h3>\n<p class=\"small muted\">Every CDE and connected workload, and any workload whose class differs from its namespace's; the others take their namespace's class.</p>\n");
    if s.workload_scopes.is_empty() {
        w!(o, "<p>No CDE or connected workload.</p>\n");
    } else {
        w!(o, "<table><thead><tr><th>Class</th><th>Workload</th><th>Reason</th></tr></thead><tbody>\n");
        let mut rows: Vec<_> = s.workload_scopes.iter().collect();
        rows.sort_by_key(|w| CLASSES.iter().position(|(c, _)| *c == w.scope).unwrap_or(CLASSES.len()));
        for wl in rows {
            w!(o, "<tr data-scope=\"{}\"><td>{}</td><td><code>{}/{}/{}</code></td><td>{}</td></tr>\n", escape(&wl.scope), escape(&wl.scope), escape(&wl.kind), escape(&wl.namespace), escape(&wl.name), escape(&wl.reason));
        }
        w!(o, "</tbody></table>\n");
    }
    w!(o, "</section>\n");
}
