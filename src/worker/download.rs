//! Bodies: the stored copy when there is one, else RETR (streamed to the
//! store's `tmp/` when large), kept in the store, decoded off this task;
//! attachment saves; and `download = "all"`'s background download.

use rust_i18n::t;
use std::sync::Arc;

use tokio::time::Instant;

use super::body;
use super::local;
use super::plan::{cancels, stops_now, CANCEL_AFTER};
use super::protocol::{Event, Request};
use super::Worker;
use crate::pop3::Mailbox;
use crate::pop3::Pop3Error;
use crate::store::{Flags, Folder};
use crate::uidl::Uidl;

impl<M: Mailbox> Worker<M> {
    pub(super) async fn fetch_body(&mut self, uidl: &Uidl) -> Result<(), Pop3Error> {
        if self.local.get(uidl).is_some_and(|k| k.stored) && self.body_from_store(uidl).await {
            return Ok(());
        }
        let Some(number) = self.number_of(uidl) else {
            self.send(Event::BodyFailed {
                uidl: uidl.clone(),
                error: t!("worker.gone_from_server").into(),
                stored_copy: false,
            });
            return Ok(());
        };
        let total = self.message(number).map_or(0, |(size, _)| size);
        let Some(raw) = self.retrieve_and_keep(number, uidl, total).await? else {
            return Ok(());
        };
        self.show_body(uidl, raw).await
    }

    /// RETR (streamed into the store's tmp/ when large) and keep it; None
    /// when there is no session.
    pub(super) async fn retrieve_and_keep(
        &mut self,
        number: u32,
        uidl: &Uidl,
        size: u64,
    ) -> Result<Option<body::Retrieved>, Pop3Error> {
        let spill_dir = match &self.store {
            Some(s) if !uidl.is_session() => s.run(|s| s.tmp_dir()).await.ok(),
            _ => None,
        };
        let Some(client) = self.client.as_mut() else {
            return Ok(None);
        };
        let started = Instant::now();
        let (raw, held, cancelled) = {
            let retr = body::retrieve(
                client,
                (number, uidl, size),
                spill_dir.as_deref(),
                self.settings.decode,
                &self.link.tx,
                self.settings.max_message_size,
            );
            tokio::pin!(retr);
            // The user does not wait behind a long download: opening another
            // message, R, q or leaving this one stops it (the session is dropped
            // mid-reply and opened again; marks are the client's and come back).
            let mut held: Vec<Request> = Vec::new();
            let mut cancelled = None;
            // A request that would stop a download that was still short when
            // it came stops it once the download has run CANCEL_AFTER.
            let long_at = started + CANCEL_AFTER;
            let raw = loop {
                let waiting = held.iter().any(|r| cancels(r, uidl));
                tokio::select! {
                    r = &mut retr => break r,
                    _ = tokio::time::sleep_until(long_at), if waiting => {
                        if let Some(i) = held.iter().position(|r| cancels(r, uidl)) {
                            cancelled = Some(held.remove(i));
                            break Err(Pop3Error::Cancelled("stopped"));
                        }
                    }
                    req = self.link.rx.recv() => match req {
                        None => {
                            cancelled = Some(Request::QuitDiscard);
                            break Err(Pop3Error::Cancelled("the reader has gone"));
                        }
                        Some(r) => {
                            if stops_now(&r, uidl, size, started.elapsed()) {
                                cancelled = Some(r);
                                break Err(Pop3Error::Cancelled("stopped"));
                            }
                            held.push(r);
                        }
                    },
                }
            };
            (raw, held, cancelled)
        };
        self.state.wants.pending.extend(held);
        if let Some(r) = cancelled {
            tracing::info!("a download was stopped for {r:?}");
            let stop_self = matches!(&r, Request::StopBody(u) if u == uidl);
            self.state.wants.pending.push_front(r);
            self.client = None;
            self.state.marks.session_lost();
            self.send(Event::BodyFailed {
                uidl: uidl.clone(),
                error: if stop_self {
                    t!("worker.stopped_on_leave").into()
                } else {
                    t!("worker.stopped_for_next").into()
                },
                stored_copy: false,
            });
            return Ok(None);
        }
        let raw = raw?;
        self.state.health.last_activity = Instant::now();
        Ok(Some(self.keep(uidl, raw).await))
    }

