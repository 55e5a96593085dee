//! Output formats of `kubepci netpol list`: `txt` (netpol-analyzer's connlist form), `json`,
//! `csv`, `dot` (Graphviz) and `mermaid`. Workloads of the cardholder data environment can be
//! marked in `txt` (` [CDE]` after the name) and `json` (`srcCde` / `dstCde`: true).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use serde::Serialize;

use crate::engine::{Endpoint, Reachability};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Txt,
    Json,
    Csv,
    Dot,
    Mermaid,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "txt" => Ok(Format::Txt),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "dot" => Ok(Format::Dot),
            "mermaid" => Ok(Format::Mermaid),
            other => Err(format!("unknown format {other:?} (txt, json, csv, dot, mermaid)")),
        }
    }
}

/// One listed connection as strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnLine {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// The source is a workload of the cardholder data environment (left out when false, so
    /// unmarked output keeps netpol-analyzer's shape).
    #[serde(skip_serializing_if = "is_false")]
    pub src_cde: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub dst_cde: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// All allowed connections as sorted lines (by source, then destination), none marked.
pub fn conn_lines(r: &Reachability) -> Vec<ConnLine> {
    marked_lines(r, &[])
}

/// All allowed connections as sorted lines, with `cde[w]` telling whether workload `w` (an
/// index into [`Reachability::workloads`]) is in the cardholder data environment.
pub fn marked_lines(r: &Reachability, cde: &[bool]) -> Vec<ConnLine> {
    let is_cde = |e: Endpoint| matches!(e, Endpoint::Workload(w) if cde.get(w as usize).copied().unwrap_or(false));
    let mut lines: Vec<ConnLine> = r
        .connections()
        .map(|c| ConnLine {
            src: r.endpoint_name(c.src),
            dst: r.endpoint_name(c.dst),
            conn: c.conns.to_string(),
            src_cde: is_cde(c.src),
            dst_cde: is_cde(c.dst),
        })
        .collect();
    lines.sort();
    lines
}

pub fn render(r: &Reachability, format: Format) -> String {
    render_marked(r, format, &[])
}

/// [`render`] with the workloads of the cardholder data environment marked (see
/// [`marked_lines`]) in `txt` and `json`; the other formats are unchanged.
pub fn render_marked(r: &Reachability, format: Format, cde: &[bool]) -> String {
    let lines = marked_lines(r, cde);
    let mark = |cde: bool| if cde { " [CDE]" } else { "" };
    match format {
        Format::Txt => lines.iter().map(|l| format!("{}{} => {}{} : {}\n", l.src, mark(l.src_cde), l.dst, mark(l.dst_cde), l.conn)).collect(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&lines).unwrap_or_else(|_| "[]".into());
            s.push('\n');
            s
        }
        Format::Csv => {
            let mut s = String::from("src,dst,conn\n");
            for l in &lines {
                let _ = writeln!(s, "{},{},{}", csv_field(&l.src), csv_field(&l.dst), csv_field(&l.conn));
            }
            s
        }
        Format::Dot => render_dot(r, &lines),
        Format::Mermaid => render_mermaid(r, &lines),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Node ids for graph formats: every workload (connected or not) and every listed range.
fn graph_nodes(r: &Reachability, lines: &[ConnLine]) -> BTreeMap<String, usize> {
    let mut names: Vec<String> = r.workloads().iter().map(|w| w.display()).collect();
    for l in lines {
        names.push(l.src.clone());
        names.push(l.dst.clone());
    }
    names.sort();
    names.dedup();
    names.into_iter().enumerate().map(|(i, n)| (n, i)).collect()
}

fn render_dot(r: &Reachability, lines: &[ConnLine]) -> String {
    let nodes = graph_nodes(r, lines);
    let mut s = String::from("digraph {\n");
    for (name, id) in &nodes {
        let shape = if name.ends_with("[External]") { "box" } else { "ellipse" };
        let _ = writeln!(s, "\tn{id} [label=\"{}\" shape={shape}]", name.replace('"', "\\\""));
    }
    for l in lines {
        let _ = writeln!(s, "\tn{} -> n{} [label=\"{}\"]", nodes[&l.src], nodes[&l.dst], l.conn);
    }
    s.push_str("}\n");
    s
}

fn render_mermaid(r: &Reachability, lines: &[ConnLine]) -> String {
    let nodes = graph_nodes(r, lines);
    let mut s = String::from("flowchart LR\n");
    for (name, id) in &nodes {
        let _ = writeln!(s, "  n{id}[\"{}\"]", name.replace('"', "#quot;"));
    }
    for l in lines {
        let _ = writeln!(s, "  n{} -->|\"{}\"| n{}", nodes[&l.src], l.conn, nodes[&l.dst]);
    }
    s
}

#[cfg(test)]
mod tests {
    use kubepci_inventory::{Config, Inventory};
    use kubepci_model::{SourceLoc, decode_value};
    use serde_json::json;

    use super::*;

    /// Two pods in two namespaces; a policy lets only `shop/web` reach `vault/db` on TCP 5432.
    fn reachability() -> Reachability {
        let pod = |ns: &str, name: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let policy = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "db", "namespace": "vault"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}]}});
        let objects = [pod("shop", "web"), pod("vault", "db"), policy].into_iter().map(|v| decode_value(v, SourceLoc::new("t.yaml", 1, 1)).expect("decodes")).collect();
        Reachability::compute(&Inventory::build(objects, Config::default()))
    }

    #[test]
    fn cde_workloads_are_marked_in_txt_and_json_only() {
        let r = reachability();
        let cde: Vec<bool> = r.workloads().iter().map(|w| w.namespace == "vault").collect();
        let txt = render_marked(&r, Format::Txt, &cde);
        assert!(txt.contains("shop/web[Pod] => vault/db[Pod] [CDE] : TCP 5432\n"), "{txt}");
        assert!(txt.lines().all(|l| !l.starts_with("vault/db")), "vault/db may send nowhere: {txt}");
        let json: serde_json::Value = serde_json::from_str(&render_marked(&r, Format::Json, &cde)).expect("json");
        let into_db = json.as_array().expect("list").iter().find(|l| l["dst"] == "vault/db[Pod]").expect("a line into the CDE");
        assert_eq!(into_db["dstCde"], true);
        assert!(into_db.get("srcCde").is_none(), "false marks are left out: {into_db}");
        // Unmarked output is the plain connlist, and graph formats carry no marks.
        assert!(!render(&r, Format::Txt).contains("[CDE]"));
        assert!(!render(&r, Format::Json).contains("Cde"));
        assert_eq!(render_marked(&r, Format::Csv, &cde), render(&r, Format::Csv));
    }
}
