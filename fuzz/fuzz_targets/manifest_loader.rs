//! Any bytes, as a manifest file: the loader must not panic, must account for every document
//! (objects + errors = documents), and every error must carry the file name.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["fuzz.yaml", "fuzz.json"] {
        let loaded = kubepci_source::load_bytes(name, data);
        assert_eq!(loaded.objects.len() + loaded.errors.len(), loaded.documents);
        for e in &loaded.errors {
            assert_eq!(&*e.loc.file, name);
        }
    }
});
