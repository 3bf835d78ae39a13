//! The draft the editor gives back: no panic; parse ∘ render is stable
//! (up to carriage returns: the format is lines of text, a CR at a line's
//! end is not kept).
#![no_main]
use libfuzzer_sys::fuzz_target;
use postie::send::draft::Draft;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let d = Draft::parse(text);
    let again = Draft::parse(&d.render());
    assert_eq!(
        again.render().replace('\r', ""),
        d.render().replace('\r', "")
    );
});
