//! Drafts and sending, over the store: a draft is in Drafts before any
//! editor or server sees it; a send marks it `sending`, and only a 250 from
//! the server puts the exact bytes in Sent and removes the draft. Any
//! failure keeps the draft with the reason in it. The `Store` functions
//! block (store thread); `send_draft` is the async edge.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use super::build::{self, Attachment, Built};
use super::compose::{new_draft, ComposeKind, Identity, Original};
use super::draft::Draft;
use super::smtp::{self, SmtpSettings};
use super::Recipients;
use crate::error::{Classify, ErrorClass};
use crate::mime::{DecodeOptions, Rendered, Summary};
use crate::store::{Flags, Folder, Store, StoreError, StoreHandle};

/// A status that means an earlier attempt may have reached the server.
pub fn maybe_sent(status: &str) -> bool {
    status.starts_with("may have been sent") || status.starts_with("sending")
}

/// Largest attachment read for sending (most providers refuse far less).
const MAX_ATTACHMENT: u64 = 100 * 1024 * 1024;

/// A draft as the compose screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftView {
    pub id: String,
    pub path: PathBuf,
    pub draft: Draft,
    /// Each attachment's file name and size (None: cannot be read).
    pub attachments: Vec<(String, Option<u64>)>,
}

fn view(id: &str, path: PathBuf, draft: Draft) -> DraftView {
    let attachments = draft
        .attach
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string());
            let size = std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            (
                crate::text::sanitize::sanitize_line(&name).into_owned(),
                size,
            )
        })
        .collect();
    DraftView {
        id: id.to_string(),
        path,
        draft,
        attachments,
    }
}

fn local(e: StoreError) -> String {
    e.to_string()
}

/// Reads the message being answered from the store.
pub fn original(
    store: &mut Store,
    uidl: &str,
    decode: &DecodeOptions,
) -> Result<(Original, Vec<u8>), String> {
    let bytes = store
        .read(uidl)
        .map_err(local)?
        .ok_or_else(|| "the message is not in the local store yet (open it first)".to_string())?;
    let summary = Summary::from_headers(&bytes, decode);
    let o = Original {
        uidl: uidl.to_string(),
        addresses: crate::mime::render::addresses(&bytes, decode),
        rendered: Rendered::from_message(&bytes, decode),
        message_id: summary.message_id().to_string(),
        in_reply_to: summary.in_reply_to().to_string(),
        references: summary.references().to_string(),
    };
    Ok((o, bytes))
}

/// Who a new draft would go to, before anything is written: the `To:`
/// prompt starts from it.
pub fn addressed(
    store: &mut Store,
    kind: ComposeKind,
    identity: &Identity,
    original_uidl: Option<&str>,
    decode: &DecodeOptions,
) -> Result<Recipients, String> {
    let orig = match original_uidl {
        Some(u) if kind != ComposeKind::New => Some(original(store, u, decode)?.0),
        _ => None,
    };
    let d = new_draft(kind, identity, orig.as_ref(), Vec::new());
    Ok(Recipients {
        to: d.to,
        cc: d.cc,
        bcc: d.bcc,
    })
}

/// Starts a draft in Drafts addressed to `to`: its id, its file, and the
/// text first written.
pub fn start(
    store: &mut Store,
    kind: ComposeKind,
    identity: &Identity,
    original_uidl: Option<&str>,
    to: &Recipients,
    decode: &DecodeOptions,
) -> Result<DraftView, String> {
    let (orig, bytes) = match original_uidl {
        Some(u) if kind != ComposeKind::New => {
            let (o, b) = original(store, u, decode)?;
            (Some(o), b)
        }
        _ => (None, Vec::new()),
    };
    let mut files = Vec::new();
    if kind == ComposeKind::Forward && orig.is_some() {
        let parts = crate::mime::attachment_parts(&bytes, decode);
        if !parts.is_empty() {
            let dir = store.new_draft_files().map_err(local)?;
            for p in parts {
                let fallback = format!("attachment-{}", p.attachment.part);
                let name = crate::store::names::safe_name(&p.file_name, &fallback);
                let saved = crate::store::names::save_bytes(&dir, &name, &p.bytes)
                    .map_err(|e| format!("cannot keep the forwarded attachment: {e}"))?;
                files.push(saved);
            }
        }
    }
    let mut draft = new_draft(kind, identity, orig.as_ref(), files);
    draft.to = to.to.clone();
    draft.cc = to.cc.clone();
    draft.bcc = to.bcc.clone();
    let (id, path) = store
        .put_local(
            Folder::Drafts,
            draft.render().as_bytes(),
            Flags::DRAFT.with(Flags::SEEN),
        )
        .map_err(local)?;
    Ok(view(&id, path, draft))
}

