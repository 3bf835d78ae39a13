use super::*;
use crate::pop3::codec::{ApopLogin, StatusKind};

fn ok() -> StatusLine {
    StatusLine {
        kind: StatusKind::Ok,
        text: String::new(),
    }
}
fn err() -> StatusLine {
    StatusLine {
        kind: StatusKind::Err,
        text: String::new(),
    }
}

#[test]
fn rfc1939_apop_example_digest() {
    let g = Greeting {
        text: "POP3 server ready <1896.697170952@dbc.mtview.ca.us>".into(),
    };
    let ts = g.apop_timestamp().unwrap();
    assert_eq!(ts, "<1896.697170952@dbc.mtview.ca.us>");
    assert_eq!(
        apop_digest(ts, &Secret::new("tanstaaf")),
        "c4c9334bac560ecc979e58001b3e22fb"
    );
}

#[test]
fn apop_timestamps_that_are_not_msg_ids_are_refused() {
    for text in [
        "ready",
        "ready <>",
        "ready <noatsign>",
        "ready <@host>",
        "ready <a@>",
        "ready <a b@c>",
        "ready <a@b",
    ] {
        assert_eq!(
            Greeting { text: text.into() }.apop_timestamp(),
            None,
            "{text}"
        );
    }
    let caps = Capabilities::default();
    let g = Greeting {
        text: "ready <noat>".into(),
    };
    assert_eq!(
        choose_auth(AuthPreference::Apop, &caps, &g, true, false),
        Err(AuthChoiceError::NotOffered(AuthMethod::Apop))
    );
}

