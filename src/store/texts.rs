//! Filling and asking the full-text index (`words`): stored messages are
//! decoded in batches (on several threads when there are many) and their
//! words indexed on the store's thread.

use super::*;

/// How much of a body goes into the full-text index.
const TEXT_LIMIT: usize = 256 * 1024;

/// A decoded message as the full-text index keeps it.
pub(super) fn text_of(r: crate::mime::Rendered) -> index::Text {
    let mut body = r.body;
    if body.len() > TEXT_LIMIT {
        let mut cut = TEXT_LIMIT;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
    index::Text {
        subject: r.subject,
        sender: r.from,
        recipients: format!("{} {}", r.to, r.cc),
        body,
        names: names.join("\n"),
    }
}

/// A message's `words` row and the list's summary read from all of it.
pub type Indexed = (String, Option<Arc<Summary>>);

/// What the index keeps of a message in memory.
pub fn render_for_index(raw: &[u8], decode: &crate::mime::DecodeOptions) -> Indexed {
    indexed(crate::mime::render_bytes(raw, decode))
}

/// A rendered message as the index takes it.
pub(super) fn indexed(r: crate::mime::Rendered) -> Indexed {
    let summary = r.summary.clone();
    (words::of(&text_of(r)), summary)
}

/// `f` over `items` on up to `workers` threads, in order (one thread: this
/// one). A thread that panicked leaves None in its items' places.
pub(super) fn par_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> Option<R> + Sync,
) -> Vec<Option<R>> {
    if workers <= 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| (c.len(), s.spawn(|| c.iter().map(&f).collect::<Vec<_>>())))
            .collect();
        handles
            .into_iter()
            .flat_map(|(n, h)| h.join().unwrap_or_else(|_| (0..n).map(|_| None).collect()))
            .collect()
    })
}

/// Threads that render messages for the index when there are many.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(4)
}

impl Store {
    /// Indexes the text of up to `max` stored messages not indexed yet (the
    /// body as the reader shows it, at most `TEXT_LIMIT` of it); returns how
    /// many. Runs on the store's thread, in batches of one transaction each.
    pub fn index_texts(&mut self, max: usize) -> Result<usize, StoreError> {
        let mut done = 0;
        let mut seen = std::collections::HashSet::new();
        while done < max && !self.texts_stuck {
            let pending = self.with_index(|i| i.text_pending(128.min(max - done)))?;
            if pending.is_empty() {
                break;
            }
            // A damaged lookup can name messages already indexed (found by
            // the index_loader fuzz target: an endless loop, the log growing
            // without bound). Rebuild the lookups once; if it goes on, stop
            // indexing texts for this run and say so.
            let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
            let again = ids.iter().any(|id| !seen.insert(*id));
            if again || self.with_index(|i| i.any_texted(&ids))? {
                if !self.texts_reindexed {
                    self.texts_reindexed = true;
                    self.with_index(|i| i.reindex())?;
                    seen.clear();
                    continue;
                }
                self.texts_stuck = true;
                let note = "the index's list of texts to index is damaged even after rebuilding it: full-text search may miss messages until the index is rebuilt".to_string();
                tracing::warn!("{note}");
                self.notes.push(note);
                break;
            }
            // The list's summary is the reader's, read from the whole file:
            // a message fetched and never listed gets one, and one listed
            // from `TOP n 0` alone is decoded again with its body's help.
            let t = std::time::Instant::now();
            let threads = if pending.len() >= 32 { workers() } else { 1 };
            let paths: Vec<PathBuf> = pending
                .iter()
                .map(|p| self.folder_dir(&p.folder).join(&p.file))
                .collect();
            let decode = self.decode;
            let rendered = par_map(&paths, threads, |path| {
                let mut f = maildir::open_regular(path).ok()?;
                // A message that makes the renderer panic is counted as
                // unreadable here (no words), not the end of the store's
                // thread, which the reader needs for everything else.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::mime::render_file(&mut f, &decode)
                }))
                .ok()?
                .ok()
                .map(indexed)
            });
            let mut summaries = Vec::new();
            let mut rows = Vec::with_capacity(pending.len());
            for (p, r) in pending.iter().zip(rendered) {
                match r {
                    Some((words, summary)) => {
                        if let Some(s) = summary {
                            summaries.push((Uidl::from(p.uidl.as_str()), s));
                        }
                        rows.push((p.id, Some(words)));
                    }
                    None => rows.push((p.id, None)),
                }
            }
            if !summaries.is_empty() {
                self.with_index(|i| i.put_summaries(&summaries))?;
            }
            crate::timings::record("texts-render-ms", t.elapsed().as_secs_f64() * 1000.0);
            let t = std::time::Instant::now();
            done += rows.len();
            self.with_index(|i| i.put_words(&rows))?;
            crate::timings::record("texts-put-ms", t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(done)
    }

    /// How many stored messages wait to be indexed for search.
    pub fn texts_waiting(&mut self) -> Result<usize, StoreError> {
        self.with_index(|i| i.text_pending_count())
    }

    /// Searches the stored mail (and the subjects and senders of all) after
    /// indexing whatever is still waiting.
    pub fn search_text(&mut self, q: &index::TextQuery) -> Result<Vec<index::Found>, StoreError> {
        self.index_texts(usize::MAX)?;
        self.with_index(|i| i.search(q))
    }
}
