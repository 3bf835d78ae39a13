//! Full-text search over the stored mail: what is indexed of each stored
//! message (subject, sender, recipients, the body as the reader shows it,
//! attachment names) goes into the `words` table (see `words.rs`: whole
//! words, CJK character pairs), keyed by the message's row id. Indexed as
//! messages are stored (an import renders them while it writes them) or in
//! batches on the store's thread; searched with every word taken literally,
//! so `"`, `*`, `-` or `NEAR` are never FTS5 syntax.

use std::time::Instant;

use rusqlite::{params, Transaction};

use super::{Index, IndexError};
use crate::store::Folder;

/// Adds the mark of what is indexed (schema 2; its trigram table gave way to
/// `words` in schema 4).
pub(super) fn migrate(tx: &Transaction<'_>) -> Result<(), IndexError> {
    tx.execute_batch(
        "ALTER TABLE messages ADD COLUMN texted INTEGER NOT NULL DEFAULT 0;
         CREATE INDEX messages_untexted ON messages(id) WHERE file IS NOT NULL AND texted = 0;",
    )?;
    Ok(())
}

/// What to look for: every part must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextQuery {
    /// Anywhere: subject, sender, recipients, body, attachment names.
    pub any: Vec<String>,
    /// In the body (or an attachment's name).
    pub body: Vec<String>,
    /// In the recipients (To, Cc).
    pub to: Vec<String>,
}

/// A stored message waiting for its text to be indexed.
pub struct Pending {
    pub id: i64,
    pub folder: Folder,
    pub file: String,
    pub uidl: String,
}

/// A stored message's text, ready for the index.
pub struct Text {
    pub subject: String,
    pub sender: String,
    pub recipients: String,
    pub body: String,
    pub names: String,
}

/// A message the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub uidl: String,
    pub folder: Folder,
}

