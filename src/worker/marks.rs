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
