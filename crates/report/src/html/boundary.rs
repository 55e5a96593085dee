//! The CDE boundary: an SVG diagram drawn from the report's boundary flows (sources outside
//! the CDE on the left, the CDE in the middle, destinations of flows leaving it on the right;
//! approved flows solid green, unapproved ones dashed red) and the table of every flow.
//!
//! The diagram stays legible on a large cluster: a column with more than [`CAP`] endpoints is
//! grouped by namespace, and if still too long its smallest groups are merged into one node;
//! parallel flows between two nodes are drawn as one arrow. The caption says when this
//! happened; the table always lists every flow.

use std::collections::{BTreeMap, HashMap};

use kubepci_findings::BoundaryFlow;

use super::{escape, section, w};
use crate::Report;

/// Most nodes drawn in one column.
const CAP: usize = 10;
const NODE_W: usize = 260;
const NODE_H: usize = 40;
const GAP: usize = 14;
const TOP: usize = 56;
const COLUMN_X: [usize; 3] = [20, 470, 920];
const WIDTH: usize = 1200;
/// Edge labels are written only up to this many arrows (more would overlap).
const LABELLED_EDGES: usize = 14;
/// Longest node label drawn; the full text is in the node's tooltip.
const LABEL_CHARS: usize = 40;

pub fn write(o: &mut String, r: &Report) {
    section(o, "boundary");
    let flows = &r.boundary;
    let cde_declared = r.scope.namespaces.iter().any(|n| n.scope == "cde");
    if flows.is_empty() {
        let text = if cde_declared { "No allowed network flow crosses the CDE boundary." } else { "No CDE is declared, so there is no boundary to draw: classify the CDE namespaces (label pci.kubepci.io/scope=cde or scope.cde in kubepci.yaml)." };
        w!(o, "<p>{text}</p>\n</section>\n");
        return;
    }
    let unapproved = flows.iter().filter(|f| !f.approved).count();
    w!(o, "<p>{} allowed {} across the CDE boundary, <span class=\"flow-unapproved\">{unapproved} not (fully) approved</span> in <code>approvedFlows</code>.</p>\n", flows.len(), kubepci_findings::noun(flows.len(), "flow", "flows"));
    diagram(o, r);
    table(o, flows);
    w!(o, "</section>\n");
}

/// What a node stands for, which sets its colour.
fn node_class(label: &str, cde_side: bool, r: &Report) -> &'static str {
    if cde_side {
        return "cde";
    }
    if label.starts_with("{ingress") {
        return "ingress";
    }
    if label.contains("[External]") || label.starts_with(|c: char| c.is_ascii_digit() || c == ':') {
        return "internet";
    }
    let namespace = label.split('/').next().unwrap_or("");
    match r.scope.namespaces.iter().find(|n| n.name == namespace) {
        Some(n) => match n.scope.as_str() {
            "connected" => "connected",
            "security" => "security",
            "out" => "out",
            _ => "unclassified",
        },
        None => "any",
    }
}

/// The group an endpoint falls in when a column is too long: its namespace, or one group for
/// all address ranges.
fn group_key(label: &str, class: &str) -> String {
    match class {
        "internet" => "address ranges".to_string(),
        "ingress" => label.to_string(),
        _ => format!("{}/*", label.split('/').next().unwrap_or(label)),
    }
}

struct Node {
    label: String,
    /// Every endpoint the node stands for (its tooltip).
    members: Vec<String>,
    class: &'static str,
    flows: usize,
}

/// One column's nodes and which node each endpoint label is drawn as.
struct Column {
    nodes: Vec<Node>,
    node_of: HashMap<String, usize>,
    grouped: bool,
    /// Outside the CDE, namespaces were too many and the endpoints are grouped by class.
    by_class: bool,
    merged: usize,
}

