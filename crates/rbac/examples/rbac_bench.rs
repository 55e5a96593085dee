//! Benchmark (not a test): build the model over 10k roles and 50k bindings generated
//! deterministically, then time who-can queries. Run with
//! `cargo run --release -p kubepci-rbac --example rbac_bench`.

use std::time::Instant;

use kubepci_bench::Rng;
use kubepci_model::{Object, SourceLoc, decode_value};
use kubepci_rbac::{Model, NamespaceFilter, Request};
use serde_json::json;

const ROLES: usize = 10_000;
const BINDINGS: usize = 50_000;
const NAMESPACES: usize = 200;

const RESOURCES: &[&str] = &["pods", "secrets", "configmaps", "services", "deployments", "jobs", "pods/exec", "pods/log", "events", "leases"];
const VERBS: &[&str] = &["get", "list", "watch", "create", "update", "patch", "delete"];

fn generate() -> Vec<Object> {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(ROLES + BINDINGS);
    let loc = SourceLoc::new("bench", 0, 0);
    for i in 0..ROLES {
        let rules: Vec<_> = (0..4)
            .map(|_| {
                let res = *rng.pick(RESOURCES);
                let group = if res == "deployments" { "apps" } else if res == "jobs" { "batch" } else { "" };
                json!({"apiGroups":[group],"resources":[res, *rng.pick(RESOURCES)],"verbs":[*rng.pick(VERBS), *rng.pick(VERBS)]})
            })
            .collect();
        let v = if i.is_multiple_of(5) {
            json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":format!("cr-{i}")},"rules":rules})
        } else {
            json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":format!("r-{i}"),"namespace":format!("ns-{}", i % NAMESPACES)},"rules":rules})
        };
        out.push(decode_value(v, loc.clone()).expect("generated role"));
    }
    for i in 0..BINDINGS {
        let role = rng.below(ROLES as u64) as usize;
        let subjects = json!([
            {"kind":"User","name":format!("user-{}", rng.below(5000))},
            {"kind":"ServiceAccount","name":format!("sa-{}", rng.below(100)),"namespace":format!("ns-{}", rng.below(NAMESPACES as u64) as usize)}
        ]);
        let v = if role.is_multiple_of(5) && i.is_multiple_of(10) {
            json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":format!("crb-{i}")},
                "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":format!("cr-{role}")},"subjects":subjects})
        } else {
            let (kind, name, ns) = if role.is_multiple_of(5) { ("ClusterRole", format!("cr-{role}"), rng.below(NAMESPACES as u64) as usize) } else { ("Role", format!("r-{role}"), role % NAMESPACES) };
            json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":format!("rb-{i}"),"namespace":format!("ns-{ns}")},
                "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":kind,"name":name},"subjects":subjects})
        };
        out.push(decode_value(v, loc.clone()).expect("generated binding"));
    }
    out
}

fn main() {
    let objects = generate();
    if std::env::args().any(|a| a == "checks") {
        bench_checks(objects);
        return;
    }
    let t = Instant::now();
    let model = Model::build(&objects);
    let build = t.elapsed();
    println!("model build: {} roles, {} bindings in {:.1} ms", model.roles.len(), model.bindings.len(), build.as_secs_f64() * 1e3);

    let queries = [
        (Request::resource("get", "", "secrets", "", ""), NamespaceFilter::Namespace("ns-7".into())),
        (Request::resource("get", "", "secrets", "", ""), NamespaceFilter::Any),
        (Request::resource("create", "", "pods", "exec", "p"), NamespaceFilter::Namespace("ns-42".into())),
        (Request::resource("delete", "apps", "deployments", "", "d"), NamespaceFilter::Cluster),
    ];
    for (req, filter) in &queries {
        let runs = 20;
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..runs {
            n = model.who_can_entries(req, filter).len();
        }
        let per = t.elapsed().as_secs_f64() * 1e3 / runs as f64;
        println!("who-can {} {:?} {:?}: {n} subjects, {per:.2} ms/query", req.verb, req.combined_resource().unwrap_or_default(), filter);
    }
}

/// The RBAC checks of `kubepci scan` (crates/checks/src/rules/rbac) on the same input, with
/// namespaces ns-0..ns-9 declared CDE: `cargo run --release -p kubepci-rbac --example rbac_bench -- checks`.
fn bench_checks(objects: Vec<Object>) {
    use kubepci_checks::{Context, InputKind, RunOptions, registry, run_checks};
    let mut config = kubepci_rbac::inventory::Config::default();
    config.scope.cde.namespaces = (0..10).map(|n| format!("ns-{n}")).collect();
    let inv = kubepci_rbac::inventory::Inventory::build(objects, config);
    let cx = Context::new(&inv, InputKind::Manifests);
    let only: Vec<String> = std::env::args().skip(2).collect();
    let checks: Vec<_> = registry().into_iter().filter(|c| c.meta.id.starts_with("RBAC-") && (only.is_empty() || only.iter().any(|o| o == c.meta.id))).collect();
    for check in &checks {
        let t = Instant::now();
        let a = run_checks(&cx, &[*check], &RunOptions::default());
        println!("{} {}: {} findings, {} passes in {:.0} ms", check.meta.id, check.meta.name, a.findings.len(), a.passes.len(), t.elapsed().as_secs_f64() * 1e3);
    }
    let t = Instant::now();
    let a = run_checks(&cx, &checks, &RunOptions::default());
    println!("all {} RBAC checks in parallel: {} findings in {:.0} ms", checks.len(), a.findings.len(), t.elapsed().as_secs_f64() * 1e3);
}
