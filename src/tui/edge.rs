//! Where one account's effects go: its POP3 worker, its store thread, the
//! compose task, a pipe, the clipboard; and results back as app messages.

use super::*;
use rust_i18n::t;

/// Where one account's effects go: its POP3 worker, its store thread, or
/// back to the UI.
pub(super) struct Edge {
    pub(super) req_tx: mpsc::UnboundedSender<Request>,
    pub(super) ev_tx: mpsc::UnboundedSender<Event>,
    /// Results of work the edge runs itself, as messages for the app.
    pub(super) ui: Reply,
    pub(super) store: Option<StoreHandle>,
    pub(super) decode: crate::mime::DecodeOptions,
    /// The account's rules and spam filter.
    pub(super) filer: std::sync::Arc<crate::filing::Filer>,
    /// Who sends and how; replaced once a typed password is known.
    pub(super) sending: std::sync::Arc<std::sync::Mutex<compose::Sending>>,
    /// Sending's TLS settings, built once.
    pub(super) tls: std::sync::Arc<tokio::sync::OnceCell<crate::send::smtp::TlsSetup>>,
    /// The account's name and settings (None for the demo).
    pub(super) account: Option<(String, crate::config::AccountConfig)>,
    /// `bell_on_new`.
    pub(super) bell: bool,
    /// The config file, read again at `R` (None for the demo).
    pub(super) config_path: Option<std::path::PathBuf>,
    /// The account's settings as the worker last took them.
    pub(super) login: std::sync::Arc<std::sync::Mutex<Option<crate::config::AccountConfig>>>,
    /// Where the folders' sorts and threads are remembered (None: the demo).
    pub(super) views: Option<std::sync::Arc<std::sync::Mutex<std::path::PathBuf>>>,
    /// What the address book calls this account's store (None: the demo,
    /// whose mail teaches it nothing).
    pub(super) contacts_key: Option<String>,
}

/// Sends one account's app messages back to the loop.
#[derive(Clone)]
pub(super) struct Reply {
    pub(super) id: u64,
    pub(super) tx: mpsc::UnboundedSender<(u64, Msg)>,
}

impl Reply {
    pub(super) fn send(&self, msg: Msg) {
        // The loop may be gone already at exit; nothing to do about it then.
        let _ = self.tx.send((self.id, msg));
    }
}

/// What a pipe sends: an attachment's decoded bytes, or a message's raw bytes.
pub(super) enum Piped {
    Attachment(crate::uidl::Uidl, usize),
    Message(crate::uidl::Uidl),
}

pub(super) type Pipe = (Piped, String);

/// What a batch of effects leaves for the loop: things that need the
/// terminal (the editor, pipes, the wizard) and news for the title.
#[derive(Default)]
pub(super) struct Work {
    pub(super) pipes: Vec<(usize, Pipe)>,
    pub(super) edits: Vec<(usize, crate::send::ComposeRequest)>,
    pub(super) setup: bool,
    pub(super) new_mail: Vec<usize>,
    /// A task crashed: the reader exits with this error.
    pub(super) fatal: Option<String>,
}

impl Work {
    /// Carries out `steps`; true when the reader should exit.
    pub(super) fn take(&mut self, running: &[Running], steps: Steps) -> bool {
        self.new_mail.extend(steps.new_mail);
        if steps.fatal.is_some() {
            self.fatal = steps.fatal;
        }
        for (i, effect) in steps.effects {
            let Some(r) = running.get(i) else { continue };
            r.edge.execute(i, effect, self);
        }
        steps.exit
    }
}

