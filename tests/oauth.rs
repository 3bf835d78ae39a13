//! OAuth 2.0 sign-in against a real resource server: the private Dovecot
//! with `passdb oauth2` validating HS256 tokens locally (exp, iss, aud,
//! scope). postie logs in with XOAUTH2 and OAUTHBEARER over STLS and POP3S,
//! in the initial-response form and (for a token too long for the AUTH
//! line) the two-step form; an expired or wrong-audience token is refused
//! in plain words; a token refused as expired is replaced once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::oauth::Claims;
use common::{dovecot, Dovecot, User};
use postie::error::{Classify, ErrorClass};
use postie::pop3::sasl::{OAuthReason, TokenFuture, TokenSource, Tokens};
use postie::pop3::{
    AuthMethod, AuthPreference, Client, ClientConfig, Endpoint, Pop3Error, Timeouts, TlsMode,
};
use postie::secret::Secret;

/// Hands out the tokens given, in order (the last one again after that),
/// counting how often it was asked and whether as a refusal.
struct Queue {
    tokens: Mutex<Vec<String>>,
    asked: AtomicUsize,
    refused: AtomicUsize,
}

impl Queue {
    fn new(tokens: Vec<String>) -> Arc<Queue> {
        Arc::new(Queue {
            tokens: Mutex::new(tokens),
            asked: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        })
    }
}

impl TokenSource for Queue {
    fn token(&self, refused: bool) -> TokenFuture<'_> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if refused {
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        let mut t = self.tokens.lock().unwrap();
        let token = if t.len() > 1 {
            t.remove(0)
        } else {
            t[0].clone()
        };
        Box::pin(async move { Ok(Secret::new(token)) })
    }
}

struct Server {
    d: Dovecot,
    _dir: tempfile::TempDir,
}

fn server() -> Option<Server> {
    server_for("li")
}

/// A Dovecot taking the tests' tokens, with `user` and three messages.
fn server_for(user: &'static str) -> Option<Server> {
    let dir = tempfile::tempdir().unwrap();
    let extra = common::oauth::dovecot_extra(dir.path());
    let d = dovecot::own(vec![User::new(user, common::generated_mailbox(3))], &extra)?;
    Some(Server { d, _dir: dir })
}

/// A token file whose refresh token the mock calls revoked (`invalid_grant`).
fn revoked(file: &std::path::Path) {
    postie::oauth::tokens::write(
        file,
        &postie::oauth::tokens::Stored {
            refresh: Secret::new("rt-revoked"),
            access: None,
        },
    )
    .unwrap();
}

/// `[accounts.test]` for user li over POP3S, `auth = "auto"`.
fn pop3s_account(s: &Server) -> common::Account<'_> {
    common::Account {
        port: s.d.pop3s_port,
        tls: "implicit",
        user: "li",
        auth: "auto",
        ca_file: Some(&s.d.ca_file),
        pipelining: true,
    }
}

