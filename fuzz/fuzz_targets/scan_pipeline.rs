//! Whatever loads from arbitrary bytes is assessed end to end: inventory, every check, the
//! boundary section (with ingress paths), the report in every format and `netpol list`. No part
//! may panic on any object the loader accepts. Each input runs twice: with the default
//! configuration, and with every namespace declared CDE, so that the CDE-only checks, the
//! boundary and the restricted-level hardening run too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn configs() -> [kubepci_inventory::Config; 2] {
    let all_cde = kubepci_inventory::Config::from_yaml("fuzz-config.yaml", "scope: {cde: {namespaceSelector: {}}}").expect("valid config");
    [kubepci_inventory::Config::default(), all_cde]
}

fuzz_target!(|data: &[u8]| {
    let loaded = kubepci_source::load_bytes("fuzz.yaml", data);
    for config in configs() {
        let inv = kubepci_inventory::Inventory::build(loaded.objects.clone(), config);
        let _ = kubepci_netpol::format::render(&kubepci_netpol::Reachability::compute(&inv), kubepci_netpol::format::Format::Json);
        for input in [kubepci_checks::InputKind::Manifests, kubepci_checks::InputKind::Snapshot] {
            let cx = kubepci_checks::Context::new(&inv, input);
            let assessment = kubepci_checks::assess(&cx, &kubepci_checks::RunOptions::default());
            let facts = kubepci_report::InputFacts { kind: input, sources: vec!["fuzz.yaml".into()], files: 1, documents: 1, errors: Vec::new(), snapshot: None };
            let report = kubepci_report::Report::assemble(&cx, facts, assessment, &kubepci_report::AssembleOptions::default());
            for format in [kubepci_report::Format::Text, kubepci_report::Format::Json, kubepci_report::Format::Sarif, kubepci_report::Format::Oscal, kubepci_report::Format::Html] {
                let _ = kubepci_report::render(&report, format, kubepci_report::PrintOptions::default());
            }
        }
    }
});
