//! The store's own thread: every disk operation of the store (SQLite, Maildir
//! writes, fsync) runs there, in the order it was asked for, so no async task
//! and no frame ever waits for the disk. Async code sends a closure and, when
//! it needs the answer, awaits it.

use std::sync::mpsc;

use super::Store;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// Cheap to clone; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Job>,
}

#[derive(Debug, thiserror::Error)]
#[error("the local store's thread has stopped")]
pub struct StoreGone;

impl StoreHandle {
    /// Moves `store` onto a thread of its own.
    pub fn start(mut store: Store) -> StoreHandle {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("postie-store".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut store);
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
            .send(Box::new(move |s| {
                let _ = tx.send(f(s));
            }))
            .map_err(|_| StoreGone)?;
        rx.await.map_err(|_| StoreGone)
    }

    /// Runs `f` on the store thread without waiting (in order with every other job).
    pub fn post(&self, f: impl FnOnce(&mut Store) + Send + 'static) {
        if self.tx.send(Box::new(f)).is_err() {
            tracing::warn!("the local store's thread has stopped; a change was not saved");
        }
    }

    /// Runs `f` on the store thread and blocks this (non-async) thread for the answer.
    pub fn run_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> R + Send + 'static,
    ) -> Result<R, StoreGone> {
        let (tx, rx) = mpsc::channel();
        self.tx
            .send(Box::new(move |s| {
                let _ = tx.send(f(s));
            }))
            .map_err(|_| StoreGone)?;
        rx.recv().map_err(|_| StoreGone)
    }
}
