//! The man pages postie ships (assets/man/) are the ones its clap definition
//! makes today: a page that no longer matches fails here. Regenerate with
//! `POSTIE_UPDATE_MAN=1 cargo test --test man`. Also: the completion script
//! that `postie completions bash` prints is valid bash and completes
//! `postie fe<TAB>` to `fetch`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::Path;

use clap::CommandFactory;

/// A roff line: leading dots and backslashes escaped.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// postie-keys(7), from the table the reader's keys and its help both use.
fn keys_page() -> Vec<u8> {
    use postie::app::keymap::Context;
    use postie::i18n::Language;
    let mut out = String::from(
        ".TH POSTIE-KEYS 7 \"\" \"postie\" \"Miscellaneous Information Manual\"\n.SH NAME\npostie\\-keys \\- the keys of postie's reader\n.SH DESCRIPTION\nThe reader's keys, from the table the keys themselves and the help screen (\\fB?\\fP) are read from. \"In the list\" and \"in the reader\" say what a key does in each view.\n.SH KEYS\n",
    );
    for b in postie::app::keymap::BINDINGS {
        out.push_str(&format!(".TP\n.B {}\n", roff(b.label)));
        let mut first = true;
        for (view, ctx) in [
            ("in the list", Context::List),
            ("in the reader", Context::Reader),
        ] {
            if let Some(key) = b.describe_key(ctx) {
                let words = postie::i18n::text_in(Language::En, &key);
                if !first {
                    out.push_str(".br\n");
                }
                out.push_str(&format!("{}: {}\n", view, roff(&words)));
                first = false;
            }
        }
    }
    out.push_str(concat!(
        ".SH ADDRESSING AND THE COMPOSE SCREEN\n",
        "\\fBr a f c\\fP first ask \\fBTo:\\fP on the prompt line, with the reply's recipients in place. ",
        "\\fBTab\\fP completes the address being typed from the address book (see \\fBpostie\\-contacts\\fP(1): ",
        "names, pinyin in full or initials, addresses, groups) and from \\fBquery_command\\fP; several candidates ",
        "open a list that \\fBTab\\fP, \\fBShift\\-Tab\\fP, \\fB\\(ua\\fP and \\fB\\(da\\fP go through, \\fBEnter\\fP keeps the one ",
        "chosen and \\fBEsc\\fP goes back to what was typed. Without a list, \\fB\\(da\\fP goes on to \\fBCc:\\fP and \\fBBcc:\\fP, ",
        "\\fB\\(ua\\fP back; \\fBEnter\\fP opens the editor with those headers filled; \\fBEsc\\fP writes nothing. ",
        "The folder prompt of \\fBM C b\\fP completes with the same list.\n",
        ".PP\nOn the compose screen: \\fBy\\fP send, \\fBe\\fP edit again, \\fBt c b\\fP change To, Cc, Bcc (the same prompt), ",
        "\\fBa\\fP attach a file, \\fBp\\fP postpone (the draft stays in Drafts), \\fBq\\fP abandon.\n",
    ));
    out.push_str(".SH SEE ALSO\n.BR postie (1),\n.BR postie\\-config (5)\n");
    out.into_bytes()
}

/// The generated pages (postie.1 and one per subcommand, postie-keys.7), by file name.
fn generated() -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(postie::cli::args::Args::command(), dir.path()).unwrap();
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .chain([("postie-keys.7".to_string(), keys_page())])
        .collect()
}

fn shipped(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name()?.to_string_lossy().into_owned();
            // postie-config.5 is written by hand; the others are generated.
            (name.ends_with(".1") || name.ends_with(".7"))
                .then(|| (name, std::fs::read(&p).unwrap()))
        })
        .collect()
}

#[test]
fn shipped_man_pages_match_the_clap_definition() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/man");
    let now = generated();
    assert!(
        now.contains_key("postie.1") && now.contains_key("postie-fetch.1"),
        "{:?}",
        now.keys()
    );
    if std::env::var_os("POSTIE_UPDATE_MAN").is_some() {
        for (name, _) in shipped(&dir) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        for (name, bytes) in &now {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let old = shipped(&dir);
    let stale: Vec<&String> = now
        .keys()
        .chain(old.keys())
        .filter(|n| now.get(*n) != old.get(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "man pages out of date with the clap definition: {stale:?}; run POSTIE_UPDATE_MAN=1 cargo test --test man"
    );
}

#[test]
fn the_man_page_names_every_command_and_option() {
    let pages = generated();
    let main = String::from_utf8(pages["postie.1"].clone()).unwrap();
    for sub in postie::cli::args::Args::command().get_subcommands() {
        let name = sub.get_name();
        assert!(main.contains(name), "postie.1 does not name {name}");
        if name == "help" {
            continue;
        }
        let page = String::from_utf8(pages[&format!("postie-{name}.1")].clone()).unwrap();
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                // roff escapes the dashes: \-\-long
                assert!(
                    page.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))),
                    "postie-{name}.1 does not describe --{long}"
                );
            }
        }
    }
}

