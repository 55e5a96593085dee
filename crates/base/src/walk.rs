//! The directory walk every input reader uses: entries sorted by path at each level, so the
//! same tree always gives the same order; symlinked directories are not followed (no cycles),
//! symlinked files are (as under `/var/log/containers`).

use std::io;
use std::path::{Path, PathBuf};

/// The files found under a directory, and what could not be read on the way, both in walk order.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    pub problems: Vec<WalkProblem>,
}

/// A path the walk could not read, and at which step.
#[derive(Debug)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub step: WalkStep,
    pub error: io::Error,
}

/// Where a walk problem arose. Callers choose which ones their users hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkStep {
    /// Listing a directory (`path` is the directory).
    ReadDir,
    /// Reading one entry of a listed directory (`path` is the directory).
    Entry,
    /// Reading an entry's file type (it vanished, or a permission changed, since the listing).
    FileType,
    /// Following a symlink that `wanted` accepted (dangling, or not permitted).
    LinkTarget,
}

/// Every regular file under `dir` (recursively) whose path `wanted` accepts, plus symlinks
/// to regular files. `wanted` sees the path before a symlink is followed; it is not asked
/// about directories.
pub fn files_under(dir: &Path, wanted: impl Fn(&Path) -> bool) -> Walk {
    let mut walk = Walk::default();
    walk_into(dir, &wanted, &mut walk);
    walk
}

fn walk_into(dir: &Path, wanted: &impl Fn(&Path) -> bool, walk: &mut Walk) {
    let problem = |path: &Path, step, error| WalkProblem { path: path.to_path_buf(), step, error };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            walk.problems.push(problem(dir, WalkStep::ReadDir, e));
            return;
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(e) => walk.problems.push(problem(dir, WalkStep::Entry, e)),
        }
    }
    paths.sort();
    for path in paths {
        let file_type = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta.file_type(),
            Err(e) => {
                walk.problems.push(problem(&path, WalkStep::FileType, e));
                continue;
            }
        };
        if file_type.is_dir() {
            walk_into(&path, wanted, walk);
        } else if !wanted(&path) {
            continue;
        } else if file_type.is_file() {
            walk.files.push(path);
        } else if file_type.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(target) if target.is_file() => walk.files.push(path),
                Ok(_) => {} // a symlinked directory or a special file
                Err(e) => walk.problems.push(problem(&path, WalkStep::LinkTarget, e)),
            }
        }
        // Sockets, FIFOs and devices are not inputs.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(root: &Path, files: &[PathBuf]) -> Vec<String> {
        files.iter().map(|f| f.strip_prefix(root).expect("under root").display().to_string()).collect()
    }

    #[test]
    fn sorted_recursive_and_filtered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/inner")).expect("mkdir");
        std::fs::create_dir_all(root.join("a.yaml")).expect("mkdir"); // a directory with a file's name
        for f in ["z.yaml", "b/inner/x.yaml", "b/y.txt", "a.yaml/w.yaml", "c.yaml"] {
            std::fs::write(root.join(f), "x").expect("write");
        }
        let walk = files_under(root, |p| p.extension().is_some_and(|e| e == "yaml"));
        assert_eq!(names(root, &walk.files), ["a.yaml/w.yaml", "b/inner/x.yaml", "c.yaml", "z.yaml"]);
        assert!(walk.problems.is_empty());
        assert_eq!(files_under(root, |_| true).files.len(), 5);
    }

    #[test]
    fn an_unreadable_directory_is_a_problem_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing");
        let walk = files_under(&missing, |_| true);
        assert!(walk.files.is_empty());
        assert_eq!(walk.problems.len(), 1);
        assert_eq!(walk.problems[0].step, WalkStep::ReadDir);
        assert_eq!(walk.problems[0].path, missing);
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_files_are_read_symlinked_directories_are_not() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::fs::write(outside.join("real.log"), "x").expect("write");
        symlink(outside.join("real.log"), root.join("file-link.log")).expect("link");
        symlink(&outside, root.join("dir-link")).expect("link");
        symlink(&root, root.join("loop")).expect("link");
        symlink(outside.join("gone.log"), root.join("dangling.log")).expect("link");
        symlink(outside.join("gone.txt"), root.join("dangling.txt")).expect("link");

        let walk = files_under(&root, |p| p.extension().is_some_and(|e| e == "log"));
        assert_eq!(names(&root, &walk.files), ["file-link.log"]);
        // The dangling link `wanted` accepts is a problem; the one it declines is never followed.
        assert_eq!(walk.problems.len(), 1);
        assert_eq!(walk.problems[0].step, WalkStep::LinkTarget);
        assert_eq!(walk.problems[0].path, root.join("dangling.log"));
    }
}
