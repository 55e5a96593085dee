//! One module per subcommand. Each owns its clap `Args` and a `run` that returns the exit code.

pub mod certs;
pub mod audit;
pub mod checks;
pub mod collect;
pub mod evidence;
pub mod exceptions;
pub mod diff;
pub mod history;
pub mod init;
pub mod netpol;
pub mod pan;
pub mod pss;
pub mod rbac;
pub mod respond;
pub mod scan;
pub mod vulns;
pub mod serve;
