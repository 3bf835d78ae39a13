//! Limit patterns and threading over arbitrary headers: no panic, no hang,
//! every message exactly once in the threads.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postie::app::thread::{thread, Input};
use postie::mime::{DecodeOptions, Summary};
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let _ = postie::app::limit::Pattern::parse(&text, zone);
    // Messages: header blocks separated by a NUL byte.
    let inputs: Vec<Input> = data
        .split(|b| *b == 0)
        .take(64)
        .enumerate()
        .map(|(i, h)| Input {
            uidl: format!("u{i}").into(),
            summary: Some(Arc::new(Summary::from_headers(
                h,
                &DecodeOptions::default(),
            ))),
            arrival: i as u32,
        })
        .collect();
    let layout = thread(&inputs);
    let mut seen: Vec<String> = layout.rows.iter().map(|r| r.uidl.to_string()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), inputs.len());
    assert_eq!(layout.rows.len(), inputs.len());
});
