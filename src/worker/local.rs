//! Requests that need only the local store — a stored message to read, flags,
//! folders, Trash, saving attachments — run on the store's thread and are
//! answered with the same `Event`s the POP3 worker sends. They never wait
//! for the network: a stored message opens while the server is unreachable
//! or the worker is still logging in.

use rust_i18n::t;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::Event;
use crate::error::{ErrorClass, Failure};
use crate::mime::{DecodeOptions, Rendered};
use crate::store::{Flags, Folder, Store, StoreHandle};
use crate::sync::ListRow;
use crate::uidl::Uidl;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalRequest {
    /// Read and decode the stored copy (answered by `BodyLoaded`, or
    /// `BodyFailed` when there is none any more).
    LoadBody(Uidl),
    SetFlags(Uidl, Flags),
    LoadFolder(Folder),
    /// Move a stored message (to Trash, or back to INBOX).
    Move {
        uidl: Uidl,
        from: Folder,
        to: Folder,
    },
    /// Remove a stored message for good.
    Delete {
        uidl: Uidl,
        from: Folder,
    },
    /// Move or copy stored messages (and teach the spam filter).
    File(FileRequest),
    CreateFolder(Folder),
    RenameFolder(Folder, Folder),
    DeleteFolder(Folder),
    /// Run the filter rules over a folder.
    FileFolder(Folder),
    /// Save attachments (`parts` empty: all) of a stored message into `dir`.
    Save {
        uidl: Uidl,
        dir: PathBuf,
        parts: Vec<usize>,
    },
}

/// Messages to move or copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    pub uidls: Vec<Uidl>,
    pub from: Folder,
    pub to: Folder,
    pub copy: bool,
    /// Teach the spam filter: Some(true) spam, Some(false) not spam.
    pub learn: Option<bool>,
}

/// What filing did, for the list and the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    pub from: Folder,
    pub to: Folder,
    pub copy: bool,
    /// Moved or copied.
    pub done: Vec<Uidl>,
    /// Not stored (or not retrievable): left where they were.
    pub left: usize,
    /// What went wrong (a failed move, a spam filter's error).
    pub error: Option<String>,
}

/// Carries out `r` on the store thread (its messages must be stored).
pub fn file_stored(s: &mut Store, filer: &crate::filing::Filer, r: FileRequest) -> FileOutcome {
    let uidls: Vec<String> = r.uidls.iter().map(|u| u.to_string()).collect();
    let mut out = FileOutcome {
        from: r.from.clone(),
        to: r.to.clone(),
        copy: r.copy,
        done: Vec::new(),
        left: 0,
        error: None,
    };
    match s.file_many(&uidls, &r.to, r.copy) {
        Ok(f) => {
            out.left = f.not_stored.len();
            out.done = f.done.into_iter().map(Uidl::from).collect();
        }
        Err(e) => {
            out.left = uidls.len();
            out.error = Some(e.to_string());
            return out;
        }
    }
    if let Some(spam) = r.learn {
        let done: Vec<String> = out.done.iter().map(|u| u.to_string()).collect();
        if let Err(e) = filer.learn(s, &done, spam) {
            out.error = Some(e);
        }
    }
    out
}

/// After folders changed: the list of them, and the lists of `reload`.
fn folders_changed(s: &mut Store, tx: &UnboundedSender<Event>, reload: &[Folder]) {
    let _ = tx.send(Event::Folders(s.folders()));
    for f in reload {
        if let Ok(rows) = s.load(f) {
            let _ = tx.send(Event::FolderLoaded {
                folder: f.clone(),
                rows: rows.iter().map(ListRow::from_store).collect(),
            });
        }
    }
}

fn failed(tx: &UnboundedSender<Event>, error: String) {
    let _ = tx.send(Event::Failed(Failure::new(ErrorClass::Local, error)));
}

/// Saves attachments of a stored message (on the store thread).
pub fn save_stored(
    s: &mut Store,
    uidl: &str,
    dir: &std::path::Path,
    parts: &[usize],
    decode: &DecodeOptions,
) -> Result<Vec<PathBuf>, String> {
    let raw = s
        .read(uidl)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| t!("worker.not_in_store").into_owned())?;
    crate::store::names::save_attachments(&raw, decode, dir, parts).map_err(|e| e.to_string())
}

