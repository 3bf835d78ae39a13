//! The config's parsing, validation, units and password sources.

use super::*;

#[test]
fn leave_policies_sizes_and_expire() {
    assert_eq!(LeavePolicy::parse("14d"), Ok(LeavePolicy::Days(14)));
    assert_eq!(LeavePolicy::parse("Never"), Ok(LeavePolicy::Never));
    assert_eq!(
        LeavePolicy::parse("until-deleted"),
        Ok(LeavePolicy::UntilDeleted)
    );
    assert!(LeavePolicy::parse("sometimes").is_err());
    assert!(LeavePolicy::parse("d").is_err());
    assert_eq!(parse_size("10M"), Some(10 * 1024 * 1024));
    assert_eq!(parse_size("500k"), Some(500 * 1024));
    assert_eq!(parse_size("123"), Some(123));
    assert_eq!(parse_size("10 MB"), Some(10 * 1024 * 1024));
    assert_eq!(parse_size("lots"), None);
    assert!(LeavePolicy::Always.expire_note("30").is_some());
    assert!(LeavePolicy::Always.expire_note("NEVER").is_none());
    assert!(LeavePolicy::Days(14).expire_note("30 USER").is_none());
    assert!(LeavePolicy::Days(60)
        .expire_note("30")
        .unwrap()
        .contains("30 days"));
    assert!(LeavePolicy::Never.expire_note("0").is_none());
    assert!(LeavePolicy::UntilDeleted
        .expire_note("0")
        .unwrap()
        .contains("EXPIRE 0"));
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/x/config.toml"))
}

#[test]
fn a_password_command_that_hangs_is_stopped_and_named() {
    let start = std::time::Instant::now();
    let e = run_password_command("a", "sleep 30; echo pw", Duration::from_millis(300))
        .unwrap_err()
        .to_string();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        e.contains("`sleep 30; echo pw` did not finish within 0 s"),
        "{e}"
    );
    // A talkative one is read without stalling.
    let p = run_password_command(
        "a",
        "echo first; yes | head -c 300000",
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(p.expose(), "first");
}

#[test]
fn parse_errors_never_quote_a_secret() {
    for (text, want) in [
        ("password = \"Secret123\n", "line 1"),
        (
            "[accounts.a]\nhost='h'\nuser='u'\npasword = \"Secret123\"\n",
            "pasword",
        ),
        (
            "[accounts.a]\nhost='h'\nuser='u'\npassword = 12345\n",
            "key password: invalid type: integer, expected a string",
        ),
        (
            "[accounts.a]\nhost='h'\nuser='u'\npassword = \"Secret1\"\npassword = \"Secret2\"\n",
            "duplicate key",
        ),
    ] {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
        for secret in ["Secret", "12345"] {
            assert!(!e.contains(secret), "{e}");
        }
    }
}

#[test]
fn check_interval_and_password_variables() {
    assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
    assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
    assert_eq!(parse_duration("0"), Some(Duration::ZERO));
    assert_eq!(parse_duration("soon"), None);
    let c = parse("[accounts.a]\nhost='h'\nuser='u'\ncheck_interval='0'\n").unwrap();
    assert_eq!(c.accounts["a"].check_every(), None);
    let c = parse("[accounts.a]\nhost='h'\nuser='u'\n").unwrap();
    assert_eq!(c.accounts["a"].check_every(), Some(CHECK_INTERVAL));
    let e = parse("[accounts.a]\nhost='h'\nuser='u'\ncheck_interval='often'\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("often"), "{e}");
    assert_eq!(password_variable("work-qq"), "POSTIE_PASSWORD_WORK_QQ");
}

#[test]
fn first_account_is_default_and_ports_follow_tls() {
    let c = parse(
        r#"
        [accounts.zeta]
        host = "pop.example.com"
        user = "a"
        [accounts.alpha]
        host = "h"
        user = "b"
        tls = "starttls"
        "#,
    )
    .unwrap();
    let (name, acct) = c.account(None).unwrap();
    assert_eq!(name, "zeta");
    assert_eq!(crate::accounts::endpoint(acct).port, 995);
    assert_eq!(
        crate::accounts::endpoint(c.account(Some("alpha")).unwrap().1).port,
        110
    );
    assert!(matches!(
        c.account(Some("nope")),
        Err(ConfigError::UnknownAccount { .. })
    ));
}

#[test]
fn typos_and_bad_values_are_specific_errors() {
    let e = parse("[accounts.a]\nhost='h'\nuser='u'\npasword='x'\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("pasword"), "{e}");
    let e = parse("[accounts.a]\nhost='h'\nuser='u'\ntls='ssl'\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ssl"), "{e}");
    let e = parse("[accounts.a]\nhost='h'\nuser='u'\nfallback_charset='klingon'\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("klingon"), "{e}");
    let e = parse("default_account='b'\n[accounts.a]\nhost='h'\nuser='u'\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"b\""), "{e}");
    assert!(matches!(parse(""), Err(ConfigError::NoAccounts { .. })));
}

#[test]
fn password_never_shows_in_debug() {
    let c = parse("[accounts.a]\nhost='h'\nuser='u'\npassword='s3cr3t-pw'\n").unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("s3cr3t-pw"));
    let cc = crate::accounts::client_config(
        c.account(None).unwrap().1,
        "work",
        Secret::new("s3cr3t-pw"),
    );
    assert!(!format!("{cc:?}").contains("s3cr3t-pw"));
}

#[test]
fn password_command_first_line() {
    let c = parse(
        "[accounts.a]\nhost='h'\nuser='u'\npassword_command=\"printf 'pw one\\\\nsecond'\"\n",
    )
    .unwrap();
    let acct = c.account(None).unwrap().1;
    // POSTIE_PASSWORD would override; this test process does not set it.
    if std::env::var_os("POSTIE_PASSWORD").is_none() {
        assert_eq!(acct.resolve_password("a").unwrap().expose(), "pw one");
    }
    let c = parse("[accounts.a]\nhost='h'\nuser='u'\npassword_command='echo oops >&2; exit 3'\n")
        .unwrap();
    let e = run_password_command(
        "a",
        c.account(None)
            .unwrap()
            .1
            .password_command
            .as_deref()
            .unwrap(),
        PASSWORD_COMMAND_TIMEOUT,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("oops") && e.contains('3'), "{e}");
}
