//! Any bytes as the body of `POST /validate`: decoding an AdmissionReview must not panic; a
//! body that decodes has a request whose object (if any) the webhook can read.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = kubepci::serve::admission::decode(data) {
        let _ = request.object.as_ref().map(|o| serde_json::to_vec(o));
    }
});
