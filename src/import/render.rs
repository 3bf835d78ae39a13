//! Rendering imported messages for the full-text index on other threads
//! while the importer reads, digests and writes the next ones: each message
//! is handed to the pool as it is queued, and a batch takes its messages'
//! renderings when it is stored.

use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use crate::mime::DecodeOptions;
use crate::store::texts::{render_for_index, Indexed};

type Job = (String, Arc<[u8]>);

/// A pool of threads rendering messages; dropped, it lets them end.
pub struct Renderer {
    jobs: Option<Sender<Job>>,
    done: Receiver<(String, Option<Indexed>)>,
    /// Renderings received and not yet taken, by message id.
    ready: HashMap<String, Option<Indexed>>,
    /// Messages handed over and not yet received back.
    out: usize,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Renderer {
    pub fn new(decode: DecodeOptions) -> Renderer {
        let (jobs, rx) = channel::<Job>();
        let (tx, done) = channel();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..crate::store::texts::workers())
            .filter_map(|n| {
                let rx = Arc::clone(&rx);
                let tx = tx.clone();
                std::thread::Builder::new()
                    .name(format!("import-render-{n}"))
                    .spawn(move || work(&rx, &tx, decode))
                    .ok()
            })
            .collect();
        Renderer {
            jobs: Some(jobs),
            done,
            ready: HashMap::new(),
            out: 0,
            threads,
        }
    }

    /// Hands a message over (rendered here at once when no thread could be
    /// started).
    pub fn add(&mut self, id: &str, bytes: Arc<[u8]>, decode: &DecodeOptions) {
        let sent = !self.threads.is_empty()
            && self
                .jobs
                .as_ref()
                .is_some_and(|j| j.send((id.to_string(), Arc::clone(&bytes))).is_ok());
        if sent {
            self.out += 1;
        } else {
            self.ready
                .insert(id.to_string(), Some(render_for_index(&bytes, decode)));
        }
    }

    /// The renderings of `ids`, in order, waiting for those not done yet
    /// (None for one whose rendering failed: its text is indexed later).
    pub fn take(&mut self, ids: &[&str]) -> Vec<Option<Indexed>> {
        ids.iter()
            .map(|id| loop {
                if let Some(r) = self.ready.remove(*id) {
                    break r;
                }
                if self.out == 0 {
                    break None;
                }
                match self.done.recv() {
                    Ok((got, r)) => {
                        self.out -= 1;
                        self.ready.insert(got, r);
                    }
                    Err(_) => break None,
                }
            })
            .collect()
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn work(rx: &Mutex<Receiver<Job>>, tx: &Sender<(String, Option<Indexed>)>, decode: DecodeOptions) {
    loop {
        let job = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok((id, bytes)) = job else { return };
        // A message that makes the renderer panic is indexed later (or
        // never), not lost, and the batch does not wait for it forever.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            render_for_index(&bytes, &decode)
        }))
        .ok();
        if tx.send((id, r)).is_err() {
            return;
        }
    }
}
