//! Any text as `kubepci.yaml`: parsing must not panic; errors name the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = kubepci_inventory::Config::from_yaml("kubepci.yaml", text)
    {
        assert!(e.to_string().starts_with("kubepci.yaml"));
    }
});
