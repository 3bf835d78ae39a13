//! The config loader: no panic, and no error message quotes a secret. The
//! input is planted after a `password = "` that never closes, or as a value.
#![no_main]
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "Zq9SECRETvalue";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains(SECRET) {
        return;
    }
    for planted in [
        format!("{text}\npassword = \"{SECRET}"),
        format!("[accounts.a]\nhost='h'\nuser='u'\npassword = \"{SECRET}\"\n{text}"),
        format!("{text}\n[accounts.a]\npassword = {SECRET}\n"),
    ] {
        if let Err(e) = postie::config::Config::parse(&planted, std::path::Path::new("c.toml")) {
            let shown = e.to_string();
            assert!(!shown.contains(SECRET), "{shown}");
        }
    }
});
