//! The POP3 session as a state machine, without I/O: which commands are legal
//! in AUTHORIZATION, TRANSACTION and UPDATE (RFC 1939), what the server said it
//! can do (CAPA, RFC 2449), and how postie logs in (USER/PASS, APOP, AUTH PLAIN).

use super::sasl::OAuthMech;
use rust_i18n::t;
use std::fmt;

use base64::Engine as _;
use md5::{Digest, Md5};

use super::codec::{body_lines, ApopLogin, Command, StatusLine};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Authorization,
    Transaction,
    /// QUIT was accepted in TRANSACTION: deletions are committed and the session is over.
    Update,
    /// QUIT in AUTHORIZATION, or the connection is gone.
    Closed,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Authorization => "AUTHORIZATION",
            State::Transaction => "TRANSACTION",
            State::Update => "UPDATE",
            State::Closed => "closed",
        })
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{command} is not allowed in the {state} state{}", why.map(|w| format!(" ({w})")).unwrap_or_default())]
pub struct IllegalCommand {
    pub command: &'static str,
    pub state: State,
    pub why: Option<&'static str>,
}

/// What the server advertised in its CAPA reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// False when CAPA was refused: an RFC 1939-only server; TOP/UIDL may still work.
    pub known: bool,
    pub top: bool,
    pub uidl: bool,
    pub user: bool,
    pub sasl: Vec<String>,
    pub stls: bool,
    /// `UTF8` (RFC 6856): the UTF8 command is understood.
    pub utf8: bool,
    pub pipelining: bool,
    pub resp_codes: bool,
    pub auth_resp_code: bool,
    pub login_delay: Option<u64>,
    /// `EXPIRE NEVER`, `EXPIRE 30`, ...: how long the server keeps retrieved mail.
    pub expire: Option<String>,
    pub implementation: Option<String>,
}

impl Capabilities {
    pub fn parse(body: &[u8]) -> Capabilities {
        let mut caps = Capabilities {
            known: true,
            ..Default::default()
        };
        for line in body_lines(body) {
            let line = String::from_utf8_lossy(line);
            let mut words = line.split_whitespace();
            let Some(tag) = words.next() else { continue };
            let rest: Vec<&str> = words.collect();
            match tag.to_ascii_uppercase().as_str() {
                "TOP" => caps.top = true,
                "UIDL" => caps.uidl = true,
                "USER" => caps.user = true,
                "STLS" => caps.stls = true,
                "UTF8" => caps.utf8 = true,
                "PIPELINING" => caps.pipelining = true,
                "RESP-CODES" => caps.resp_codes = true,
                "AUTH-RESP-CODE" => caps.auth_resp_code = true,
                "SASL" => caps.sasl = rest.iter().map(|m| m.to_ascii_uppercase()).collect(),
                "LOGIN-DELAY" => caps.login_delay = rest.first().and_then(|s| s.parse().ok()),
                "EXPIRE" => caps.expire = Some(rest.join(" ")),
                "IMPLEMENTATION" => caps.implementation = Some(rest.join(" ")),
                _ => {}
            }
        }
        caps
    }

    pub fn sasl_plain(&self) -> bool {
        self.sasl.iter().any(|m| m == "PLAIN")
    }

    /// RFC 1939 servers without CAPA still accept USER/PASS; say so unless CAPA denied it.
    pub fn user_allowed(&self) -> bool {
        self.user || !self.known
    }
}

/// The server's greeting, kept for APOP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Greeting {
    pub text: String,
}

impl Greeting {
    /// Whether this server keeps what a client sent behind its login and
    /// answers it once logged in, so the first command of the session may
    /// ride in the login's flight. Only servers known to: Dovecot hands its
    /// login process's read-ahead to the mail process (after USER/PASS,
    /// APOP or AUTH); Cyrus after USER/PASS or APOP, but it discards what
    /// arrives with AUTH; Courier loses it after any login (its login
    /// process `exec`s the mail process), and an unknown server may too
    /// (`shared/notes/other-pop3-servers.md`). Known by the greeting's
    /// default text; a renamed greeting only costs the round trip.
    pub fn keeps_read_ahead(&self, method: AuthMethod) -> bool {
        let names = |word: &str| {
            self.text
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == word)
        };
        match method {
            AuthMethod::UserPass | AuthMethod::Apop => names("Dovecot") || names("Cyrus"),
            AuthMethod::SaslPlain => names("Dovecot"),
            AuthMethod::OAuth(_) => false,
        }
    }

    /// The APOP timestamp, if the greeting carries a well-formed one: `<...@...>`
    /// (RFC 1939 says it is a msg-id). Anything else is no timestamp at all, so a
    /// hostile server cannot make us digest a string of its choosing without an `@`.
    pub fn apop_timestamp(&self) -> Option<&str> {
        let start = self.text.find('<')?;
        let end = start + self.text[start..].find('>')?;
        let ts = &self.text[start..=end];
        let inner = &ts[1..ts.len() - 1];
        let (left, right) = inner.split_once('@')?;
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| (0x21..=0x7e).contains(&b) && b != b'<' && b != b'>' && b != b'@')
        };
        (ok(left) && ok(right)).then_some(ts)
    }
}

