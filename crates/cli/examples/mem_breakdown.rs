//! `cargo run --release -p kubepci --example mem_breakdown PATHS…`: where a scan's bytes are.
//!
//! A counting allocator (over mimalloc, as the CLI uses) records the live heap bytes after
//! each stage of the pipeline (each shared analysis built alone, then the checks and the
//! boundary section), the peak reached inside it, what the findings hold field by field, and
//! the heap each object kind holds once loaded (measured by dropping the objects of one kind
//! at a time from a second load).
//! Heap bytes, not RSS: the allocator's own slack and freed-but-kept pages come on top.

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use kubepci::input::Input;
use kubepci_checks::{Context, RunOptions};
use kubepci_inventory::{Config, Inventory};
use kubepci_model::Object;
use kubepci_report::{AssembleOptions, InputFacts, Report};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// Runs a stage and prints the live heap after it, its change and the peak inside it.
struct Stages {
    objects: usize,
    last: usize,
}

impl Stages {
    fn mark(&mut self, stage: &str) {
        let live = LIVE.load(Ordering::Relaxed);
        let peak = PEAK.swap(live, Ordering::Relaxed);
        let delta = live as isize - self.last as isize;
        println!(
            "{stage:<34} live {:>8.1} MB  change {:>+8.1} MB ({:>+6.0} B/object)  peak inside {:>8.1} MB",
            mb(live),
            delta as f64 / 1e6,
            delta as f64 / self.objects.max(1) as f64,
            mb(peak)
        );
        self.last = live;
    }
}

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    if paths.is_empty() {
        eprintln!("usage: mem_breakdown PATHS…");
        std::process::exit(2);
    }
    sizes();
    by_kind(&paths);
    by_stage(&paths);
}

/// Inline sizes of the structs objects are made of (heap contents come on top): kubepci's
/// compact pod types beside the k8s-openapi ones they stand for.
fn sizes() {
    use kubepci_model::controller;
    use kubepci_model::k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
    use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use kubepci_model::pod;
    use std::mem::size_of;
    println!("inline sizes (bytes): Object {}, ObjectMeta {}, ContainerStatus {}, PodStatus {}, Service {}",
        size_of::<Object>(), size_of::<ObjectMeta>(), size_of::<core::ContainerStatus>(), size_of::<core::PodStatus>(),
        size_of::<core::Service>());
    println!("compact (k8s-openapi): Pod {} ({}), PodSpec {} ({}), Container {} ({}), Volume {} ({}), EnvVar {} ({})",
        size_of::<pod::Pod>(), size_of::<core::Pod>(), size_of::<pod::PodSpec>(), size_of::<core::PodSpec>(),
        size_of::<pod::Container>(), size_of::<core::Container>(), size_of::<pod::Volume>(), size_of::<core::Volume>(),
        size_of::<pod::EnvVar>(), size_of::<core::EnvVar>());
    println!("compact (k8s-openapi): ReplicaSet {} ({}), Deployment {} ({}), StatefulSet {} ({}), DaemonSet {} ({}), Job {} ({}), CronJob {} ({})",
        size_of::<controller::ReplicaSet>(), size_of::<apps::ReplicaSet>(), size_of::<controller::Deployment>(), size_of::<apps::Deployment>(),
        size_of::<controller::StatefulSet>(), size_of::<apps::StatefulSet>(), size_of::<controller::DaemonSet>(), size_of::<apps::DaemonSet>(),
        size_of::<controller::Job>(), size_of::<batch::Job>(), size_of::<controller::CronJob>(), size_of::<batch::CronJob>());
    println!();
}

/// Heap held by each kind's objects: load, then drop one kind at a time.
fn by_kind(paths: &[PathBuf]) {
    let loaded = kubepci_source::load_paths(paths);
    let mut groups: BTreeMap<String, Vec<Object>> = BTreeMap::new();
    for o in loaded.objects {
        groups.entry(o.kind().to_string()).or_default().push(o);
    }
    let mut rows = Vec::new();
    for (kind, objects) in std::mem::take(&mut groups) {
        let n = objects.len();
        let before = LIVE.load(Ordering::Relaxed);
        drop(objects);
        rows.push((before - LIVE.load(Ordering::Relaxed), kind, n));
    }
    rows.sort_by(|a, b| b.cmp(a));
    let total: usize = rows.iter().map(|r| r.0).sum();
    let count: usize = rows.iter().map(|r| r.2).sum();
    println!("objects by kind (heap of the loaded objects, incl. Vec slot):");
    for (bytes, kind, n) in &rows {
        println!("  {kind:<32} {n:>8} objects {:>8.1} MB {:>7.0} B/object", mb(*bytes), *bytes as f64 / *n as f64);
    }
    println!("  {:<32} {count:>8} objects {:>8.1} MB {:>7.0} B/object\n", "all", mb(total), total as f64 / count.max(1) as f64);
}

