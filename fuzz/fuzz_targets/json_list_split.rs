//! Differential fuzzing of the fast JSON list split (crates/source/src/json_split.rs): whenever
//! the fast path reads an input, its objects, errors and locations must be the general path's,
//! and nothing may panic. The bytes are tried as a whole file and as the inside of a list's
//! items array (where random bytes far more often make a list the fast path accepts).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = kubepci_source::check_json_split("fuzz.json", data) {
        panic!("{e}");
    }
    let mut list = b"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n".to_vec();
    list.extend_from_slice(data);
    list.extend_from_slice(b"\n]}\n");
    if let Err(e) = kubepci_source::check_json_split("fuzz.json", &list) {
        panic!("{e}");
    }
});