/// What `postie completions SHELL` prints (the real binary).
fn completion_script(shell: &str) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(out.status.success(), "postie completions {shell} failed");
    out.stdout
}

#[test]
fn bash_completion_is_valid_and_completes_subcommands() {
    let script = completion_script("bash");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postie.bash");
    std::fs::write(&file, &script).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .unwrap();
    assert!(syntax.success(), "bash -n refused the script");
    // What bash offers for `postie fe<TAB>`: run the completion function the
    // script registers, as bash would.
    let probe = format!(
        "source '{}'; COMP_WORDS=(postie fe); COMP_CWORD=1; COMP_LINE='postie fe'; COMP_POINT=9; _postie postie fe postie; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&probe)
        .output()
        .unwrap();
    let offered = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        offered.trim(),
        "fetch",
        "{offered} / {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for shell in ["zsh", "fish"] {
        let s = completion_script(shell);
        assert!(String::from_utf8(s).unwrap().contains("fetch"), "{shell}");
    }
}

/// Every key the config accepts is described in postie-config(5): a key
/// added to the schema without a word there fails here.
#[test]
fn the_config_page_names_every_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = std::fs::read_to_string(root.join("src/config/mod.rs")).unwrap()
        + &std::fs::read_to_string(root.join("src/config/oauth.rs")).unwrap();
    let page = std::fs::read_to_string(root.join("assets/man/postie-config.5")).unwrap();
    let mut keys = Vec::new();
    for block in [
        "pub struct AccountConfig {",
        "pub struct SmtpConfig {",
        "pub struct OAuthConfig {",
    ] {
        let start = schema.find(block).unwrap();
        let end = start + schema[start..].find("\n}").unwrap();
        for line in schema[start..end].lines() {
            if let Some(rest) = line.trim().strip_prefix("pub ") {
                if let Some((name, _)) = rest.split_once(':') {
                    keys.push(name.trim().to_string());
                }
            }
        }
    }
    assert!(keys.len() > 30, "{keys:?}");
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| {
            !["smtp", "oauth"].contains(&k.as_str())
                && !page.contains(&format!(".B {k}"))
                && !page.contains(&format!(" {k} "))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "postie-config.5 does not describe {missing:?}"
    );
}

#[test]
fn shipped_completions_match_the_clap_definition() {
    // assets/completions/ (what the .deb installs) is what `postie
    // completions SHELL` prints today.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/completions");
    let update = std::env::var_os("POSTIE_UPDATE_MAN").is_some();
    let mut stale = Vec::new();
    for (shell, file) in [
        (clap_complete::Shell::Bash, "postie.bash"),
        (clap_complete::Shell::Zsh, "_postie"),
        (clap_complete::Shell::Fish, "postie.fish"),
    ] {
        let mut made = Vec::new();
        clap_complete::generate(
            shell,
            &mut postie::cli::args::Args::command(),
            "postie",
            &mut made,
        );
        let path = dir.join(file);
        if update {
            std::fs::write(&path, &made).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(made.as_slice()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale in assets/completions: {stale:?}; run POSTIE_UPDATE_MAN=1 cargo test --test man"
    );
}

/// Every option of every command says what it does in `--help` (and so in
/// its man page): none is a bare flag name.
#[test]
fn every_option_is_described() {
    let cmd = postie::cli::args::command();
    let mut bare = Vec::new();
    for sub in std::iter::once(&cmd).chain(cmd.get_subcommands()) {
        for arg in sub.get_arguments() {
            if arg.is_hide_set() || arg.get_id() == "help" || arg.get_id() == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                bare.push(format!("{} --{}", sub.get_name(), arg.get_id()));
            }
        }
    }
    assert!(bare.is_empty(), "options without a description: {bare:?}");
}
