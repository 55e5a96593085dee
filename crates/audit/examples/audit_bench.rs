//! `audit_bench LOG… [--cde NS]… [--json FILE]`: the path of `kubepci audit analyze -f json` without the
//! command line: the shipped rules over the logs (parallel chunks), then the alerts, activity
//! and completeness serialised to JSON (discarded, or written to FILE to compare two builds). Prints events, alerts, bytes, wall time and
//! throughput; run it under `/usr/bin/time -v` for peak memory (bench/run.sh audit does).

use std::time::Instant;

/// The allocator of the `kubepci` binary, so the numbers are those of `kubepci audit analyze`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use kubepci_audit::source::{Input, analyze_inputs, order_by_time};
use kubepci_audit::{Context, Engine, RuleSet};

fn main() {
    let mut logs = Vec::new();
    let mut cde = Vec::new();
    let mut json_out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--cde" {
            cde.extend(args.next());
        } else if a == "--json" {
            json_out = args.next();
        } else {
            logs.push(std::path::PathBuf::from(a));
        }
    }
    if logs.is_empty() {
        eprintln!("usage: audit_bench LOG… [--cde NAMESPACE]… [--json FILE]");
        std::process::exit(2);
    }
    let start = Instant::now();
    // The limit `kubepci audit analyze` keeps by default (--max-alerts).
    let engine = Engine::new(RuleSet::builtin(), Context { cde_namespaces: cde, ..Context::default() }).with_max_alerts(50_000);
    let inputs: Vec<Input> = order_by_time(&logs).into_iter().map(Input::Path).collect();
    let report = analyze_inputs(&inputs, &engine).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let analysed = start.elapsed();
    let mut sink: Box<dyn std::io::Write> = match &json_out {
        Some(path) => Box::new(std::fs::File::create(path).expect("create the --json file")),
        None => Box::new(std::io::sink()),
    };
    #[derive(serde::Serialize)]
    struct Out<'r> {
        alerts: &'r [kubepci_audit::Alert],
        activity: &'r [kubepci_audit::Activity],
        completeness: &'r kubepci_audit::Completeness,
        unlisted: &'r std::collections::BTreeMap<String, (kubepci_audit::Severity, u64)>,
        window: &'r Option<kubepci_audit::analyze::Window>,
        files: &'r [kubepci_audit::source::FileSummary],
        diagnostics: &'r [kubepci_audit::Diagnostic],
    }
    serde_json::to_writer(std::io::BufWriter::new(&mut sink), &Out { alerts: &report.alerts, activity: &report.activity, completeness: &report.completeness, unlisted: &report.unlisted, window: &report.window, files: &report.files, diagnostics: &report.diagnostics }).expect("json");
    let total = start.elapsed();
    let bytes: u64 = report.files.iter().map(|f| f.bytes).sum();
    let unlisted: u64 = report.unlisted.values().map(|(_, n)| n).sum();
    println!(
        "{} events, {} alerts listed + {unlisted} counted, {:.1} MB: analysed in {:.2} s, with JSON output {:.2} s ({:.0} MB/s) on {} threads",
        report.completeness.events,
        report.alerts.len(),
        bytes as f64 / 1e6,
        analysed.as_secs_f64(),
        total.as_secs_f64(),
        bytes as f64 / 1e6 / total.as_secs_f64(),
        rayon::current_num_threads()
    );
    // As `kubepci audit analyze` does: the process ends without freeing the report.
    std::mem::forget(report);
}
