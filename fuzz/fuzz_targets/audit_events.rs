//! Any bytes as a block of audit-log lines: reading events (plain, lists, cloud wrappers) and
//! running every shipped detection rule on them must not panic, and the result serialises.
#![no_main]
use std::sync::{Arc, OnceLock};

use kubepci_audit::rules::{Context, RuleSet};
use kubepci_audit::Engine;
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(RuleSet::builtin(), Context { cde_namespaces: vec!["payments".into()], ..Context::default() }))
}

fuzz_target!(|data: &[u8]| {
    let name: Arc<str> = Arc::from("fuzz.log");
    let state = kubepci_audit::source::process_block(engine(), &name, data, 1);
    let _ = state.alert_count();
});
