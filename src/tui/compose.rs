//! The compose edge of the reader: the editor round trip (the screen left
//! cleanly, key events no longer read, the terminal mode restored, then all
//! of it back), and the store and SMTP work the compose screen asks for,
//! each in a task of its own (never on the POP3 worker's session).

use anyhow::{anyhow, Context as _, Result};
use crossterm::event::EnableMouseCapture;
use crossterm::execute;
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use rust_i18n::t;

use super::{restore_terminal, Edge, Events, Term};
use crate::app::Msg;
use crate::send::compose::{ComposeKind, Identity};
use crate::send::outbox;
use crate::send::smtp::SmtpSettings;
use crate::send::{ComposeEvent, ComposeRequest};

/// Who writes (or why composing cannot start), and how mail is sent (or
/// why it cannot be: the demo, an account without an SMTP table; drafts
/// are still written and kept).
pub type Sending =
    std::result::Result<(Identity, std::result::Result<SmtpSettings, String>), String>;

/// `$VISUAL`, else `$EDITOR`, else `editor` if there is one, else `vi`.
pub fn editor_command() -> String {
    for var in ["VISUAL", "EDITOR"] {
        if let Ok(v) = std::env::var(var) {
            if !v.trim().is_empty() {
                return v;
            }
        }
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("editor").is_file()));
    if on_path { "editor" } else { "vi" }.to_string()
}

