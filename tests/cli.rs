//! The command line's own errors: bad configs, unknown accounts, unsafe files.
//! Each is one specific line on stderr and a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::process::Command;

fn postie_with(config: Option<(&str, u32)>, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postie"));
    cmd.env("HOME", dir.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("POSTIE_PASSWORD");
    match config {
        Some((text, mode)) => {
            std::fs::write(&path, text).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            cmd.env("POSTIE_CONFIG", &path);
        }
        None => {
            cmd.env_remove("POSTIE_CONFIG");
        }
    }
    let out = cmd
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_typo_in_the_config_names_the_key() {
    let (status, _, err) = postie_with(
        Some((
            "[accounts.a]\nhost = 'h'\nuser = 'u'\npasword = 'x'\n",
            0o600,
        )),
        &["list"],
    );
    assert_ne!(status, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("postie: config ") && err.contains("unknown field `pasword`"),
        "{err}"
    );
}

#[test]
fn an_unknown_account_lists_the_known_ones() {
    let cfg = "[accounts.work]\nhost = 'h'\nuser = 'u'\n[accounts.home]\nhost = 'h'\nuser = 'u'\n";
    let (status, _, err) = postie_with(Some((cfg, 0o600)), &["list", "--account", "play"]);
    assert_ne!(status, 0);
    assert!(
        err.starts_with("postie: no account named \"play\" in ")
            && err.ends_with("(accounts: work, home)\n"),
        "{err}"
    );
}

#[test]
fn a_named_config_that_is_missing_is_an_error_not_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let (status, out, err) = postie_with(None, &["list", "--config", missing.to_str().unwrap()]);
    assert_ne!(status, 0);
    assert!(out.is_empty());
    assert!(
        err.starts_with("postie: no config file at ") && err.contains("nope.toml"),
        "{err}"
    );
    let (status, _, err) = postie_with(None, &["list", "--account", "work"]);
    assert_ne!(status, 0);
    assert!(err.contains("no account \"work\""), "{err}");
}

#[test]
fn a_world_readable_password_is_warned_about_and_never_printed() {
    let port = common::refused_port();
    let cfg = format!("[accounts.a]\nhost = '127.0.0.1'\nport = {port}\ntls = 'none'\nuser = 'u'\npassword = 'Sekrit-In-File'\n");
    // `show 1` needs the server (a number names a message of a session).
    let (status, out, err) = postie_with(Some((&cfg, 0o644)), &["show", "1"]);
    assert_ne!(status, 0);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("postie: warning: ") && lines[0].contains("chmod 600"),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("postie: cannot connect to 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.contains("Sekrit") && !out.contains("Sekrit"));
    let (_, _, err) = postie_with(Some((&cfg, 0o600)), &["show", "1"]);
    assert_eq!(
        err.lines().count(),
        1,
        "no warning for a private file: {err}"
    );
    // Nothing stored here: an empty list would look like an empty mailbox,
    // so `list` fails with the reason (75: try again later).
    let (status, out, err) = postie_with(Some((&cfg, 0o600)), &["list", "--json"]);
    assert_eq!(status, 75, "{err}");
    assert_eq!(out, "");
    assert!(
        err.starts_with(&format!("postie: cannot connect to 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_failing_password_command_says_why() {
    let cfg = "[accounts.a]\nhost = '127.0.0.1'\ntls = 'none'\nuser = 'u'\npassword_command = 'echo vault is locked >&2; exit 4'\n";
    let (status, _, err) = postie_with(Some((cfg, 0o600)), &["list"]);
    assert_ne!(status, 0);
    assert!(
        err.starts_with("postie: account a: password_command failed: ")
            && err.contains("vault is locked"),
        "{err}"
    );
}

#[test]
fn help_and_version_work() {
    for args in [
        &["--help"][..],
        &["list", "--help"],
        &["show", "--help"],
        &["save", "--help"],
        &["--version"],
    ] {
        let (status, out, _) = postie_with(None, args);
        assert_eq!(status, 0, "{args:?}");
        assert!(out.contains("postie") || out.contains("Usage"), "{out}");
    }
    let (status, _, err) = postie_with(None, &["show"]);
    assert_ne!(status, 0);
    assert!(err.contains("NUMBER") || err.contains("--uidl"), "{err}");
}

/// A message with a short text part and an HTML alternative (Chinese bills,
/// newsletters): `show` prints the text part, `show --html` the HTML part as
/// text with its links numbered; a message without HTML says so (exit 1).
#[test]
fn show_html_prints_the_html_alternative_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("bill.eml");
    std::fs::write(
        &eml,
        "From: =?utf-8?B?5oub5ZWG6ZO26KGM?= <bill@bank.example.cn>\r\nTo: li@example.cn\r\nSubject: =?utf-8?B?5L+h55So5Y2h6LSm5Y2V?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请用 HTML 查看\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>本期应还 1,234.00 元</p><a href=\"https://bank.example.cn/pay\">立即还款</a><img src=\"https://track.example.cn/p.gif\"></body></html>\r\n--b--\r\n",
    )
    .unwrap();
    let file = eml.display().to_string();
    let (status, out, err) = postie_with(None, &["show", "--file", &file]);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.contains("请用 HTML 查看") && !out.contains("本期应还"),
        "{out}"
    );
    let (status, out, err) = postie_with(None, &["show", "--file", &file, "--html"]);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("本期应还 1,234.00 元"), "{out}");
    assert!(out.contains("https://bank.example.cn/pay"), "{out}");
    assert!(!out.contains("请用 HTML 查看"), "{out}");
    let plain = dir.path().join("plain.eml");
    std::fs::write(&plain, "From: a@b.c\r\nSubject: hi\r\n\r\njust text\r\n").unwrap();
    let (status, _, err) = postie_with(
        None,
        &["show", "--file", &plain.display().to_string(), "--html"],
    );
    assert_eq!(status, 1);
    assert!(err.contains("this message has no HTML part"), "{err}");
}
