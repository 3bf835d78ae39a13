//! Logging in on an open connection: with the password (USER/PASS, APOP,
//! AUTH PLAIN, and USER/PASS once more when `auto`'s AUTH PLAIN is refused)
//! or with a bearer token (AUTH OAUTHBEARER / XOAUTH2, the initial response
//! on the AUTH line when it fits, else after the server's `+`; an error
//! challenge answered and read; a token refused as expired replaced once).

use rust_i18n::t;

use super::client::ClientConfig;
use super::codec::{Command, ResponseCode, StatusKind, StatusLine};
use super::connection::{Connection, Pop3Error, MAX_LISTING};
use super::pipeline::{Flow, Reply};
use super::sasl::{self, OAuthMech, OAuthReason, Tokens};
use super::session::{choose_auth, login_commands, AuthMethod, AuthPreference, Capabilities};
use crate::secret::Secret;

/// Logs in with the password; returns the method that worked, and the
/// replies to `after` when they went out in the login's flight (a server
/// that keeps its read-ahead: `Greeting::keeps_read_ahead`); None when they
/// are still to be sent.
pub(super) async fn with_password(
    conn: &mut Connection,
    cfg: &ClientConfig,
    caps: &Capabilities,
    link_secure: bool,
    pipelined: bool,
    after: &[Command],
) -> Result<(AuthMethod, Option<Vec<Reply>>), Pop3Error> {
    let mut auth = choose_auth(
        cfg.auth,
        caps,
        conn.greeting(),
        link_secure,
        cfg.allow_insecure_auth,
    )?;
    let mut outcome = log_in(conn, cfg, auth, pipelined, after).await?;
    // `auto` chose AUTH PLAIN and the server would not have it: USER/PASS
    // is the same secret over the same link, so it is tried once more,
    // unless the server said the mailbox is busy or it is failing.
    if let LoginOutcome::Refused(status) = &outcome {
        let temporary = matches!(
            status.code(),
            Some(ResponseCode::InUse | ResponseCode::LoginDelay | ResponseCode::SysTemp)
        );
        if cfg.auth == AuthPreference::Auto
            && auth == AuthMethod::SaslPlain
            && caps.user_allowed()
            && !temporary
        {
            tracing::info!(addr = conn.addr(), "AUTH PLAIN refused; trying USER/PASS");
            auth = AuthMethod::UserPass;
            outcome = log_in(conn, cfg, auth, pipelined, after).await?;
        }
    }
    match outcome {
        LoginOutcome::Refused(status) => Err(Pop3Error::Login {
            code: status.code(),
            text: status.text,
        }),
        LoginOutcome::LoggedIn(replies) => Ok((auth, replies)),
    }
}

/// Logs in with a token from `tokens`; a token the server calls expired or
/// revoked is replaced by a fresh one and tried once more.
pub(super) async fn with_token(
    conn: &mut Connection,
    cfg: &ClientConfig,
    mech: OAuthMech,
    tokens: &Tokens,
) -> Result<(), Pop3Error> {
    let mut refused = false;
    loop {
        let token = tokens.0.token(refused).await?;
        let Some((reason, status)) = token_attempt(conn, cfg, mech, &token).await? else {
            return Ok(());
        };
        if reason == Some(OAuthReason::Expired) && !refused {
            tracing::info!(
                addr = conn.addr(),
                "token refused as expired; asking for a new one"
            );
            refused = true;
            continue;
        }
        return Err(Pop3Error::OAuthRefused {
            reason,
            text: status.text,
        });
    }
}

/// One command, its status line (a refusal or a challenge is an answer, not an error).
async fn status_of(conn: &mut Connection, cmd: Command) -> Result<StatusLine, Pop3Error> {
    let mut status = None;
    conn.pipeline(std::slice::from_ref(&cmd), 0, false, |_, reply| {
        status = Some(reply.status);
        Ok(Flow::Continue)
    })
    .await?;
    status.ok_or(Pop3Error::Bug("no AUTH reply recorded"))
}

