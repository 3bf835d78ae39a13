//! The marks on the server: DELE and RSET so the session holds the user's
//! marks, QUIT to commit them, and the local copies of what was deleted
//! moved to Trash afterwards.

use rust_i18n::t;
use std::collections::BTreeSet;

use super::protocol::Event;
use super::{lookup, Worker};
use crate::error::{Classify, Failure};
use crate::pop3::Mailbox;
use crate::pop3::Pop3Error;
use crate::uidl::Uidl;
use tokio::time::Instant;

impl<M: Mailbox> Worker<M> {
    /// Brings the session's marks in line with the user's, in one round trip.
    pub(super) async fn sync_marks(&mut self) -> Result<(), Pop3Error> {
        let Some(client) = self.client.as_mut() else {
            return Ok(());
        };
        self.state.marks.dirty = false;
        let (index, by_uidl) = (&self.index.messages, &self.index.by_uidl);
        let numbers = |set: &BTreeSet<Uidl>| -> Vec<u32> {
            set.iter()
                .filter_map(|u| lookup(index, by_uidl, u).map(|m| m.number))
                .collect()
        };
        let refused = if self.state.marks.applied.is_subset(&self.state.marks.user) {
            let new: BTreeSet<Uidl> = self
                .state
                .marks
                .user
                .difference(&self.state.marks.applied)
                .cloned()
                .collect();
            client.dele(&numbers(&new)).await?
        } else {
            client.reset_marks(&numbers(&self.state.marks.user)).await?
        };
        // A temporary refusal (Dovecot says [SYS/TEMP] as it shuts a session
        // down) is not a verdict on the message: keep the mark, start over.
        if let Some((_, e)) = refused
            .iter()
            .find(|(_, e)| e.code() == Some(&crate::pop3::ResponseCode::SysTemp))
        {
            return Err(Pop3Error::ConnectionLost {
                addr: self.cfg.endpoint.addr(),
                reason: e.to_string(),
            });
        }
        self.state.marks.applied = self.state.marks.user.clone();
        let mut dropped = Vec::new();
        let mut why = String::new();
        for (n, e) in refused {
            if let Some(u) = self.message(n).map(|(_, u)| u.clone()) {
                self.state.marks.applied.remove(&u);
                self.state.marks.user.remove(&u);
                dropped.push(u);
            }
            why = e.to_string();
        }
        if !dropped.is_empty() {
            self.send(Event::MarksDropped {
                uidls: dropped,
                why,
            });
        }
        self.state.health.last_activity = Instant::now();
        self.send(Event::MarksApplied(self.state.marks.applied.clone()));
        Ok(())
    }

    /// QUIT with the marks standing. True when done (the worker then ends).
    pub(super) async fn commit(&mut self) -> bool {
        if let Err(e) = self.copy_marked().await {
            // Nothing is deleted without the copy it was promised.
            self.state.wants.quit = None;
            if e.is_fatal() {
                self.client = None;
                self.state.marks.session_lost();
            }
            let error = t!("worker.copy_failed", error = e).into_owned();
            self.send(Event::Failed(Failure::new(e.class(), error)));
            return false;
        }
        let Some(client) = self.client.take() else {
            return false;
        };
        let deleted = self.state.marks.applied.len();
        match client.quit().await {
            Ok(()) => {
                self.deleted_on_server().await;
                self.send(Event::Closed { deleted });
                true
            }
            Err(e) => {
                // Not known to be committed: keep the marks and stay. RFC 1939
                // §6: after a QUIT -ERR some marked messages may be gone and
                // some not; a link lost during QUIT leaves it unknown. The
                // next session's index shows what is left; marks on it stay.
                self.state.wants.quit = None;
                self.state.marks.session_lost();
                let error = match &e {
                    Pop3Error::Refused { .. } => {
                        t!("worker.quit_refused", error = e, n = deleted).into_owned()
                    }
                    _ => t!("worker.quit_lost", error = e, n = deleted).into_owned(),
                };
                self.send(Event::Failed(Failure::new(e.class(), error)));
                false
            }
        }
    }

