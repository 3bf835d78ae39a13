//! `postie setup` in a real terminal (tmux): the provider table's proposals,
//! the plain-words explanations, and a whole setup against the private
//! Dovecot and SMTP server (pointed at with `--providers`), after which
//! `postie list` works, the config is 0600, and the account and comments
//! already there are untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::tmux::Tmux;
use common::{Dovecot, User};

const ADDRESS: &str = "someone@163.com";
const COMPANY: &str = "wang@nowhere.invalid";

fn users() -> Vec<User> {
    let msgs = (0..3).map(common::generated_message).collect();
    vec![
        User::new(ADDRESS, msgs),
        User::new(COMPANY, vec![common::generated_message(7)]),
    ]
}

fn dovecot() -> Option<&'static Dovecot> {
    common::dovecot::shared(users)
}

/// `postie setup` with `args`, its config at HOME/config.toml.
fn setup(home: &Path, args: &str) -> Tmux {
    let line = format!(
        "env -u POSTIE_PASSWORD HOME='{h}' XDG_STATE_HOME='{h}/state' XDG_DATA_HOME='{h}/data' POSTIE_CONFIG='{h}/config.toml' TERM=xterm-256color '{bin}' setup {args}",
        h = home.display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    Tmux::start(&line, 120, 40)
}

/// `postie setup` (with `args`) with `address` typed at its first question.
fn setup_for(home: &Path, args: &str, address: &str) -> Tmux {
    let t = setup(home, args);
    t.wait_for("E-mail address:", 10);
    t.keys(&["-l", address]);
    t.keys(&["Enter"]);
    t
}

#[test]
fn known_providers_are_proposed_in_their_own_words() {
    let home = tempfile::tempdir().unwrap();
    let t = setup_for(home.path(), "", "someone@163.com");
    let screen = t.wait_for("Use these servers?", 10);
    assert!(screen.contains("pop.163.com:995 (TLS)"), "{screen}");
    assert!(screen.contains("smtp.163.com:465 (TLS)"), "{screen}");
    assert!(
        screen.contains("授权码") && screen.contains("authorization code"),
        "{screen}"
    );
    t.keys(&["C-d"]);
    t.wait_for("EXITED:1", 10);
    assert!(!home.path().join("config.toml").exists(), "nothing written");

    let t = setup_for(home.path(), "", "user@qq.com");
    let screen = t.wait_for("Use these servers?", 10);
    assert!(
        screen.contains("pop.qq.com:995") && screen.contains("smtp.qq.com:465"),
        "{screen}"
    );
    t.keys(&["C-d"]);
    t.wait_for("EXITED:1", 10);

    // No password works: where to register an application, then its id.
    let t = setup_for(home.path(), "", "x@outlook.com");
    let screen = t.wait_for("Application (client) ID:", 10);
    assert!(
        screen.contains("OAuth 2.0") && screen.contains("16 September 2024"),
        "{screen}"
    );
    assert!(
        screen.contains("portal.azure.com") && screen.contains("POP.AccessAsUser.All"),
        "{screen}"
    );
    assert!(
        !screen.contains("Password for"),
        "no password asked:\n{screen}"
    );
    t.keys(&["C-d"]);
    t.wait_for("EXITED:1", 10);
    assert!(!home.path().join("config.toml").exists(), "nothing written");

    let t = setup_for(home.path(), "", "me@icloud.com");
    let screen = t.wait_for("EXITED:1", 10);
    assert!(screen.contains("does not offer POP3"), "{screen}");
}

#[test]
fn a_whole_setup_writes_a_working_account_and_keeps_the_others() {
    let Some(d) = dovecot() else { return };
    let pw = d.password(ADDRESS);
    let Some(smtp) = common::smtp::own(d, ADDRESS, &pw, ADDRESS) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // 163.com pointed at the private servers; the rest of its entry (the
    // authorization-code hint) is the shipped one.
    let table = home.path().join("providers.toml");
    std::fs::write(
        &table,
        format!(
            "[providers.netease163]\npop3 = {{ host = \"127.0.0.1\", port = {}, tls = \"starttls\" }}\n\
             smtp = {{ host = \"127.0.0.1\", port = {}, tls = \"starttls\" }}\nca_file = \"{}\"\n",
            d.plain_port,
            smtp.starttls_port,
            d.ca_file.display()
        ),
    )
    .unwrap();
    let before = "# my mail\n[accounts.work]   # the office\nhost = \"pop.work.example\"  # not this one\nuser = \"me\"\npassword_command = \"echo x\"\n";
    std::fs::write(home.path().join("config.toml"), before).unwrap();
    let t = setup_for(
        home.path(),
        &format!("--providers '{}'", table.display()),
        ADDRESS,
    );
    let screen = t.wait_for("Use these servers?", 10);
    assert!(
        screen.contains(&format!("127.0.0.1:{} (STARTTLS)", d.plain_port)),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.wait_for("Authorization code (授权码) for someone@163.com", 10);
    t.keys(&["-l", "my-web-password"]);
    t.keys(&["Enter"]);
    // A refused login, in plain words, with the provider's hint.
    let screen = t.wait_for("type the password again", 20);
    assert!(
        screen.contains("POP3 failed: the POP3 login was refused"),
        "{screen}"
    );
    assert!(screen.contains("authorization code (授权码)"), "{screen}");
    assert!(
        !screen.contains("my-web-password"),
        "never echoed:\n{screen}"
    );
    t.keys(&["Enter"]);
    let start = std::time::Instant::now();
    while t
        .screen()
        .matches("Authorization code (授权码) for")
        .count()
        < 2
    {
        assert!(
            start.elapsed().as_secs() < 10,
            "asked again:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.keys(&["-l", &pw]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Your name on mail you send", 20);
    assert!(
        screen.contains("ok: logged in, 3 messages on the server"),
        "{screen}"
    );
    assert!(
        screen.contains("Testing the SMTP login") && screen.contains("  ok: logged in\n"),
        "{screen}"
    );
    t.keys(&["-l", "李明"]);
    t.keys(&["Enter"]);
    t.wait_for("Keep the password in the config file", 10);
    t.keys(&["Enter"]);
    t.wait_for("Name for this account [163]", 10);
    t.keys(&["Enter"]);
    let screen = t.wait_for("EXITED:0", 10);
    assert!(screen.contains("Saved account \"163\""), "{screen}");
    assert!(smtp.received().is_empty(), "the SMTP test sends nothing");

    let cfg = home.path().join("config.toml");
    let after = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        after.starts_with(before),
        "the old account and comments are kept:\n{after}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The account works: postie list reads the mailbox with what was written.
    let run = common::postie_in(home.path(), &after, None, &["list", "--account", "163"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout_text().lines().count(),
        3,
        "{}",
        run.stdout_text()
    );
}

#[test]
fn a_in_the_demo_adds_the_account_and_shows_it() {
    let Some(d) = dovecot() else { return };
    let pw = d.password(ADDRESS);
    let home = tempfile::tempdir().unwrap();
    let table = home.path().join("providers.toml");
    std::fs::write(
        &table,
        format!(
            "[providers.netease163]\npop3 = {{ host = \"127.0.0.1\", port = {}, tls = \"starttls\" }}\nno_smtp = \"not in this test\"\nca_file = \"{}\"\n",
            d.plain_port,
            d.ca_file.display()
        ),
    )
    .unwrap();
    // No config file: the demo, which says how to add an account.
    let line = format!(
        "env -u POSTIE_PASSWORD -u POSTIE_CONFIG HOME='{h}' XDG_CONFIG_HOME='{h}/cfg' XDG_STATE_HOME='{h}/state' XDG_DATA_HOME='{h}/data' POSTIE_PROVIDERS='{p}' TERM=xterm-256color '{bin}'",
        h = home.path().display(),
        p = table.display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    let t = Tmux::start(&line, 100, 30);
    let screen = t.wait_for("press A to add your account", 20);
    assert!(screen.contains("│ demo"), "{screen}");
    t.keys(&["A"]);
    t.wait_for("E-mail address:", 10);
    t.keys(&["-l", ADDRESS]);
    t.keys(&["Enter"]);
    t.wait_for("Use these servers?", 10);
    t.keys(&["Enter"]);
    t.wait_for("Authorization code (授权码) for", 10);
    t.keys(&["-l", &pw]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Your name on mail you send", 20);
    assert!(screen.contains("ok: logged in, 3 messages"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("Keep the password in the config file", 10);
    t.keys(&["n", "Enter"]);
    t.wait_for("Name for this account [163]", 10);
    t.keys(&["Enter"]);
    t.wait_for("Press Enter to go back to postie", 10);
    t.keys(&["Enter"]);
    // Back in the reader, on the new account, which asks for its password
    // (not kept in the file, as chosen) inside the screen.
    let screen = t.wait_for("Password for 163", 10);
    assert!(screen.contains("163 │ INBOX"), "{screen}");
    t.keys(&["-l", &pw]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("3 messages", 20);
    assert!(!screen.contains("│ demo"), "the demo made way:\n{screen}");
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 10);
    let cfg = home.path().join("cfg/postie/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("[accounts.163]") && !text.contains("password"),
        "{text}"
    );
}

#[test]
fn an_unknown_domain_gets_the_usual_guesses_and_a_company_ca() {
    let Some(d) = dovecot() else { return };
    let home = tempfile::tempdir().unwrap();
    let t = setup_for(home.path(), "", COMPANY);
    let screen = t.wait_for("Which one?", 30);
    for guess in [
        "1. pop.nowhere.invalid:995 (TLS)",
        "2. pop3.nowhere.invalid:995 (TLS)",
        "3. mail.nowhere.invalid:995 (TLS)",
        "4. pop.nowhere.invalid:110 (STARTTLS)",
        "Tencent Exmail",
        "Aliyun enterprise mail",
        "t. type the servers yourself",
    ] {
        assert!(screen.contains(guess), "{guess}:\n{screen}");
    }
    assert!(
        screen.contains("Which one? [t]"),
        "nothing answers, so t:\n{screen}"
    );
    t.keys(&["Enter"]);
    t.wait_for("POP3 server [pop.nowhere.invalid:995 (TLS)]", 10);
    t.keys(&["-l", &format!("127.0.0.1:{} starttls", d.plain_port)]);
    t.keys(&["Enter"]);
    t.wait_for("SMTP server", 10);
    t.keys(&["-l", "-"]);
    t.keys(&["Enter"]);
    t.wait_for("Password for wang@nowhere.invalid", 10);
    t.keys(&["-l", &d.password(COMPANY)]);
    t.keys(&["Enter"]);
    // The test Dovecot's certificate is its own: not trusted until its CA is given.
    let screen = t.wait_for("CA certificate file", 20);
    assert!(screen.contains("not trusted"), "{screen}");
    t.keys(&["-l", &d.ca_file.display().to_string()]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Your name on mail you send", 20);
    assert!(
        screen.contains("ok: logged in, 1 message on the server"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.wait_for("Keep the password", 10);
    t.keys(&["Enter"]);
    t.wait_for("Name for this account [nowhere]", 10);
    t.keys(&["-l", "office"]);
    t.keys(&["Enter"]);
    t.wait_for("EXITED:0", 10);
    let text = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(
        text.contains("[accounts.office]") && text.contains("ca_file"),
        "{text}"
    );
    assert!(!text.contains("smtp"), "no SMTP chosen:\n{text}");
    let run = common::postie_in(home.path(), &text, None, &["list"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text().lines().count(), 1);
}
