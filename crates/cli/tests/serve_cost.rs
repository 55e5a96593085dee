//! What one object change costs `kubepci serve` on the L corpus (100,000 objects): the kept
//! evaluation ([`kubepci::serve::live::Live`]) applies the change (re-running what it can
//! affect), assembles the report model and records the run in SQLite, as the evaluation loop
//! does. The JSON report is rendered only when `/api/v1/report` asks (measured apart).
//! A measurement, not a timed test: `cargo test -p kubepci --test serve_cost -- --ignored
//! --nocapture` (add `--release` for the numbers of docs/serve.md; `KUBEPCI_COST_OBJECTS`
//! and `KUBEPCI_COST_ROUNDS` change the size and the rounds per change kind; `KUBEPCI_COST_KINDS`
//! picks change kinds by part of their name, comma-separated).

use std::time::Instant;

use kubepci::input::Input;
use kubepci::serve::live::Live;
use kubepci_checks::Change;
use kubepci_model::{Object, SourceLoc, decode_value};
use serde_json::{Value, json};

/// User + system CPU seconds of this process so far (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of the file (utime, stime), counted after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The first generated object of `kind` (whose JSON `pick` accepts).
fn first(values: &[Value], kind: &str, pick: impl Fn(&Value) -> bool) -> Value {
    values.iter().find(|v| v["kind"] == kind && pick(v)).cloned().unwrap_or_else(|| panic!("the corpus has a {kind}"))
}

/// One change of each kind the issue names, for round `round` (each round changes the object
/// again, so that no change is a no-op).
fn change(what: &str, values: &[Value], round: usize, loc: &SourceLoc) -> Vec<Change> {
    let object = |v: Value| decode_value(v, loc.clone()).expect("object");
    match what {
        "container image edit" => {
            let mut d = first(values, "Deployment", |_| true);
            d["spec"]["template"]["spec"]["containers"][0]["image"] = format!("registry.example/changed:{round}").into();
            vec![Change::Apply(object(d))]
        }
        "pod add" => {
            let mut p = first(values, "Pod", |_| true);
            p["metadata"]["name"] = format!("extra-{round}").into();
            vec![Change::Apply(object(p))]
        }
        "pod delete" => {
            let p = first(values, "Pod", |_| true);
            let name = if round.is_multiple_of(2) { format!("gone-{round}") } else { format!("gone-{}", round - 1) };
            // Even rounds add the pod the odd ones delete (so each delete removes something).
            if round.is_multiple_of(2) {
                let mut p = p;
                p["metadata"]["name"] = name.into();
                vec![Change::Apply(object(p))]
            } else {
                vec![Change::Delete { kind: "Pod".into(), namespace: p["metadata"]["namespace"].as_str().map(str::to_string), name }]
            }
        }
        "pod delete (an older pod)" => {
            // A pod of the corpus (a different one each round): not the last object.
            let p = values.iter().filter(|v| v["kind"] == "Pod").nth(round + 1).expect("the corpus has pods");
            vec![Change::Delete { kind: "Pod".into(), namespace: p["metadata"]["namespace"].as_str().map(str::to_string), name: p["metadata"]["name"].as_str().unwrap_or_default().to_string() }]
        }
        "namespace relabel" => {
            let mut n = first(values, "Namespace", |v| v["metadata"]["labels"]["pci.kubepci.io/scope"] == "out");
            n["metadata"]["labels"]["pci.kubepci.io/scope"] = if round.is_multiple_of(2) { "connected" } else { "out" }.into();
            vec![Change::Apply(object(n))]
        }
        "networkpolicy edit" => {
            let mut n = first(values, "NetworkPolicy", |v| v["metadata"]["name"].as_str().is_some_and(|n| n.ends_with("-ingress")));
            n["spec"]["ingress"] = json!([{"ports": [{"port": 8000 + round as u64, "protocol": "TCP"}]}]);
            vec![Change::Apply(object(n))]
        }
        "rolebinding edit" => {
            let mut b = first(values, "RoleBinding", |_| true);
            b["subjects"][1]["name"] = format!("team-changed-{round}").into();
            vec![Change::Apply(object(b))]
        }
        "configmap edit" => {
            let mut c = first(values, "ConfigMap", |_| true);
            c["data"]["note"] = format!("edited {round}").into();
            vec![Change::Apply(object(c))]
        }
        _ => unreachable!("{what}"),
    }
}