/// Runs the editor on `path` with the screen suspended; back as it was after.
async fn run_editor(
    terminal: &mut Term,
    events: &mut Events,
    path: &std::path::Path,
) -> Result<()> {
    let editor = editor_command();
    // No key meant for the editor is taken by our reader.
    events.stop();
    restore_terminal();
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .await;
    let _ = enable_raw_mode();
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .context("cannot set up the terminal")?;
    terminal.clear().context("cannot draw")?;
    let status =
        status.with_context(|| t!("compose.cannot_run_editor", editor = editor).into_owned())?;
    if !status.success() {
        return Err(anyhow!(
            "{}",
            match status.code() {
                Some(c) => t!("compose.editor_failed", editor = editor, status = c),
                None => t!("compose.editor_killed", editor = editor),
            }
        ));
    }
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> ComposeEvent {
    ComposeEvent::Failed(crate::text::sanitize::sanitize_line(&e.to_string()).into_owned())
}

/// Start or Edit: the draft in Drafts, the editor on it, the compose screen after.
pub async fn edit(
    edge: &Edge,
    terminal: &mut Term,
    events: &mut Events,
    req: ComposeRequest,
) -> ComposeEvent {
    match edit_inner(edge, terminal, events, req).await {
        Ok(ev) => ev,
        Err(e) => failed(format!("{e:#}")),
    }
}

async fn edit_inner(
    edge: &Edge,
    terminal: &mut Term,
    events: &mut Events,
    req: ComposeRequest,
) -> Result<ComposeEvent> {
    let identity = match &edge.sending() {
        Ok((i, _)) => i.clone(),
        Err(why) => return Ok(ComposeEvent::Failed(why.clone())),
    };
    let store = edge
        .store
        .clone()
        .ok_or_else(|| anyhow!("{}", t!("compose.no_store")))?;
    let gone = || anyhow!("{}", t!("store.gone"));
    let decode = edge.decode;
    let (id, path, before, fresh) = match req {
        ComposeRequest::Start { kind, original, to } => {
            let view = store
                .run(move |s| outbox::start(s, kind, &identity, original.as_deref(), &to, &decode))
                .await
                .map_err(|_| gone())?
                .map_err(|e| anyhow!(e))?;
            let text = view.draft.render();
            (view.id, view.path, text, true)
        }
        ComposeRequest::Edit { id, comment } => {
            let owned = id.clone();
            let (path, text) = store
                .run(move |s| -> std::result::Result<_, String> {
                    let (view, text) = outbox::load(s, &owned)?;
                    let text = match comment {
                        Some(c) => outbox::comment(s, &owned, &view.draft, &c)?,
                        None => text,
                    };
                    Ok((view.path, text))
                })
                .await
                .map_err(|_| gone())?
                .map_err(|e| anyhow!(e))?;
            (id, path, text, false)
        }
        _ => return Err(anyhow!("not an editor request")),
    };
    run_editor(terminal, events, &path).await?;
    let owned = id.clone();
    let (view, after) = store
        .run(move |s| outbox::load(s, &owned))
        .await
        .map_err(|_| gone())?
        .map_err(|e| anyhow!(e))?;
    if fresh && after == before {
        let (owned, draft) = (id.clone(), view.draft.clone());
        store
            .run(move |s| outbox::discard(s, &owned, &draft))
            .await
            .map_err(|_| gone())?
            .map_err(|e| anyhow!(e))?;
        return Ok(ComposeEvent::Abandoned);
    }
    Ok(ComposeEvent::Ready {
        view,
        changed: after != before,
        continued: !fresh,
    })
}

/// Attach, Send, Discard: in a task of their own; the answer comes as an event.
pub fn spawn(edge: &Edge, req: ComposeRequest) {
    let Some(store) = edge.store.clone() else {
        edge.ui
            .send(Msg::Compose(Box::new(failed("there is no local store"))));
        return;
    };
    let ui = edge.ui.clone();
    let identity = edge.sending().map(|(i, _)| i);
    let decode = edge.decode;
    let smtp = edge.sending().and_then(|(_, s)| s);
    let tls = edge.tls.get().cloned();
    tokio::spawn(async move {
        let gone = || failed("the local store has stopped");
        let ev = match req {
            ComposeRequest::Attach { id, path } => store
                .run(move |s| -> std::result::Result<outbox::DraftView, String> {
                    let meta = std::fs::metadata(&path).map_err(|e| {
                        t!("compose.cannot_attach", path = path.display(), error = e).into_owned()
                    })?;
                    if !meta.is_file() {
                        return Err(t!("compose.not_a_file", path = path.display()).into_owned());
                    }
                    let (view, _) = outbox::load(s, &id)?;
                    let mut d = view.draft;
                    d.attach.push(path);
                    outbox::save(s, &id, &d)
                })
                .await
                .map_or_else(|_| gone(), |r| r.map_or_else(failed, ComposeEvent::Updated)),
            ComposeRequest::Address {
                kind,
                original,
                offer_drafts,
            } => address(&store, identity, decode, kind, original, offer_drafts)
                .await
                .unwrap_or_else(|e| e),
            ComposeRequest::Readdress { id, to } => store
                .run(move |s| outbox::readdress(s, &id, &to))
                .await
                .map_or_else(|_| gone(), |r| r.map_or_else(failed, ComposeEvent::Updated)),
            ComposeRequest::Receipt { uidl, automatic } => {
                receipt(&store, identity, smtp, tls, decode, uidl, automatic).await
            }
            ComposeRequest::Send { id } => match smtp {
                Err(why) => ComposeEvent::NotSent {
                    id,
                    failure: outbox::Failure {
                        reason: why,
                        invalid: false,
                        may_have_been_sent: false,
                        // No sending settings: the config's to change.
                        class: crate::error::ErrorClass::Local,
                    },
                },
                Ok(settings) => match outbox::send_draft(&store, &settings, tls, &id).await {
                    Ok(sent) => {
                        tracing::info!(ms = sent.elapsed.as_millis() as u64, "sent");
                        ComposeEvent::Sent { id, sent }
                    }
                    Err(failure) => ComposeEvent::NotSent { id, failure },
                },
            },
            ComposeRequest::Discard { id } => {
                let owned = id.clone();
                store
                    .run(move |s| {
                        // A draft that cannot be read any more has no files to name.
                        let draft = outbox::load(s, &owned)
                            .map(|(view, _)| view.draft)
                            .unwrap_or_default();
                        outbox::discard(s, &owned, &draft)
                    })
                    .await
                    .map_or_else(
                        |_| gone(),
                        |r| r.map_or_else(failed, |()| ComposeEvent::Discarded { id }),
                    )
            }
            ComposeRequest::Start { .. } | ComposeRequest::Edit { .. } => return,
        };
        ui.send(Msg::Compose(Box::new(ev)));
    });
}

/// `r a f c`: drafts waiting first (for `c`), else who the draft would go
/// to, for the `To:` prompt.
async fn address(
    store: &crate::store::StoreHandle,
    identity: std::result::Result<Identity, String>,
    decode: crate::mime::DecodeOptions,
    kind: ComposeKind,
    original: Option<String>,
    offer_drafts: bool,
) -> std::result::Result<ComposeEvent, ComposeEvent> {
    let gone = || failed(t!("store.gone"));
    let identity = identity.map_err(ComposeEvent::Failed)?;
    if offer_drafts && kind == ComposeKind::New {
        let waiting = store.run(outbox::waiting).await.map_err(|_| gone())?;
        if !waiting.is_empty() {
            return Ok(ComposeEvent::DraftsWaiting(waiting));
        }
    }
    let o = original.clone();
    let to = store
        .run(move |s| outbox::addressed(s, kind, &identity, o.as_deref(), &decode))
        .await
        .map_err(|_| gone())?
        .map_err(failed)?;
    Ok(ComposeEvent::Addressed { kind, original, to })
}

/// Builds the TLS settings for sending once, in the background, so the
/// first `y` does not wait for the CA bundle to be read.
pub fn prepare_tls(edge: &Edge) {
    let sending = edge.sending();
    let Ok((_, Ok(settings))) = &sending else {
        return;
    };
    if settings.tls == crate::pop3::TlsMode::None {
        return;
    }
    let (cell, settings) = (edge.tls.clone(), settings.clone());
    tokio::spawn(async move {
        let built =
            tokio::task::spawn_blocking(move || crate::send::smtp::TlsSetup::build(&settings))
                .await;
        if let Ok(Ok(t)) = built {
            let _ = cell.set(t);
        }
    });
}

/// Sends a read receipt for `uidl` (see `send::mdn`), once.
async fn receipt(
    store: &crate::store::StoreHandle,
    identity: std::result::Result<crate::send::compose::Identity, String>,
    smtp: std::result::Result<crate::send::smtp::SmtpSettings, String>,
    tls: Option<crate::send::smtp::TlsSetup>,
    decode: crate::mime::DecodeOptions,
    uidl: String,
    automatic: bool,
) -> ComposeEvent {
    let not_sent = |why: String| ComposeEvent::ReceiptNotSent(why);
    let (identity, settings) = match (identity, smtp) {
        (Ok(i), Ok(s)) => (i, s),
        (Err(why), _) | (_, Err(why)) => return not_sent(why),
    };
    let u = uidl.clone();
    let read = store
        .run(
            move |s| -> std::result::Result<(crate::send::compose::Original, bool), String> {
                let sent = s
                    .index()
                    .get(&u)
                    .map_err(|e| e.to_string())?
                    .is_some_and(|r| r.flags.contains(crate::store::Flags::MDN_SENT));
                let (o, _) = outbox::original(s, &u, &decode)?;
                Ok((o, sent))
            },
        )
        .await;
    let (original, already) = match read {
        Ok(Ok(found)) => found,
        Ok(Err(why)) => return not_sent(why),
        Err(_) => return not_sent("the local store has stopped".into()),
    };
    if already {
        return not_sent(t!("receipt.already").into_owned());
    }
    let to: String = match original.rendered.receipt_to.clone() {
        Some(to) => to,
        None => return not_sent(t!("receipt.not_asked").into_owned()),
    };
    let me = identity.mine.first().cloned().unwrap_or_default();
    let now = std::time::SystemTime::now();
    let built = crate::send::mdn::build(
        &crate::send::mdn::Receipt {
            from: &identity.from,
            to: &to,
            final_recipient: &me,
            original_subject: &original.rendered.subject,
            original_message_id: &original.message_id,
            automatic,
        },
        now,
        crate::send::build::message_id(&me, now, uidl.len() as u64),
    );
    let built = match built {
        Ok(b) => b,
        Err(e) => return not_sent(e.0),
    };
    if let Err(e) = crate::send::smtp::send(&settings, tls, &built.envelope, &built.bytes).await {
        return not_sent(e.to_string());
    }
    // Remembered ($MDNSent), so that no second receipt ever goes out.
    let u = uidl.clone();
    let marked = store
        .run(move |s| s.add_flag(&u, crate::store::Flags::MDN_SENT))
        .await;
    if !matches!(marked, Ok(Ok(()))) {
        tracing::warn!("a receipt was sent but could not be recorded");
    }
    ComposeEvent::ReceiptSent { uidl, to }
}
