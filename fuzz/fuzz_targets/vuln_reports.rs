//! Any bytes as a scanner report (trivy-operator, Trivy, Grype, CycloneDX, OpenVEX) in JSON and
//! in YAML: parsing must not panic; it either reads a report or says why not.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kubepci_vulns::parse_json("fuzz.json", data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kubepci_vulns::parse_yaml("fuzz.yaml", text);
    }
});