fn column(endpoints: &[(&str, usize)], cde_side: bool, r: &Report) -> Column {
    let mut nodes: Vec<Node> = endpoints.iter().map(|(l, n)| Node { label: l.to_string(), members: vec![l.to_string()], class: node_class(l, cde_side, r), flows: *n }).collect();
    let mut grouped = false;
    let mut by_class = false;
    let mut merged = 0;
    if nodes.len() > CAP {
        grouped = true;
        let mut groups: BTreeMap<String, Node> = BTreeMap::new();
        for n in nodes {
            let key = group_key(&n.label, n.class);
            let g = groups.entry(key.clone()).or_insert_with(|| Node { label: key, members: Vec::new(), class: n.class, flows: 0 });
            g.flows += n.flows;
            g.members.extend(n.members);
        }
        nodes = groups.into_values().collect();
        for n in &mut nodes {
            if n.members.len() > 1 {
                n.label = format!("{} ({} endpoints)", n.label, n.members.len());
            } else {
                n.label = n.members[0].clone();
            }
        }
        if nodes.len() > CAP && !cde_side {
            // Too many namespaces outside the CDE: one node per scope class says more than
            // the largest few namespaces would (at most seven classes).
            let mut classes: BTreeMap<&'static str, Node> = BTreeMap::new();
            for n in nodes {
                let c = classes.entry(n.class).or_insert_with(|| Node { label: String::new(), members: Vec::new(), class: n.class, flows: 0 });
                c.flows += n.flows;
                c.members.extend(n.members);
            }
            nodes = classes.into_values().collect();
            for n in &mut nodes {
                n.label = format!("{} ({} endpoints)", class_name(n.class), n.members.len());
            }
            by_class = true;
        }
        if nodes.len() > CAP {
            nodes.sort_by(|a, b| b.flows.cmp(&a.flows).then_with(|| a.label.cmp(&b.label)));
            let rest = nodes.split_off(CAP - 1);
            merged = rest.len();
            let members: Vec<String> = rest.iter().flat_map(|n| n.members.iter().cloned()).collect();
            nodes.push(Node { label: format!("{} more groups ({} endpoints)", rest.len(), members.len()), flows: rest.iter().map(|n| n.flows).sum(), class: if cde_side { "cde" } else { "any" }, members });
        }
    }
    let node_of = nodes.iter().enumerate().flat_map(|(i, n)| n.members.iter().map(move |m| (m.clone(), i))).collect();
    Column { nodes, node_of, grouped, by_class, merged }
}

/// How a class of endpoints outside the CDE is named on its node.
fn class_name(class: &str) -> &'static str {
    match class {
        "internet" => "address ranges",
        "ingress" => "ingress controllers",
        "connected" => "connected workloads",
        "security" => "security workloads",
        "out" => "out-of-scope workloads",
        "unclassified" => "unclassified workloads",
        _ => "groups across namespaces",
    }
}

/// Distinct labels in first-seen order, with how many flows each has.
fn endpoints<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut out: Vec<(&str, usize)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for l in labels {
        match at.get(l) {
            Some(&i) => out[i].1 += 1,
            None => {
                at.insert(l, out.len());
                out.push((l, 1));
            }
        }
    }
    out
}

/// An arrow between two nodes: the flows it stands for.
#[derive(Default)]
struct Edge {
    flows: usize,
    unapproved: usize,
    connections: Vec<String>,
}

