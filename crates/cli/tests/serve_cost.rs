//! What one object change costs `kubepci serve` on the L corpus (100,000 objects): the change
//! is applied to the in-memory stores, then the whole input is evaluated again (the first
//! version re-evaluates everything), the JSON report rendered and the run recorded in SQLite.
//! A measurement, not a timed test: `cargo test -p kubepci --test serve_cost -- --ignored
//! --nocapture` (add `--release` for the numbers of docs/serve.md).

use std::time::Instant;

use kubepci::input::Input;
use kubepci_model::{SourceLoc, decode_value};

/// User + system CPU seconds of this process so far (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of the file (utime, stime), counted after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

#[test]
#[ignore = "a measurement (100,000 objects), run on demand"]
fn one_object_change_on_the_l_corpus() {
    let objects_wanted = std::env::var("KUBEPCI_COST_OBJECTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let loc = SourceLoc::whole("https://cluster");
    let mut objects = Vec::new();
    // The first pod, as the watch would send it, and where it is.
    let mut pod: Option<(usize, serde_json::Value)> = None;
    kubepci_bench::generate(objects_wanted, 42, |_, value| {
        let is_pod = value["kind"] == "Pod";
        if let Ok(o) = decode_value(value.clone(), loc.clone()) {
            if is_pod && pod.is_none() {
                pod = Some((objects.len(), value));
            }
            objects.push(o);
        }
    });
    let (pod_at, pod) = pod.expect("the corpus has pods");
    let mut input = Input::from_paths(&[]);
    input.kind = kubepci_checks::InputKind::Live;
    let config = kubepci_inventory::Config::default();
    let dir = tempfile::tempdir().unwrap();
    let mut history = kubepci_history::open(&format!("sqlite:{}", dir.path().join("h.db").display())).unwrap();

    let mut results = Vec::new();
    for round in 0..3 {
        // The change: one pod's image, as a watch event would bring it.
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let mut changed_pod = pod.clone();
        changed_pod["spec"]["containers"][0]["image"] = format!("registry.example/changed:{round}").into();
        let mut changed = objects.clone();
        changed[pod_at] = decode_value(changed_pod, loc.clone()).expect("pod");
        let clone_s = wall.elapsed().as_secs_f64();
        let mut this = Input::from_paths(&[]);
        this.kind = input.kind;
        this.documents = changed.len();
        this.objects = changed;
        let evaluation = kubepci::serve::evaluate_input(this, &config, 1_795_000_000 + round);
        let eval_s = wall.elapsed().as_secs_f64();
        let recorded = history.record("l", &evaluation.generated_at, &evaluation.content).unwrap();
        let total_wall = wall.elapsed().as_secs_f64();
        let total_cpu = cpu_seconds() - cpu;
        println!(
            "round {round}: {} objects, {} findings, report {:.1} MB: clone {clone_s:.3} s, evaluate+render {:.3} s, history {:.3} s ({recorded:?}); total wall {total_wall:.3} s, CPU {total_cpu:.2} s",
            evaluation.report.input.objects,
            evaluation.report.findings.len(),
            evaluation.json.len() as f64 / 1e6,
            eval_s - clone_s,
            total_wall - eval_s,
        );
        results.push(total_wall);
    }
    assert!(results.iter().all(|w| *w > 0.0));
}
