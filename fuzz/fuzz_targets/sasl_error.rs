//! The OAuth error challenge decoder (RFC 7628 §3.2.2: base64 of JSON) fed
//! random text, raw and base64-encoded: no panic, and what it keeps of the
//! server's words is one printable line of bounded length.
#![no_main]
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use postie::pop3::sasl::{read_error_challenge, OAuthReason};

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    for text in [raw.as_ref(), encoded.as_str()] {
        match read_error_challenge(text) {
            OAuthReason::Expired => {}
            OAuthReason::Scope(s) | OAuthReason::Other(s) => {
                assert!(s.chars().count() <= 200);
                assert!(!s.chars().any(|c| c.is_control()));
            }
        }
    }
});