fn diagram(o: &mut String, r: &Report) {
    let into: Vec<&BoundaryFlow> = r.boundary.iter().filter(|f| f.direction != "out-of-cde").collect();
    let out: Vec<&BoundaryFlow> = r.boundary.iter().filter(|f| f.direction == "out-of-cde").collect();
    let left = column(&endpoints(into.iter().map(|f| f.from.as_str())), false, r);
    let middle = column(&endpoints(into.iter().map(|f| f.to.as_str()).chain(out.iter().map(|f| f.from.as_str()))), true, r);
    let right = column(&endpoints(out.iter().map(|f| f.to.as_str())), false, r);
    // (column of the tail, tail node, head node) → edge; column 0: left → middle, 1: middle → right.
    let mut edges: BTreeMap<(usize, usize, usize), Edge> = BTreeMap::new();
    for f in &into {
        add(&mut edges, (0, left.node_of[f.from.as_str()], middle.node_of[f.to.as_str()]), f);
    }
    for f in &out {
        add(&mut edges, (1, middle.node_of[f.from.as_str()], right.node_of[f.to.as_str()]), f);
    }
    let rows = left.nodes.len().max(middle.nodes.len()).max(right.nodes.len()).max(1);
    let height = TOP + rows * (NODE_H + GAP) + 60;
    let y = |i: usize| TOP + i * (NODE_H + GAP);
    w!(o, "<figure><svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"boundary-title\" font-family=\"system-ui,sans-serif\" font-size=\"12\">\n");
    w!(o, "<title id=\"boundary-title\">CDE boundary: {} flows</title>\n", r.boundary.len());
    w!(o, "<defs><marker id=\"arrow-ok\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#1e7a34\"/></marker><marker id=\"arrow-bad\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#b3261e\"/></marker></defs>\n");
    for (x, head) in COLUMN_X.iter().zip(["Into the CDE from", "CDE", "Out of the CDE to"]) {
        w!(o, "<text x=\"{}\" y=\"22\" font-weight=\"600\" font-size=\"13\">{head}</text>\n", x);
    }
    // The CDE: one dashed box around the middle column.
    let cde_h = middle.nodes.len().max(1) * (NODE_H + GAP) + 18;
    w!(o, "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{cde_h}\" rx=\"10\" fill=\"#f3eefa\" stroke=\"#4a2a7a\" stroke-width=\"2\" stroke-dasharray=\"8 4\"/>\n", COLUMN_X[1] - 14, TOP - 12, NODE_W + 28);
    let labelled = edges.len() <= LABELLED_EDGES;
    for (&(col, tail, head), e) in &edges {
        let (x1, y1) = (COLUMN_X[col] + NODE_W, y(tail) + NODE_H / 2);
        let (x2, y2) = (COLUMN_X[col + 1], y(head) + NODE_H / 2);
        let bad = e.unapproved > 0;
        let (stroke, dash, marker, class) = if bad { ("#b3261e", " stroke-dasharray=\"7 4\"", "arrow-bad", "unapproved") } else { ("#1e7a34", "", "arrow-ok", "approved") };
        // Wider for more flows (1 flow: 1.5, 10: 3, 100: 4.5, at most 6), so the main routes
        // stand out when every group reaches every other.
        let width = (1.5 + 1.5 * (e.flows as f64).log10()).min(6.0);
        let opacity = if labelled { 1.0 } else { 0.7 };
        let mx = (x1 + x2) / 2;
        let what = if e.flows == 1 { e.connections[0].clone() } else { format!("{} flows, {} unapproved", e.flows, e.unapproved) };
        let tip = if e.flows == 1 { format!("{} ({})", e.connections[0], if bad { "unapproved" } else { "approved" }) } else { format!("{what}: {}", e.connections.join("; ")) };
        w!(o, "<path class=\"edge {class}\" d=\"M{x1},{y1} C{mx},{y1} {mx},{y2} {},{y2}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width:.1}\" stroke-opacity=\"{opacity}\"{dash} marker-end=\"url(#{marker})\"><title>{}</title></path>\n", x2 - 2, escape(&tip));
        if labelled {
            let ly = (y1 + y2) / 2 - 4;
            w!(o, "<text x=\"{mx}\" y=\"{ly}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{stroke}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n", escape(&truncate(&what, 30)));
        }
    }
    for (col, c) in [&left, &middle, &right].into_iter().enumerate() {
        for (i, n) in c.nodes.iter().enumerate() {
            node(o, COLUMN_X[col], y(i), n);
        }
    }
    // Legend.
    let ly = height - 30;
    w!(o, "<g font-size=\"11.5\"><line x1=\"20\" y1=\"{ly}\" x2=\"60\" y2=\"{ly}\" stroke=\"#1e7a34\" stroke-width=\"2\"/><text x=\"66\" y=\"{}\">approved (approvedFlows)</text>", ly + 4);
    w!(o, "<line x1=\"250\" y1=\"{ly}\" x2=\"290\" y2=\"{ly}\" stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray=\"7 4\"/><text x=\"296\" y=\"{}\">unapproved</text>", ly + 4);
    let mut x = 420;
    for (class, name) in [("internet", "internet / address range"), ("ingress", "ingress controller"), ("connected", "connected"), ("security", "security"), ("out", "out of scope"), ("unclassified", "unclassified / any")] {
        let (fill, stroke) = colours(class);
        w!(o, "<rect x=\"{x}\" y=\"{}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"/><text x=\"{}\" y=\"{}\">{name}</text>", ly - 7, x + 18, ly + 4);
        x += 30 + name.len() * 6;
    }
    w!(o, "</g>\n</svg>\n<figcaption>");
    let arrows = edges.len();
    w!(o, "{} {} drawn as {arrows} {}.", r.boundary.len(), kubepci_findings::noun(r.boundary.len(), "flow", "flows"), kubepci_findings::noun(arrows, "arrow", "arrows"));
    if left.grouped || middle.grouped || right.grouped {
        w!(o, " More than {CAP} endpoints in a column: endpoints are grouped by namespace");
        if left.by_class || right.by_class {
            w!(o, "; outside the CDE, more than {CAP} namespaces are grouped by scope class");
        }
        let merged = left.merged + middle.merged + right.merged;
        if merged > 0 {
            w!(o, "; the {merged} smallest CDE namespaces are merged into one node");
        }
        w!(o, ".");
    }
    if !labelled {
        w!(o, " Arrow labels are left out (more than {LABELLED_EDGES} arrows); hover an arrow or read the table.");
    }
    w!(o, " The table lists every flow.</figcaption></figure>\n");
}

