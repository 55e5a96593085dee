//! Files kubepci writes hold cluster data (reports, snapshots, starter configurations): they
//! are created readable by their owner only.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Open `path` for writing, created with owner-only permissions (0600 on Unix). With `replace`
/// an existing file is truncated (and keeps its permissions); without it, an existing file is
/// an `AlreadyExists` error, checked as the file is opened.
pub fn create_private(path: &Path, replace: bool) -> io::Result<File> {
    let mut options = private_options();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path)
}

/// A new scratch file at `path`, readable and writable by the owner only (`create_new`: an
/// existing file is an error), for data written and read back within one run.
pub fn create_private_scratch(path: &Path) -> io::Result<File> {
    private_options().read(true).write(true).create_new(true).open(path)
}

/// Options whose files are created 0600 (on Unix).
fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_are_private_and_existing_ones_are_kept_unless_replaced() {
        let dir = std::env::temp_dir().join(format!("kubepci-base-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.json");
        let _ = std::fs::remove_file(&path);
        create_private(&path, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(create_private(&path, false).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert!(create_private(&path, true).is_ok());
        #[cfg(unix)]
        {
            // An existing file is written as it is: its permissions are the owner's choice.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            create_private(&path, true).unwrap();
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
            assert!(create_private(Path::new("/dev/null"), true).is_ok());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
