//! Whatever loads from arbitrary bytes is run through the inventory and every check: no check
//! may panic on any object the loader accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loaded = kubepci_source::load_bytes("fuzz.yaml", data);
    let inv = kubepci_inventory::Inventory::build(loaded.objects, kubepci_inventory::Config::default());
    for input in [kubepci_checks::InputKind::Manifests, kubepci_checks::InputKind::Snapshot] {
        let cx = kubepci_checks::Context::new(&inv, input);
        let _ = kubepci_checks::run_checks(&cx, &kubepci_checks::registry(), &kubepci_checks::RunOptions::default());
    }
});