fn add(edges: &mut BTreeMap<(usize, usize, usize), Edge>, key: (usize, usize, usize), f: &BoundaryFlow) {
    let e = edges.entry(key).or_default();
    e.flows += 1;
    if !f.approved {
        e.unapproved += 1;
    }
    e.connections.push(f.connections.clone());
}

fn colours(class: &str) -> (&'static str, &'static str) {
    match class {
        "cde" => ("#e4d8f5", "#4a2a7a"),
        "internet" => ("#fde2e1", "#b3261e"),
        "ingress" => ("#fff1d6", "#a35d00"),
        "connected" => ("#dcebfb", "#1f5fa8"),
        "security" => ("#e3f3e6", "#1e7a34"),
        "out" => ("#eceff1", "#5f6368"),
        _ => ("#fff8dc", "#8a6d00"),
    }
}

fn node(o: &mut String, x: usize, y: usize, n: &Node) {
    let (fill, stroke) = colours(n.class);
    let tip = if n.members.len() > 1 { format!("{}: {}", n.label, n.members.join(", ")) } else { n.label.clone() };
    w!(o, "<g class=\"node {}\" data-node=\"{}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>", n.class, escape(&n.label), escape(&truncate(&tip, 2000)));
    w!(o, "<text x=\"{}\" y=\"{}\">{}</text>", x + 8, y + 17, escape(&truncate(&n.label, LABEL_CHARS)));
    let kind = match n.class {
        "cde" => "CDE",
        "internet" => "internet / address range",
        "ingress" => "traffic from outside via ingress",
        "any" => "any namespace",
        other => other,
    };
    w!(o, "<text x=\"{}\" y=\"{}\" font-size=\"10.5\" fill=\"#5f6368\">{} · {} {}</text></g>\n", x + 8, y + 32, kind, n.flows, kubepci_findings::noun(n.flows, "flow", "flows"));
}

/// `s` cut to `max` characters with an ellipsis.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A longer table is folded (its rows stay in the page, for search and for printing).
const TABLE_OPEN_UP_TO: usize = 100;

