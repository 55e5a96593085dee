//! Load manifests and evaluate every pod template in them: the data behind `kubepci pss`.
//! This is the only part of the crate that touches files (through `kubepci-source`).

use std::path::PathBuf;

use kubepci_model::{ObjectRef, SourceLoc};
use serde::Serialize;

use crate::{Evaluation, Level, Version, evaluate};

/// The verdict on one object that runs pods.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectResult {
    pub object: ObjectRef,
    pub source: SourceLoc,
    pub evaluation: Evaluation,
}

/// Everything `kubepci pss` reports.
#[derive(Debug, Default)]
pub struct BatchReport {
    /// One entry per pod template, in input order (file, then document order).
    pub results: Vec<ObjectResult>,
    /// Documents that could not be read, with their locations and messages.
    pub errors: Vec<kubepci_source::LoadError>,
    /// Documents seen, including failed ones and objects without a pod template.
    pub documents: usize,
}

/// Load `paths` (files, directories, `-` for stdin) and evaluate every object with a pod
/// template at `level` / `version`.
pub fn evaluate_paths(paths: &[PathBuf], level: Level, version: Version) -> BatchReport {
    let loaded = kubepci_source::load_paths(paths);
    let results = loaded
        .objects
        .iter()
        .filter_map(|obj| {
            let template = obj.pod_template()?;
            Some(ObjectResult {
                object: obj.object_ref(),
                source: obj.loc.clone(),
                evaluation: evaluate(&template, level, version),
            })
        })
        .collect();
    BatchReport { results, errors: loaded.errors, documents: loaded.documents }
}
