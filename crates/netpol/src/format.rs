//! Output formats of `kubepci netpol list`: `txt` (netpol-analyzer's connlist form), `json`,
//! `csv`, `dot` (Graphviz) and `mermaid`.

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

/// `{"src", "dst", "conn"}`, then `pods` and `via` when not empty.
impl Serialize for ConnLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (pods, via) = self.details.as_deref().map_or((&[][..], &[][..]), |d| (d.pods.as_slice(), d.via.as_slice()));
        let mut st = s.serialize_struct("ConnLine", 3 + usize::from(!pods.is_empty()) + usize::from(!via.is_empty()))?;
        st.serialize_field("src", &self.src)?;
        st.serialize_field("dst", &self.dst)?;
        st.serialize_field("conn", &self.conn)?;
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
    let mut lines: Vec<ConnLine> = r
        .connections()
        .map(|c| {
            let pods: Vec<PodConnLine> = r.pod_connections(c.src, c.dst).into_iter().map(|p| PodConnLine { src_pods: strings(&p.src_pods), dst_pods: strings(&p.dst_pods), conn: p.conns.to_string() }).collect();
            let details = (!pods.is_empty()).then(|| Box::new(LineDetails { pods, via: Vec::new() }));
            ConnLine { src: r.endpoint_name(c.src), dst: r.endpoint_name(c.dst), conn: c.conns.to_string(), details }
        })
        .collect();
    for flow in r.ingress_flows() {
        let via = flow.via.iter().map(|v| v.object.display()).collect();
        let details = Some(Box::new(LineDetails { pods: Vec::new(), via }));
        lines.push(ConnLine { src: INGRESS_CONTROLLER.to_string(), dst: r.endpoint_name(Endpoint::Workload(flow.dst)), conn: flow.conns.to_string(), details });
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
    let lines = conn_lines(r);
    match format {
        Format::Txt => lines.iter().map(|l| format!("{} => {} : {}\n", l.src, l.dst, l.conn)).collect(),
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
