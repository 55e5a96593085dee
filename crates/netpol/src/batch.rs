//! Load manifests and analyse them in one call (for the CLI and tests).

use std::path::PathBuf;

use kubepci_inventory::{Config, Inventory};

use crate::engine::{Options, Reachability};

/// The analysis of some input paths, with the problems met on the way.
pub struct Analysis {
    pub reachability: Reachability,
    /// Documents that could not be read, as `file:line:col: message`.
    pub load_errors: Vec<String>,
}

/// Read every path (files, directories, `-` for stdin) and compute reachability.
pub fn analyse_paths(paths: &[PathBuf], options: Options) -> Analysis {
    let loaded = kubepci_source::load_paths(paths);
    let load_errors = loaded.errors.iter().map(ToString::to_string).collect();
    let inv = Inventory::build(loaded.objects, Config::default());
    Analysis { reachability: Reachability::compute_with(&inv, options), load_errors }
}
