//! The Chinese interface: the catalog is complete (every message in English
//! and Chinese, with the same `%{fields}`; every key the code asks for is
//! there; no entry is left unused), and the real binary in tmux at 80×24
//! speaks Chinese under `LANG=zh_CN.UTF-8` — the list, the reader, the help
//! scrolled to its end, the setup wizard — with the columns aligned and no
//! row cut, and English with `language = "en"` in the config.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::tmux::Tmux;
use postie::i18n::{catalog, placeholders, Language};
use unicode_width::UnicodeWidthChar;

fn messages(lang: Language) -> BTreeMap<String, String> {
    catalog(lang).into_iter().collect()
}

#[test]
fn every_message_is_in_both_languages_with_the_same_fields() {
    let en = messages(Language::En);
    let zh = messages(Language::ZhCn);
    assert!(
        en.len() > 250,
        "the catalog has {} English messages",
        en.len()
    );
    let mut problems = Vec::new();
    for (key, text) in &en {
        match zh.get(key) {
            None => problems.push(format!("{key}: no Chinese")),
            Some(z) if z.trim().is_empty() => problems.push(format!("{key}: empty Chinese")),
            Some(z) if placeholders(z) != placeholders(text) => problems.push(format!(
                "{key}: fields differ: en {:?}, zh-CN {:?}",
                placeholders(text),
                placeholders(z)
            )),
            Some(_) => {}
        }
        if text.trim().is_empty() {
            problems.push(format!("{key}: empty English"));
        }
    }
    // Chinese without English only for the command line's help, whose
    // English is the clap definition itself.
    let help: std::collections::BTreeSet<String> =
        postie::cli::args::help_keys().into_iter().collect();
    for key in zh.keys() {
        if !en.contains_key(key) && !help.contains(key) {
            problems.push(format!("{key}: Chinese without English"));
        }
    }
    for key in postie::cli::args::help_keys() {
        if !zh.contains_key(&key) {
            problems.push(format!("{key}: an option or command without Chinese help"));
        }
    }
    // Every key of the keys' table, in the list and in the reader.
    for b in postie::app::keymap::BINDINGS {
        for ctx in [
            postie::app::keymap::Context::List,
            postie::app::keymap::Context::Reader,
        ] {
            if let Some(key) = b.describe_key(ctx) {
                if !en.contains_key(&key) {
                    problems.push(format!("{key}: a key with no words for help"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            // Comments are not calls (the catalog's own doc shows `t!("key")`).
            let code: String = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            out.push((p.display().to_string(), code));
        }
    }
}

/// The string literals that follow `call` (`t!(`, `count(`, `text(`).
fn literal_args(src: &str, call: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find(call) {
        // `format!(` is not `t!(`: the call starts a word.
        let word_start = !rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + call.len()..];
        if !word_start {
            continue;
        }
        let arg = rest.trim_start();
        if let Some(lit) = arg.strip_prefix('"') {
            if let Some(end) = lit.find('"') {
                out.push(lit[..end].to_string());
            }
        }
    }
    out
}

#[test]
fn every_key_the_code_asks_for_exists_and_every_entry_is_used() {
    let en = messages(Language::En);
    let zh = messages(Language::ZhCn);
    let mut files = Vec::new();
    sources(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    let mut missing = Vec::new();
    for (path, src) in &files {
        for key in literal_args(src, "t!(") {
            if !en.contains_key(&key) && !zh.contains_key(&key) {
                missing.push(format!("{path}: t!(\"{key}\")"));
            }
        }
        for key in literal_args(src, "count(") {
            for form in ["one", "other"] {
                if !en.contains_key(&format!("{key}.{form}")) {
                    missing.push(format!("{path}: count(\"{key}\") has no {key}.{form}"));
                }
            }
        }
        for key in literal_args(src, "i18n::text(")
            .into_iter()
            .chain(literal_args(src, "i18n::fill("))
            .chain(literal_args(src, "text_in(lang, "))
        {
            if !en.contains_key(&key) && !zh.contains_key(&key) {
                missing.push(format!("{path}: text(\"{key}\")"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys not in the catalog:\n{}",
        missing.join("\n")
    );
    // Unused: a key (or, for counts, its stem) that no source file quotes,
    // outside the tables made from the code (the keys' table, the clap
    // definition's options and commands).
    let all: String = files.iter().map(|(_, s)| s.as_str()).collect();
    let help: std::collections::BTreeSet<String> =
        postie::cli::args::help_keys().into_iter().collect();
    let unused: Vec<&String> = en
        .keys()
        .chain(zh.keys())
        .filter(|k| !k.starts_with("keys.") && !help.contains(*k))
        .filter(|k| {
            let stem = k
                .strip_suffix(".one")
                .or_else(|| k.strip_suffix(".other"))
                .unwrap_or(k);
            !all.contains(&format!("\"{k}\"")) && !all.contains(&format!("\"{stem}\""))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "catalog entries nothing uses: {unused:?}"
    );
}

/// The display column where each character of `line` starts.
fn columns(line: &str) -> Vec<(usize, char)> {
    let mut col = 0;
    line.chars()
        .map(|c| {
            let at = col;
            col += c.width().unwrap_or(0);
            (at, c)
        })
        .collect()
}

/// The display column at which `word` starts in `line`.
fn column_of(line: &str, word: &str) -> Option<usize> {
    let byte = line.find(word)?;
    Some(line[..byte].chars().map(|c| c.width().unwrap_or(0)).sum())
}

/// True when a character starts exactly at `col` with two spaces before it
/// (the gap between columns), i.e. the column is not shifted in this row.
fn starts_column(line: &str, col: usize) -> bool {
    let cells = columns(line);
    let at = cells.iter().position(|(c, _)| *c == col);
    match at {
        Some(i) if i >= 2 => cells[i - 1].1 == ' ' && cells[i - 2].1 == ' ',
        _ => false,
    }
}

fn width(line: &str) -> usize {
    line.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// postie in tmux at 80×24 with `lang` as LANG, HOME empty but for `config`.
fn reader(home: &Path, lang: &str, config: Option<&str>, args: &str) -> Tmux {
    // The config where postie looks by default ($XDG_CONFIG_HOME/postie).
    let dir = home.join("xdg/postie");
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(c) = config {
        std::fs::write(dir.join("config.toml"), c).unwrap();
    }
    let line = format!(
        "env -u LC_ALL -u LC_MESSAGES -u LANGUAGE -u POSTIE_CONFIG LANG={lang} HOME='{h}' XDG_STATE_HOME='{h}/state' XDG_DATA_HOME='{h}/data' XDG_CONFIG_HOME='{h}/xdg' TERM=xterm-256color '{bin}' {args}",
        h = home.display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    Tmux::start(&line, 80, 24)
}

/// An account that is never used (`--demo` reads the demo mailbox) in a
/// config that sets the language.
fn config_with_language(lang: &str) -> String {
    format!(
        "language = \"{lang}\"\n[accounts.unused]\nhost = \"127.0.0.1\"\nport = 9\ntls = \"none\"\nuser = \"nobody\"\npassword = \"x\"\n"
    )
}

fn no_row_overflows(screen: &str) {
    for l in screen.lines() {
        assert!(
            width(l) <= 80,
            "a row wider than the terminal: {l:?}\n{screen}"
        );
    }
}

/// The list's rows line up under the title's columns.
fn columns_align(screen: &str, from: &str, subject: &str) {
    let title = screen
        .lines()
        .find(|l| l.contains(from) && l.contains(subject))
        .unwrap_or_else(|| panic!("no column titles {from:?} {subject:?}:\n{screen}"));
    let from_col = column_of(title, from).unwrap();
    let subject_col = column_of(title, subject).unwrap();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| {
            // A message row ends with its size: 241B, 3.6K, 2M.
            let t = l.trim_end();
            t.ends_with(['B', 'K', 'M', 'G'])
                && t[..t.len() - 1].ends_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    assert!(rows.len() >= 3, "no message rows:\n{screen}");
    for r in rows {
        assert!(
            starts_column(r, from_col) && starts_column(r, subject_col),
            "row not aligned under {from:?} (col {from_col}) and {subject:?} (col {subject_col}):\n{r:?}\n{screen}"
        );
    }
}

/// Help scrolled to its end, every row whole (no row wider than the
/// terminal, no description cut with "…", `last_key` there), then the
/// reader left with x.
fn help_whole_then_exit(t: &Tmux, title: &str, last: &str, last_key: &str) {
    t.keys(&["?"]);
    t.wait_for(title, 10);
    for _ in 0..80 {
        t.keys(&["j"]);
    }
    let screen = t.wait_for(last, 10);
    no_row_overflows(&screen);
    assert!(screen.contains(last_key), "{screen}");
    assert!(
        !screen.contains('…'),
        "a cut description in help:\n{screen}"
    );
    t.keys(&["Escape"]);
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
}

#[test]
fn the_reader_speaks_chinese_under_a_chinese_locale() {
    let home = tempfile::tempdir().unwrap();
    let t = reader(home.path(), "zh_CN.UTF-8", None, "");
    let screen = t.wait_for("封邮件", 15);
    for word in [
        "收件箱",
        "日期",
        "发件人",
        "主题",
        "大小",
        "? 帮助",
        "按 A 添加你的邮箱账号",
    ] {
        assert!(screen.contains(word), "{word:?} missing:\n{screen}");
    }
    no_row_overflows(&screen);
    columns_align(&screen, "发件人", "主题");

    // The reader: Chinese labels and a Chinese date (the second message:
    // the first has a Date no one can read).
    t.keys(&["j", "Enter"]);
    let screen = t.wait_for("发件人：", 10);
    assert!(screen.contains("主题："), "{screen}");
    assert!(screen.contains("日期："), "{screen}");
    assert!(
        screen.contains("年") && screen.contains("月") && screen.contains("周"),
        "{screen}"
    );
    no_row_overflows(&screen);
    t.keys(&["q"]);
    t.wait_for("日期", 10);

    // Help, scrolled to its end: every row whole, nothing cut.
    help_whole_then_exit(
        &t,
        "帮助",
        "j/k 滚动本帮助；按其他任意键关闭。",
        "直接退出，不删除任何邮件",
    );
}

#[test]
fn language_en_in_the_config_wins_over_a_chinese_locale() {
    let home = tempfile::tempdir().unwrap();
    let t = reader(
        home.path(),
        "zh_CN.UTF-8",
        Some(&config_with_language("en")),
        "--demo",
    );
    let screen = t.wait_for("messages", 15);
    for word in ["INBOX", "DATE", "FROM", "SUBJECT", "? help"] {
        assert!(screen.contains(word), "{word:?} missing:\n{screen}");
    }
    assert!(
        !screen.contains("收件箱") && !screen.contains("帮助"),
        "{screen}"
    );
    columns_align(&screen, "FROM", "SUBJECT");
    t.keys(&["Enter"]);
    let screen = t.wait_for("From:", 10);
    assert!(screen.contains("Subject:"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("DATE", 10);
    help_whole_then_exit(
        &t,
        "Help",
        "j/k scroll this help; any other key closes it.",
        "exit without deleting anything",
    );
}

#[test]
fn language_zh_cn_in_the_config_wins_over_an_english_locale() {
    let home = tempfile::tempdir().unwrap();
    let t = reader(
        home.path(),
        "en_US.UTF-8",
        Some(&config_with_language("zh-CN")),
        "--demo",
    );
    let screen = t.wait_for("封邮件", 15);
    assert!(screen.contains("收件箱"), "{screen}");
    t.keys(&["x"]);
    t.wait_for("EXITED:0", 10);
}

#[test]
fn the_setup_wizard_asks_in_chinese_and_in_english() {
    let home = tempfile::tempdir().unwrap();
    let t = reader(home.path(), "zh_CN.UTF-8", None, "setup");
    t.wait_for("邮箱地址：", 10);
    t.keys(&["-l", "someone@163.com"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("使用这些服务器？", 10);
    assert!(
        screen.contains("POP3（收信）") && screen.contains("SMTP（发信）"),
        "{screen}"
    );
    assert!(screen.contains("pop.163.com:995"), "{screen}");
    no_row_overflows(&screen);
    t.keys(&["C-d"]);
    t.wait_for("EXITED:", 10);

    let home = tempfile::tempdir().unwrap();
    let t = reader(
        home.path(),
        "zh_CN.UTF-8",
        Some(&config_with_language("en")),
        "setup",
    );
    t.wait_for("E-mail address:", 10);
    t.keys(&["-l", "someone@163.com"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Use these servers?", 10);
    assert!(screen.contains("POP3 (receiving)"), "{screen}");
    assert!(
        screen.contains("163 Mail wants an authorization code"),
        "{screen}"
    );
    t.keys(&["C-d"]);
    t.wait_for("EXITED:", 10);
}

#[test]
fn help_and_errors_on_the_command_line_follow_the_locale() {
    let run = |lang: &str, args: &[&str]| {
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
            .args(args)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANGUAGE")
            .env("LANG", lang)
            .env("HOME", home.path())
            .env("POSTIE_CONFIG", home.path().join("none.toml"))
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (zh, _) = run("zh_CN.UTF-8", &["--help"]);
    assert!(
        zh.contains("用法：") && zh.contains("选项") && zh.contains("显示帮助"),
        "{zh}"
    );
    assert!(zh.contains("把新邮件下载到本地"), "{zh}");
    let (en, _) = run("C.UTF-8", &["--help"]);
    assert!(
        en.contains("Usage:") && en.contains("Download new messages"),
        "{en}"
    );
    // The config's errors too.
    let (_, err) = run("zh_CN.UTF-8", &["list", "--account", "nope"]);
    assert!(
        err.starts_with("postie: ") && err.contains("没有配置文件"),
        "{err}"
    );
    let (_, err) = run("C.UTF-8", &["list", "--account", "nope"]);
    assert!(err.contains("no config file"), "{err}");
}
