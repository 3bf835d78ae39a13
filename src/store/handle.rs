//! The store's own thread: every disk operation of the store (SQLite, Maildir
//! writes, fsync) runs there, in the order it was asked for, so no async task
//! and no frame ever waits for the disk. Async code sends a closure and, when
//! it needs the answer, awaits it.

use rust_i18n::t;
use std::sync::mpsc;

use super::Store;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// The reader's store thread's nice value (the others stay at 0).
const STORE_NICE: i32 = 10;

enum Message {
    Job(Job),
    /// Close the store, then say so.
    Close(tokio::sync::oneshot::Sender<()>),
}

/// Cheap to clone; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Message>,
}

#[derive(Debug, thiserror::Error)]
#[error("{}", t!("store.gone"))]
pub struct StoreGone;

/// The first failure among jobs posted without waiting (`StoreHandle::post`),
/// kept for whoever waits for them at the end to say.
#[derive(Debug, Clone, Default)]
pub struct FirstFailure(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl FirstFailure {
    /// Keeps `e` unless an earlier failure is kept already.
    pub fn note(&self, e: impl std::fmt::Display) {
        if let Ok(mut f) = self.0.lock() {
            f.get_or_insert_with(|| e.to_string());
        }
    }

    pub fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut f| f.take())
    }
}

impl StoreHandle {
    /// Moves `store` onto a thread of its own. It does what it is asked and
    /// nothing else (a command that runs and exits: `fetch` from cron must not
    /// spend its time, or its memory, on the full-text index).
    pub fn start(store: Store) -> StoreHandle {
        StoreHandle::spawn(store, false)
    }

    /// `start`, and when idle the thread indexes the text of stored messages
    /// a few at a time (the reader: search is ready when the user asks;
    /// a command that searches indexes what is waiting first).
    pub fn start_indexing(store: Store) -> StoreHandle {
        StoreHandle::spawn(store, true)
    }

    fn spawn(store: Store, idle_texts: bool) -> StoreHandle {
        let (tx, rx) = mpsc::channel::<Message>();
        let spawned = std::thread::Builder::new()
            .name("postie-store".into())
            .spawn(move || {
                if idle_texts {
                    // The reader's store thread saves what the screen has
                    // shown already (rows, summaries, text): on a busy
                    // machine the thread that decodes headers for the
                    // screen goes first. Linux's nice is per thread; a
                    // refusal only leaves the thread at its priority.
                    let _ = rustix::process::setpriority_process(None, STORE_NICE);
                }
                let mut store = store;
                let mut closed = None;
                // Any job may have stored mail whose text is not indexed yet.
                let mut texts_waiting = idle_texts;
                loop {
                    let m = match rx.try_recv() {
                        Ok(m) => m,
                        // Idle: index a few messages' text, then look again
                        // (a job waits at most for those few).
                        Err(mpsc::TryRecvError::Empty) if texts_waiting => {
                            match store.index_texts(16) {
                                Ok(0) | Err(_) => texts_waiting = false,
                                Ok(_) => {}
                            }
                            continue;
                        }
                        Err(mpsc::TryRecvError::Empty) => match rx.recv() {
                            Ok(m) => m,
                            Err(_) => break,
                        },
                        Err(mpsc::TryRecvError::Disconnected) => break,
                    };
                    match m {
                        Message::Job(job) => {
                            job(&mut store);
                            texts_waiting = idle_texts;
                        }
                        Message::Close(tx) => {
                            closed = Some(tx);
                            break;
                        }
                    }
                }
                // Dropping the store closes the index cleanly (SQLite folds
                // its write-ahead log back in and removes it).
                drop(store);
                if let Some(tx) = closed {
                    let _ = tx.send(());
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the store thread: {e}");
        }
        StoreHandle { tx }
    }

    /// Runs `f` on the store thread and waits (asynchronously) for its answer.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> R + Send + 'static,
    ) -> Result<R, StoreGone> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Message::Job(Box::new(move |s| {
                let _ = tx.send(f(s));
            })))
            .map_err(|_| StoreGone)?;
        rx.await.map_err(|_| StoreGone)
    }

    /// Runs `f` on the store thread without waiting (in order with every other job).
    pub fn post(&self, f: impl FnOnce(&mut Store) + Send + 'static) {
        if self.tx.send(Message::Job(Box::new(f))).is_err() {
            tracing::warn!("the local store's thread has stopped; a change was not saved");
        }
    }

    /// Finishes every job asked for so far, closes the store, and waits for
    /// that (at most `limit`): the index is left tidy at exit. Jobs sent
    /// afterwards are not run.
    pub async fn close(&self, limit: std::time::Duration) {
        self.begin_close(limit).await;
    }

    /// `close`, asked for now and waited for when the future returned is
    /// awaited: what the caller does meanwhile (printing a listing) runs
    /// beside the index's last writes and checkpoint.
    pub fn begin_close(&self, limit: std::time::Duration) -> impl std::future::Future<Output = ()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.tx.send(Message::Close(tx)).is_ok();
        async move {
            if sent {
                let _ = tokio::time::timeout(limit, rx).await;
            }
        }
    }
}
