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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConnLine {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// Where the pods of the source or destination get different answers: per pair of pod
    /// groups (JSON only; `conn` is their union).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<PodConnLine>,
    /// For `{ingress-controller}` lines: the objects that let the traffic in (`Kind ns/name`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
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
            let pods = r.pod_connections(c.src, c.dst).into_iter().map(|p| PodConnLine { src_pods: strings(&p.src_pods), dst_pods: strings(&p.dst_pods), conn: p.conns.to_string() }).collect();
            ConnLine { src: r.endpoint_name(c.src), dst: r.endpoint_name(c.dst), conn: c.conns.to_string(), pods, via: Vec::new() }
        })
        .collect();
    for flow in r.ingress_flows() {
        let via = flow.via.iter().map(|v| v.object.display()).collect();
        lines.push(ConnLine { src: INGRESS_CONTROLLER.to_string(), dst: r.endpoint_name(Endpoint::Workload(flow.dst)), conn: flow.conns.to_string(), pods: Vec::new(), via });
    }
    lines.sort();
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