/// A draft's recipients changed on the compose screen: saved at once.
pub fn readdress(store: &mut Store, id: &str, to: &Recipients) -> Result<DraftView, String> {
    let (view, _) = load(store, id)?;
    let mut d = view.draft;
    d.to = to.to.clone();
    d.cc = to.cc.clone();
    d.bcc = to.bcc.clone();
    save(store, id, &d)
}

/// A draft as it is on disk now (after the editor).
pub fn load(store: &mut Store, id: &str) -> Result<(DraftView, String), String> {
    let path = store
        .path(id)
        .map_err(local)?
        .ok_or_else(|| "the draft is no longer in Drafts".to_string())?;
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("cannot read the draft {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    store.refresh(id).map_err(local)?;
    Ok((view(id, path, Draft::parse(&text)), text))
}

/// Saves a changed draft (an attachment added, a status recorded).
pub fn save(store: &mut Store, id: &str, draft: &Draft) -> Result<DraftView, String> {
    let path = store
        .rewrite(id, draft.render().as_bytes())
        .map_err(local)?;
    Ok(view(id, path, draft.clone()))
}

/// Puts a comment line at the top of the draft for the editor to show;
/// returns the text written.
pub fn comment(store: &mut Store, id: &str, draft: &Draft, reason: &str) -> Result<String, String> {
    let text = draft.render_with_comment(reason);
    store.rewrite(id, text.as_bytes()).map_err(local)?;
    Ok(text)
}

/// Reads what sending needs: the draft and its attachments' bytes.
fn prepare(store: &mut Store, id: &str) -> Result<(Draft, Vec<Attachment>), Failure> {
    let (v, _) = load(store, id).map_err(Failure::local)?;
    build::check(&v.draft).map_err(|e| Failure::invalid(e.0))?;
    let mut atts = Vec::new();
    for p in &v.draft.attach {
        let meta = std::fs::metadata(p)
            .map_err(|e| Failure::invalid(format!("cannot attach {}: {e}", p.display())))?;
        if !meta.is_file() {
            return Err(Failure::invalid(format!(
                "cannot attach {}: not a file",
                p.display()
            )));
        }
        if meta.len() > MAX_ATTACHMENT {
            return Err(Failure::invalid(format!(
                "cannot attach {}: {} MB is more than any mail server takes",
                p.display(),
                meta.len() / (1024 * 1024)
            )));
        }
        let bytes = std::fs::read(p)
            .map_err(|e| Failure::invalid(format!("cannot attach {}: {e}", p.display())))?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        atts.push(Attachment { name, bytes });
    }
    Ok((v.draft, atts))
}

/// Why a draft was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// Something in the draft to fix in the editor (an address, an attachment).
    pub invalid: bool,
    pub may_have_been_sent: bool,
    /// What kind of trouble: `Temporary` is worth trying again later as it
    /// is (the server away, a 4xx reply).
    pub class: ErrorClass,
}

impl Failure {
    fn local(reason: String) -> Failure {
        Failure {
            reason,
            invalid: false,
            may_have_been_sent: false,
            class: ErrorClass::Local,
        }
    }

    fn invalid(reason: String) -> Failure {
        Failure {
            reason,
            invalid: true,
            may_have_been_sent: false,
            class: ErrorClass::Local,
        }
    }
}

/// A sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub recipients: Vec<String>,
    /// Its copy in Sent.
    pub path: PathBuf,
    pub id: String,
    /// The message it answered, now flagged answered.
    pub answered: Option<String>,
    /// From `y` to the server's 250.
    pub elapsed: std::time::Duration,
}

fn stamp() -> String {
    chrono::Local::now()
        .format("%Y-%m-%d %H:%M:%S %z")
        .to_string()
}

/// After the server's 250: the Sent copy, the original answered, the draft gone.
fn finish(
    store: &mut Store,
    id: &str,
    draft: &Draft,
    built: &Built,
) -> Result<(String, PathBuf, Option<String>), String> {
    let (sent_id, path) = store
        .put_local(Folder::Sent, &built.bytes, Flags::SEEN)
        .map_err(local)?;
    let mut answered = None;
    if !draft.answers.is_empty() {
        if let Ok(Some(row)) = store.index().get(&draft.answers) {
            let _ = store.set_flags(&draft.answers, row.flags.with(Flags::ANSWERED));
            answered = Some(draft.answers.clone());
        }
    }
    discard(store, id, draft)?;
    Ok((sent_id, path, answered))
}

/// Removes a draft (sent, or abandoned) and the files kept for it (a
/// forward's attachments); the files only once the draft is gone.
pub fn discard(store: &mut Store, id: &str, draft: &Draft) -> Result<(), String> {
    store.delete(id).map_err(local)?;
    store.remove_draft_files(&draft.attach);
    Ok(())
}