fn config(s: &Server, tls: TlsMode, auth: AuthPreference, q: &Arc<Queue>) -> ClientConfig {
    ClientConfig {
        token: Some(Tokens(q.clone())),
        endpoint: Endpoint {
            host: "127.0.0.1".into(),
            port: if tls == TlsMode::Implicit {
                s.d.pop3s_port
            } else {
                s.d.plain_port
            },
            tls,
            ca_file: Some(s.d.ca_file.clone()),
            timeouts: Timeouts {
                connect: Duration::from_secs(10),
                command: Duration::from_secs(20),
                read: Duration::from_secs(20),
            },
        },
        user: "li".into(),
        password: Secret::default(),
        auth,
        allow_insecure_auth: false,
        pipelining: true,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Logs in and lists; the method used and the number of messages.
fn list(cfg: &ClientConfig) -> Result<(AuthMethod, usize), Pop3Error> {
    rt().block_on(async {
        let (c, entries) = Client::open(cfg).await?;
        let auth = c.auth_method();
        c.quit().await?;
        Ok((auth, entries.len()))
    })
}

#[test]
fn xoauth2_and_oauthbearer_log_in_over_stls_and_pop3s() {
    let Some(s) = server() else { return };
    for (tls, auth, want) in [
        (TlsMode::StartTls, AuthPreference::XOAuth2, "AUTH XOAUTH2"),
        (TlsMode::Implicit, AuthPreference::XOAuth2, "AUTH XOAUTH2"),
        (
            TlsMode::StartTls,
            AuthPreference::OAuthBearer,
            "AUTH OAUTHBEARER",
        ),
        (
            TlsMode::Implicit,
            AuthPreference::OAuthBearer,
            "AUTH OAUTHBEARER",
        ),
        // auto: Dovecot offers both; OAUTHBEARER (the standard) first.
        (TlsMode::StartTls, AuthPreference::Auto, "AUTH OAUTHBEARER"),
    ] {
        let q = Queue::new(vec![Claims::valid("li").mint()]);
        let (method, n) = list(&config(&s, tls, auth, &q))
            .unwrap_or_else(|e| panic!("{tls:?} {auth:?}: {e}\n{}", s.d.log()));
        assert_eq!(method.to_string(), want);
        assert_eq!(n, 3);
        assert_eq!(q.asked.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn a_token_too_long_for_the_auth_line_goes_after_the_servers_plus() {
    let Some(s) = server() else { return };
    for auth in [AuthPreference::XOAuth2, AuthPreference::OAuthBearer] {
        let mut c = Claims::valid("li");
        c.padding = 1500;
        let token = c.mint();
        assert!(token.len() > 1500);
        let q = Queue::new(vec![token]);
        let (_, n) = list(&config(&s, TlsMode::Implicit, auth, &q))
            .unwrap_or_else(|e| panic!("{auth:?}: {e}\n{}", s.d.log()));
        assert_eq!(n, 3);
    }
}

#[test]
fn expired_and_wrong_audience_tokens_are_refused_in_plain_words() {
    let Some(s) = server() else { return };
    let mut expired = Claims::valid("li");
    expired.exp -= 7200;
    let mut audience = Claims::valid("li");
    audience.aud = "https://other.example.invalid".into();
    let mut scope = Claims::valid("li");
    scope.scope = "openid".into();
    for (what, claims) in [
        ("expired", expired),
        ("wrong audience", audience),
        ("no scope", scope),
    ] {
        for auth in [AuthPreference::XOAuth2, AuthPreference::OAuthBearer] {
            let q = Queue::new(vec![claims.mint()]);
            let e = list(&config(&s, TlsMode::Implicit, auth, &q))
                .err()
                .unwrap_or_else(|| panic!("{what} {auth:?} was accepted"));
            assert_eq!(e.class(), ErrorClass::Login, "{what}: {e}");
            match &e {
                // Dovecot answers every invalid token with the RFC 7628
                // challenge (`invalid_token`, XOAUTH2's `401`): a fresh
                // token was asked for once, then the refusal stands.
                Pop3Error::OAuthRefused { reason, .. } => {
                    assert_eq!(reason, &Some(OAuthReason::Expired), "{what} {auth:?}: {e}");
                }
                other => panic!("{what} {auth:?}: {other:?}"),
            }
            assert_eq!(
                q.asked.load(Ordering::SeqCst),
                2,
                "{what}: asked again once"
            );
            assert_eq!(q.refused.load(Ordering::SeqCst), 1);
            let words = e.to_string();
            assert!(
                words.contains("the token has expired or was revoked"),
                "{words}"
            );
            assert!(
                !words.contains(&claims.mint()[..20]),
                "no token in the words"
            );
        }
    }
}

#[test]
fn a_token_refused_as_expired_is_replaced_once_and_the_login_goes_on() {
    let Some(s) = server() else { return };
    let mut old = Claims::valid("li");
    old.exp -= 7200;
    for auth in [AuthPreference::XOAuth2, AuthPreference::OAuthBearer] {
        let q = Queue::new(vec![old.mint(), Claims::valid("li").mint()]);
        let (_, n) = list(&config(&s, TlsMode::StartTls, auth, &q))
            .unwrap_or_else(|e| panic!("{auth:?}: {e}\n{}", s.d.log()));
        assert_eq!(n, 3);
        assert_eq!(q.asked.load(Ordering::SeqCst), 2);
        assert_eq!(q.refused.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn a_bearer_token_never_goes_over_a_cleartext_link_to_another_host() {
    // The rule is the password's: TLS or loopback. Loopback is all a test
    // can reach, so the choice itself is checked.
    use postie::pop3::session::choose_oauth;
    let caps = postie::pop3::Capabilities::parse(b"SASL PLAIN XOAUTH2\r\n");
    assert!(choose_oauth(AuthPreference::Auto, &caps, false, false).is_err());
    assert_eq!(
        choose_oauth(AuthPreference::Auto, &caps, true, false).unwrap(),
        postie::pop3::sasl::OAuthMech::XOAuth2
    );
    // OAUTHBEARER asked for and not offered: said so, nothing sent.
    assert!(choose_oauth(AuthPreference::OAuthBearer, &caps, true, false).is_err());
    // auto, a server that lists neither (not every one that takes XOAUTH2
    // says so): XOAUTH2 is tried.
    let plain_only = postie::pop3::Capabilities::parse(b"SASL PLAIN\r\nUSER\r\n");
    assert_eq!(
        choose_oauth(AuthPreference::Auto, &plain_only, true, false).unwrap(),
        postie::pop3::sasl::OAuthMech::XOAuth2
    );
}

/// `oauth_token_command` in the config, through the real binary: its first
/// line is the token.
#[test]
fn postie_list_signs_in_with_oauth_token_command() {
    let Some(s) = server() else { return };
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, format!("{}\n", Claims::valid("li").mint())).unwrap();
    let account = pop3s_account(&s);
    let cfg = format!(
        "{}oauth_token_command = \"cat '{}'\"\n",
        account.toml(),
        token_file.display()
    );
    let run = common::postie_in(home.path(), &cfg, None, &["list"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(String::from_utf8_lossy(&run.stdout).lines().count(), 3);
    // An expired one: refused in words, exit 1 (the user must act).
    let mut old = Claims::valid("li");
    old.exp -= 7200;
    std::fs::write(&token_file, old.mint()).unwrap();
    let run = common::postie_in(home.path(), &cfg, None, &["list"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the token has expired or was revoked"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&old.mint()[..30]));
}

/// SMTP with a bearer token, through the real binary: aiosmtpd (its
/// custom AUTH mechanisms checking the same tokens) delivering into the
/// Dovecot; XOAUTH2, OAUTHBEARER and auto; an expired token refused after
/// the error challenge was answered as RFC 7628 asks (`AQ==` for
/// OAUTHBEARER, an empty line for XOAUTH2), nothing sent.
#[test]
fn postie_send_signs_in_to_smtp_with_a_token_and_the_mail_arrives() {
    let Some(s) = server() else { return };
    let Some(smtp) = common::smtp::own_oauth(&s.d, "li", "li") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    let account = pop3s_account(&s);
    let config = |auth: &str, tls: &str| {
        format!(
            "{}oauth_token_command = \"cat '{}'\"\nemail = \"li@example.cn\"\n[accounts.test.smtp]\n{}",
            account.toml(),
            token_file.display(),
            smtp.toml(tls, auth, Some(&s.d.ca_file))
        )
    };
    let mut sent = 0;
    for (auth, tls) in [
        ("xoauth2", "starttls"),
        ("oauthbearer", "implicit"),
        ("auto", "starttls"),
    ] {
        std::fs::write(&token_file, Claims::valid("li").mint()).unwrap();
        let subject = format!("OAuth {auth}");
        let run = common::postie_with_stdin(
            home.path(),
            &config(auth, tls),
            None,
            &["send", "--to", "li@example.cn", "--subject", &subject],
            Some("令牌登录，邮件送达。\n".as_bytes()),
        );
        assert_eq!(run.status, 0, "{auth}: {}", run.stderr);
        sent += 1;
        assert_eq!(smtp.received().len(), sent);
    }
    // Delivered into the Dovecot: postie reads them back over POP3 (with a token).
    let run = common::postie_in(home.path(), &config("auto", "starttls"), None, &["list"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let listed = String::from_utf8_lossy(&run.stdout).into_owned();
    for auth in ["xoauth2", "oauthbearer", "auto"] {
        assert!(listed.contains(&format!("OAuth {auth}")), "{listed}");
    }

    // Expired: refused in words, the challenge answered, nothing sent.
    let mut old = Claims::valid("li");
    old.exp -= 7200;
    std::fs::write(&token_file, old.mint()).unwrap();
    for auth in ["xoauth2", "oauthbearer"] {
        let run = common::postie_with_stdin(
            home.path(),
            &config(auth, "starttls"),
            None,
            &["send", "--to", "li@example.cn", "--subject", "never"],
            Some(b"x\n"),
        );
        assert_ne!(run.status, 0);
        assert!(
            run.stderr.contains("the token has expired or was revoked"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains(&old.mint()[..30]));
    }
    assert_eq!(smtp.received().len(), sent);
    let answers = smtp.oauth_answers();
    // Asked twice each (the token replaced once, still expired).
    assert_eq!(answers.matches("XOAUTH2 b''").count(), 2, "{answers}");
    assert_eq!(
        answers.matches("OAUTHBEARER b'\\x01'").count(),
        2,
        "{answers}"
    );
}

/// The token service cannot be reached: `postie send` says so and exits 75
/// (try again later, as for a server that is down), not as for a refused
/// login; the message waits in Drafts and nothing reaches the server.
#[test]
fn postie_send_with_the_token_service_down_is_temporary_and_keeps_the_draft() {
    let Some(s) = server() else { return };
    let Some(smtp) = common::smtp::own_oauth(&s.d, "li", "li") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // A port nothing listens on: the token service is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "{}email = \"li@example.cn\"\n[accounts.test.oauth]\nclient_id = \"postie-test\"\ntoken_url = \"http://127.0.0.1:{closed}/token\"\nscopes = [\"mail\"]\n[accounts.test.smtp]\n{}",
        pop3s_account(&s).toml(),
        smtp.toml("starttls", "xoauth2", Some(&s.d.ca_file))
    );
    postie::oauth::tokens::write(
        &home.path().join("data/postie/test/oauth-token.json"),
        &postie::oauth::tokens::Stored {
            refresh: Secret::new("rt-1"),
            access: None,
        },
    )
    .unwrap();
    let run = common::postie_with_stdin(
        home.path(),
        &config,
        None,
        &["send", "--to", "li@example.cn", "--subject", "later"],
        Some(b"x\n"),
    );
    assert_eq!(run.status, 75, "{}", run.stderr);
    assert!(run.stderr.contains("127.0.0.1"), "{}", run.stderr);
    assert!(smtp.received().is_empty());
    let drafts = std::fs::read_dir(home.path().join("data/postie/test/Drafts/cur"))
        .unwrap()
        .count();
    assert_eq!(drafts, 1, "the message waits in Drafts");
}

/// RFC 8628 against the mock authorization server: the code shown (its
/// address sanitised), polling at the interval, `authorization_pending`
/// twice, `slow_down` (the wait grows by 5 s), then tokens; the refresh
/// token in a 0600 file; the access token accepted by Dovecot; then a
/// refresh (the first attempt fails with 503 and is retried) rotates the
/// refresh token and Dovecot accepts the new access token; a revoked
/// refresh token asks for a new sign-in.
#[test]
fn device_flow_and_refresh_against_the_mock_server_then_dovecot_accepts_the_tokens() {
    use postie::oauth::{signin, tokens, OAuthTokens};
    let Some(s) = server() else { return };
    let mock = common::oauth::MockAuth::start("li", false);
    let e = mock.endpoints();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(postie::oauth::TOKEN_FILE);
    let mut shown = None;
    rt().block_on(signin::device(&e, &file, |c| shown = Some(c.clone())))
        .unwrap();
    let shown = shown.unwrap();
    assert_eq!(shown.user_code, "WDJB-MJHT");
    assert!(shown
        .verification_uri
        .starts_with("http://127.0.0.1/verify"));
    assert!(!shown.verification_uri.contains('\u{1b}'), "{shown:?}");
    let polls: Vec<f64> = mock
        .requests()
        .iter()
        .filter(|r| r.2.ends_with("device_code"))
        .map(|r| r.0)
        .collect();
    assert_eq!(polls.len(), 4, "{:?}", mock.requests());
    assert!(polls[1] - polls[0] >= 0.9, "{polls:?}");
    assert!(polls[3] - polls[2] >= 5.5, "slow_down adds 5 s: {polls:?}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let stored = tokens::read(&file).unwrap().unwrap();
    assert_eq!(stored.refresh.expose(), "rt-1");

    // The access token from the sign-in: Dovecot takes it, no refresh.
    let q = Arc::new(OAuthTokens::new(e.clone(), file.clone()));
    let mut cfg = config(
        &s,
        TlsMode::Implicit,
        AuthPreference::Auto,
        &Queue::new(vec![String::new()]),
    );
    cfg.token = Some(Tokens(q.clone()));
    let (_, n) = list(&cfg).unwrap_or_else(|e| panic!("{e}\n{}", s.d.log()));
    assert_eq!(n, 3);
    assert!(!mock.requests().iter().any(|r| r.2 == "refresh_token"));

    // Expired in the file: renewed (503 once, then rotated), accepted.
    let mut old = stored.clone();
    old.access = old.access.map(|(t, _)| (t, 1));
    tokens::write(&file, &old).unwrap();
    let q = Arc::new(OAuthTokens::new(e.clone(), file.clone()));
    cfg.token = Some(Tokens(q));
    let (_, n) = list(&cfg).unwrap_or_else(|e| panic!("{e}\n{}", s.d.log()));
    assert_eq!(n, 3);
    let refreshes: Vec<u64> = mock
        .requests()
        .iter()
        .filter(|r| r.2 == "refresh_token")
        .map(|r| r.3)
        .collect();
    assert_eq!(refreshes, vec![503, 200]);
    let now = tokens::read(&file).unwrap().unwrap();
    assert_eq!(now.refresh.expose(), "rt-3", "rotated");

    // Revoked: the login says to sign in again, as a login problem.
    revoked(&file);
    cfg.token = Some(Tokens(Arc::new(OAuthTokens::new(e, file.clone()))));
    let err = list(&cfg).expect_err("revoked");
    assert_eq!(err.class(), ErrorClass::Login, "{err}");
    let words = err.to_string();
    assert!(
        words.contains("invalid_grant") && words.contains("postie setup"),
        "{words}"
    );
}

/// The device sign-in declined by the user: said so, nothing written.
#[test]
fn a_declined_device_sign_in_writes_nothing() {
    let mock = common::oauth::MockAuth::start("li", true);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(postie::oauth::TOKEN_FILE);
    let err = rt()
        .block_on(postie::oauth::signin::device(
            &mock.endpoints(),
            &file,
            |_| {},
        ))
        .expect_err("declined");
    assert_eq!(err, postie::oauth::OAuthError::Denied);
    assert!(!file.exists());
}

/// RFC 7636 + RFC 8252: the browser (played by Python's urllib, which
/// follows the mock's redirect to postie's loopback listener) signs in; the
/// code is exchanged with the PKCE verifier (the mock checks it against
/// the S256 challenge); Dovecot accepts the token.
#[test]
fn browser_sign_in_with_pkce_and_a_loopback_redirect() {
    let Some(s) = server() else { return };
    let mock = common::oauth::MockAuth::start("li", false);
    let e = mock.endpoints();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(postie::oauth::TOKEN_FILE);
    rt().block_on(postie::oauth::signin::browser(&e, &file, |url| {
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        let url = url.to_string();
        std::thread::spawn(move || {
            std::process::Command::new("/usr/bin/python3")
                .args([
                    "-c",
                    "import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()",
                    &url,
                ])
                .status()
                .unwrap();
        });
    }))
    .unwrap();
    let stored = postie::oauth::tokens::read(&file).unwrap().unwrap();
    assert_eq!(stored.refresh.expose(), "rt-browser");
    let q = Queue::new(vec![stored.access.unwrap().0.expose().to_string()]);
    let (_, n) = list(&config(&s, TlsMode::StartTls, AuthPreference::XOAuth2, &q)).unwrap();
    assert_eq!(n, 3);
}

/// `postie setup` for a provider that takes no password (a table entry
/// like Outlook's, pointed at the private servers and the mock): it says
/// where to register, asks the client id, shows the device code, signs in,
/// tests POP3 and SMTP with the token, and writes an account with an
/// `[oauth]` table and no password; `postie list` then works from the
/// token file.
#[test]
fn setup_signs_in_with_the_device_flow_and_writes_a_working_account() {
    const USER: &str = "li@corp.test";
    let Some(s) = server_for(USER) else { return };
    let Some(smtp) = common::smtp::own_oauth(&s.d, USER, USER) else {
        return;
    };
    let mock = common::oauth::MockAuth::start(USER, false);
    let home = tempfile::tempdir().unwrap();
    let table = home.path().join("providers.toml");
    std::fs::write(
        &table,
        format!(
            "[providers.corp]\nname = \"Corp mail\"\ndomains = [\"corp.test\"]\n\
             pop3 = {{ host = \"127.0.0.1\", port = {}, tls = \"implicit\" }}\n\
             smtp = {{ host = \"127.0.0.1\", port = {}, tls = \"starttls\" }}\n\
             password = \"oauth2\"\nhelp = \"Corp mail takes no password.\"\nsource = \"the test\"\nca_file = \"{}\"\n\
             [providers.corp.oauth]\nauthorization_url = \"{}\"\ntoken_url = \"{}\"\ndevice_url = \"{}\"\n\
             scopes = [\"{}\", \"offline_access\"]\nregister = \"Register an application with the mock.\"\n",
            s.d.pop3s_port,
            smtp.starttls_port,
            s.d.ca_file.display(),
            mock.url("/authorize"),
            mock.url("/token"),
            mock.url("/devicecode"),
            common::oauth::SCOPE,
        ),
    )
    .unwrap();
    let line = format!(
        "env -u POSTIE_PASSWORD HOME='{h}' XDG_STATE_HOME='{h}/state' XDG_DATA_HOME='{h}/data' POSTIE_CONFIG='{h}/config.toml' TERM=xterm-256color '{bin}' setup --providers '{t}'",
        h = home.path().display(),
        t = table.display(),
        bin = env!("CARGO_BIN_EXE_postie")
    );
    let t = common::tmux::Tmux::start(&line, 120, 60);
    t.wait_for("E-mail address:", 10);
    t.keys(&["-l", USER]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Application (client) ID:", 10);
    assert!(
        screen.contains("Register an application with the mock."),
        "{screen}"
    );
    assert!(!screen.contains("Password for"), "{screen}");
    t.keys(&["-l", "postie-test"]);
    t.keys(&["Enter"]);
    t.wait_for("Name for this account [", 10);
    t.keys(&["Enter"]);
    let screen = t.wait_for("enter the code WDJB-MJHT", 10);
    assert!(
        screen.contains("▀") || screen.contains("█"),
        "a QR code:\n{screen}"
    );
    let screen = t.wait_for("Your name on mail you send", 40);
    assert!(screen.contains("ok: logged in, 3 messages"), "{screen}");
    assert!(screen.contains("Testing the SMTP login"), "{screen}");
    t.keys(&["-l", "李明"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("EXITED:", 10);
    assert!(screen.contains("EXITED:0"), "{screen}");
    let cfg = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(
        cfg.contains("[accounts.corp.oauth]") && cfg.contains("client_id = \"postie-test\""),
        "{cfg}"
    );
    assert!(
        !cfg.contains("password"),
        "no password in the config:\n{cfg}"
    );
    assert!(
        !cfg.contains("rt-1") && !cfg.contains("eyJ"),
        "no token in the config"
    );
    let file = home.path().join("data/postie/corp/oauth-token.json");
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let dir = file.parent().unwrap();
        assert_eq!(
            std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    let run = common::postie_in(home.path(), &cfg, None, &["list", "--account", "corp"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout_text().lines().count(),
        3,
        "{}",
        run.stdout_text()
    );
    assert!(smtp.received().is_empty(), "the SMTP test sends nothing");
}

/// The reader with a revoked grant: the login pop-up offers `s`, the
/// device code shows in a pop-up, and once signed in (the mock approves
/// after its pending/slow_down answers) the mailbox is listed.
#[test]
fn the_reader_signs_in_again_when_the_grant_was_revoked() {
    let Some(s) = server() else { return };
    let mock = common::oauth::MockAuth::start("li", false);
    let home = tempfile::tempdir().unwrap();
    let account = pop3s_account(&s);
    let cfg = home.path().join("config.toml");
    std::fs::write(&cfg, format!("{}{}", account.toml(), mock.toml())).unwrap();
    let file = home.path().join("data/postie/test/oauth-token.json");
    revoked(&file);
    let t = common::tmux::Tmux::start(
        &common::tmux::postie_command(&cfg, "", home.path()),
        100,
        30,
    );
    let screen = t.wait_for("s: sign in again", 20);
    assert!(screen.contains("invalid_grant"), "{screen}");
    t.keys(&["s"]);
    let screen = t.wait_for("WDJB-MJHT", 10);
    assert!(screen.contains("Sign in again"), "{screen}");
    t.wait_for("3 messages", 40);
    let stored = postie::oauth::tokens::read(&file).unwrap().unwrap();
    assert_eq!(stored.refresh.expose(), "rt-1");
    t.keys(&["x"]);
    t.wait_for("EXITED:", 10);
}

/// Over SSH the browser is on another machine: its redirect to 127.0.0.1
/// goes nowhere, and the user pastes the address it ended at. A pasted
/// address with another sign-in's state is refused.
#[test]
fn a_browser_sign_in_finishes_from_a_pasted_address() {
    let mock = common::oauth::MockAuth::start("li", false);
    let e = mock.endpoints();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(postie::oauth::TOKEN_FILE);
    let rt = rt();
    // Where the browser would end: the mock's redirect, not followed.
    let location = |url: &str| -> String {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = rt.block_on(c.get(url).send()).unwrap();
        r.headers()["location"].to_str().unwrap().to_string()
    };
    let s = rt
        .block_on(postie::oauth::signin::start_browser(&e))
        .unwrap();
    let pasted = location(s.url());
    let forged = pasted.replace("state=", "state=x");
    let err = rt
        .block_on(s.finish(Some(&forged), &file))
        .expect_err("another state");
    assert!(
        matches!(err, postie::oauth::OAuthError::Browser(_)),
        "{err:?}"
    );
    assert!(!file.exists());
    let s = rt
        .block_on(postie::oauth::signin::start_browser(&e))
        .unwrap();
    let pasted = location(s.url());
    rt.block_on(s.finish(Some(&format!("  {pasted}\n")), &file))
        .unwrap();
    let stored = postie::oauth::tokens::read(&file).unwrap().unwrap();
    assert_eq!(stored.refresh.expose(), "rt-browser");
}

/// `postie setup --signin NAME` for an account whose grant was revoked:
/// the device code printed, the token file replaced; then `postie list`
/// works. An account without an `[oauth]` table is told so.
#[test]
fn setup_signin_signs_an_existing_account_in_again() {
    let Some(s) = server() else { return };
    let mock = common::oauth::MockAuth::start("li", false);
    let home = tempfile::tempdir().unwrap();
    let account = pop3s_account(&s);
    let cfg = format!("{}{}", account.toml(), mock.toml());
    let file = home.path().join("data/postie/test/oauth-token.json");
    revoked(&file);
    let run = common::postie_in(home.path(), &cfg, None, &["list"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("invalid_grant"), "{}", run.stderr);
    let run = common::postie_in(home.path(), &cfg, None, &["setup", "--signin", "test"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout_text().contains("enter the code WDJB-MJHT"),
        "{}",
        run.stdout_text()
    );
    assert_eq!(
        postie::oauth::tokens::read(&file)
            .unwrap()
            .unwrap()
            .refresh
            .expose(),
        "rt-1"
    );
    let run = common::postie_in(home.path(), &cfg, None, &["list"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text().lines().count(), 3);
    let run = common::postie_in(
        home.path(),
        &account
            .toml()
            .replace("auth = \"auto\"", "auth = \"auto\"\npassword = \"x\""),
        None,
        &["setup", "--signin", "test"],
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("does not sign in with OAuth"),
        "{}",
        run.stderr
    );
}