pub fn execute(
    store: &StoreHandle,
    filer: &Arc<crate::filing::Filer>,
    request: LocalRequest,
    tx: UnboundedSender<Event>,
) {
    let filer = filer.clone();
    let decode = filer.decode;
    store.post(move |s| match request {
        LocalRequest::File(r) => {
            let created = !s.has_folder(&r.to);
            let to = r.to.clone();
            let out = file_stored(s, &filer, r);
            if created {
                folders_changed(s, &tx, &[]);
            }
            let reload = !out.done.is_empty();
            let _ = tx.send(Event::Filed(out));
            if reload {
                folders_changed(s, &tx, &[to]);
            }
        }
        LocalRequest::CreateFolder(f) => match s.create_folder(&f) {
            Ok(_) => folders_changed(s, &tx, &[]),
            Err(e) => failed(&tx, e.to_string()),
        },
        LocalRequest::RenameFolder(a, b) => match s.rename_folder(&a, &b) {
            Ok(()) => {
                let _ = tx.send(Event::FolderGone {
                    folder: a,
                    now: Some(b.clone()),
                });
                folders_changed(s, &tx, &[b]);
            }
            Err(e) => failed(&tx, e.to_string()),
        },
        LocalRequest::DeleteFolder(f) => match s.delete_folder(&f) {
            Ok(_) => {
                let _ = tx.send(Event::FolderGone {
                    folder: f,
                    now: None,
                });
                folders_changed(s, &tx, &[Folder::Trash]);
            }
            Err(e) => failed(&tx, e.to_string()),
        },
        LocalRequest::FileFolder(f) => match filer.file_folder(s, &f) {
            Ok(report) => {
                for e in &report.errors {
                    failed(&tx, e.clone());
                }
                let mut reload: Vec<Folder> = report.moved.keys().cloned().collect();
                reload.push(f.clone());
                let _ = tx.send(Event::RulesRun {
                    folder: f,
                    moved: report.moved_count(),
                    copied: report.copied,
                    marked: report.marked,
                });
                folders_changed(s, &tx, &reload);
            }
            Err(e) => failed(&tx, e.to_string()),
        },
        LocalRequest::LoadBody(uidl) => match s.path(&uidl) {
            Ok(Some(path)) => {
                // Decoded on a thread of its own, so the store goes on
                // answering meanwhile; a large file is never read whole.
                std::thread::spawn(move || {
                    let rendered = crate::store::maildir::open_regular(&path)
                        .and_then(|mut f| super::body::render_file(&mut f, &decode));
                    let _ = tx.send(match rendered {
                        Ok(r) => Event::BodyLoaded {
                            uidl,
                            rendered: Arc::new(r),
                        },
                        Err(e) => Event::BodyFailed {
                            uidl,
                            error: t!("worker.cannot_read_stored", error = e).into(),
                            stored_copy: true,
                        },
                    });
                });
            }
            Ok(None) => {
                let _ = tx.send(Event::BodyFailed {
                    uidl,
                    error: t!("worker.stored_copy_gone").into(),
                    stored_copy: true,
                });
            }
            Err(e) => {
                let _ = tx.send(Event::BodyFailed {
                    uidl,
                    error: e.to_string(),
                    stored_copy: false,
                });
            }
        },
        LocalRequest::SetFlags(uidl, flags) => {
            if let Err(e) = s.set_flags(&uidl, flags) {
                failed(&tx, t!("worker.cannot_save_flags", error = e).into());
            }
        }
        LocalRequest::LoadFolder(folder) => match s.load(&folder) {
            Ok(rows) => {
                let _ = tx.send(Event::FolderLoaded {
                    folder,
                    rows: rows.iter().map(ListRow::from_store).collect(),
                });
            }
            Err(e) => failed(
                &tx,
                t!(
                    "worker.cannot_read_folder",
                    folder = folder.label(),
                    error = e
                )
                .into(),
            ),
        },
        LocalRequest::Move { uidl, from, to } => match s.move_to(&uidl, &to) {
            Ok(_) => {
                let _ = tx.send(Event::Moved {
                    uidl,
                    from,
                    to: Some(to),
                });
            }
            Err(e) => failed(
                &tx,
                t!("worker.cannot_move", folder = to.label(), error = e).into(),
            ),
        },
        LocalRequest::Delete { uidl, from } => match s.delete(&uidl) {
            Ok(()) => {
                let _ = tx.send(Event::Moved {
                    uidl,
                    from,
                    to: None,
                });
            }
            Err(e) => failed(&tx, t!("worker.cannot_delete", error = e).into()),
        },
        LocalRequest::Save { uidl, dir, parts } => {
            let _ = tx.send(Event::Saved(save_stored(s, &uidl, &dir, &parts, &decode)));
        }
    });
}

