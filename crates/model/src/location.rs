use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Where an object (or a problem) sits in the input: a file (or `-` for stdin, or a live
/// cluster URL) and a 1-based line and column. Line 0 means "not known" (live objects).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SourceLoc {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl SourceLoc {
    pub fn new(file: impl Into<Arc<str>>, line: u32, column: u32) -> Self {
        SourceLoc { file: file.into(), line, column }
    }

    /// A location without a position, for objects read from a live cluster.
    pub fn whole(file: impl Into<Arc<str>>) -> Self {
        SourceLoc { file: file.into(), line: 0, column: 0 }
    }
}

impl fmt::Display for SourceLoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file),
            (l, 0) => write!(f, "{}:{}", self.file, l),
            (l, c) => write!(f, "{}:{}:{}", self.file, l, c),
        }
    }
}