/// One AUTH exchange; None when logged in, else why not (the reason from
/// an error challenge, if one came) and the server's last status.
async fn token_attempt(
    conn: &mut Connection,
    cfg: &ClientConfig,
    mech: OAuthMech,
    token: &Secret,
) -> Result<Option<(Option<OAuthReason>, StatusLine)>, Pop3Error> {
    let response = sasl::initial_response(
        mech,
        &cfg.user,
        token,
        &cfg.endpoint.host,
        cfg.endpoint.port,
    );
    let mut status = if sasl::fits_on_auth_line(mech, &response) {
        let initial = Some(response);
        status_of(
            conn,
            Command::Auth {
                mech: mech.name(),
                initial,
            },
        )
        .await?
    } else {
        let first = status_of(
            conn,
            Command::Auth {
                mech: mech.name(),
                initial: None,
            },
        )
        .await?;
        if first.kind == StatusKind::Continuation {
            status_of(conn, Command::SaslResponse(response)).await?
        } else {
            first
        }
    };
    let mut reason = None;
    if status.kind == StatusKind::Continuation {
        // RFC 7628 §3.2.2: the error comes as a challenge, answered before
        // the final `-ERR`.
        reason = Some(sasl::read_error_challenge(&status.text));
        let abort = Secret::new(mech.abort_response());
        status = status_of(conn, Command::SaslResponse(abort)).await?;
        if status.kind == StatusKind::Continuation {
            status = conn.cancel_sasl().await?;
        }
    }
    Ok(match status.kind {
        StatusKind::Ok => None,
        _ => Some((reason, status)),
    })
}

/// How one login attempt ended, when the connection is still usable.
enum LoginOutcome {
    /// With the replies to what rode in the login's flight, if anything did.
    LoggedIn(Option<Vec<Reply>>),
    /// `-ERR`, or a SASL continuation that was cancelled (still AUTHORIZATION).
    Refused(StatusLine),
}

/// Sends the login commands for `auth` (USER and PASS in one flight when the
/// server pipelines) and reads every reply before anything else is sent;
/// `after` goes in the same flight when the server keeps its read-ahead
/// (their replies are kept when the login succeeds; after a refusal they
/// are refusals too, and dropped).
async fn log_in(
    conn: &mut Connection,
    cfg: &ClientConfig,
    auth: AuthMethod,
    pipelined: bool,
    after: &[Command],
) -> Result<LoginOutcome, Pop3Error> {
    let mut cmds = login_commands(auth, &cfg.user, &cfg.password, conn.greeting())?;
    let logins = cmds.len();
    let ride = pipelined && !after.is_empty() && conn.greeting().keeps_read_ahead(auth);
    if ride {
        cmds.extend_from_slice(after);
    }
    let mut replies = Vec::new();
    let mut refusal: Option<StatusLine> = None;
    let mut continuation = false;
    let max_body = if ride { MAX_LISTING } else { 0 };
    let piped = conn
        .pipeline(&cmds, max_body, pipelined, |i, reply| {
            if i >= logins {
                replies.push(reply);
                return Ok(Flow::Continue);
            }
            match reply.status.kind {
                StatusKind::Ok => {}
                StatusKind::Continuation => continuation = true,
                StatusKind::Err => {
                    refusal.get_or_insert(reply.status);
                }
            }
            Ok(Flow::Continue)
        })
        .await;
    if let Err(e) = piped {
        // A server that refuses the login and then hangs up (Dovecot's
        // [IN-USE]) has said why: that is the error, not the hang-up.
        return Err(match refusal {
            Some(status) => Pop3Error::Login {
                code: status.code(),
                text: status.text,
            },
            None => e,
        });
    }
    if continuation {
        // The server wants a SASL exchange after all: cancel it (RFC 5034).
        let mut status = conn.cancel_sasl().await?;
        if status.text.is_empty() {
            status.text = t!("pop3.plain_initial_refused").into();
        }
        return Ok(LoginOutcome::Refused(status));
    }
    Ok(match refusal {
        Some(status) => LoginOutcome::Refused(status),
        None => LoginOutcome::LoggedIn(ride.then_some(replies)),
    })
}