#[test]
#[ignore = "a measurement (100,000 objects), run on demand"]
fn one_object_change_on_the_l_corpus() {
    let objects_wanted = std::env::var("KUBEPCI_COST_OBJECTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rounds: usize = std::env::var("KUBEPCI_COST_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let loc = SourceLoc::whole("https://cluster");
    let mut values = Vec::new();
    let mut objects: Vec<Object> = Vec::new();
    kubepci_bench::generate(objects_wanted, 42, |_, value| {
        if let Ok(o) = decode_value(value.clone(), loc.clone()) {
            objects.push(o);
            values.push(value);
        }
    });
    let mut input = Input::from_paths(&[]);
    input.kind = kubepci_checks::InputKind::Live;
    input.documents = objects.len();
    input.objects = objects;
    let config = kubepci_inventory::Config::default();
    let dir = tempfile::tempdir().unwrap();
    let mut history = kubepci_history::open(&format!("sqlite:{}", dir.path().join("h.db").display())).unwrap();

    let epoch = 1_795_000_000;
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let (mut live, first) = Live::new(input, config, epoch);
    history.record_change("l", &first.generated_at, live.content(), first.change.as_ref()).unwrap();
    println!("whole evaluation: {} objects, {} findings: wall {:.3} s, CPU {:.2} s", first.objects, live.content().findings.len(), wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let report = live.report();
    let mut json = Vec::new();
    kubepci_report::write(&report, kubepci_report::Format::Json, kubepci_report::PrintOptions::default(), &mut json).unwrap();
    drop(report);
    println!("JSON report (assembled and rendered when asked for): {:.1} MB, wall {:.3} s, CPU {:.2} s", json.len() as f64 / 1e6, wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);

    let kinds = ["container image edit", "pod add", "pod delete", "pod delete (an older pod)", "namespace relabel", "networkpolicy edit", "rolebinding edit", "configmap edit"];
    // `KUBEPCI_COST_KINDS=image,relabel`: only the change kinds whose name contains one of these.
    let only: Vec<String> = std::env::var("KUBEPCI_COST_KINDS").map(|v| v.split(',').map(str::to_string).collect()).unwrap_or_default();
    let mut at = epoch;
    for what in kinds.into_iter().filter(|k| only.is_empty() || only.iter().any(|o| k.contains(o.as_str()))) {
        let mut cpus = Vec::new();
        let mut parts = Vec::new();
        for round in 0..rounds {
            let changes = change(what, &values, round, &loc);
            at += 1;
            let (wall, cpu) = (Instant::now(), cpu_seconds());
            let evaluated = live.update(changes, at);
            let evaluate_s = wall.elapsed().as_secs_f64();
            let recorded = history.record_change("l", &evaluated.generated_at, live.content(), evaluated.change.as_ref()).unwrap();
            let total = cpu_seconds() - cpu;
            cpus.push(total);
            let changed = evaluated.change.as_ref().map(|c| (c.removed.len(), c.added.len()));
            parts.push(format!("evaluate {:.3} s + history {:.3} s ({recorded:?}, findings removed/added {changed:?}, {:?})", evaluate_s, wall.elapsed().as_secs_f64() - evaluate_s, evaluated.applied));
        }
        let mut sorted = cpus.clone();
        sorted.sort_by(f64::total_cmp);
        println!("{what}: CPU per change min {:.3} s, median {:.3} s (rounds {cpus:?})", sorted[0], sorted[sorted.len() / 2]);
        println!("  last round: {}", parts.last().expect("a round"));
    }
    assert!(live.objects().len() >= objects_wanted / 2);
}
