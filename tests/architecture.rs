//! The house's shape, checked: every `crate::` path in `src/` points down
//! the layer list that `src/lib.rs` declares (so no import cycle can come
//! back), and the pure modules name neither tokio nor the terminal crates.
//! Test code (`tests.rs`, `*_tests.rs`, `#[cfg(test)]` items) may reach any
//! layer to build its fixtures, and is left out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers in `src/lib.rs`'s overview: `//! N. `a`, `b` — …`, bottom first.
fn declared_layers(lib: &str) -> BTreeMap<String, usize> {
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.strip_prefix("//! ") else {
            continue;
        };
        let Some((number, names)) = rest.split_once(". ") else {
            continue;
        };
        let Ok(level) = number.trim().parse::<usize>() else {
            continue;
        };
        let names = names.split(" — ").next().unwrap_or("");
        for name in names.split(',') {
            let name = name.trim().trim_matches('`');
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            {
                layers.insert(name.to_string(), level);
            }
        }
    }
    layers
}

/// The modules `src/lib.rs` declares (`pub mod x;` / `mod x;`).
fn declared_modules(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file with comments blanked and `#[cfg(test)]` items
/// blanked, line numbers kept. Test files come back empty.
fn code_of(path: &Path, text: &str) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return String::new();
    }
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    let mut depth: i64 = 0;
    let mut opened = false;
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        if !skipping && line.starts_with("#[cfg(test)]") {
            skipping = true;
            depth = 0;
            opened = false;
        }
        if skipping {
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            opened |= code.contains('{');
            let done = (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';'));
            if done {
                skipping = false;
            }
            out.push('\n');
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every top-level module a `crate::` path in `code` names, with its line.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let ident = |from: usize| -> String {
        code[from..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut start = 0;
    while let Some(i) = code[start..].find("crate::") {
        let at = start + i;
        start = at + "crate::".len();
        // `postie::crate::` cannot occur; a longer word ending in `crate` (e.g. `subcrate::`) is not ours.
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let mut j = start;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'{' {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each element.
            let mut depth = 0;
            let mut k = j;
            let mut element_start = true;
            while k < bytes.len() {
                match bytes[k] {
                    b'{' => {
                        depth += 1;
                        if depth == 1 {
                            element_start = true;
                        }
                    }
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => element_start = true,
                    c if depth == 1 && element_start && (c.is_ascii_alphabetic() || c == b'_') => {
                        let name = ident(k);
                        k += name.len();
                        found.push((line_of(k), name));
                        element_start = false;
                        continue;
                    }
                    _ => {}
                }
                k += 1;
            }
        } else {
            let name = ident(j);
            if !name.is_empty() {
                found.push((line_of(j), name));
            }
        }
    }
    found
}

fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.strip_suffix(".rs").unwrap_or(first).to_string())
}

