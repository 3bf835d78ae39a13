//! Attachment names made safe for the file system: never a path, never
//! hidden, never a control or bidi character, never empty, at most 255 bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name = String::from_utf8_lossy(data);
    let safe = postie::store::names::safe_name(&name, "attachment-1");
    assert!(!safe.is_empty());
    assert!(safe.len() <= 255, "{}", safe.len());
    assert!(!safe.contains('/') && !safe.contains('\\') && !safe.contains('\0'));
    assert!(!safe.starts_with('.') && !safe.starts_with('-'), "{safe:?}");
    assert!(safe != ".." && safe != ".");
    assert!(
        !safe
            .chars()
            .any(|c| c.is_control() || postie::text::sanitize::is_bidi_control(c)),
        "{safe:?}"
    );
});