impl Edge {
    pub(super) fn sending(&self) -> compose::Sending {
        match self.sending.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(super) fn execute(&self, i: usize, effect: Effect, work: &mut Work) {
        match effect {
            Effect::Worker(Request::Refresh) => self.reload_then_refresh(),
            Effect::Worker(r) => {
                let _ = self.req_tx.send(r);
            }
            Effect::Local(r) => self.local(r),
            Effect::SaveViews(text) => {
                if let Some(path) = self.views.clone() {
                    tokio::task::spawn_blocking(move || {
                        // One writer at a time, each replacing the file whole.
                        let Ok(path) = path.lock() else { return };
                        if let Err(e) = crate::paths::write_state_file(&path, &text) {
                            tracing::warn!("cannot remember the folders' views: {e}");
                        }
                    });
                }
            }
            Effect::OpenHtml(html) => {
                let tx = self.ev_tx.clone();
                tokio::task::spawn_blocking(move || local::open_html(&html, &tx));
            }
            Effect::OpenAttachment { uidl, part } => match &self.store {
                Some(store) => {
                    local::open_attachment(store, self.decode, uidl, part, self.ev_tx.clone())
                }
                None => self.no_store(),
            },
            Effect::PipeAttachment {
                uidl,
                part,
                command,
            } => work
                .pipes
                .push((i, (Piped::Attachment(uidl, part), command))),
            Effect::PipeMessage { uidl, command } => {
                work.pipes.push((i, (Piped::Message(uidl), command)))
            }
            Effect::Clipboard(text) => copy_to_clipboard(&text),
            // Without an SMTP table nothing can be sent: said at once, not
            // after the editor (r, a, f, c).
            Effect::Compose(crate::send::ComposeRequest::Address { .. })
                if self.account.as_ref().is_some_and(|(_, a)| a.smtp.is_none()) =>
            {
                let name = self.account.as_ref().map_or("", |(n, _)| n.as_str());
                let _ = self.ev_tx.send(Event::Failed(Failure::new(
                    ErrorClass::Local,
                    t!("config.no_smtp", name = name).into_owned(),
                )));
            }
            Effect::Compose(
                r @ (crate::send::ComposeRequest::Start { .. }
                | crate::send::ComposeRequest::Edit { .. }),
            ) => work.edits.insert(0, (i, r)),
            Effect::Compose(r) => compose::spawn(self, r),
            Effect::LoadContacts => super::contacts::load(self),
            Effect::QueryContacts(q) => super::contacts::query(self, q),
            Effect::SignIn => super::signin::start(self),
            Effect::Password(p) => self.password_typed(p),
            Effect::Setup => work.setup = true,
            Effect::Thread { folder, job } => {
                let ui = self.ui.clone();
                tokio::task::spawn_blocking(move || {
                    let layout = std::sync::Arc::new(job.run());
                    ui.send(Msg::Threaded {
                        folder,
                        generation: job.generation,
                        layout,
                    });
                });
            }
            Effect::SearchIndex {
                folder,
                pattern,
                query,
            } => match &self.store {
                Some(store) => {
                    let (ui, ev_tx) = (self.ui.clone(), self.ev_tx.clone());
                    store.post(move |s| match s.index_hits(&folder, query) {
                        Ok(hits) => ui.send(Msg::IndexHits {
                            folder,
                            pattern,
                            hits,
                        }),
                        Err(e) => {
                            let _ = ev_tx.send(Event::Failed(Failure::new(
                                ErrorClass::Local,
                                t!("notice.cannot_search", error = e).into_owned(),
                            )));
                        }
                    });
                }
                None => self.no_store(),
            },
            // The desk answers these itself.
            Effect::NextAccount { .. } | Effect::NewMail(_) | Effect::Exit | Effect::Fatal(_) => {}
        }
    }

    /// The password typed at the prompt: to the worker, and (off the async
    /// threads) into the sending settings that default to it.
    pub(super) fn password_typed(&self, password: crate::secret::Secret) {
        let _ = self.req_tx.send(Request::Password(password.clone()));
        let Some((name, account)) = self.account.clone() else {
            return;
        };
        let cell = self.sending.clone();
        tokio::task::spawn_blocking(move || {
            let s = account_sending(&name, &account, Some(&password));
            if let Ok(mut slot) = cell.lock() {
                *slot = s;
            }
        });
    }

    /// `R`: the config file is read again (off the async threads) before
    /// reconnecting, so a password, server or user fixed in it is used at
    /// once. A login that changed is handed to the worker (its password
    /// source run again); a file that no longer parses is shown with its line
    /// and column, and the settings in use stay.
    pub(super) fn reload_then_refresh(&self) {
        let (Some(path), Some((name, _))) = (self.config_path.clone(), self.account.clone()) else {
            let _ = self.req_tx.send(Request::Refresh);
            return;
        };
        let (req_tx, ev_tx, login) = (self.req_tx.clone(), self.ev_tx.clone(), self.login.clone());
        tokio::spawn(async move {
            let read =
                tokio::task::spawn_blocking(move || crate::config::Config::load(Some(&path)))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
            let account = match read {
                Ok(Some(config)) => config
                    .accounts
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| t!("notice.reload_no_account", name = name).into_owned()),
                Ok(None) => Err(t!("notice.reload_no_config").into_owned()),
                Err(e) => Err(e),
            };
            match account {
                Ok(account) => {
                    let changed = login
                        .lock()
                        .map(|l| l.as_ref().is_none_or(|old| !old.same_login(&account)))
                        .unwrap_or(true);
                    if changed {
                        let ra = crate::accounts::ReaderAccount::new(name, account.clone()).await;
                        if let Some(Some(why)) = &ra.ask_password {
                            let _ = ev_tx.send(Event::Failed(Failure::new(
                                ErrorClass::Local,
                                t!("notice.reload_password", error = why).into_owned(),
                            )));
                        }
                        let _ = req_tx.send(Request::Reconfigure(Box::new(ra.source.client)));
                        if let Ok(mut l) = login.lock() {
                            *l = Some(account);
                        }
                    }
                }
                Err(why) => {
                    let _ = ev_tx.send(Event::Failed(Failure::new(
                        ErrorClass::Local,
                        t!("notice.reload_failed", error = why).into_owned(),
                    )));
                }
            }
            let _ = req_tx.send(Request::Refresh);
        });
    }

