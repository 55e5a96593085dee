use std::io::Read;
use std::path::{Path, PathBuf};

use kubepci_base::walk::{WalkStep, files_under};
use kubepci_model::SourceLoc;

use crate::LoadError;

/// Decompressed inputs larger than this are refused (gzip bombs).
const MAX_DECOMPRESSED_BYTES: u64 = 2 << 30;

/// One input file's name (as given, or `-` for stdin) and content.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn is_manifest_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let name = name.strip_suffix(".gz").unwrap_or(name);
    [".yaml", ".yml", ".json"].iter().any(|ext| name.ends_with(ext))
}

/// An input not read yet: stdin (read eagerly, it can only be read once) or a file (read when
/// its turn comes, so that only the files being parsed are in memory).
pub enum Pending {
    Ready(Input),
    File(PathBuf),
}

impl Pending {
    pub fn read(self) -> Result<Input, LoadError> {
        match self {
            Pending::Ready(input) => Ok(input),
            Pending::File(path) => {
                let name = path.display().to_string();
                std::fs::read(&path).map(|bytes| Input { name: name.clone(), bytes }).map_err(|e| file_error(&name, format!("cannot read: {e}")))
            }
        }
    }
}

/// Expand paths into inputs: `-` reads stdin; directories are walked recursively, sorted,
/// without following symlinked directories; explicit files are taken whatever their extension.
pub fn collect_pending(paths: &[PathBuf]) -> (Vec<Pending>, Vec<LoadError>) {
    let mut pending = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut bytes) {
                Ok(_) => pending.push(Pending::Ready(Input { name: "-".into(), bytes })),
                Err(e) => errors.push(file_error("-", format!("cannot read stdin: {e}"))),
            }
            continue;
        }
        let mut files = Vec::new();
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut errors),
            Ok(_) => files.push(path.clone()),
            Err(e) => errors.push(file_error(&path.display().to_string(), format!("cannot read: {e}"))),
        }
        pending.extend(files.into_iter().map(Pending::File));
    }
    (pending, errors)
}

/// Manifest files under `dir`. Only an unreadable directory is reported: a vanished entry or
/// a dangling link is skipped, as a manifest tree's leftovers are no input.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let walk = files_under(dir, is_manifest_file);
    files.extend(walk.files);
    for problem in walk.problems.into_iter().filter(|p| p.step == WalkStep::ReadDir) {
        errors.push(file_error(&problem.path.display().to_string(), format!("cannot read directory: {}", problem.error)));
    }
}

fn file_error(name: &str, message: String) -> LoadError {
    LoadError { loc: SourceLoc::new(name, 0, 0), message }
}

pub(crate) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED_BYTES + 1);
    decoder.read_to_end(&mut out).map_err(|e| format!("cannot decompress gzip input: {e}"))?;
    if out.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(format!("gzip input expands beyond {} bytes; refused", MAX_DECOMPRESSED_BYTES));
    }
    Ok(out)
}