    /// Moves or copies INBOX messages: those not stored are retrieved (and
    /// kept) first; then the store files them all at once.
    pub(super) async fn file(&mut self, r: local::FileRequest) -> Result<(), Pop3Error> {
        let mut left = 0;
        for u in &r.uidls {
            if self.local.get(u).is_some_and(|k| k.stored) {
                continue;
            }
            let Some(number) = self.number_of(u) else {
                left += 1;
                continue;
            };
            let total = self.message(number).map_or(0, |(size, _)| size);
            if self.retrieve_and_keep(number, u, total).await?.is_none() {
                left += 1;
            }
        }
        let Some(store) = self.store.clone() else {
            return Ok(());
        };
        let filer = self.settings.filer.clone();
        let (to, copy) = (r.to.clone(), r.copy);
        let outcome = store
            .run(move |s| {
                let created = !s.has_folder(&r.to);
                let out = local::file_stored(s, &filer, r);
                let folders = created.then(|| s.folders());
                let rows = s.load(&out.to).unwrap_or_default();
                (out, folders, rows)
            })
            .await;
        let Ok((mut out, folders, rows)) = outcome else {
            return Ok(());
        };
        out.left += left;
        if !copy && to != Folder::Inbox {
            for u in &out.done {
                if let Some(k) = self.local.get_mut(u) {
                    k.elsewhere = true;
                }
            }
        }
        if let Some(f) = folders {
            self.send(Event::Folders(f));
        }
        self.send(Event::Filed(out));
        self.send(Event::FolderLoaded {
            folder: to,
            rows: rows.iter().map(crate::sync::ListRow::from_store).collect(),
        });
        Ok(())
    }