/// The APOP digest: lowercase hex MD5 of the timestamp followed by the shared secret.
pub fn apop_digest(timestamp: &str, secret: &Secret) -> String {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_bytes());
    md5.update(secret.expose().as_bytes());
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The SASL PLAIN initial response (RFC 4616): base64 of `\0user\0password`.
pub fn sasl_plain_response(user: &str, password: &Secret) -> Secret {
    let mut raw = Vec::with_capacity(user.len() + password.expose().len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password.expose().as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
    raw.fill(0);
    Secret::new(encoded)
}

/// The login method the user asked for in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthPreference {
    #[default]
    Auto,
    Apop,
    User,
    Plain,
    /// Bearer tokens (OAuth 2.0): Google's and Microsoft's `XOAUTH2`…
    #[serde(rename = "xoauth2")]
    XOAuth2,
    /// …or RFC 7628's `OAUTHBEARER`.
    #[serde(rename = "oauthbearer")]
    OAuthBearer,
}

/// A method chosen for this server and link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    UserPass,
    Apop,
    SaslPlain,
    OAuth(OAuthMech),
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::UserPass => "USER/PASS",
            AuthMethod::Apop => "APOP",
            AuthMethod::SaslPlain => "AUTH PLAIN",
            AuthMethod::OAuth(m) => match m {
                OAuthMech::OAuthBearer => "AUTH OAUTHBEARER",
                OAuthMech::XOAuth2 => "AUTH XOAUTH2",
            },
        })
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AuthChoiceError {
    /// The method asked for is not offered; the words name only what is missing.
    #[error("{}", not_offered(*_0))]
    NotOffered(AuthMethod),
    #[error("{}", t!("pop3.insecure"))]
    Insecure,
    #[error("{}", t!("pop3.none_usable"))]
    NoneUsable,
}

fn not_offered(method: AuthMethod) -> std::borrow::Cow<'static, str> {
    match method {
        AuthMethod::Apop => t!("pop3.not_offered.apop"),
        AuthMethod::SaslPlain => t!("pop3.not_offered.sasl_plain"),
        AuthMethod::UserPass => t!("pop3.not_offered.user"),
        AuthMethod::OAuth(m) => t!("pop3.not_offered.oauth", mech = m.name()),
    }
}

/// Picks the bearer-token mechanism for an account with a token source:
/// the one asked for (refused here when the server's SASL list lacks it),
/// or with `auto` OAUTHBEARER when offered, else XOAUTH2. A token is a
/// secret like a password: only over TLS or to a loopback address.
pub fn choose_oauth(
    pref: AuthPreference,
    caps: &Capabilities,
    link_secure: bool,
    allow_insecure: bool,
) -> Result<OAuthMech, AuthChoiceError> {
    let offered = |m: OAuthMech| caps.sasl.iter().any(|s| s == m.name());
    let mech = match pref {
        AuthPreference::OAuthBearer => OAuthMech::OAuthBearer,
        AuthPreference::XOAuth2 => OAuthMech::XOAuth2,
        _ if offered(OAuthMech::OAuthBearer) => OAuthMech::OAuthBearer,
        // XOAUTH2 also when the server lists neither: not every server
        // that takes it says so in CAPA, and a refusal is one -ERR.
        _ => OAuthMech::XOAuth2,
    };
    let asked = matches!(pref, AuthPreference::OAuthBearer | AuthPreference::XOAuth2);
    if asked && caps.known && !caps.sasl.is_empty() && !offered(mech) {
        return Err(AuthChoiceError::NotOffered(AuthMethod::OAuth(mech)));
    }
    if !(link_secure || allow_insecure) {
        return Err(AuthChoiceError::Insecure);
    }
    Ok(mech)
}

/// Picks the login method. Cleartext methods (USER/PASS, AUTH PLAIN) only go over
/// TLS or to a loopback address unless the user allowed otherwise; APOP, which
/// never sends the password, is fine on any link.
pub fn choose_auth(
    pref: AuthPreference,
    caps: &Capabilities,
    greeting: &Greeting,
    link_secure: bool,
    allow_insecure: bool,
) -> Result<AuthMethod, AuthChoiceError> {
    let cleartext_ok = link_secure || allow_insecure;
    let apop = greeting.apop_timestamp().is_some();
    match pref {
        AuthPreference::Apop if apop => Ok(AuthMethod::Apop),
        AuthPreference::Apop => Err(AuthChoiceError::NotOffered(AuthMethod::Apop)),
        AuthPreference::Plain if !caps.sasl_plain() && caps.known => {
            Err(AuthChoiceError::NotOffered(AuthMethod::SaslPlain))
        }
        AuthPreference::User if !caps.user_allowed() => {
            Err(AuthChoiceError::NotOffered(AuthMethod::UserPass))
        }
        AuthPreference::Plain | AuthPreference::User if !cleartext_ok => {
            Err(AuthChoiceError::Insecure)
        }
        AuthPreference::Plain => Ok(AuthMethod::SaslPlain),
        AuthPreference::User => Ok(AuthMethod::UserPass),
        // Without a token source there is nothing to send (the config says so first).
        AuthPreference::XOAuth2 | AuthPreference::OAuthBearer => Err(AuthChoiceError::NoneUsable),
        AuthPreference::Auto => {
            if cleartext_ok && caps.sasl_plain() {
                Ok(AuthMethod::SaslPlain)
            } else if cleartext_ok && caps.user_allowed() {
                Ok(AuthMethod::UserPass)
            } else if apop {
                Ok(AuthMethod::Apop)
            } else if !cleartext_ok && (caps.user_allowed() || caps.sasl_plain()) {
                Err(AuthChoiceError::Insecure)
            } else {
                Err(AuthChoiceError::NoneUsable)
            }
        }
    }
}