    /// Before a committed QUIT: each marked message with no local copy (up
    /// to `trash_download_limit`) is retrieved and stored durably (fsync,
    /// rename), so that after the QUIT it goes to Trash like any stored one:
    /// nothing is lost by a `d` on a message never opened. RETR of a message
    /// marked deleted is refused (RFC 1939), so those marks are lifted (RSET,
    /// the others DELEd again, one round trip), the copies retrieved
    /// pipelined and stored a batch at a time, then DELEd again. A message
    /// the server will not send loses its mark (it stays on the server).
    async fn copy_marked(&mut self) -> Result<(), Pop3Error> {
        let Some(store) = self.store.clone() else {
            return Ok(());
        };
        let limit = self.settings.trash_limit;
        let mut wanted: Vec<(u32, u64)> = Vec::new();
        let mut keep: Vec<(u32, Uidl)> = Vec::new();
        for u in &self.state.marks.user {
            let Some(m) = lookup(&self.index.messages, &self.index.by_uidl, u) else {
                continue;
            };
            let stored = self.local.get(u).is_some_and(|k| k.stored);
            if !u.is_session() && !stored && limit > 0 && m.size <= limit {
                wanted.push((m.number, m.size));
            } else {
                keep.push((m.number, u.clone()));
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let Some(client) = self.client.as_mut() else {
            return Ok(());
        };
        let numbers: Vec<u32> = keep.iter().map(|(n, _)| *n).collect();
        let refused = client.reset_marks(&numbers).await?;
        self.state.marks.applied = keep
            .into_iter()
            .filter(|(n, _)| !refused.iter().any(|(r, _)| r == n))
            .map(|(_, u)| u)
            .collect();
        let total = wanted.len();
        let mut done = 0;
        // A batch at a time: at most 16 MB held before it is stored.
        let mut rest = wanted.as_slice();
        while !rest.is_empty() {
            let mut bytes = 0;
            let take = rest
                .iter()
                .take_while(|(_, size)| {
                    bytes += size;
                    bytes <= 16 * 1024 * 1024
                })
                .count()
                .max(1);
            let (batch, later) = rest.split_at(take);
            rest = later;
            let max_each = limit
                .saturating_mul(2)
                .max(1024 * 1024)
                .min(self.settings.max_message_size) as usize;
            let mut got: Vec<(Uidl, Vec<u8>)> = Vec::new();
            let mut failed: Vec<(Uidl, String)> = Vec::new();
            let index = &self.index.messages;
            // By number, as `Worker::message` finds it (the index is in number order).
            let uidl_of = |n: u32| {
                index
                    .binary_search_by_key(&n, |m| m.number)
                    .ok()
                    .map(|i| index[i].uidl.clone())
            };
            let client = self.client.as_mut().ok_or(Pop3Error::Bug("no session"))?;
            client
                .retrieve(batch, max_each, 4 * 1024 * 1024, |n, reply| {
                    if let Some(u) = uidl_of(n) {
                        match reply {
                            Ok(raw) => got.push((u, raw)),
                            Err(e) => failed.push((u, e.to_string())),
                        }
                    }
                    crate::pop3::Flow::Continue
                })
                .await?;
            let uidls: Vec<Uidl> = got.iter().map(|(u, _)| u.clone()).collect();
            match store.run(move |s| s.deliver_batch(&got)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(Pop3Error::Local(e.to_string())),
                Err(e) => return Err(Pop3Error::Local(e.to_string())),
            }
            for u in uidls {
                if let Some(k) = self.local.get_mut(&u) {
                    k.stored = true;
                }
                self.send(Event::Stored(u));
            }
            if !failed.is_empty() {
                let why = failed.last().map(|(_, w)| w.clone()).unwrap_or_default();
                let uidls: Vec<Uidl> = failed.into_iter().map(|(u, _)| u).collect();
                for u in &uidls {
                    self.state.marks.user.remove(u);
                }
                self.send(Event::MarksDropped { uidls, why });
            }
            done += batch.len();
            self.send(Event::Downloading { done, total });
        }
        // The copies are safe on disk: mark them again.
        self.sync_marks().await
    }

    /// After a committed QUIT: the local copies of the deleted messages go to
    /// Trash (where `u` restores them); the others leave the index.
    pub(super) async fn deleted_on_server(&mut self) {
        let Some(store) = &self.store else { return };
        let deleted: Vec<Uidl> = self
            .state
            .marks
            .applied
            .iter()
            .filter(|u| !u.is_session())
            .cloned()
            .collect();
        if deleted.is_empty() {
            return;
        }
        let done = store
            .run(move |s| {
                let mut errors = Vec::new();
                for u in &deleted {
                    if let Err(e) = s.deleted_on_server(u) {
                        errors.push(e.to_string());
                    }
                }
                errors
            })
            .await;
        match done {
            Ok(errors) if errors.is_empty() => {}
            Ok(errors) => self.store_failed(&t!("worker.moving_to_trash"), errors.join("; ")),
            Err(e) => self.store_failed(&t!("worker.moving_to_trash"), e),
        }
    }
}
