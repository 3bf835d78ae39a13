//! The POP3 reply decoder fed random bytes in random splits: no panic,
//! bounded output, status lines and bodies as the codec defines them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postie::pop3::codec::{BodyProgress, Decoder};

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    // The first byte picks the split size (1..=64), the rest is the stream.
    let step = 1 + (data[0] as usize % 64);
    let stream = &data[1..];
    let mut d = Decoder::new();
    let mut body = Vec::new();
    let mut want_body = false;
    for chunk in stream.chunks(step) {
        d.feed(chunk);
        loop {
            if want_body {
                match d.body(&mut body) {
                    Ok(BodyProgress::Done) => {
                        want_body = false;
                        body.clear();
                    }
                    Ok(BodyProgress::NeedMore) => break,
                    Err(_) => return,
                }
            } else {
                match d.status() {
                    Ok(Some(s)) => {
                        assert!(!s.text.contains('\n'));
                        // A +OK may start a multi-line body.
                        want_body = s.is_ok() && s.text.len() % 2 == 0;
                    }
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
        }
        assert!(body.len() <= stream.len());
    }
});
