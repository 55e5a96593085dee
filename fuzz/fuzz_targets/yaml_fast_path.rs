//! Differential fuzzing of the fast YAML reader (crates/source/src/yaml_fast): for any bytes
//! read as a YAML stream, every document the fast path accepts must give exactly what the
//! yaml_serde path gives (objects, errors and JSON values), and nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = kubepci_source::check_fast_path("fuzz.yaml", data);
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
});
