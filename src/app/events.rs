//! What the tasks report: worker events, threads computed, index hits —
//! each turned into state, and into the effects that follow.
use super::*;
use rust_i18n::t;

impl App {
    pub(super) fn worker(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::LocalLoaded(rows) => {
                if !self.indexed {
                    self.inbox_mut().replace(rows);
                    return self.list_moved();
                }
            }
            Event::Stored(uidl) => {
                if let Some(e) = self.inbox_mut().get_mut(&uidl) {
                    e.stored = true;
                }
                let mut effects = self.compose_stored(&uidl);
                if self.pending_pipe.as_ref().is_some_and(|(u, _)| *u == uidl) {
                    if let Some((uidl, command)) = self.pending_pipe.take() {
                        self.notice = None;
                        effects.push(Effect::PipeMessage { uidl, command });
                    }
                }
                return effects;
            }
            Event::Filed(out) => return self.filed(out),
            Event::FolderGone { folder, now } => return self.folder_gone(folder, now),
            Event::RulesRun {
                folder,
                moved,
                copied,
                marked,
            } => {
                self.notice = Some(
                    t!(
                        "notice.rules_run",
                        folder = folder.label(),
                        moved = moved,
                        copied = copied,
                        marked = marked
                    )
                    .into(),
                );
                return vec![];
            }
            Event::Folders(folders) => {
                self.folders = folders;
                return vec![];
            }
            Event::FolderLoaded { folder, rows } => {
                self.list_of(&folder).replace(rows);
                return self.rethread(&folder);
            }
            Event::Moved { uidl, from, to } => {
                let entry = self.list_of(&from).remove(&uidl);
                self.tags.remove(&uidl);
                self.notice = Some(match to {
                    Some(Folder::Trash) => t!("notice.moved_to_trash").into(),
                    Some(ref f) => t!("notice.restored_to", folder = f.label()).into(),
                    None => t!("notice.purged").into(),
                });
                if let (Some(mut e), Some(to)) = (entry, to) {
                    if to == Folder::Inbox && e.on_server {
                        // Still on the server: the INBOX row is there already.
                        e.flags = e.flags.without(Flags::TRASHED);
                    }
                    self.list_of(&to).insert_top(e);
                }
                return self.list_moved();
            }
            Event::Downloading { done, total } => self.downloading = Some((done, total)),
            Event::ShowText(rendered) => {
                // An attachment shown as text: a reader of its own, not a message.
                let id = Uidl::from(" attachment");
                let mut reader = Reader::new(id.clone());
                reader.set_body(rendered.clone(), self.width as usize);
                self.bodies.insert(id, BodyState::Ready(rendered));
                self.view = View::Reader(reader);
            }
            Event::Saved(result) => {
                self.notice = Some(match result {
                    Ok(paths) => {
                        let names: Vec<String> =
                            paths.iter().map(|p| p.display().to_string()).collect();
                        crate::text::sanitize::sanitize_line(&format!(
                            "{}: {}",
                            crate::i18n::count("notice.saved", paths.len() as u64),
                            names.join(", ")
                        ))
                        .into_owned()
                    }
                    Err(e) => t!("notice.cannot_save", error = e).into(),
                });
            }
            Event::Connected { .. } => {
                self.trouble = None;
                if self.connection == Connection::Lost {
                    self.notice = Some(t!("notice.reconnected").into());
                    self.detail = None;
                }
                self.connection = Connection::Connected;
                if self
                    .popup
                    .as_ref()
                    .is_some_and(|p| matches!(p, Popup::Error { .. }))
                {
                    self.popup = None;
                }
            }
            Event::Preview { count, rows } => {
                if !self.indexed {
                    self.preview_count = count;
                    self.preview.extend(rows);
                }
            }
            Event::Indexed(entries) => {
                self.preview = Vec::new();
                if self.notice.as_deref() == Some(&*t!("notice.wait_for_index")) {
                    self.notice = None;
                }
                let refreshed = self.indexed;
                // A later session's index: what it has that the list had not is new mail.
                let before: HashSet<Uidl> = if refreshed {
                    self.inbox_mut()
                        .entries
                        .iter()
                        .map(|e| e.uidl.clone())
                        .collect()
                } else {
                    HashSet::new()
                };
                let new = if refreshed {
                    entries.iter().filter(|e| !before.contains(&e.uidl)).count()
                } else {
                    0
                };
                drop(before);
                self.inbox_mut().replace_keeping_local(entries);
                self.indexed = true;
                let mut effects = Vec::new();
                if new > 0 {
                    self.notice = Some(
                        t!(
                            "notice.new_in",
                            n = new,
                            account = crate::text::sanitize::sanitize_line(&self.header.account)
                        )
                        .into(),
                    );
                    effects.push(Effect::NewMail(new));
                } else if refreshed && self.notice.as_deref() == Some(&*t!("notice.checking")) {
                    self.notice = Some(t!("notice.no_new_mail").into());
                }
                let present: HashSet<&str> = self.list.entries.iter().map(|e| &*e.uidl).collect();
                if let View::Reader(r) = &self.view {
                    if self.folder == Folder::Inbox && !present.contains(r.uidl.as_str()) {
                        self.view = View::List;
                    }
                }
                effects.extend(self.rethread(&Folder::Inbox));
                effects.extend(self.list_moved());
                return effects;
            }
            Event::HeadersLoaded(batch) => {
                let inbox = self.inbox_mut();
                for (uidl, s) in batch {
                    inbox.set_summary(&uidl, s);
                }
                if inbox.summaries_arrived() {
                    return self.rethread(&Folder::Inbox);
                }
            }
            Event::BodyProgress {
                uidl,
                received,
                total,
            } => {
                let preview = match self.bodies.remove(&uidl) {
                    Some(BodyState::Loading { preview, .. }) => preview,
                    _ => None,
                };
                self.bodies.insert(
                    uidl,
                    BodyState::Loading {
                        received,
                        total,
                        preview,
                    },
                );
            }
            Event::BodyPartial {
                uidl,
                rendered,
                shown,
                total,
            } => {
                let received = match self.bodies.get(&uidl) {
                    Some(BodyState::Loading { received, .. }) => *received,
                    // Finished (or failed) already: the preview is of no use now.
                    Some(_) => return vec![],
                    None => shown,
                };
                if let View::Reader(r) = &mut self.view {
                    if r.uidl == uidl && r.body.is_none() {
                        r.set_body(rendered.clone(), self.width as usize);
                    }
                }
                let preview = Some(Preview { rendered, shown });
                self.bodies.insert(
                    uidl,
                    BodyState::Loading {
                        received,
                        total,
                        preview,
                    },
                );
            }
            Event::BodyLoaded { uidl, rendered } => {
                if let View::Reader(r) = &mut self.view {
                    if r.uidl == uidl {
                        r.set_body(rendered.clone(), self.width as usize);
                    }
                }
                // The whole message decides how its headers read (the first
                // text part's charset): the list takes the reader's summary.
                let better = rendered.summary.clone().filter(|s| {
                    self.list
                        .get(&uidl)
                        .is_some_and(|e| e.summary.as_deref() != Some(s.as_ref()))
                });
                if let Some(s) = better {
                    self.list.set_summary(&uidl, s);
                }
                let reading = matches!(&self.view, View::Reader(r) if r.uidl == uidl);
                let receipt = rendered.receipt_to.clone().filter(|_| reading);
                self.bodies.insert(uidl.clone(), BodyState::Ready(rendered));
                if let Some(to) = receipt {
                    return self.receipt_wanted(&uidl, &to);
                }
            }
            Event::BodyFailed {
                uidl,
                stored_copy: true,
                ..
            } if self
                .list
                .get(&uidl)
                .is_some_and(|e| e.stored && e.on_server) =>
            {
                // Gone from disk (removed by hand): fetched from the server instead.
                if let Some(e) = self.list.get_mut(&uidl) {
                    e.stored = false;
                }
                return vec![Effect::Worker(Request::FetchBody(uidl))];
            }
            Event::BodyFailed { uidl, error, .. } => {
                self.compose_body_failed(&uidl);
                self.notice = Some(t!("notice.cannot_fetch", error = error).into());
                self.bodies.insert(uidl, BodyState::Failed(error));
            }
            Event::MarksApplied(_) => {}
            Event::MarksDropped { uidls, why } => {
                for u in &uidls {
                    self.marks.remove(u);
                }
                self.notice = Some(format!(
                    "{}: {why}",
                    crate::i18n::count("notice.marks_removed", uidls.len() as u64)
                ));
            }
            Event::ConnectionLost {
                reason,
                uncommitted,
            } => {
                self.connection = Connection::Lost;
                // The marks are kept and re-applied in the next session; the reason goes last.
                self.notice = Some(if self.committing {
                    // y was answered: the worker keeps at it after reconnecting.
                    t!("notice.lost_still_trying", n = uncommitted).into()
                } else if uncommitted > 0 {
                    t!("notice.lost_uncommitted", n = uncommitted).into()
                } else {
                    t!("notice.lost").into()
                });
                self.detail = Some(reason);
            }
            Event::Reconnecting { in_secs } => {
                let lost = self.notice.clone().unwrap_or_default();
                let lost = lost.split(" — ").next().unwrap_or("").to_string();
                let again = t!("notice.reconnecting", seconds = in_secs);
                self.notice = Some(if lost.is_empty() {
                    again.into()
                } else {
                    format!("{lost} — {again}")
                });
            }
            Event::Failed(Failure {
                class,
                summary: error,
                detail,
            }) => {
                self.committing = false;
                // The rest of what the task knows goes under the summary.
                let error = match detail {
                    Some(d) => format!("{error}\n\n{d}"),
                    None => error,
                };
                match class {
                    ErrorClass::Login if self.password_typed => {
                        self.trouble = Some(t!("trouble.login").into());
                        self.ask_password(Some(error));
                    }
                    ErrorClass::Login if self.oauth => self.needs_the_user(
                        t!("trouble.login"),
                        t!("popup.login_failed.title"),
                        &error,
                        t!("popup.signin.advice"),
                    ),
                    ErrorClass::Login => self.needs_the_user(
                        t!("trouble.login"),
                        t!("popup.login_failed.title"),
                        &error,
                        t!("popup.login_failed.advice"),
                    ),
                    ErrorClass::Tls => self.needs_the_user(
                        t!("trouble.tls"),
                        t!("popup.tls_failed.title"),
                        &error,
                        t!("popup.tls_failed.advice"),
                    ),
                    ErrorClass::Temporary => {
                        if self.connection != Connection::Connected {
                            self.connection = Connection::Offline;
                        }
                        self.notice = Some(error)
                    }
                    // Stopped on purpose: nothing to report.
                    ErrorClass::Cancelled => {}
                    ErrorClass::Server | ErrorClass::Local | ErrorClass::Bug => {
                        self.notice = Some(error)
                    }
                }
            }
            Event::Crashed(why) => {
                return vec![Effect::Fatal(
                    t!(
                        "fatal.task_crashed",
                        account = crate::text::sanitize::sanitize_line(&self.header.account),
                        error = why
                    )
                    .into(),
                )];
            }
            Event::Closed { .. } => {
                self.connection = Connection::Closed;
                return vec![Effect::Exit];
            }
        }
        vec![]
    }

    /// A failure the user must act on (a refused login, a TLS problem):
    /// said in the status line and in a pop-up with advice and a retry.
    fn needs_the_user(
        &mut self,
        trouble: std::borrow::Cow<'_, str>,
        title: std::borrow::Cow<'_, str>,
        error: &str,
        advice: std::borrow::Cow<'_, str>,
    ) {
        self.trouble = Some(trouble.into());
        self.popup = Some(Popup::Error {
            title: title.into(),
            text: format!("{error}\n\n{advice}"),
            retry: true,
        });
    }

    /// `Msg::Threaded`: a thread job's answer (stale generations are dropped).
    pub(super) fn threaded(
        &mut self,
        folder: Folder,
        generation: u64,
        layout: Arc<thread::Layout>,
    ) -> Vec<Effect> {
        let list = self.list_of(&folder);
        list.thread_running = false;
        if generation == list.thread_generation {
            list.thread_layout = Some(layout);
            list.relayout();
        }
        let again = list.thread_again;
        let mut effects = if again {
            self.rethread(&folder)
        } else {
            vec![]
        };
        if folder == self.folder {
            effects.extend(self.list_moved());
        }
        effects
    }

    /// `Msg::IndexHits`: the full-text index's answer for a limit pattern.
    pub(super) fn index_hits(
        &mut self,
        folder: Folder,
        pattern: String,
        hits: IndexHits,
    ) -> Vec<Effect> {
        let list = self.list_of(&folder);
        if let Some(l) = list.limit.as_mut().filter(|l| l.pattern.text == pattern) {
            l.indexed = Some(hits);
            list.relayout();
            if self.notice.as_deref() == Some(&*t!("notice.searching")) {
                self.notice = None;
            }
            return self.list_moved();
        }
        vec![]
    }
}
