//! Benchmark: generate N pods in M namespaces with K NetworkPolicies (deterministic), then time
//! `Reachability::compute` and a walk over the full workload-level matrix.
//!
//! `cargo run --release -p kubepci-netpol --example netpol_bench -- 10000 200 2000`
//!
//! Shape: pods come in ReplicaSets of 5 replicas (so 10k pods are 2k workloads); every
//! namespace has a default-deny (ingress and egress) policy, and the remaining policies allow
//! ingress from a tier in the same namespace and from labelled namespaces on a named or
//! numbered port, and egress to the same and labelled namespaces on TCP 8080, to DNS in
//! kube-system and to one /16 on TCP 443.

use std::time::Instant;

use kubepci_inventory::{Config, Inventory};
use kubepci_model::{Object, SourceLoc, decode_value};
use kubepci_netpol::{Endpoint, Reachability};
use serde_json::json;

const REPLICAS: usize = 5;
const TIERS: [&str; 3] = ["web", "api", "db"];

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn generate(pods: usize, namespaces: usize, policies: usize) -> Vec<Object> {
    let loc = || SourceLoc::new("bench.yaml", 1, 1);
    let mut out = Vec::new();
    for n in 0..namespaces {
        out.push(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":format!("ns-{n}"),"labels":{"team":format!("t{}", n % 10)}}}));
    }
    out.push(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kube-system"}}));
    let apps = pods.div_ceil(REPLICAS);
    for p in 0..pods {
        let app = p / REPLICAS;
        let ns = app % namespaces;
        let tier = TIERS[app % TIERS.len()];
        out.push(json!({"apiVersion":"v1","kind":"Pod","metadata":{
            "name":format!("app-{app}-rs-{p}"),"namespace":format!("ns-{ns}"),
            "labels":{"app":format!("app-{app}"),"tier":tier},
            "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":format!("app-{app}-rs"),"uid":"u","controller":true}]},
            "spec":{"containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":8080}]}]}}));
    }
    for k in 0..policies {
        let ns = k % namespaces;
        if k < namespaces {
            out.push(json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"default-deny","namespace":format!("ns-{ns}")},
                "spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}));
            continue;
        }
        // An app in this namespace (apps are spread round-robin over namespaces).
        let app = (k / namespaces * namespaces + ns) % apps.max(1);
        let port = if k % 2 == 0 { json!("http") } else { json!(8000 + (k % 100) as i64) };
        out.push(json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":format!("allow-{k}"),"namespace":format!("ns-{ns}")},
            "spec":{"podSelector":{"matchLabels":{"app":format!("app-{app}")}},"policyTypes":["Ingress","Egress"],
                "ingress":[{"from":[{"podSelector":{"matchLabels":{"tier":"web"}}},
                                    {"namespaceSelector":{"matchLabels":{"team":format!("t{}", k % 10)}},"podSelector":{"matchLabels":{"tier":TIERS[k % 3]}}}],
                            "ports":[{"protocol":"TCP","port":port}]}],
                "egress":[{"to":[{"podSelector":{}},{"namespaceSelector":{"matchLabels":{"team":format!("t{}", k % 10)}}}],"ports":[{"protocol":"TCP","port":8080}]},
                          {"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}}}],"ports":[{"protocol":"UDP","port":53}]},
                          {"to":[{"ipBlock":{"cidr":format!("10.{}.0.0/16", k % 256)}}],"ports":[{"protocol":"TCP","port":443}]}]}}));
    }
    out.into_iter().filter_map(|v| decode_value(v, loc()).ok()).collect()
}

fn main() {
    let (pods, namespaces, policies) = (arg(1, 10_000), arg(2, 200), arg(3, 2_000));
    let t0 = Instant::now();
    let objects = generate(pods, namespaces.max(1), policies);
    let inv = Inventory::build(objects, Config::default());
    let t_input = t0.elapsed();

    // A 4th argument P (percent): time what `kubepci scan` does instead, the rows and columns
    // of the workloads of the first P% of namespaces (the "CDE"), and walk only those.
    if let Some(percent) = std::env::args().nth(4).and_then(|s| s.parse::<usize>().ok()) {
        let cde_namespaces = namespaces.max(1) * percent.min(100) / 100;
        let in_cde = |ns: Option<&str>| ns.and_then(|n| n.strip_prefix("ns-")).and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| n < cde_namespaces);
        let focus: Vec<usize> = inv.workloads().iter().enumerate().filter(|(_, w)| in_cde(inv.objects[w.object].namespace())).map(|(i, _)| i).collect();
        let t1 = Instant::now();
        let r = Reachability::compute_focused(&inv, kubepci_netpol::Options::default(), &focus);
        let t_compute = t1.elapsed();
        let t2 = Instant::now();
        let (mut sources, mut destinations) = (0, 0);
        for w in (0..r.workloads().len()).filter(|w| r.workloads()[*w].inventory_workloads.iter().any(|i| focus.binary_search(i).is_ok())) {
            sources += r.sources_of(w).len();
            destinations += r.destinations_of(w).len();
        }
        println!("input (generate+inventory): {:.3}s", t_input.as_secs_f64());
        let (sp, dp) = r.profile_counts();
        println!("Reachability::compute_focused ({} focus workloads; {sp} source, {dp} destination profiles): {:.3}s", focus.len(), t_compute.as_secs_f64());
        println!("focus rows and columns walked: {:.3}s ({sources} sources, {destinations} destinations)", t2.elapsed().as_secs_f64());
        return;
    }

    let t1 = Instant::now();
    let r = Reachability::compute(&inv);
    let t_compute = t1.elapsed();

    // The full workload-level matrix: every ordered pair, plus external ranges.
    let t2 = Instant::now();
    let n = r.workloads().len() as u32;
    let mut allowed_pairs = 0usize;
    for s in 0..n {
        for d in 0..n {
            if s != d && !r.allowed(Endpoint::Workload(s), Endpoint::Workload(d)).is_empty() {
                allowed_pairs += 1;
            }
        }
    }
    let listed = r.connections().count();
    let t_matrix = t2.elapsed();

    let (sp, dp) = r.profile_counts();
    println!(
        "pods={pods} namespaces={namespaces} policies={policies} workloads={n} classes={} profiles={sp}x{dp} ext_src={} ext_dst={}",
        r.workloads().iter().flat_map(|w| w.classes.iter().copied()).max().map_or(0, |c| c + 1),
        r.external_sources().len(),
        r.external_destinations().len()
    );
    println!("input (generate+inventory): {:.3}s", t_input.as_secs_f64());
    println!("Reachability::compute:      {:.3}s", t_compute.as_secs_f64());
    println!("workload matrix walk:       {:.3}s ({} ordered pairs, {allowed_pairs} allowed; {listed} connections incl. external)", t_matrix.as_secs_f64(), u64::from(n) * u64::from(n.saturating_sub(1)));
    println!("compute + matrix:           {:.3}s", (t_compute + t_matrix).as_secs_f64());
}