fn src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every import against the order, as `file:line: rule` lines.
fn violations(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let layers = declared_layers(&lib);
    let mut problems = Vec::new();
    for m in declared_modules(&lib) {
        if !layers.contains_key(&m) {
            problems.push(format!(
                "src/lib.rs: module `{m}` is in no layer of the overview's list"
            ));
        }
    }
    let mut files = Vec::new();
    rust_files(src, &mut files);
    for file in files {
        let Some(module) = module_of(src, &file) else {
            continue;
        };
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(&own) = layers.get(&module) else {
            problems.push(format!(
                "{}: module `{module}` is in no layer",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (line, used) in crate_paths(&code_of(&file, &text)) {
            if used == module {
                continue;
            }
            // What rust-i18n's `i18n!` generates at the crate root: the
            // catalog itself, reached through the leaf `i18n` only.
            if used.starts_with("_rust_i18n") && module == "i18n" {
                continue;
            }
            let rel = file
                .strip_prefix(src.parent().unwrap_or(src))
                .unwrap_or(&file);
            match layers.get(&used) {
                None => problems.push(format!(
                    "{}:{line}: `crate::{used}` is no module in the layer list",
                    rel.display()
                )),
                Some(&theirs) if theirs >= own => problems.push(format!(
                    "{}:{line}: `{module}` (layer {own}) imports `{used}` (layer {theirs}); imports must point to a lower layer",
                    rel.display()
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

#[test]
fn imports_point_down_the_declared_layers() {
    let problems = violations(&src_dir());
    assert!(
        problems.is_empty(),
        "{} import(s) against the layers of src/lib.rs:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn pure_modules_name_neither_tokio_nor_the_terminal() {
    let src = src_dir();
    let mut files = Vec::new();
    for dir in ["app", "mime", "sync"] {
        rust_files(&src.join(dir), &mut files);
    }
    for f in ["pop3/codec.rs", "pop3/session.rs"] {
        files.push(src.join(f));
    }
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (n, line) in code_of(&file, &text).lines().enumerate() {
            for word in ["tokio", "ratatui", "crossterm"] {
                if line.contains(word) {
                    problems.push(format!("{}:{}: names {word}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "pure modules that are not:\n{}",
        problems.join("\n")
    );
}

/// The checker itself: it must see every form of import and the test items
/// it leaves out, or the test above could pass on a tree with cycles.
#[test]
fn the_checker_sees_every_form_of_import() {
    let code = "use crate::a::B;\nuse crate::{\n    b::C,\n    c::{D, E},\n    d,\n};\nfn f() { crate::e::g(); }\n// crate::ignored::x\n#[cfg(test)]\nmod tests {\n    use crate::f::X;\n}\nfn h() { crate::g::y() }\n";
    let names: Vec<(usize, String)> = crate_paths(&code_of(Path::new("x.rs"), code));
    let want: Vec<(usize, String)> = [(1, "a"), (3, "b"), (4, "c"), (5, "d"), (7, "e"), (13, "g")]
        .iter()
        .map(|(l, n)| (*l, n.to_string()))
        .collect();
    assert_eq!(names, want);
    let lib = "//! 1. `text`, `paths` — leaves\n//!    more words `not_a_layer`\n//! 2. `mime` — decoding\npub mod mime;\npub mod text;\n";
    let layers = declared_layers(lib);
    assert_eq!(layers.get("text"), Some(&1));
    assert_eq!(layers.get("mime"), Some(&2));
    assert_eq!(layers.get("not_a_layer"), None);
    assert_eq!(declared_modules(lib), vec!["mime", "text"]);
}

/// A tree with an upward import and a module left out of the list fails,
/// naming the file, the line and the rule.
#[test]
fn an_upward_import_is_reported_with_file_line_and_rule() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("low")).expect("dirs");
    std::fs::write(
        src.join("lib.rs"),
        "//! 1. `low` — below\n//! 2. `high` — above\npub mod high;\npub mod low;\npub mod stray;\n",
    )
    .expect("lib.rs");
    std::fs::write(src.join("high.rs"), "use crate::low::X;\n").expect("high.rs");
    std::fs::write(
        src.join("low/mod.rs"),
        "pub struct X;\n\nfn f() {\n    crate::high::g();\n}\n",
    )
    .expect("low");
    std::fs::write(src.join("stray.rs"), "").expect("stray");
    let problems = violations(&src);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("`stray` is in no layer of the overview")));
    assert!(problems
        .iter()
        .any(|p| p.ends_with("src/low/mod.rs:4: `low` (layer 1) imports `high` (layer 2); imports must point to a lower layer")));
}

/// The receivers whose text no decision may read: an error's own words.
const ERROR_NAMES: [&str; 10] = [
    "e", "err", "error", "why", "reason", "message", "msg", "detail", "summary", "text",
];

/// `x.contains("…")`-style tests on an error's text in `code`, as lines.
fn text_decisions(code: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for method in [".contains(", ".starts_with(", ".ends_with("] {
            let mut from = 0;
            while let Some(i) = line[from..].find(method) {
                let at = from + i;
                from = at + method.len();
                let arg = line[from..].trim_start();
                if !(arg.starts_with('"') || arg.starts_with('\'')) {
                    continue;
                }
                let receiver = line[..at].trim_end();
                let last: String = receiver
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .chars()
                    .rev()
                    .collect();
                if receiver.ends_with("to_string()") || ERROR_NAMES.contains(&last.as_str()) {
                    found.push(n + 1);
                }
            }
        }
    }
    found
}

/// Decisions read an error's class, never its text (STYLE.md): no
/// `e.to_string().contains("…")`, `error.starts_with("…")` and the like
/// outside tests.
#[test]
fn no_decision_reads_an_error_text() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        for line in text_decisions(&code_of(&file, &text)) {
            problems.push(format!("{}:{line}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "decisions that read an error's text (use its class or variant):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_text_check_finds_what_it_should() {
    let code = "if error.starts_with(\"the stored copy\") {}\nlet t = e.to_string().contains(\"x\");\nif f.text.contains(\"not trusted\") {}\nif name.starts_with(\"x\") {}\nif error.contains(&other) {}\n";
    assert_eq!(text_decisions(code), vec![1, 2, 3]);
}

/// No file in `src/` over 800 lines, tests beside a module
/// (`tests.rs`, `*_tests.rs`) included (STYLE.md: split by responsibility).
#[test]
fn no_source_file_is_over_800_lines() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f)
                .expect("a source file")
                .lines()
                .count();
            (n > 800).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over 800 lines:\n{}",
        long.join("\n")
    );
}
