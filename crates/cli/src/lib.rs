//! The assessment pipeline as a library, so the CLI, the tests and the benchmarks all run the
//! exact same code: sources → inventory → checks → report.

pub mod init;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod profile;
pub mod serve;
