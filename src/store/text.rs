//! Full-text search over the stored mail: an SQLite FTS5 table with the
//! `trigram` tokenizer, so any substring of three characters or more
//! matches — a Chinese phrase such as 季度报告 needs no word segmenter.
//! One row per stored message (subject, sender, recipients, the body as
//! the reader shows it, attachment names), keyed by the message's row id;
//! contentless (the text is not kept twice). Indexed in batches on the
//! store's thread as messages are stored; searched with every word taken
//! literally (quoted), so `"`, `*`, `-` or `NEAR` are never FTS5 syntax.

use std::time::{Duration, Instant};

use rusqlite::{params, Transaction};

use super::{Index, IndexError};
use crate::store::Folder;

/// Creates the table (schema 2).
pub(super) fn migrate(tx: &Transaction<'_>) -> Result<(), IndexError> {
    tx.execute_batch(
        "ALTER TABLE messages ADD COLUMN texted INTEGER NOT NULL DEFAULT 0;
         CREATE INDEX messages_untexted ON messages(id) WHERE file IS NOT NULL AND texted = 0;
         CREATE VIRTUAL TABLE text USING fts5(
           subject, sender, recipients, body, names,
           tokenize = 'trigram', content = '', contentless_delete = 1
         );",
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

/// `word` as an FTS5 string: one literal phrase, whatever it contains.
fn phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
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

    /// Records the texts of a batch (None: the file could not be read; it is
    /// not asked again this run).
    pub fn put_texts(&mut self, texts: &[(i64, Option<Text>)]) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        {
            let mut del = tx.prepare_cached("DELETE FROM text WHERE rowid = ?1")?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO text(rowid, subject, sender, recipients, body, names) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut done = tx.prepare_cached("UPDATE messages SET texted = ?2 WHERE id = ?1")?;
            let mut del_grams = tx.prepare_cached("DELETE FROM grams WHERE rowid = ?1")?;
            let mut ins_grams = tx.prepare_cached("INSERT INTO grams(rowid, g) VALUES (?1, ?2)")?;
            // Each table's share, for `POSTIE_TIMINGS` (the import bench).
            let (mut in_text, mut in_grams) = (Duration::ZERO, Duration::ZERO);
            for (id, text) in texts {
                del.execute(params![id])?;
                del_grams.execute(params![id])?;
                match text {
                    Some(t) => {
                        let at = Instant::now();
                        ins.execute(params![
                            id,
                            t.subject,
                            t.sender,
                            t.recipients,
                            t.body,
                            t.names
                        ])?;
                        in_text += at.elapsed();
                        let at = Instant::now();
                        let g = crate::store::grams::of(t);
                        if !g.is_empty() {
                            ins_grams.execute(params![id, g])?;
                        }
                        in_grams += at.elapsed();
                        done.execute(params![id, 1])?;
                    }
                    None => {
                        done.execute(params![id, 2])?;
                    }
                }
            }
            crate::timings::record("texts-trigrams-ms", in_text.as_secs_f64() * 1000.0);
            crate::timings::record("texts-grams-ms", in_grams.as_secs_f64() * 1000.0);
        }
        let at = Instant::now();
        tx.commit()?;
        crate::timings::record("texts-commit-ms", at.elapsed().as_secs_f64() * 1000.0);
        Ok(())
    }

    /// Drops a message's text (its stored copy is gone).
    pub(super) fn forget_text(&mut self, uidl: &str) -> Result<(), IndexError> {
        self.conn.execute(
            "DELETE FROM text WHERE rowid = (SELECT id FROM messages WHERE uidl = ?1)",
            params![uidl],
        )?;
        self.conn.execute(
            "DELETE FROM grams WHERE rowid = (SELECT id FROM messages WHERE uidl = ?1)",
            params![uidl],
        )?;
        self.conn.execute(
            "UPDATE messages SET texted = 0 WHERE uidl = ?1",
            params![uidl],
        )?;
        Ok(())
    }

    /// The messages matching every part of `q`, newest first. Parts of three
    /// characters or more go to the full-text index; shorter ones (which a
    /// trigram index cannot answer) to the index of short grams (`grams`:
    /// CJK bigrams and short words of stored mail), and, unless they are
    /// only for the body or the recipients, to a scan of the subjects and
    /// senders of every message the store knows.
    pub fn search(&self, q: &TextQuery) -> Result<Vec<Found>, IndexError> {
        use crate::store::grams::{self, Scope};
        let mut fts = Vec::new();
        let mut short: Vec<(&str, Scope)> = Vec::new();
        for (words, column, scope) in [
            (&q.any, "", Scope::Any),
            (&q.body, "{body names} : ", Scope::Body),
            (&q.to, "recipients : ", Scope::To),
        ] {
            for w in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
                if w.chars().count() >= 3 {
                    fts.push(format!("{column}{}", phrase(w)));
                } else {
                    short.push((w, scope));
                }
            }
        }
        if fts.is_empty() && short.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = String::from("SELECT uidl, folder FROM messages m WHERE 1");
        let mut args: Vec<String> = Vec::new();
        if !fts.is_empty() {
            sql.push_str(
                " AND m.file IS NOT NULL AND m.id IN (SELECT rowid FROM text WHERE text MATCH ?)",
            );
            args.push(fts.join(" AND "));
        }
        const IN_GRAMS: &str = "m.id IN (SELECT rowid FROM grams WHERE grams MATCH ?)";
        for (w, scope) in short {
            let gram = grams::query(w, scope);
            let like = like(w);
            match (scope, gram) {
                // A stored message's subject and sender are in the grams (CJK
                // pairs); the others (known from `TOP n 0`, or not indexed
                // yet) are scanned. A short word in another script is matched
                // inside words of every subject and sender, as before.
                (Scope::Any, Some(g)) => {
                    let only = if w.chars().all(grams::is_cjk) {
                        "m.texted != 1 AND "
                    } else {
                        ""
                    };
                    sql.push_str(&format!(
                        " AND ({IN_GRAMS} OR ({only}(m.subject LIKE ? ESCAPE '\\' OR m.sender LIKE ? ESCAPE '\\' OR m.sender_address LIKE ? ESCAPE '\\')))"
                    ));
                    args.extend([g, like.clone(), like.clone(), like]);
                }
                (Scope::Any, None) => {
                    sql.push_str(
                        " AND (m.subject LIKE ? ESCAPE '\\' OR m.sender LIKE ? ESCAPE '\\' OR m.sender_address LIKE ? ESCAPE '\\')",
                    );
                    args.extend([like.clone(), like.clone(), like]);
                }
                (_, Some(g)) => {
                    sql.push_str(&format!(" AND {IN_GRAMS}"));
                    args.push(g);
                }
                // Nothing in the body can match a word the grams do not hold.
                (_, None) => return Ok(Vec::new()),
            }
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

    /// Bytes the full-text index takes (for the benchmark): the trigram
    /// table's and the short grams' (`grams`).
    pub fn text_bytes(&self) -> Result<(u64, u64), IndexError> {
        let bytes = |like: &str| -> u64 {
            self.conn
                .query_row(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?1",
                    params![like],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap_or(0)
                .max(0) as u64
        };
        Ok((bytes("text%"), bytes("grams%")))
    }
}