#[test]
fn states_are_enforced_locally() {
    let mut s = Session::new(false);
    assert!(s.check(&Command::Stat).is_err(), "STAT before login");
    assert!(
        s.check(&Command::Pass(Secret::new("x"))).is_err(),
        "PASS before USER"
    );
    assert!(s.check(&Command::Dele(1)).is_err());
    assert!(s.check(&Command::Stls).is_ok());
    s.apply(&Command::User("u".into()), &ok());
    assert!(s.check(&Command::Pass(Secret::new("x"))).is_ok());
    s.apply(&Command::Pass(Secret::new("x")), &err());
    assert_eq!(s.state(), State::Authorization);
    assert!(
        s.check(&Command::Pass(Secret::new("x"))).is_err(),
        "a failed PASS needs a new USER"
    );
    s.apply(&Command::User("u".into()), &ok());
    s.apply(&Command::Pass(Secret::new("x")), &ok());
    assert_eq!(s.state(), State::Transaction);
    for c in [
        Command::Stat,
        Command::List(None),
        Command::Retr(1),
        Command::Dele(1),
        Command::Rset,
        Command::Noop,
        Command::Capa,
    ] {
        assert!(s.check(&c).is_ok(), "{c:?}");
    }
    let e = s.check(&Command::User("u".into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "USER is not allowed in the TRANSACTION state (already logged in)"
    );
    assert!(s.check(&Command::Stls).is_err());
    s.apply(&Command::Quit, &ok());
    assert_eq!(s.state(), State::Update);
    assert!(s.check(&Command::Noop).is_err());
}

#[test]
fn stls_only_once_and_not_over_tls() {
    let s = Session::new(true);
    assert!(s.check(&Command::Stls).is_err());
    let mut s = Session::new(false);
    s.set_tls();
    assert!(s.check(&Command::Stls).is_err());
}

#[test]
fn batches_are_checked_as_if_each_succeeds() {
    let s = Session::new(false);
    assert!(s
        .check_batch(&[Command::User("u".into()), Command::Pass(Secret::new("p"))])
        .is_ok());
    assert!(s.check_batch(&[Command::Pass(Secret::new("p"))]).is_err());
    assert!(s
        .check_batch(&[
            Command::User("u".into()),
            Command::Pass(Secret::new("p")),
            Command::Stat
        ])
        .is_ok());
    assert!(s.check_batch(&[Command::Quit, Command::Stat]).is_err());
}

#[test]
fn capa_parsing() {
    let body = b"TOP\r\nUIDL\r\nuser\r\nSASL PLAIN login\r\nSTLS\r\nPIPELINING\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nLOGIN-DELAY 900\r\nEXPIRE 60 USER\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\nX-UNKNOWN thing\r\n";
    let c = Capabilities::parse(body);
    assert!(
        c.known
            && c.top
            && c.uidl
            && c.user
            && c.stls
            && c.pipelining
            && c.resp_codes
            && c.auth_resp_code
    );
    assert_eq!(c.sasl, vec!["PLAIN", "LOGIN"]);
    assert!(c.sasl_plain());
    assert_eq!(c.login_delay, Some(900));
    assert_eq!(c.expire.as_deref(), Some("60 USER"));
    assert_eq!(c.implementation.as_deref(), Some("Shlemazle-Plotz-v302"));
    let none = Capabilities::default();
    assert!(!none.known && none.user_allowed() && !none.pipelining);
}

#[test]
fn auto_auth_never_sends_cleartext_over_an_insecure_link() {
    let caps = Capabilities::parse(b"USER\r\nSASL PLAIN\r\n");
    let apop = Greeting {
        text: "hi <1.2@h>".into(),
    };
    let plain = Greeting { text: "hi".into() };
    use AuthPreference::*;
    assert_eq!(
        choose_auth(Auto, &caps, &apop, true, false),
        Ok(AuthMethod::SaslPlain)
    );
    assert_eq!(
        choose_auth(Auto, &caps, &apop, false, false),
        Ok(AuthMethod::Apop)
    );
    assert_eq!(
        choose_auth(Auto, &caps, &plain, false, false),
        Err(AuthChoiceError::Insecure)
    );
    assert_eq!(
        choose_auth(Auto, &caps, &plain, false, true),
        Ok(AuthMethod::SaslPlain)
    );
    assert_eq!(
        choose_auth(User, &caps, &plain, false, false),
        Err(AuthChoiceError::Insecure)
    );
    assert_eq!(
        choose_auth(Plain, &caps, &plain, true, false),
        Ok(AuthMethod::SaslPlain)
    );
    assert_eq!(
        choose_auth(Apop, &caps, &apop, false, false),
        Ok(AuthMethod::Apop)
    );
    let user_only = Capabilities::parse(b"USER\r\n");
    assert_eq!(
        choose_auth(Auto, &user_only, &plain, true, false),
        Ok(AuthMethod::UserPass)
    );
    assert_eq!(
        choose_auth(Plain, &user_only, &plain, true, false),
        Err(AuthChoiceError::NotOffered(AuthMethod::SaslPlain))
    );
    // The words name what is missing, not every method's reason.
    let words = AuthChoiceError::NotOffered(AuthMethod::SaslPlain).to_string();
    assert!(
        words.contains("AUTH PLAIN") && words.contains("SASL"),
        "{words}"
    );
    assert!(!words.contains("APOP"), "{words}");
    let words = AuthChoiceError::NotOffered(AuthMethod::Apop).to_string();
    assert!(
        words.contains("APOP") && words.contains("timestamp") && !words.contains("CAPA"),
        "{words}"
    );
}

#[test]
fn login_commands_per_method() {
    let g = Greeting {
        text: "<1896.697170952@dbc.mtview.ca.us>".into(),
    };
    let pw = Secret::new("tanstaaf");
    assert_eq!(
        login_commands(AuthMethod::Apop, "mrose", &pw, &g).unwrap(),
        vec![Command::Apop(Box::new(ApopLogin {
            user: "mrose".into(),
            digest: "c4c9334bac560ecc979e58001b3e22fb".into()
        }))]
    );
    let plain = login_commands(
        AuthMethod::SaslPlain,
        "tim",
        &Secret::new("tanstaaftanstaaf"),
        &g,
    )
    .unwrap();
    // RFC 5034 section 6 example: AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q= is "test\0test\0test"; ours has an empty authzid.
    assert_eq!(
        plain,
        vec![Command::AuthPlain(Secret::new(
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        ))]
    );
    assert_eq!(
        login_commands(AuthMethod::UserPass, "u", &pw, &g)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn only_servers_known_to_keep_read_ahead_get_commands_behind_the_login() {
    use super::super::sasl::OAuthMech;
    let g = |text: &str| Greeting { text: text.into() };
    let dovecot = g("+OK Dovecot (Debian) ready. <1.2@vm>");
    let cyrus = g("+OK host Cyrus POP3 3.6.1-4 server ready <1.2@host>");
    for m in [
        AuthMethod::UserPass,
        AuthMethod::Apop,
        AuthMethod::SaslPlain,
    ] {
        assert!(dovecot.keeps_read_ahead(m), "{m}");
    }
    assert!(!dovecot.keeps_read_ahead(AuthMethod::OAuth(OAuthMech::XOAuth2)));
    assert!(cyrus.keeps_read_ahead(AuthMethod::UserPass));
    assert!(cyrus.keeps_read_ahead(AuthMethod::Apop));
    assert!(
        !cyrus.keeps_read_ahead(AuthMethod::SaslPlain),
        "Cyrus drops what comes with AUTH"
    );
    for other in [
        "+OK Hello there.",
        "+OK ready",
        "+OK POP3 Ready <1.2@h>",
        "+OK NotDovecot ready",
        "+OK dovecotish",
    ] {
        for m in [
            AuthMethod::UserPass,
            AuthMethod::Apop,
            AuthMethod::SaslPlain,
        ] {
            assert!(!g(other).keeps_read_ahead(m), "{other} {m}");
        }
    }
}
