//! Benchmark: what the network checks of `kubepci scan` ask of the engine, on manifests.
//! Loads the paths, then times the analysis without any matrix cell, the focused
//! computation (rows and columns of the CDE workloads) and a walk over those rows and columns.
//!
//! `cargo run --release -p kubepci-netpol --example focused_paths -- /tmp/corpus-L/yaml`

use std::path::PathBuf;
use std::time::Instant;

use kubepci_inventory::{Config, Inventory, Scope};
use kubepci_netpol::{Options, Reachability};

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let t = Instant::now();
    let loaded = kubepci_source::load_paths(&paths);
    let inv = Inventory::build(loaded.objects, Config::default());
    println!("load + inventory: {:.3}s ({} objects)", t.elapsed().as_secs_f64(), inv.objects.len());
    let cde: Vec<usize> = inv.workloads().iter().enumerate().filter(|(_, w)| w.scope.scope == Scope::Cde).map(|(i, _)| i).collect();

    let t = Instant::now();
    let r = Reachability::compute_focused(&inv, Options::default(), &[]);
    println!("analysis only (no cells): {:.3}s ({} workloads, {} policies)", t.elapsed().as_secs_f64(), r.workloads().len(), r.policies().len());
    drop(r);

    let t = Instant::now();
    let r = Reachability::compute_focused(&inv, Options::default(), &cde);
    let (sources, destinations) = r.profile_counts();
    println!("compute_focused ({} CDE workloads): {:.3}s ({sources} source, {destinations} destination profiles)", cde.len(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let (mut sources, mut destinations) = (0, 0);
    for w in 0..r.workloads().len() {
        if r.workloads()[w].inventory_workloads.iter().any(|i| cde.contains(i)) {
            sources += r.sources_of(w).len();
            destinations += r.destinations_of(w).len();
        }
    }
    println!("CDE rows and columns walked: {:.3}s ({sources} sources, {destinations} destinations)", t.elapsed().as_secs_f64());
}
