//! Keys while a pop-up or a prompt line is up: help, attachments, links,
//! confirmations, the password, the limit pattern, the save directory.
use super::keymap::Key;
use super::*;
use rust_i18n::t;

impl App {
    pub(super) fn prompt_key(&mut self, key: Key) -> Vec<Effect> {
        if let Some(effects) = self.completion_key(key) {
            return effects;
        }
        if let Some(effects) = self.recipients_key(key) {
            return effects;
        }
        let Some((prompt, text)) = self.prompt.as_mut() else {
            return vec![];
        };
        if matches!(prompt, Prompt::Folder(_)) {
            match key {
                Key::Tab => return self.complete(),
                Key::Ctrl('r') if *prompt == Prompt::Folder(filing::FolderPurpose::Go) => {
                    if !self.folder.is_own() {
                        self.notice =
                            Some(t!("folder.builtin_fixed", name = self.folder.label()).into());
                        self.prompt = None;
                        return vec![];
                    }
                    let name = self.folder.name().to_string();
                    self.prompt = Some((
                        Prompt::Folder(filing::FolderPurpose::Rename(self.folder.clone())),
                        name,
                    ));
                    return vec![];
                }
                Key::Ctrl('d') if *prompt == Prompt::Folder(filing::FolderPurpose::Go) => {
                    self.prompt = None;
                    if !self.folder.is_own() {
                        self.notice =
                            Some(t!("folder.builtin_fixed", name = self.folder.label()).into());
                        return vec![];
                    }
                    let prefix = format!("{}/", self.folder.name());
                    let count = self.list.len()
                        + self
                            .others
                            .iter()
                            .filter(|(f, _)| f.name().starts_with(&prefix))
                            .map(|(_, l)| l.len())
                            .sum::<usize>();
                    self.popup = Some(Popup::ConfirmDeleteFolder {
                        folder: self.folder.clone(),
                        count,
                    });
                    return vec![];
                }
                _ => {}
            }
        }
        if *prompt == Prompt::Limit && key == Key::Enter {
            let text = std::mem::take(text);
            self.prompt = None;
            return self.set_limit(&text);
        }
        if matches!(prompt, Prompt::Password { .. }) && key == Key::Enter {
            if text.is_empty() {
                return vec![];
            }
            // Taken as typed: spaces may belong to a password.
            let password = crate::secret::Secret::new(std::mem::take(text));
            self.prompt = None;
            self.needs_password = false;
            self.password_typed = true;
            self.trouble = None;
            self.notice = Some(t!("notice.logging_in").into());
            return vec![Effect::Password(password)];
        }
        match key {
            Key::Char(c) => text.push(c),
            Key::Backspace => {
                text.pop();
            }
            Key::Esc | Key::Ctrl('c') => {
                // A password typed half-way is wiped, not just dropped.
                drop(crate::secret::Secret::new(std::mem::take(text)));
                self.prompt = None;
            }
            Key::Ctrl('u') => text.clear(),
            Key::Enter => {
                let prompt = prompt.clone();
                let text = text.trim().to_string();
                self.prompt = None;
                if text.is_empty() {
                    return vec![];
                }
                return match prompt {
                    Prompt::SaveTo { uidl, parts } => {
                        let dir = crate::paths::expand_tilde(std::path::Path::new(&text));
                        self.notice = Some(t!("notice.saving").into());
                        let stored = self.list.get(&uidl).is_some_and(|e| e.stored)
                            || matches!(self.bodies.get(&uidl), Some(BodyState::Ready(_)))
                                && !uidl.is_session();
                        if stored {
                            vec![Effect::Local(LocalRequest::Save { uidl, dir, parts })]
                        } else {
                            vec![Effect::Worker(Request::Save { uidl, dir, parts })]
                        }
                    }
                    Prompt::Pipe { uidl, part } => vec![Effect::PipeAttachment {
                        uidl,
                        part,
                        command: text,
                    }],
                    Prompt::Attach { id } => {
                        let path = crate::paths::expand_tilde(std::path::Path::new(&text));
                        vec![Effect::Compose(crate::send::ComposeRequest::Attach {
                            id,
                            path,
                        })]
                    }
                    Prompt::PipeMessage { uidl } => self.pipe_message(uidl, text),
                    Prompt::Folder(purpose) => self.folder_answered(purpose, &text),
                    Prompt::SaveTagged { uidls } => {
                        let dir = crate::paths::expand_tilde(std::path::Path::new(&text));
                        self.notice = Some(t!("notice.saving").into());
                        self.tags.clear();
                        uidls
                            .into_iter()
                            .map(|uidl| {
                                let (dir, parts) = (dir.clone(), Vec::new());
                                if self.list.get(&uidl).is_some_and(|e| e.stored) {
                                    Effect::Local(LocalRequest::Save { uidl, dir, parts })
                                } else {
                                    Effect::Worker(Request::Save { uidl, dir, parts })
                                }
                            })
                            .collect()
                    }
                    // Answered above.
                    Prompt::Password { .. } | Prompt::Limit | Prompt::Recipients(_) => vec![],
                };
            }
            _ => {}
        }
        vec![]
    }

