//! Two jobs, both for cargo's sake:
//!
//! - The message catalog is compiled in by rust-i18n's macro, which cargo
//!   does not know reads `assets/locales/`: this tells cargo to rebuild when
//!   it changes.
//! - Release builds on Linux put the functions a fetch runs next to each
//!   other, then those the reader's list runs (`assets/build/fetch-hot.txt`
//!   and `reader-hot.txt` → a linker script that inserts one output section
//!   before `.text`; GNU ld and LLD both take `INSERT`). Set
//!   `POSTIE_NO_HOT_TEXT=1` to link without it (a linker without linker
//!   scripts, such as mold).
use std::fmt::Write as _;
use std::path::PathBuf;

/// In this order: a fetch's functions first, so it maps none of the reader's.
const HOT: [&str; 2] = ["assets/build/fetch-hot.txt", "assets/build/reader-hot.txt"];

fn main() {
    println!("cargo:rerun-if-changed=assets/locales");
    for hot in HOT {
        println!("cargo:rerun-if-changed={hot}");
    }
    println!("cargo:rerun-if-env-changed=POSTIE_NO_HOT_TEXT");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let wanted = std::env::var("POSTIE_NO_HOT_TEXT").map_or(true, |v| v.is_empty() || v == "0");
    if !(release && linux && wanted) {
        return;
    }
    let mut list = String::new();
    for hot in HOT {
        match std::fs::read_to_string(hot) {
            Ok(text) => list.push_str(&text),
            Err(_) => println!("cargo:warning={hot} is missing: linking without it"),
        }
    }
    if list.is_empty() {
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let script = linker_script(&list);
    let path = out.join("fetch-hot.ld");
    if std::fs::write(&path, script).is_err() {
        println!(
            "cargo:warning=cannot write {}: linking without it",
            path.display()
        );
        return;
    }
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", path.display());
}

/// One output section, `.text.postie_hot`, before `.text`, holding every
/// function whose section matches a pattern of the list (as it is, as an LTO
/// clone `NAME.N`, or marked cold by the compiler, `.text.unlikely.NAME`).
fn linker_script(list: &str) -> String {
    let mut s = String::from("SECTIONS {\n  .text.postie_hot : {\n");
    let mut seen = std::collections::HashSet::new();
    for p in list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        // A function in both lists stays where the first put it.
        .filter(|l| seen.insert(*l))
        // A pattern is a symbol's characters and `*`; anything else would
        // be read as linker script syntax.
        .filter(|l| {
            l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_$.*".contains(&b))
        })
    {
        let _ = writeln!(
            s,
            "    *(.text.{p} .text.{p}.* .text.unlikely.{p} .text.unlikely.{p}.*)"
        );
    }
    s.push_str("  }\n}\nINSERT BEFORE .text;\n");
    s
}
