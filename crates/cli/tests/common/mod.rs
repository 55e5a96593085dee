//! What the end-to-end tests against a live cluster share: the in-process fake apiserver and a
//! way to run the binary that no kubeconfig or profile setting of the environment can reach.

#![allow(dead_code)] // each test crate uses its own part

use std::path::Path;
use std::process::{Command, Output};

use kubepci_fake_apiserver::{Behaviour, FakeApiserver, Served, fixtures};

/// The fake apiserver with the tokio runtime it runs on (dropped together).
pub struct Cluster {
    pub server: FakeApiserver,
    _runtime: tokio::runtime::Runtime,
}

/// The fake apiserver serving the project's fixtures, over HTTPS when `tls`.
pub fn cluster(behaviour: Behaviour, tls: bool) -> Cluster {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(FakeApiserver::start(Served::from_dir(&fixtures()), behaviour, tls));
    Cluster { server, _runtime: runtime }
}

/// The fake apiserver serving `served` (the fixtures with changes), over HTTPS when `tls`.
pub fn cluster_serving(served: Served, behaviour: Behaviour, tls: bool) -> Cluster {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(FakeApiserver::start(served, behaviour, tls));
    Cluster { server, _runtime: runtime }
}

/// Run `kubepci` in `dir`, with a pinned clock and no kubeconfig from the environment.
pub fn kubepci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("KUBEPCI_PROFILE")
        .env_remove("KUBECONFIG")
        .output()
        .expect("run kubepci")
}
