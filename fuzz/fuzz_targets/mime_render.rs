//! The list summary and the full render of arbitrary bytes: no panic, and
//! nothing that reaches the terminal carries a control character.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postie::text::sanitize::is_clean;
use postie::mime::{DecodeOptions, Rendered, Summary};

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::default();
    let s = Summary::from_headers(data, &opts);
    for t in [s.subject(), s.from(), s.from_address(), s.date_raw()] {
        assert!(is_clean(t), "{t:?}");
    }
    let r = Rendered::from_message(data, &opts);
    for t in [&r.from, &r.to, &r.cc, &r.date, &r.subject] {
        assert!(is_clean(t), "{t:?}");
    }
    assert!(is_clean(&r.body.replace('\n', " ")), "{:?}", r.body);
    for a in &r.attachments {
        assert!(is_clean(&a.name), "{:?}", a.name);
    }
});