/// Sends draft `id`: build, mark `sending`, SMTP, then Sent (or the reason
/// kept in the draft).
pub async fn send_draft(
    store: &StoreHandle,
    smtp: &SmtpSettings,
    tls: Option<smtp::TlsSetup>,
    id: &str,
) -> Result<Sent, Failure> {
    let started = Instant::now();
    let gone = || Failure::local("the local store has stopped".into());
    let owned = id.to_string();
    let (draft, atts) = store
        .run(move |s| prepare(s, &owned))
        .await
        .map_err(|_| gone())??;
    let now = SystemTime::now();
    let salt = u64::from(started.elapsed().subsec_nanos()) ^ (id.len() as u64) << 32;
    let from_addr = crate::mime::address::parse_mailbox(&draft.from)
        .map(|m| m.email.to_string())
        .unwrap_or_default();
    let built = build::build(
        &draft,
        &atts,
        None,
        now,
        build::message_id(&from_addr, now, salt),
    )
    .map_err(|e| Failure::invalid(e.0))?;
    let recipients: Vec<String> = built.envelope.to().iter().map(|a| a.to_string()).collect();
    // Marked before the first byte goes out: a crash from here on leaves a
    // draft that says it may have been sent.
    // The Message-ID goes in the mark: a crash after the Sent copy is kept
    // but before the draft is removed is finished by `settle_sent`.
    let mut marked = draft.clone();
    marked.status = format!("sending {} (started {})", built.message_id, stamp());
    let owned = id.to_string();
    store
        .run(move |s| save(s, &owned, &marked).map(|_| ()))
        .await
        .map_err(|_| gone())?
        .map_err(Failure::local)?;
    let result = smtp::send(smtp, tls, &built.envelope, &built.bytes).await;
    let owned = id.to_string();
    match result {
        Ok(()) => {
            let elapsed = started.elapsed();
            let d = draft.clone();
            let (sent_id, path, answered) = store
                .run(move |s| finish(s, &owned, &d, &built))
                .await
                .map_err(|_| gone())?
                .map_err(|e| Failure::local(format!("sent, but {e}")))?;
            Ok(Sent {
                recipients,
                path,
                id: sent_id,
                answered,
                elapsed,
            })
        }
        Err(e) => {
            let mut kept = draft;
            kept.status = if e.may_have_been_sent() {
                format!("may have been sent ({}): {e}", stamp())
            } else {
                format!("not sent ({}): {e}", stamp())
            };
            let _ = store.run(move |s| save(s, &owned, &kept)).await;
            Err(Failure {
                reason: e.to_string(),
                invalid: false,
                may_have_been_sent: e.may_have_been_sent(),
                class: e.class(),
            })
        }
    }
}

/// The drafts waiting, newest first: (id, subject).
pub fn waiting(store: &mut Store) -> Vec<(String, String)> {
    let mut rows = store.load(&Folder::Drafts).unwrap_or_default();
    rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
    rows.into_iter()
        .map(|r| {
            let subject = r
                .summary
                .as_ref()
                .map(|s| s.subject().to_string())
                .unwrap_or_default();
            (r.uidl.to_string(), subject)
        })
        .collect()
}

/// The Message-ID a `sending` mark names (`sending <id> (started …)`).
fn sending_id(status: &str) -> Option<&str> {
    let rest = status.strip_prefix("sending ")?;
    let end = rest.find('>')?;
    let id = &rest[..=end];
    (id.starts_with('<') && !id.contains(char::is_whitespace)).then_some(id)
}

