//! Provenance: what was read, with which rules and configuration, so a reader can reproduce
//! the result and tell configuration from evidence.

use kubepci_findings::noun;

use super::{escape, section, w};
use crate::Report;

pub fn write(o: &mut String, r: &Report) {
    section(o, "provenance");
    let i = &r.input;
    let p = &r.provenance;
    w!(o, "<table class=\"provenance\"><tbody>\n");
    row(o, "Tool", &format!("{} {}", r.tool.name, r.tool.version));
    row(o, "Standard", &format!("{} {}", r.standard.name, r.standard.version));
    row(o, "Generated", &r.generated_at);
    row(o, "Input", &format!("{} · {} · {} files, {} documents, {} objects", i.kind, i.sources.join(", "), i.files, i.documents, i.objects));
    if let Some(s) = &i.snapshot {
        row(o, "Snapshot", &format!("{} (collected {})", s.sha256, s.collected_at));
    }
    let kinds: Vec<String> = i.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    row(o, "Objects by kind", &kinds.join(", "));
    row(o, "Check registry", &format!("{} checks, {}", p.registry.checks, p.registry.sha256));
    let config = match (&p.config.source.path, &p.config.source.sha256) {
        (Some(path), Some(sha)) => format!("{path} ({sha})"),
        (Some(path), None) => path.clone(),
        _ => "built-in defaults (no kubepci.yaml)".to_string(),
    };
    row(o, "Configuration", &config);
    let mut changes = p.config.changes();
    if !p.run.only.is_empty() {
        changes.push(format!("only {}", p.run.only.join(", ")));
    }
    if !changes.is_empty() {
        row(o, "Results shaped by", &changes.join(" · "));
    }
    if let Some(d) = &p.run.date {
        row(o, "Exceptions judged on", d);
    }
    let h = &p.config.hardening;
    let level = |l: kubepci_inventory::config::HardeningLevel| format!("{l:?}").to_lowercase();
    row(o, "Pod Security level", &format!("cde {}, connected {}, security {}, out {}, unclassified {}", level(h.cde), level(h.connected), level(h.security), level(h.out), level(h.unclassified)));
    if !p.config.approved_registries.is_empty() {
        row(o, "Approved registries", &p.config.approved_registries.join(", "));
    }
    let flows: Vec<String> = p.config.approved_flows.iter().map(|f| format!("{} → {} {} ({})", f.from, f.to, if f.ports.is_empty() { "any port".to_string() } else { f.ports.join(" ") }, f.reason)).collect();
    if !flows.is_empty() {
        row(o, "Approved flows", &flows.join("; "));
    }
    w!(o, "</tbody></table>\n");
    if !i.errors.is_empty() {
        let n = i.errors.len();
        w!(o, "<h3>{n} {} could not be read</h3>\n<ul class=\"mono small\">\n", noun(n, "input", "inputs"));
        for e in &i.errors {
            w!(o, "<li>{}</li>\n", escape(&e.to_string()));
        }
        w!(o, "</ul>\n");
    }
    w!(o, "<p class=\"small muted\">The JSON report of the same scan (<code>-f json</code>) holds all of this in machine-readable form; the schema is documented in docs/report-schema.md.</p>\n</section>\n");
}

fn row(o: &mut String, name: &str, value: &str) {
    w!(o, "<tr><th>{}</th><td>{}</td></tr>\n", escape(name), escape(value));
}