fn table(o: &mut String, flows: &[BoundaryFlow]) {
    let folded = flows.len() > TABLE_OPEN_UP_TO;
    if folded {
        w!(o, "<details><summary>All {} flows</summary>\n", flows.len());
    }
    w!(o, "<table class=\"boundary\"><thead><tr><th>Direction</th><th>From</th><th>To</th><th>Allowed</th><th>Approved</th></tr></thead><tbody>\n");
    for f in flows {
        let approved = if f.approved {
            "<span class=\"flow-approved\">approved</span>".to_string()
        } else {
            format!("<span class=\"flow-unapproved\">unapproved: {}</span>", escape(&f.unapproved))
        };
        w!(o, "<tr data-flow=\"{}\"><td>{}</td><td><code>{}</code>", if f.approved { "approved" } else { "unapproved" }, escape(&f.direction), escape(&f.from));
        if !f.via.is_empty() {
            w!(o, "<br><span class=\"small muted\">via {}</span>", escape(&f.via.join(", ")));
        }
        w!(o, "</td><td><code>{}</code></td><td>{}</td><td>{approved}</td></tr>\n", escape(&f.to), escape(&f.connections));
    }
    w!(o, "</tbody></table>\n");
    if folded {
        w!(o, "</details>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(direction: &str, from: &str, to: &str, approved: bool) -> BoundaryFlow {
        BoundaryFlow { direction: direction.into(), from: from.into(), to: to.into(), connections: "TCP 443".into(), unapproved: if approved { String::new() } else { "TCP 443".into() }, approved, workloads: 1, cde_workloads: 1, via: Vec::new() }
    }

    fn report(flows: Vec<BoundaryFlow>) -> Report {
        let mut r = crate::tests::demo_report();
        r.boundary = flows;
        r
    }

    #[test]
    fn many_flows_are_grouped_and_capped_and_the_caption_says_so() {
        // 40 namespaces of 3 workloads each (unknown to the scope section) into 30 CDE
        // namespaces of one workload each: 120 flows.
        let flows: Vec<BoundaryFlow> = (0..120).map(|i| flow("into-cde", &format!("team{}/app{}[Deployment]", i / 3, i), &format!("cde{}/api[Deployment]", i % 30), i % 2 == 0)).collect();
        let mut o = String::new();
        diagram(&mut o, &report(flows));
        let nodes = o.matches("<g class=\"node").count();
        assert_eq!(nodes, 1 + CAP, "outside: one node for the one class; CDE: 9 namespaces and the rest merged");
        assert!(o.contains("data-node=\"groups across namespaces (120 endpoints)\""), "{o}");
        assert!(o.contains("data-node=\"21 more groups (21 endpoints)\""), "{o}");
        assert_eq!(o.matches("<path class=\"edge").count(), CAP);
        assert!(o.contains("grouped by namespace; outside the CDE, more than 10 namespaces are grouped by scope class; the 21 smallest CDE namespaces are merged into one node."), "{o}");
        assert!(o.contains("class=\"edge unapproved\""), "a group holding an unapproved flow is drawn unapproved");
        let mut t = String::new();
        table(&mut t, &report(Vec::new()).boundary);
        let flows: Vec<BoundaryFlow> = (0..120).map(|i| flow("into-cde", &format!("a/w{i}[Pod]"), "payments/api[Deployment]", true)).collect();
        table(&mut t, &flows);
        assert!(t.contains("<details><summary>All 120 flows</summary>") && t.matches("<tr data-flow=").count() == 120);

        // 24 workloads in 8 namespaces outside the CDE: grouped by namespace, which suffices.
        let flows: Vec<BoundaryFlow> = (0..24).map(|i| flow("into-cde", &format!("team{}/app{}[Deployment]", i / 3, i), "payments/api[Deployment]", true)).collect();
        let mut o = String::new();
        diagram(&mut o, &report(flows));
        assert_eq!(o.matches("<g class=\"node").count(), 8 + 1);
        assert!(o.contains("data-node=\"team0/* (3 endpoints)\"") && !o.contains("scope class"), "{o}");
    }

    #[test]
    fn approved_and_unapproved_flows_are_styled_apart_and_every_end_is_classed() {
        let flows = vec![
            flow("into-cde", "{ingress-controller}", "payments/api[Deployment]", false),
            flow("into-cde", "shop/web[Deployment]", "payments/api[Deployment]", true),
            flow("out-of-cde", "payments/api[Deployment]", "0.0.0.0-255.255.255.255[External]", false),
        ];
        let mut o = String::new();
        diagram(&mut o, &report(flows));
        assert_eq!(o.matches("class=\"edge approved\"").count(), 1);
        assert_eq!(o.matches("class=\"edge unapproved\"").count(), 2);
        assert!(o.contains("stroke-dasharray=\"7 4\" marker-end=\"url(#arrow-bad)\""));
        for class in ["node ingress", "node cde", "node internet", "node any"] {
            assert!(o.contains(class), "{class} missing");
        }
        assert!(!o.contains("grouped"), "three endpoints need no grouping");
    }

    #[test]
    fn labels_are_escaped_and_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        let flows = vec![flow("into-cde", "x/<script>alert(1)</script>[Pod]", "payments/api[Deployment]", false)];
        let mut o = String::new();
        diagram(&mut o, &report(flows));
        assert!(!o.contains("<script>"));
    }
}