/// Finishes sends cut off between the Sent copy and the draft's removal
/// (postie killed, the machine down): a draft marked `sending <Message-ID>`
/// whose message is in Sent was delivered, so it is removed (its files
/// too) and its original flagged answered, as `finish` would have. A
/// draft whose message is not in Sent stays, marked as possibly sent.
/// Returns a note for each draft removed.
pub fn settle_sent(store: &mut Store) -> Vec<String> {
    let mut marked = Vec::new();
    for row in store.load(&Folder::Drafts).unwrap_or_default() {
        let id = row.uidl.to_string();
        let Ok(Some(path)) = store.path(&id) else {
            continue;
        };
        let Ok(head) = crate::store::maildir::read_head(&path) else {
            continue;
        };
        let draft = Draft::parse(&String::from_utf8_lossy(&head));
        if let Some(mid) = sending_id(&draft.status) {
            marked.push((id, mid.to_string(), draft));
        }
    }
    if marked.is_empty() {
        return Vec::new();
    }
    let sent_ids = |store: &mut Store| -> std::collections::HashSet<String> {
        store
            .load(&Folder::Sent)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.summary.as_ref().map(|s| s.message_id().to_string()))
            .filter(|m| !m.is_empty())
            .collect()
    };
    let mut sent = sent_ids(store);
    if marked.iter().any(|(_, mid, _)| !sent.contains(mid)) {
        // A kill between the Sent copy's rename and its index row leaves a
        // file the index does not know yet: take the folders' files up
        // (rare: only after such a kill) before deciding.
        if let Err(e) = store.reconcile() {
            tracing::warn!("local store: {e}");
        }
        sent = sent_ids(store);
    }
    let mut notes = Vec::new();
    for (id, mid, head_draft) in marked {
        if !sent.contains(&mid) {
            continue;
        }
        // The whole draft (its attachment list may follow a long header).
        let draft = match load(store, &id) {
            Ok((v, _)) => v.draft,
            Err(_) => head_draft,
        };
        if !draft.answers.is_empty() {
            if let Ok(Some(row)) = store.index().get(&draft.answers) {
                let _ = store.set_flags(&draft.answers, row.flags.with(Flags::ANSWERED));
            }
        }
        if discard(store, &id, &draft).is_ok() {
            let subject = crate::text::sanitize::sanitize_line(&draft.subject).into_owned();
            notes.push(format!(
                "the draft \"{subject}\" had been sent ({mid} is in Sent) before postie stopped: removed from Drafts"
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(subject: &str, status: &str) -> Draft {
        Draft {
            from: "li@example.cn".into(),
            to: "bo@example.cn".into(),
            subject: subject.into(),
            body: "body\n".into(),
            status: status.into(),
            ..Draft::default()
        }
    }

    #[test]
    fn sending_id_reads_only_a_sending_mark() {
        assert_eq!(
            sending_id("sending <1.2.postie@example.cn> (started 2026-12-05)"),
            Some("<1.2.postie@example.cn>")
        );
        assert_eq!(sending_id("sending (started 2026-12-05)"), None);
        assert_eq!(sending_id("may have been sent <1@x>"), None);
        assert_eq!(sending_id("sending <a b@x>"), None);
        assert_eq!(sending_id("sending x>"), None);
    }

    #[test]
    fn a_draft_whose_message_is_in_sent_is_removed_and_others_stay() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let mid = "<1764900000.abc.postie@example.cn>";
        let put = |s: &mut Store, d: &Draft| {
            s.put_local(Folder::Drafts, d.render().as_bytes(), Flags::DRAFT)
                .unwrap()
                .0
        };
        let done = put(
            &mut s,
            &draft("sent already", &format!("sending {mid} (started x)")),
        );
        let cut = put(
            &mut s,
            &draft("cut off", "sending <9.9.postie@example.cn> (started x)"),
        );
        let old = put(&mut s, &draft("old mark", "sending (started x)"));
        let plain = put(&mut s, &draft("plain", ""));
        let copy = format!(
            "From: li@example.cn\r\nTo: bo@example.cn\r\nSubject: sent already\r\nMessage-ID: {mid}\r\n\r\nbody\r\n"
        );
        s.put_local(Folder::Sent, copy.as_bytes(), Flags::SEEN)
            .unwrap();

        let notes = settle_sent(&mut s);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("sent already") && notes[0].contains(mid),
            "{notes:?}"
        );
        assert_eq!(s.path(&done).unwrap(), None, "the sent draft is gone");
        for id in [&cut, &old, &plain] {
            assert!(s.path(id).unwrap().is_some_and(|p| p.exists()), "{id} kept");
        }
        assert_eq!(s.load(&Folder::Sent).unwrap().len(), 1, "Sent untouched");
        assert!(settle_sent(&mut s).is_empty(), "nothing more to settle");
    }

    /// A kill between the Sent copy's rename and its index row: the file is
    /// in Sent, the index does not list it yet. The next start still
    /// removes the draft (it used to stay: in Sent and in Drafts).
    #[test]
    fn a_sent_copy_the_index_does_not_know_yet_still_settles_its_draft() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let mid = "<1764900001.def.postie@example.cn>";
        let id = s
            .put_local(
                Folder::Drafts,
                draft(
                    "cut after the rename",
                    &format!("sending {mid} (started x)"),
                )
                .render()
                .as_bytes(),
                Flags::DRAFT,
            )
            .unwrap()
            .0;
        let copy = format!(
            "From: li@example.cn\r\nTo: bo@example.cn\r\nSubject: cut after the rename\r\nMessage-ID: {mid}\r\n\r\nbody\r\n"
        );
        // Written into Sent as the store writes it, but no index row.
        crate::store::maildir::deliver(
            &dir.path().join("Sent"),
            None,
            copy.as_bytes(),
            Flags::SEEN,
        )
        .unwrap();
        assert!(s.load(&Folder::Sent).unwrap().is_empty());
        let notes = settle_sent(&mut s);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(s.path(&id).unwrap(), None, "the draft is gone");
        assert_eq!(
            s.load(&Folder::Sent).unwrap().len(),
            1,
            "the Sent copy is indexed"
        );
    }
}