/// The LIKE pattern for a short word (`%` and `_` taken literally).
fn like(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Index {
    /// Stored messages whose text is not indexed yet.
    pub fn text_pending(&self, limit: usize) -> Result<Vec<Pending>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, folder, file, uidl FROM messages
             WHERE file IS NOT NULL AND texted = 0 LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit as i64], |r| {
            let folder: String = r.get(1)?;
            Ok(Pending {
                id: r.get(0)?,
                folder: Folder::from_name(&folder).unwrap_or(Folder::Inbox),
                file: r.get(2)?,
                uidl: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// How many stored messages wait for their words (through the partial
    /// lookup of waiting texts: no scan of the table).
    pub fn text_pending_count(&self) -> Result<usize, IndexError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM messages WHERE file IS NOT NULL AND texted = 0",
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Whether any of these messages is marked as indexed already (read by
    /// its row, not through the lookup of waiting texts).
    pub fn any_texted(&self, ids: &[i64]) -> Result<bool, IndexError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT texted FROM messages WHERE id = ?1")?;
        for id in ids {
            let t: Option<i64> =
                rusqlite::OptionalExtension::optional(st.query_row(params![id], |r| r.get(0)))?;
            if t.is_some_and(|t| t != 0) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records the `words` rows of a batch by row id (None: unreadable).
    pub fn put_words(&mut self, rows: &[(i64, Option<String>)]) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        {
            let mut del = tx.prepare_cached("DELETE FROM words WHERE rowid = ?1")?;
            let mut ins = tx.prepare_cached("INSERT INTO words(rowid, w) VALUES (?1, ?2)")?;
            let mut done = tx.prepare_cached("UPDATE messages SET texted = ?2 WHERE id = ?1")?;
            for (id, words) in rows {
                del.execute(params![id])?;
                match words {
                    Some(w) => {
                        if !w.is_empty() {
                            ins.execute(params![id, w])?;
                        }
                        done.execute(params![id, 1])?;
                    }
                    None => {
                        done.execute(params![id, 2])?;
                    }
                }
            }
        }
        let at = Instant::now();
        tx.commit()?;
        crate::timings::record("texts-commit-ms", at.elapsed().as_secs_f64() * 1000.0);
        Ok(())
    }

    /// Records the `words` rows of messages just stored, by UIDL (their row
    /// ids are not known to the caller).
    pub fn put_words_of(&mut self, rows: &[(String, String)]) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        {
            let mut id_of = tx.prepare_cached("SELECT id FROM messages WHERE uidl = ?1")?;
            let mut del = tx.prepare_cached("DELETE FROM words WHERE rowid = ?1")?;
            let mut ins = tx.prepare_cached("INSERT INTO words(rowid, w) VALUES (?1, ?2)")?;
            let mut done = tx.prepare_cached("UPDATE messages SET texted = 1 WHERE id = ?1")?;
            for (uidl, words) in rows {
                let id: Option<i64> = rusqlite::OptionalExtension::optional(
                    id_of.query_row(params![uidl], |r| r.get(0)),
                )?;
                let Some(id) = id else { continue };
                del.execute(params![id])?;
                if !words.is_empty() {
                    ins.execute(params![id, words])?;
                }
                done.execute(params![id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records imported messages just written to `folder`, each with its
    /// summary and `words` row when it has been rendered, in one
    /// transaction: a new message is one row insert and one `words` insert
    /// (a message known already, which an import leaves out unless a kill
    /// came between writing and recording, goes the longer way).
    pub fn import_rows(
        &mut self,
        folder: &Folder,
        rows: &[(String, String, u64, crate::store::Flags)],
        rendered: &[Option<crate::store::texts::Indexed>],
    ) -> Result<(), IndexError> {
        let mut known = Vec::new();
        let tx = self.conn.transaction()?;
        {
            let first: i64 = {
                let max: Option<i64> =
                    tx.query_row("SELECT max(seq) FROM messages", [], |r| r.get(0))?;
                max.unwrap_or(0) + 1
            };
            let t = super::now_for_index();
            let mut exists = tx.prepare_cached("SELECT 1 FROM messages WHERE uidl = ?1")?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO messages(uidl, folder, file, size, seq, flags, first_seen, downloaded,
                   on_server, texted, subject, sender, sender_address, date, date_offset, date_raw,
                   attachment, message_id, in_reply_to, refs, reply_to, recipient)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 0, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                   ?16, ?17, ?18, ?19, ?20)",
            )?;
            let mut words = tx.prepare_cached("INSERT INTO words(rowid, w) VALUES (?1, ?2)")?;
            let mut seq = first;
            for (i, (uidl, file, size, flags)) in rows.iter().enumerate() {
                if exists.exists(params![uidl])? {
                    known.push(i);
                    continue;
                }
                let r = rendered.get(i).and_then(|r| r.as_ref());
                let s = r.and_then(|r| r.1.as_deref());
                ins.execute(params![
                    uidl,
                    folder.name(),
                    file,
                    *size as i64,
                    seq,
                    flags.bits() as i64,
                    t,
                    r.is_some() as i64,
                    s.map(|s| s.subject()),
                    s.map(|s| s.from()).unwrap_or_default(),
                    s.map(|s| s.from_address()).unwrap_or_default(),
                    s.and_then(|s| s.timestamp()),
                    s.map(|s| s.offset_minutes()).unwrap_or_default(),
                    s.map(|s| s.date_raw()).unwrap_or_default(),
                    s.is_some_and(|s| s.maybe_attachment()),
                    s.map(|s| s.message_id()).unwrap_or_default(),
                    s.map(|s| s.in_reply_to()).unwrap_or_default(),
                    s.map(|s| s.references()).unwrap_or_default(),
                    s.map(|s| s.reply_to()).unwrap_or_default(),
                    s.map(|s| s.recipient()).unwrap_or_default(),
                ])?;
                seq += 1;
                if let Some((w, _)) = r.filter(|r| !r.0.is_empty()) {
                    words.execute(params![tx.last_insert_rowid(), w])?;
                }
            }
        }
        tx.commit()?;
        if known.is_empty() {
            return Ok(());
        }
        let pick = |i: &usize| rows[*i].clone();
        self.stored_many(folder, &known.iter().map(pick).collect::<Vec<_>>(), false)?;
        let mut sums = Vec::new();
        let mut ws = Vec::new();
        for i in known {
            if let Some(Some((w, s))) = rendered.get(i) {
                ws.push((rows[i].0.clone(), w.clone()));
                if let Some(s) = s {
                    sums.push((crate::uidl::Uidl::from(rows[i].0.as_str()), s.clone()));
                }
            }
        }
        self.put_summaries(&sums)?;
        self.put_words_of(&ws)
    }

    /// Drops a message's text (its stored copy is gone).
    pub(super) fn forget_text(&mut self, uidl: &str) -> Result<(), IndexError> {
        self.conn.execute(
            "DELETE FROM words WHERE rowid = (SELECT id FROM messages WHERE uidl = ?1)",
            params![uidl],
        )?;
        self.conn.execute(
            "UPDATE messages SET texted = 0 WHERE uidl = ?1",
            params![uidl],
        )?;
        Ok(())
    }

    /// The messages matching every part of `q`, newest first. Each word is
    /// looked for in the `words` table (see `words::asks`); a word that may
    /// be anywhere is also matched, as a substring, against the subject and
    /// sender of every message whose words are not indexed (all of them for a
    /// word of one or two letters in a script written with spaces).
    pub fn search(&self, q: &TextQuery) -> Result<Vec<Found>, IndexError> {
        use crate::store::words::Scope;
        let mut sql = String::from("SELECT uidl, folder FROM messages m WHERE 1");
        let mut args: Vec<String> = Vec::new();
        let mut parts = 0;
        for (words, scope) in [
            (&q.any, Scope::Any),
            (&q.body, Scope::Body),
            (&q.to, Scope::To),
        ] {
            for w in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
                parts += 1;
                const IN_WORDS: &str =
                    "(m.file IS NOT NULL AND m.id IN (SELECT rowid FROM words WHERE words MATCH ?))";
                const IN_HEADERS: &str = "m.subject LIKE ? ESCAPE '\\' OR m.sender LIKE ? ESCAPE '\\' OR m.sender_address LIKE ? ESCAPE '\\'";
                let like = like(w);
                // A short word in a script written with spaces is matched
                // inside the subject and sender of every row (as before the
                // words index); any other word only where the row's words are
                // not indexed (indexed subjects and senders are in `words`).
                let short_latin =
                    w.chars().count() <= 2 && !w.chars().any(crate::store::words::is_cjk);
                let in_headers = if short_latin {
                    format!("({IN_HEADERS})")
                } else {
                    format!("(m.texted != 1 AND ({IN_HEADERS}))")
                };
                match (scope, self.words_expr(w, scope)?) {
                    (Scope::Any, Some(e)) => {
                        sql.push_str(&format!(" AND ({IN_WORDS} OR {in_headers})"));
                        args.extend([e, like.clone(), like.clone(), like]);
                    }
                    (Scope::Any, None) => {
                        sql.push_str(&format!(" AND {in_headers}"));
                        args.extend([like.clone(), like.clone(), like]);
                    }
                    (_, Some(e)) => {
                        sql.push_str(&format!(" AND {IN_WORDS}"));
                        args.push(e);
                    }
                    // Nothing in the body can match a word the index does not hold.
                    (_, None) => return Ok(Vec::new()),
                }
            }
        }
        if parts == 0 {
            return Ok(Vec::new());
        }
        sql.push_str(" ORDER BY seq DESC");
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            let folder: String = r.get(1)?;
            Ok(Found {
                uidl: r.get(0)?,
                folder: Folder::from_name(&folder).unwrap_or(Folder::Inbox),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The FTS5 query on `words` for one query word in `scope`: every piece
    /// it holds (None: a piece nothing indexed holds, or no piece at all).
    fn words_expr(
        &self,
        word: &str,
        scope: crate::store::words::Scope,
    ) -> Result<Option<String>, IndexError> {
        use crate::store::words::{self, Ask};
        let asks = words::asks(word);
        if asks.is_empty() {
            return Ok(None);
        }
        let mut exprs = Vec::new();
        for ask in asks {
            let e = match &ask {
                Ask::Inside(part) => words::terms_expr(&self.terms_containing(part, scope)?),
                _ => ask.expr(scope),
            };
            match e {
                Some(e) => exprs.push(e),
                None => return Ok(None),
            }
        }
        Ok(Some(exprs.join(" AND ")))
    }

    /// The indexed terms in `scope` whose word contains `part` (lowercase),
    /// read from the vocabulary of `words`.
    fn terms_containing(
        &self,
        part: &str,
        scope: crate::store::words::Scope,
    ) -> Result<Vec<String>, IndexError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT term FROM words_vocab WHERE term LIKE ?1 ESCAPE '\\'")?;
        let rows = st.query_map(params![like(part)], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for term in rows {
            let term = term?;
            if scope.word_of(&term).is_some_and(|w| w.contains(part)) {
                out.push(term);
            }
        }
        Ok(out)
    }

    /// Bytes the full-text index (`words`) takes, for the benchmarks.
    pub fn text_bytes(&self) -> Result<u64, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'words%'",
                [],
                |r| r.get::<_, i64>(0),
            )?
            .max(0) as u64)
    }
}