    pub(super) fn local(&self, r: LocalRequest) {
        match (&self.store, r) {
            (Some(store), r) => local::execute(store, &self.filer, r, self.ev_tx.clone()),
            // Without a store, a body comes from the server as before.
            (None, LocalRequest::LoadBody(u)) => {
                let _ = self.req_tx.send(Request::FetchBody(u));
            }
            (None, LocalRequest::SetFlags(..)) => {}
            (None, _) => self.no_store(),
        }
    }

    pub(super) fn no_store(&self) {
        let _ = self.ev_tx.send(Event::Failed(Failure::new(
            ErrorClass::Local,
            t!("notice.no_store"),
        )));
    }
}

/// OSC 52: the terminal puts `text` on the user's own clipboard, over SSH
/// too. Base64 keeps any byte of it from being a control sequence; bounded.
pub(super) fn copy_to_clipboard(text: &str) {
    use base64::Engine as _;
    use std::io::Write;
    let mut end = text.len().min(8192);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[..end]);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// Leaves the screen, runs `sh -c command` with an attachment's decoded
/// bytes or a stored message's raw bytes (streamed from its file) on its
/// standard input, waits for a key, and comes back.
pub(super) async fn pipe_to(
    edge: &Edge,
    terminal: &mut Term,
    events: &mut Events,
    what: Piped,
    command: &str,
) -> Result<String> {
    let store = edge
        .store
        .clone()
        .ok_or_else(|| anyhow::anyhow!("{}", t!("notice.no_store")))?;
    let decode = edge.decode;
    enum Source {
        Bytes(Vec<u8>),
        File(std::path::PathBuf),
    }
    let (source, label) = match what {
        Piped::Attachment(uidl, part) => {
            let bytes = store
                .run(move |s| local::attachment_bytes(s, &uidl, part, &decode))
                .await?
                .map_err(|e| anyhow::anyhow!(e))?
                .1;
            (
                Source::Bytes(bytes),
                t!("pipe.attachment", n = part).into_owned(),
            )
        }
        Piped::Message(uidl) => {
            let path = store
                .run(move |s| s.path(&uidl))
                .await??
                .ok_or_else(|| anyhow::anyhow!("{}", t!("worker.not_in_store")))?;
            (Source::File(path), t!("pipe.the_message").into_owned())
        }
    };
    restore_terminal();
    println!(
        "postie: {}\r",
        t!("pipe.piping", what = label, command = command)
    );
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .with_context(|| t!("pipe.cannot_start").into_owned())?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        // A command that does not read all of it is not an error.
        match source {
            Source::Bytes(bytes) => {
                let _ = stdin.write_all(&bytes).await;
            }
            Source::File(path) => {
                if let Ok(mut file) = tokio::fs::File::open(&path).await {
                    let _ = tokio::io::copy(&mut file, &mut stdin).await;
                }
            }
        }
    }
    let status = child
        .wait()
        .await
        .with_context(|| t!("pipe.cannot_wait").into_owned())?;
    println!("\r\npostie: {}\r", t!("pipe.any_key"));
    let _ = enable_raw_mode();
    while let Some(Ok(ev)) = events.next().await {
        if matches!(ev, TermEvent::Key(k) if k.kind != KeyEventKind::Release) {
            break;
        }
    }
    execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)
        .context("cannot set up the terminal")?;
    terminal.clear().context("cannot draw")?;
    Ok(match status.code() {
        Some(0) => "finished".to_string(),
        Some(c) => format!("exited with status {c}"),
        None => "was stopped by a signal".to_string(),
    })
}

/// The views file for an account: `$XDG_STATE_HOME/postie/views/ACCOUNT`.
pub(super) fn views_path(account: &str) -> std::path::PathBuf {
    crate::paths::xdg_dir("XDG_STATE_HOME", ".local/state")
        .join("postie")
        .join("views")
        .join(crate::store::names::safe_component(account))
}
