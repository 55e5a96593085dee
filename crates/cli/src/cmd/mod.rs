//! One module per subcommand. Each owns its clap `Args` and a `run` that returns the exit code.

pub mod checks;
pub mod collect;
pub mod diff;
pub mod history;
pub mod init;
pub mod netpol;
pub mod pan;
pub mod pss;
pub mod rbac;
pub mod scan;
pub mod serve;