/// Attachment `part` of a stored message: its safe file name and bytes.
pub fn attachment_bytes(
    s: &mut Store,
    uidl: &str,
    part: usize,
    decode: &DecodeOptions,
) -> Result<(String, Vec<u8>, String), String> {
    let raw = s
        .read(uidl)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| t!("worker.not_in_store").into_owned())?;
    let found = crate::mime::attachment_parts(&raw, decode)
        .into_iter()
        .find(|p| p.attachment.part == part)
        .ok_or_else(|| t!("worker.no_attachment", n = part).into_owned())?;
    let name = crate::store::names::safe_name(&found.file_name, &format!("attachment-{part}"));
    Ok((name, found.bytes, found.attachment.mime_type))
}

/// Whether a graphical display is there to open a viewer on.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Starts `cmd` on `path`, detached from the terminal (no stdin, no output).
fn viewer(mut cmd: std::process::Command, path: &std::path::Path) -> std::io::Result<()> {
    cmd.arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}

/// `b` in the reader: the HTML part, in a private file (0600 in a 0700
/// directory), opened with `$BROWSER` (its first entry), else `xdg-open`,
/// when a display is available. A Content-Security-Policy put first keeps
/// the browser from fetching anything remote (tracking pixels): only
/// inline styles and `data:` images. Blocking: run off the async threads.
pub fn open_html(html: &str, tx: &UnboundedSender<Event>) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if !has_display() {
        return failed(tx, t!("worker.no_display_html").into());
    }
    let opened = tempfile::Builder::new()
        .prefix("postie-html-")
        .tempdir()
        .map_err(|e| e.to_string())
        .and_then(|dir| {
            let path = dir.keep().join("message.html");
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| e.to_string())?;
            f.write_all(
                b"<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
            )
            .and_then(|()| f.write_all(html.as_bytes()))
            .map_err(|e| e.to_string())?;
            Ok(path)
        })
        .and_then(|path| {
            let browser = std::env::var("BROWSER")
                .ok()
                .and_then(|b| b.split(':').next().map(str::to_string))
                .filter(|b| !b.trim().is_empty());
            let cmd = match &browser {
                Some(b) => {
                    let mut words = b.split_whitespace();
                    let mut c = std::process::Command::new(words.next().unwrap_or("xdg-open"));
                    c.args(words);
                    c
                }
                None => std::process::Command::new("xdg-open"),
            };
            viewer(cmd, &path)
                .map(|()| path)
                .map_err(|e| t!("worker.no_browser", error = e).into_owned())
        });
    match opened {
        Ok(_) => failed(tx, t!("worker.opened_html").into()),
        Err(e) => failed(tx, t!("worker.cannot_open_html", error = e).into()),
    }
}

/// `Enter` on an attachment: with a display, `xdg-open` on a private copy;
/// without one, a text part is shown in the reader; anything else says how
/// to save or pipe it.
pub fn open_attachment(
    store: &StoreHandle,
    decode: DecodeOptions,
    uidl: Uidl,
    part: usize,
    tx: UnboundedSender<Event>,
) {
    store.post(move |s| {
        let (name, bytes, mime) = match attachment_bytes(s, &uidl, part, &decode) {
            Ok(found) => found,
            Err(e) => return failed(&tx, t!("worker.cannot_open_attachment", error = e).into()),
        };
        if has_display() {
            let opened = tempfile::Builder::new()
                .prefix("postie-open-")
                .tempdir()
                .map_err(|e| e.to_string())
                .and_then(|dir| {
                    let dir = dir.keep();
                    crate::store::names::save_bytes(&dir, &name, &bytes).map_err(|e| e.to_string())
                })
                .and_then(|path| {
                    viewer(std::process::Command::new("xdg-open"), &path)
                        .map(|()| path)
                        .map_err(|e| t!("worker.no_xdg_open", error = e).into_owned())
                });
            match opened {
                Ok(_) => failed(
                    &tx,
                    t!(
                        "worker.opened",
                        name = crate::text::sanitize::sanitize_line(&name)
                    )
                    .into(),
                ),
                Err(e) => failed(&tx, t!("worker.cannot_open_attachment", error = e).into()),
            }
        } else if mime.starts_with("text/") {
            let text = crate::mime::charset::decode_text(&bytes, None, &decode);
            let text = if mime == "text/html" {
                crate::mime::render::html_to_text(&text)
            } else {
                text
            };
            let rendered = Rendered {
                subject: crate::text::sanitize::sanitize_line(&name).into_owned(),
                body: crate::text::sanitize::sanitize_text(&text),
                ..Rendered::default()
            };
            let _ = tx.send(Event::ShowText(Arc::new(rendered)));
        } else {
            failed(
                &tx,
                t!(
                    "worker.no_display",
                    name = crate::text::sanitize::sanitize_line(&name),
                    mime = mime
                )
                .into(),
            );
        }
    });
}