/// The commands that log in with `method`, in order; they may be pipelined
/// among themselves, but nothing may follow the last before its reply.
pub fn login_commands(
    method: AuthMethod,
    user: &str,
    password: &Secret,
    greeting: &Greeting,
) -> Result<Vec<Command>, AuthChoiceError> {
    Ok(match method {
        AuthMethod::UserPass => vec![
            Command::User(user.to_string()),
            Command::Pass(password.clone()),
        ],
        AuthMethod::SaslPlain => vec![Command::AuthPlain(sasl_plain_response(user, password))],
        // A token exchange is a dialogue, not a list of commands (`client`).
        AuthMethod::OAuth(m) => return Err(AuthChoiceError::NotOffered(AuthMethod::OAuth(m))),
        AuthMethod::Apop => {
            let ts = greeting
                .apop_timestamp()
                .ok_or(AuthChoiceError::NotOffered(AuthMethod::Apop))?;
            vec![Command::Apop(Box::new(ApopLogin {
                user: user.to_string(),
                digest: apop_digest(ts, password),
            }))]
        }
    })
}

/// Tracks the protocol state and refuses, locally, any command the state forbids.
#[derive(Debug, Clone)]
pub struct Session {
    state: State,
    /// USER was accepted, so PASS may follow.
    user_accepted: bool,
    tls: bool,
}

impl Session {
    pub fn new(tls: bool) -> Self {
        Session {
            state: State::Authorization,
            user_accepted: false,
            tls,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Is `cmd` legal now? Checked before anything is sent.
    pub fn check(&self, cmd: &Command) -> Result<(), IllegalCommand> {
        use Command::*;
        let refuse = |why| {
            Err(IllegalCommand {
                command: cmd.name(),
                state: self.state,
                why,
            })
        };
        match (self.state, cmd) {
            (State::Update | State::Closed, _) => refuse(Some("the session has ended")),
            (_, Capa | Quit) => Ok(()),
            (
                State::Authorization,
                User(_) | Apop { .. } | AuthPlain(_) | Auth { .. } | SaslResponse(_) | Utf8,
            ) => Ok(()),
            (State::Authorization, Pass(_)) if self.user_accepted => Ok(()),
            (State::Authorization, Pass(_)) => refuse(Some("PASS must follow an accepted USER")),
            (State::Authorization, Stls) if self.tls => refuse(Some("TLS is already active")),
            (State::Authorization, Stls) => Ok(()),
            (State::Authorization, _) => refuse(Some("log in first")),
            (
                State::Transaction,
                Stat | List(_) | Uidl(_) | Top { .. } | Retr(_) | Dele(_) | Rset | Noop,
            ) => Ok(()),
            (State::Transaction, _) => refuse(Some("already logged in")),
        }
    }

    /// Advances the state after the server answered `cmd` with `status`.
    pub fn apply(&mut self, cmd: &Command, status: &StatusLine) {
        use Command::*;
        if !status.is_ok() {
            if matches!(cmd, Pass(_)) {
                self.user_accepted = false;
            }
            return;
        }
        match (self.state, cmd) {
            (State::Authorization, User(_)) => self.user_accepted = true,
            (
                State::Authorization,
                Pass(_) | Apop { .. } | AuthPlain(_) | Auth { .. } | SaslResponse(_),
            ) => self.state = State::Transaction,
            (State::Authorization, Quit) => self.state = State::Closed,
            (State::Transaction, Quit) => self.state = State::Update,
            _ => {}
        }
    }

    /// Checks a batch as if each command before it succeeds, so that a pipelined
    /// USER + PASS is legal but a pipelined PASS alone is not.
    pub fn check_batch(&self, cmds: &[Command]) -> Result<(), IllegalCommand> {
        let mut projected = self.clone();
        let ok = StatusLine {
            kind: super::codec::StatusKind::Ok,
            text: String::new(),
        };
        for cmd in cmds {
            projected.check(cmd)?;
            projected.apply(cmd, &ok);
        }
        Ok(())
    }

    pub fn set_tls(&mut self) {
        self.tls = true;
        self.user_accepted = false;
    }

    /// The connection is gone; nothing more may be sent.
    pub fn close(&mut self) {
        self.state = State::Closed;
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