    /// Saves attachments: from the stored copy, retrieved (and kept) first if
    /// need be; a message that cannot be kept is saved from memory.
    pub(super) async fn save(
        &mut self,
        uidl: &Uidl,
        dir: std::path::PathBuf,
        parts: Vec<usize>,
    ) -> Result<(), Pop3Error> {
        let stored = self.local.get(uidl).is_some_and(|k| k.stored);
        let raw = if stored {
            None
        } else {
            let Some(number) = self.number_of(uidl) else {
                self.send(Event::Saved(Err(t!("worker.gone_from_server").into())));
                return Ok(());
            };
            let total = self.message(number).map_or(0, |(size, _)| size);
            let Some(raw) = self.retrieve_and_keep(number, uidl, total).await? else {
                return Ok(());
            };
            Some(raw)
        };
        let decode = self.settings.decode;
        let result = match (raw, &self.store) {
            (Some(body::Retrieved::Memory(bytes)), _) => tokio::task::spawn_blocking(move || {
                crate::store::names::save_attachments(&bytes, &decode, &dir, &parts)
                    .map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string())),
            (Some(body::Retrieved::File(_)), _) | (_, None) => {
                Err(t!("worker.not_kept").into_owned())
            }
            (_, Some(store)) => {
                let u = uidl.clone();
                store
                    .run(move |s| local::save_stored(s, &u, &dir, &parts, &decode))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()))
            }
        };
        self.send(Event::Saved(result));
        Ok(())
    }

    /// With `download = "all"`: the messages still to store, newest first.
    pub(super) fn to_download(&self) -> Vec<(u32, u64)> {
        self.download_candidates().collect()
    }

    /// `to_download` without collecting it: the executor asks before every
    /// step whether anything is left, and the answer is the first one.
    pub(super) fn downloads_left(&self) -> bool {
        self.download_candidates().next().is_some()
    }

    fn download_candidates(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        let limit = match (self.settings.background, &self.store) {
            (Some(limit), Some(_)) => Some(limit),
            _ => None,
        };
        limit.into_iter().flat_map(move |limit| {
            self.index
                .messages
                .iter()
                .rev()
                .filter(move |m| !m.uidl.is_session() && limit.is_none_or(|l| m.size <= l))
                .filter(|m| !self.local.get(&m.uidl).is_some_and(|k| k.stored))
                .filter(|m| !self.download_failed.contains(&m.uidl))
                .map(|m| (m.number, m.size))
        })
    }

    /// A stretch of the background download: pipelined RETRs (at most 4 MB
    /// outstanding), paused as soon as the user asks for anything, stored in
    /// one batch on the store thread.
    pub(super) async fn download_some(&mut self) -> Result<(), Pop3Error> {
        let mut wanted = self.to_download();
        let total_left = wanted.len();
        // Large ones stream through the ordinary body path, one at a time.
        if let Some(&(n, size)) = wanted.first().filter(|w| w.1 > 1024 * 1024) {
            let Some(uidl) = self.message(n).map(|(_, u)| u.clone()) else {
                return Ok(());
            };
            if self.retrieve_and_keep(n, &uidl, size).await?.is_none() {
                return Ok(());
            }
            if !self.local.get(&uidl).is_some_and(|k| k.stored) {
                self.download_failed.insert(uidl);
            }
            self.report_download(total_left.saturating_sub(1));
            return Ok(());
        }
        wanted.retain(|w| w.1 <= 1024 * 1024);
        wanted.truncate(256);
        let Some(mut client) = self.client.take() else {
            return Ok(());
        };
        let mut got: Vec<(Uidl, Vec<u8>)> = Vec::new();
        let result = client
            .retrieve(&wanted, 4 * 1024 * 1024, 4 * 1024 * 1024, |n, reply| {
                match (reply, self.message(n).map(|(_, u)| u.clone())) {
                    (Ok(bytes), Some(u)) => got.push((u, bytes)),
                    (Err(_), Some(u)) => {
                        self.download_failed.insert(u);
                    }
                    _ => {}
                }
                self.poll_requests(n)
            })
            .await;
        self.client = Some(client);
        self.state.health.last_activity = Instant::now();
        let asked: Vec<Uidl> = got.iter().map(|(u, _)| u.clone()).collect();
        if let Some(store) = &self.store {
            let n = got.len();
            match store.run(move |s| s.deliver_batch(&got)).await {
                Ok(Ok(_)) => {
                    for u in &asked {
                        if let Some(k) = self.local.get_mut(u) {
                            k.stored = true;
                        }
                        self.send(Event::Stored(u.clone()));
                    }
                }
                Ok(Err(e)) => {
                    self.store_failed(&t!("worker.cannot_keep_downloaded"), e);
                    self.settings.background = None;
                }
                Err(e) => {
                    self.store_failed(&t!("worker.cannot_keep_downloaded"), e);
                    self.settings.background = None;
                }
            }
            self.report_download(total_left.saturating_sub(n));
        }
        result.map(drop)
    }

    pub(super) fn report_download(&self, left: usize) {
        let stored = self
            .local
            .values()
            .filter(|k| k.stored && k.on_server)
            .count();
        self.send(Event::Downloading {
            done: stored,
            total: stored + left,
        });
    }

    /// Decodes a message (off this task when large) and sends it to the reader.
    pub(super) async fn show_body(
        &mut self,
        uidl: &Uidl,
        raw: body::Retrieved,
    ) -> Result<(), Pop3Error> {
        let decode = self.settings.decode;
        // A file is read, and a large message decoded, off this task, so the
        // session stays responsive and no disk read happens on it.
        let heavy = !matches!(&raw, body::Retrieved::Memory(b) if b.len() <= 256 * 1024);
        let rendered = if heavy {
            tokio::task::spawn_blocking(move || raw.render(&decode))
                .await
                .map_err(|e| Pop3Error::Local(t!("worker.decoding_failed", error = e).into()))?
        } else {
            raw.render(&decode)
        }
        .map_err(|e| Pop3Error::Local(t!("worker.cannot_read_back", error = e).into()))?;
        self.send(Event::BodyLoaded {
            uidl: uidl.clone(),
            rendered: Arc::new(rendered),
        });
        Ok(())
    }

    /// The stored copy, decoded and sent; false when there is none (any more).
    pub(super) async fn body_from_store(&mut self, uidl: &Uidl) -> bool {
        let Some(store) = &self.store else {
            return false;
        };
        let u = uidl.clone();
        let found = store
            .run(move |s| s.path(&u).map(|p| p.filter(|p| p.exists())))
            .await;
        match found {
            Ok(Ok(Some(path))) => match self.show_body(uidl, body::Retrieved::Stored(path)).await {
                Ok(()) => return true,
                Err(e) => self.store_failed(&t!("worker.cannot_read_stored_message"), e),
            },
            Ok(Ok(_)) => {}
            Ok(Err(e)) => self.store_failed(&t!("worker.cannot_read_stored_message"), e),
            Err(e) => self.store_failed(&t!("worker.cannot_read_stored_message"), e),
        }
        if let Some(k) = self.local.get_mut(uidl) {
            k.stored = false;
        }
        false
    }

    /// Keeps a retrieved message in the store (on the store's thread: the
    /// fsync never runs on this task). Returns where it can be read back.
    pub(super) async fn keep(&mut self, uidl: &Uidl, raw: body::Retrieved) -> body::Retrieved {
        let Some(store) = self.store.clone() else {
            return raw;
        };
        if uidl.is_session() {
            return raw;
        }
        let u = uidl.clone();
        let filer = self.settings.filer.clone();
        let kept = store
            .run(move |s| {
                let (raw, r) = match raw {
                    body::Retrieved::Memory(bytes) => {
                        let r = s.deliver(&u, &bytes, Flags::default(), None).map(|_| ());
                        (body::Retrieved::Memory(bytes), r)
                    }
                    body::Retrieved::File(tmp) => match s.deliver_tmp(&u, &tmp, Flags::default()) {
                        Ok(path) => (body::Retrieved::Stored(path), Ok(())),
                        Err(e) => (body::Retrieved::File(tmp), Err(e)),
                    },
                    other => (other, Ok(())),
                };
                // New mail stored: the rules file it (the spam judge runs
                // at fetch time only: not while the user waits to read).
                let filed = if r.is_ok() && !filer.rules.is_empty() {
                    let bytes = match &raw {
                        body::Retrieved::Memory(b) => Some(b.as_slice()),
                        _ => None,
                    };
                    filer.file_new(s, &[(u.to_string(), bytes)], false)
                } else {
                    crate::filing::Report::default()
                };
                (raw, r, filed)
            })
            .await;
        match kept {
            Ok((raw, Ok(()), filed)) => {
                if let Some(k) = self.local.get_mut(uidl) {
                    k.stored = true;
                }
                self.send(Event::Stored(uidl.clone()));
                for (to, done) in filed.moved {
                    for u in &done {
                        if let Some(k) = self.local.get_mut(u.as_str()) {
                            k.elsewhere = true;
                        }
                    }
                    self.send(Event::Filed(local::FileOutcome {
                        from: Folder::Inbox,
                        to,
                        copy: false,
                        done: done.into_iter().map(Uidl::from).collect(),
                        left: 0,
                        error: None,
                    }));
                }
                raw
            }
            Ok((raw, Err(e), _)) => {
                self.store_failed(&t!("worker.not_kept"), e);
                raw
            }
            Err(e) => {
                self.store_failed(&t!("worker.not_kept"), e);
                // The store thread is gone with the bytes; nothing to show.
                body::Retrieved::Memory(Vec::new())
            }
        }
    }
}