/// Live heap after each stage of `kubepci scan -f json`.
fn by_stage(paths: &[PathBuf]) {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let mut stages = Stages { objects: 0, last: LIVE.load(Ordering::Relaxed) };
    let input = Input::from_paths(paths);
    stages.objects = input.objects.len();
    println!("stages for {} objects:", stages.objects);
    stages.mark("load (objects, errors)");
    let facts = InputFacts {
        kind: input.kind,
        sources: input.sources,
        files: input.files,
        documents: input.documents,
        errors: vec![],
        snapshot: input.snapshot,
    };
    let inventory = Inventory::build(input.objects, Config::default());
    stages.mark("inventory");
    let cx = Context::new(&inventory, input.kind);
    // Each shared analysis built alone, one after the other, so that its retained heap is the
    // change (the scan builds them side by side; `assess` finds them built).
    _ = cx.templates();
    stages.mark("  pod templates");
    _ = cx.net_index();
    stages.mark("  analysis: reachability + net index");
    _ = cx.rbac_model();
    stages.mark("  analysis: rbac model");
    _ = cx.card_numbers();
    stages.mark("  analysis: card numbers");
    _ = cx.pss_restricted();
    stages.mark("  analysis: pod security");
    _ = cx.cde_network_policies();
    stages.mark("  analysis: cde policies");
    let opts = RunOptions::default();
    let checks = kubepci_checks::run_checks(&cx, &kubepci_checks::registry(), &opts);
    stages.mark("  checks (incl. vulns view, findings)");
    let boundary = kubepci_checks::cde_boundary(&cx);
    stages.mark("  boundary section");
    let assessment = kubepci_checks::Assessment { boundary, ..checks };
    stages.mark("analyses, checks, boundary");
    findings_breakdown(&assessment.findings, assessment.passes.len());
    let report = Report::assemble(&cx, facts, assessment, &AssembleOptions { generated_at: "2023-11-14T22:13:20Z".into(), run: opts, ..Default::default() });
    stages.mark("report model");
    let mut sink = std::io::sink();
    kubepci_report::write(&report, kubepci_report::Format::Json, Default::default(), &mut sink).expect("writing to a sink");
    stages.mark("JSON written (streamed)");
    let analyses = cx.into_analyses();
    drop(analyses);
    stages.mark("analyses dropped");
    drop(report);
    stages.mark("report dropped");
    drop(inventory);
    stages.mark("inventory dropped");
}

/// What the findings hold, field by field: the inline struct and each field's heap bytes
/// (string lengths; capacities may add a little). A text shared between findings counts once.
fn findings_breakdown(findings: &[kubepci_findings::Finding], passes: usize) {
    use std::collections::HashSet;
    use std::mem::size_of;
    let n = findings.len().max(1);
    let mut seen: HashSet<*const u8> = HashSet::new();
    let mut once = |s: &str| if seen.insert(s.as_ptr()) { s.len() } else { 0 };
    let (mut check, mut title, mut requirements, mut object, mut scope, mut location, mut message, mut evidence, mut remediation, mut exception) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    for f in findings {
        check += once(&f.check);
        title += once(&f.title);
        if once(f.requirements.first().map_or("", String::as_str)) > 0 {
            requirements += f.requirements.len() * size_of::<String>() + f.requirements.iter().map(|r| r.len()).sum::<usize>();
        }
        object += f.object.as_ref().map_or(0, |o| o.api_version.len() + o.kind.len() + o.name.len() + o.namespace.as_ref().map_or(0, |s| s.len()));
        scope += f.scope.as_ref().map_or(0, |s| once(s));
        location += f.location.as_ref().map_or(0, |l| once(&l.file));
        message += f.message.len();
        evidence += f.evidence.len() * size_of::<kubepci_findings::Evidence>() + f.evidence.iter().map(|e| e.path.len() + e.value.as_ref().map_or(0, |v| v.len())).sum::<usize>();
        remediation += once(&f.remediation);
        exception += f.exception.as_ref().map_or(0, |e| size_of::<kubepci_findings::AppliedException>() + e.reason.len() + e.approved_by.len());
    }
    let inline = std::mem::size_of_val(findings);
    let total = inline + check + title + requirements + object + scope + location + message + evidence + remediation + exception;
    println!("findings: {} (and {passes} passes), {:.1} MB, {:.0} B/finding:", findings.len(), mb(total), total as f64 / n as f64);
    for (field, bytes) in [("inline Finding", inline), ("check", check), ("title", title), ("requirements", requirements), ("object", object), ("scope", scope), ("location", location), ("message", message), ("evidence", evidence), ("remediation", remediation), ("exception", exception)] {
        println!("  {field:<16} {:>8.1} MB {:>6.0} B/finding", mb(bytes), bytes as f64 / n as f64);
    }
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_check.entry(f.check.as_ref()).or_default() += 1;
    }
    let mut rows: Vec<(usize, &str)> = by_check.into_iter().map(|(c, k)| (k, c)).collect();
    rows.sort_by(|a, b| b.cmp(a));
    let top: Vec<String> = rows.iter().take(8).map(|(k, c)| format!("{c} {k}")).collect();
    println!("  most findings: {}\n", top.join(", "));
}