    pub(super) fn popup_key(&mut self, popup: Popup, key: Key) -> Vec<Effect> {
        match popup {
            Popup::ConfirmQuit { .. } => match key {
                Key::Char('y') | Key::Char('Y') => {
                    self.popup = None;
                    self.committing = true;
                    self.notice = Some(crate::i18n::count(
                        "notice.deleting",
                        self.all_marks() as u64,
                    ));
                    vec![Effect::Worker(Request::QuitCommit)]
                }
                Key::Char('n') | Key::Char('N') => {
                    self.popup = None;
                    self.exit_discarding()
                }
                Key::Char('c') | Key::Char('C') | Key::Esc | Key::Char('q') => {
                    self.popup = None;
                    vec![]
                }
                Key::Ctrl('c') => self.exit_discarding(),
                _ => vec![],
            },
            Popup::ConfirmPurge { uidls } => {
                self.popup = None;
                match key {
                    Key::Char('y') | Key::Char('Y') => {
                        self.tags.clear();
                        uidls
                            .into_iter()
                            .map(|uidl| {
                                Effect::Local(LocalRequest::Delete {
                                    uidl,
                                    from: Folder::Trash,
                                })
                            })
                            .collect()
                    }
                    Key::Ctrl('c') => self.exit_discarding(),
                    _ => vec![],
                }
            }
            Popup::ConfirmCreateFolder { folder, then } => {
                self.popup = None;
                match key {
                    Key::Char('y') | Key::Char('Y') | Key::Enter => {
                        self.folder_chosen(then, folder)
                    }
                    Key::Ctrl('c') => self.exit_discarding(),
                    _ => vec![],
                }
            }
            Popup::ConfirmDeleteFolder { folder, .. } => {
                self.popup = None;
                match key {
                    Key::Char('y') | Key::Char('Y') => {
                        vec![Effect::Local(LocalRequest::DeleteFolder(folder))]
                    }
                    Key::Ctrl('c') => self.exit_discarding(),
                    _ => vec![],
                }
            }
            Popup::Attachments { selected } => {
                let View::Reader(r) = &self.view else {
                    self.popup = None;
                    return vec![];
                };
                let uidl = r.uidl.clone();
                let count = r.body.as_ref().map_or(0, |b| b.attachments.len());
                let part = selected + 1;
                match key {
                    Key::Char('j') | Key::Down => {
                        self.popup = Some(Popup::Attachments {
                            selected: (selected + 1).min(count.saturating_sub(1)),
                        })
                    }
                    Key::Char('k') | Key::Up => {
                        self.popup = Some(Popup::Attachments {
                            selected: selected.saturating_sub(1),
                        })
                    }
                    Key::Char('s') => {
                        self.popup = None;
                        self.ask_save(uidl, vec![part]);
                    }
                    Key::Char('S') => {
                        self.popup = None;
                        self.ask_save(uidl, Vec::new());
                    }
                    Key::Char('|') => {
                        self.popup = None;
                        self.prompt = Some((Prompt::Pipe { uidl, part }, String::new()));
                    }
                    Key::Enter => {
                        self.popup = None;
                        return vec![Effect::OpenAttachment { uidl, part }];
                    }
                    Key::Ctrl('c') => return self.exit_discarding(),
                    _ => self.popup = None,
                }
                vec![]
            }
            Popup::Links { items, selected } => {
                match key {
                    Key::Char('j') | Key::Down => {
                        self.popup = Some(Popup::Links {
                            selected: (selected + 1).min(items.len().saturating_sub(1)),
                            items,
                        })
                    }
                    Key::Char('k') | Key::Up => {
                        self.popup = Some(Popup::Links {
                            selected: selected.saturating_sub(1),
                            items,
                        })
                    }
                    Key::Enter | Key::Char('y') => {
                        self.popup = None;
                        if let Some(item) = items.get(selected) {
                            let shown: String = item.chars().take(60).collect();
                            self.notice = Some(t!("notice.copied", text = shown).into());
                            return vec![Effect::Clipboard(item.clone())];
                        }
                    }
                    Key::Ctrl('c') => return self.exit_discarding(),
                    _ => self.popup = None,
                }
                vec![]
            }
            Popup::Help { scroll }
                if matches!(key, Key::Char('j') | Key::Down | Key::Char('k') | Key::Up) =>
            {
                let down = matches!(key, Key::Char('j') | Key::Down);
                let scroll = if down {
                    scroll + 1
                } else {
                    scroll.saturating_sub(1)
                };
                self.popup = Some(Popup::Help {
                    // The drawing stops at the last line; this only bounds the count.
                    scroll: scroll.min(keymap::BINDINGS.len() * 4),
                });
                vec![]
            }
            // Answered by compose_popup_key before this is reached.
            Popup::ConfirmAbandon
            | Popup::ConfirmResend { .. }
            | Popup::ConfirmNoSubject
            | Popup::ConfirmReceipt { .. }
            | Popup::ContinueDraft { .. } => {
                self.popup = None;
                vec![]
            }
            Popup::ConfirmMarkAllRead { .. } => {
                self.popup = None;
                if matches!(key, Key::Char('y') | Key::Char('Y')) {
                    return self.mark_all_read();
                }
                vec![]
            }
            Popup::SignIn { .. } => {
                // Hidden, not stopped: the sign-in goes on and says when it is done.
                if matches!(key, Key::Esc | Key::Char('q') | Key::Enter) {
                    self.popup = None;
                }
                vec![]
            }
            Popup::Error { retry: true, .. }
                if self.oauth && matches!(key, Key::Char('s') | Key::Char('S')) =>
            {
                self.popup = Some(Popup::SignIn { code: None });
                vec![Effect::SignIn]
            }
            Popup::Help { .. } | Popup::Error { .. } => {
                if key == Key::Ctrl('c') {
                    return self.exit_discarding();
                }
                let retry = matches!(popup, Popup::Error { retry: true, .. })
                    && matches!(key, Key::Char('r') | Key::Char('R'));
                self.popup = None;
                if retry {
                    self.notice = Some(t!("notice.retrying").into());
                    return vec![Effect::Worker(Request::Refresh)];
                }
                vec![]
            }
        }
    }

    /// How a sign-in started from the login pop-up goes.
    pub(super) fn sign_in_step(&mut self, step: super::msg::SignInStep) -> Vec<Effect> {
        use super::msg::SignInStep;
        let shown = matches!(self.popup, Some(Popup::SignIn { .. }));
        match step {
            SignInStep::Code { url, code } => {
                if shown {
                    self.popup = Some(Popup::SignIn {
                        code: Some((url, code)),
                    });
                }
                vec![]
            }
            SignInStep::Done => {
                if shown {
                    self.popup = None;
                }
                self.trouble = None;
                self.notice = Some(t!("notice.signed_in").into());
                vec![Effect::Worker(Request::Refresh)]
            }
            SignInStep::Failed(why) => {
                self.popup = Some(Popup::Error {
                    title: t!("popup.signin.failed").into(),
                    text: why,
                    retry: true,
                });
                vec![]
            }
        }
    }
}
