//! Filling and asking the full-text index (`text`): stored messages are
//! decoded on the store's thread in batches and their text indexed.

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

impl Store {
    /// Records summaries read from the server.
    /// Indexes the text of up to `max` stored messages not indexed yet (the
    /// body as the reader shows it, at most `TEXT_LIMIT` of it); returns how
    /// many. Runs on the store's thread, in batches of one transaction each.
    pub fn index_texts(&mut self, max: usize) -> Result<usize, StoreError> {
        let mut done = 0;
        let mut seen = std::collections::HashSet::new();
        while done < max && !self.texts_stuck {
            let pending = self.with_index(|i| i.text_pending(64.min(max - done)))?;
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
            let mut summaries = Vec::new();
            let t = std::time::Instant::now();
            let texts: Vec<(i64, Option<index::Text>)> = pending
                .iter()
                .map(|p| {
                    let path = self.folder_dir(&p.folder).join(&p.file);
                    let rendered = maildir::open_regular(&path)
                        .and_then(|mut f| crate::mime::render_file(&mut f, &self.decode));
                    if let Some(s) = rendered.as_ref().ok().and_then(|r| r.summary.clone()) {
                        summaries.push((Uidl::from(p.uidl.as_str()), s));
                    }
                    (p.id, rendered.ok().map(text_of))
                })
                .collect();
            if !summaries.is_empty() {
                self.with_index(|i| i.put_summaries(&summaries))?;
            }
            crate::timings::record("texts-render-ms", t.elapsed().as_secs_f64() * 1000.0);
            let t = std::time::Instant::now();
            done += texts.len();
            self.with_index(|i| i.put_texts(&texts))?;
            crate::timings::record("texts-put-ms", t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(done)
    }

    /// Searches the stored mail (and the subjects and senders of all) after
    /// indexing whatever is still waiting.
    pub fn search_text(&mut self, q: &index::TextQuery) -> Result<Vec<index::Found>, StoreError> {
        self.index_texts(usize::MAX)?;
        self.with_index(|i| i.search(q))
    }
}
