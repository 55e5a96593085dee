//! Output formats of `kubepci netpol list`: `txt` (netpol-analyzer's connlist form), `json`,
//! `csv`, `dot` (Graphviz) and `mermaid`. Workloads of the cardholder data environment can be
//! marked in `txt` (` [CDE]` after the name) and `json` (`srcCde` / `dstCde`: true).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use serde::Serialize;

use crate::engine::{Endpoint, Reachability};
use crate::ingress::INGRESS_CONTROLLER;

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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnLine {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// The source is a workload of the cardholder data environment (left out of JSON when
    /// false, so unmarked output keeps netpol-analyzer's shape).
    pub src_cde: bool,
    pub dst_cde: bool,
    /// What only a few lines have (JSON only), boxed so that the many others stay small.
    pub details: Option<Box<LineDetails>>,
}

/// The parts of a listed connection that only some lines have.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineDetails {
    /// Where the pods of the source or destination get different answers: per pair of pod
    /// groups (`conn` is their union).
    pub pods: Vec<PodConnLine>,
    /// For `{ingress-controller}` lines: the objects that let the traffic in (`Kind ns/name`).
    pub via: Vec<String>,
}

/// `{"src", "dst", "conn"}`, then `srcCde`/`dstCde` when true and `pods` and `via` when not
/// empty.
impl Serialize for ConnLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (pods, via) = self.details.as_deref().map_or((&[][..], &[][..]), |d| (d.pods.as_slice(), d.via.as_slice()));
        let fields = 3 + usize::from(self.src_cde) + usize::from(self.dst_cde) + usize::from(!pods.is_empty()) + usize::from(!via.is_empty());
        let mut st = s.serialize_struct("ConnLine", fields)?;
        st.serialize_field("src", &self.src)?;
        st.serialize_field("dst", &self.dst)?;
        st.serialize_field("conn", &self.conn)?;
        if self.src_cde {
            st.serialize_field("srcCde", &true)?;
        }
        if self.dst_cde {
            st.serialize_field("dstCde", &true)?;
        }
        if !pods.is_empty() {
            st.serialize_field("pods", pods)?;
        }
        if !via.is_empty() {
            st.serialize_field("via", via)?;
        }
        st.end()
    }
}

/// What some pods of the source may open to some pods of the destination (an empty list: that
/// end is not split).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PodConnLine {
    pub src_pods: Vec<String>,
    pub dst_pods: Vec<String>,
    pub conn: String,
}

/// All allowed connections as sorted lines (by source, then destination).
pub fn conn_lines(r: &Reachability) -> Vec<ConnLine> {
    marked_lines(r, &[])
}

/// All allowed connections as sorted lines, with `cde[w]` telling whether workload `w` (an
/// index into [`Reachability::workloads`]) is in the cardholder data environment.
pub fn marked_lines(r: &Reachability, cde: &[bool]) -> Vec<ConnLine> {
    let is_cde = |e: Endpoint| matches!(e, Endpoint::Workload(w) if cde.get(w as usize).copied().unwrap_or(false));
    let mut lines: Vec<ConnLine> = r
        .connections()
        .map(|c| {
            let pods: Vec<PodConnLine> = r.pod_connections(c.src, c.dst).into_iter().map(|p| PodConnLine { src_pods: strings(&p.src_pods), dst_pods: strings(&p.dst_pods), conn: p.conns.to_string() }).collect();
            let details = (!pods.is_empty()).then(|| Box::new(LineDetails { pods, via: Vec::new() }));
            ConnLine { src: r.endpoint_name(c.src), dst: r.endpoint_name(c.dst), conn: c.conns.to_string(), src_cde: is_cde(c.src), dst_cde: is_cde(c.dst), details }
        })
        .collect();
    for flow in r.ingress_flows() {
        let via = flow.via.iter().map(|v| v.object.display()).collect();
        let details = Some(Box::new(LineDetails { pods: Vec::new(), via }));
        let dst = Endpoint::Workload(flow.dst);
        lines.push(ConnLine { src: INGRESS_CONTROLLER.to_string(), dst: r.endpoint_name(dst), conn: flow.conns.to_string(), src_cde: false, dst_cde: is_cde(dst), details });
    }
    // Every (src, dst) pair is listed once, so no two lines are equal: the unstable sort gives
    // the one order, and moves less.
    lines.sort_unstable();
    lines
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
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
        let shape = if name.ends_with("[External]") || name == INGRESS_CONTROLLER { "box" } else { "ellipse" };
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
