//! The address book: one per user (`$XDG_DATA_HOME/postie/contacts.sqlite`,
//! 0600), filled from the mail you sent (every recipient) and read (its
//! sender) and from vCard/CSV files, asked by completion and `postie
//! contacts`. Blocking (SQLite): called from the store's thread or a
//! blocking task, never an async one.

pub mod cards;
pub mod external;
pub mod matcher;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use crate::mime::DecodeOptions;
use crate::store::{Flags, Folder, Store, StoreError};
pub use cards::Card;
pub use matcher::{Entry, Matcher};

#[derive(Debug, thiserror::Error)]
pub enum ContactsError {
    #[error("{}", rust_i18n::t!("contacts.db", path = .0, error = .1))]
    Db(String, rusqlite::Error),
    #[error("{}", rust_i18n::t!("contacts.io", path = .0, error = .1))]
    Io(String, std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the address book lives.
pub fn default_path() -> PathBuf {
    crate::paths::xdg_dir("XDG_DATA_HOME", ".local/share")
        .join("postie")
        .join("contacts.sqlite")
}

/// One address someone was seen at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub name: String,
    pub email: String,
    /// You wrote to them (else: you read mail from them).
    pub sent: bool,
    /// When (seconds since the epoch).
    pub at: i64,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub sent: i64,
    pub sent_last: i64,
    pub read: i64,
    pub read_last: i64,
    pub imported: bool,
    pub groups: Vec<String>,
}

impl Contact {
    /// How likely you want this one: writing weighs ten times reading,
    /// and both fade with time (half after two weeks, a month).
    pub fn score(&self, now: i64) -> f64 {
        let fade = |last: i64, days: f64| {
            let age = (now - last).max(0) as f64 / 86_400.0;
            1.0 / (1.0 + age / days)
        };
        self.sent as f64 * 10.0 * fade(self.sent_last, 14.0)
            + self.read as f64 * fade(self.read_last, 30.0)
            + if self.imported { 0.5 } else { 0.0 }
    }
}

pub struct Book {
    conn: Connection,
    path: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS contacts(
  email TEXT PRIMARY KEY COLLATE NOCASE,
  name TEXT NOT NULL DEFAULT '',
  sent INTEGER NOT NULL DEFAULT 0, sent_last INTEGER NOT NULL DEFAULT 0,
  read INTEGER NOT NULL DEFAULT 0, read_last INTEGER NOT NULL DEFAULT 0,
  imported INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS members(
  grp TEXT NOT NULL, email TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY(grp, email));
CREATE TABLE IF NOT EXISTS learned(account TEXT PRIMARY KEY, sent_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS read_by(account TEXT NOT NULL, email TEXT NOT NULL COLLATE NOCASE,
  n INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY(account, email));
";

impl Book {
    /// Opens (or makes, 0600 in a 0700 directory) the book at `path`.
    pub fn open(path: &Path) -> Result<Book, ContactsError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            crate::store::maildir::private_dir(dir)
                .map_err(|e| ContactsError::Io(shown.clone(), e))?;
        }
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| ContactsError::Io(shown.clone(), e))?;
        }
        let db = |e| ContactsError::Db(shown.clone(), e);
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Book { conn, path: shown })
    }

    fn db(&self, e: rusqlite::Error) -> ContactsError {
        ContactsError::Db(self.path.clone(), e)
    }

    /// Adds or merges cards from a file: a new address is added, a known
    /// one gets the card's name if it had none; groups are recorded.
    /// Returns (added, already known).
    pub fn add_cards(&mut self, cards: &[Card]) -> Result<(usize, usize), ContactsError> {
        let path = self.path.clone();
        let db = |e| ContactsError::Db(path.clone(), e);
        let tx = self.conn.transaction().map_err(db)?;
        let (mut added, mut known) = (0, 0);
        for c in cards {
            if c.is_group {
                for e in &c.emails {
                    tx.execute(
                        "INSERT OR IGNORE INTO members(grp, email) VALUES (?1, ?2)",
                        params![c.name, e],
                    )
                    .map_err(db)?;
                }
                continue;
            }
            for e in &c.emails {
                let n = tx
                    .execute(
                        "INSERT OR IGNORE INTO contacts(email, name, imported) VALUES (?1, ?2, 1)",
                        params![e, c.name],
                    )
                    .map_err(db)?;
                if n == 1 {
                    added += 1;
                } else {
                    known += 1;
                    tx.execute(
                        "UPDATE contacts SET imported = 1,
                           name = CASE WHEN name = '' THEN ?2 ELSE name END WHERE email = ?1",
                        params![e, c.name],
                    )
                    .map_err(db)?;
                }
            }
            // A group holds a person once: at the card's first address.
            if let Some(first) = c.emails.first() {
                for g in &c.groups {
                    tx.execute(
                        "INSERT OR IGNORE INTO members(grp, email) VALUES (?1, ?2)",
                        params![g, first],
                    )
                    .map_err(db)?;
                }
            }
        }
        tx.commit().map_err(db)?;
        Ok((added, known))
    }

    /// Records addresses seen in mail; a name seen replaces an empty one,
    /// and a name you wrote to them with replaces the one they sent.
    pub fn learn(&mut self, seen: &[Seen]) -> Result<(), ContactsError> {
        let path = self.path.clone();
        let db = |e| ContactsError::Db(path.clone(), e);
        let tx = self.conn.transaction().map_err(db)?;
        for s in seen {
            let email = s.email.trim();
            if !email.contains('@') {
                continue;
            }
            tx.execute(
                "INSERT OR IGNORE INTO contacts(email, name) VALUES (?1, ?2)",
                params![email, s.name],
            )
            .map_err(db)?;
            let sql = if s.sent {
                "UPDATE contacts SET sent = sent + 1, sent_last = max(sent_last, ?2),
                   name = CASE WHEN ?3 <> '' THEN ?3 ELSE name END WHERE email = ?1"
            } else {
                "UPDATE contacts SET read = read + 1, read_last = max(read_last, ?2),
                   name = CASE WHEN name = '' THEN ?3 ELSE name END WHERE email = ?1"
            };
            tx.execute(sql, params![email, s.at, s.name]).map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// Every contact, with its groups.
    pub fn all(&self) -> Result<Vec<Contact>, ContactsError> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, e) in self.members()? {
            groups.entry(e.to_lowercase()).or_default().push(g);
        }
        let mut st = self
            .conn
            .prepare("SELECT email, name, sent, sent_last, read, read_last, imported FROM contacts ORDER BY email")
            .map_err(|e| self.db(e))?;
        let rows = st
            .query_map([], |r| {
                Ok(Contact {
                    email: r.get(0)?,
                    name: r.get(1)?,
                    sent: r.get(2)?,
                    sent_last: r.get(3)?,
                    read: r.get(4)?,
                    read_last: r.get(5)?,
                    imported: r.get::<_, i64>(6)? != 0,
                    groups: Vec::new(),
                })
            })
            .map_err(|e| self.db(e))?;
        let mut out = Vec::new();
        for c in rows {
            let mut c = c.map_err(|e| self.db(e))?;
            c.groups = groups.remove(&c.email.to_lowercase()).unwrap_or_default();
            out.push(c);
        }
        Ok(out)
    }

    /// (group, member address) pairs.
    pub fn members(&self) -> Result<Vec<(String, String)>, ContactsError> {
        let mut st = self
            .conn
            .prepare("SELECT grp, email FROM members ORDER BY grp, email")
            .map_err(|e| self.db(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db(e))
    }

    /// Each group with its members' addresses.
    pub fn groups(&self) -> Result<BTreeMap<String, Vec<String>>, ContactsError> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, e) in self.members()? {
            groups.entry(g).or_default().push(e);
        }
        Ok(groups)
    }

    /// Contacts and groups for completion, ranked as of `now`.
    pub fn matcher(&self, now: i64) -> Result<Matcher, ContactsError> {
        let all = self.all()?;
        let mut score_of: BTreeMap<String, f64> = BTreeMap::new();
        let mut entries: Vec<Entry> = all
            .iter()
            .map(|c| {
                let s = c.score(now);
                score_of.insert(c.email.to_lowercase(), s);
                Entry::contact(&c.name, &c.email, s)
            })
            .collect();
        for (g, members) in self.groups()? {
            let s = members
                .iter()
                .map(|m| score_of.get(&m.to_lowercase()).copied().unwrap_or(0.0))
                .fold(0.0, f64::max);
            entries.push(Entry::group(&g, members, s));
        }
        Ok(Matcher::new(entries))
    }

    fn learned_seq(&self, account: &str) -> Result<i64, ContactsError> {
        self.conn
            .query_row(
                "SELECT sent_seq FROM learned WHERE account = ?1",
                params![account],
                |r| r.get(0),
            )
            .optional()
            .map(|v| v.unwrap_or(0))
            .map_err(|e| self.db(e))
    }

    fn set_learned_seq(&self, account: &str, seq: i64) -> Result<(), ContactsError> {
        self.conn
            .execute(
                "INSERT INTO learned(account, sent_seq) VALUES (?1, ?2)
                 ON CONFLICT(account) DO UPDATE SET sent_seq = excluded.sent_seq",
                params![account, seq],
            )
            .map(|_| ())
            .map_err(|e| self.db(e))
    }

    /// Learns from one account's store what it has not learned yet: every
    /// recipient of the mail in Sent (its To and Cc, names decoded), once
    /// per message; and the senders of the mail read, counted afresh (a
    /// message read since the last time counts now).
    pub fn learn_from_store(
        &mut self,
        s: &mut Store,
        account: &str,
        decode: &DecodeOptions,
    ) -> Result<usize, ContactsError> {
        let since = self.learned_seq(account)?;
        let mut seen = Vec::new();
        let mut top = since;
        for row in s.load(&Folder::Sent)? {
            if row.seq <= since || !row.stored {
                continue;
            }
            top = top.max(row.seq);
            let at = row
                .summary
                .as_deref()
                .and_then(|m| m.timestamp())
                .unwrap_or(row.first_seen);
            let Some(path) = s.path(&row.uidl)? else {
                continue;
            };
            let head = crate::store::maildir::read_head(&path).unwrap_or_default();
            let a = crate::mime::render::addresses(&head, decode);
            for m in a.to.iter().chain(&a.cc) {
                seen.push(Seen {
                    name: m.name.clone(),
                    email: m.address.clone(),
                    sent: true,
                    at,
                });
            }
        }
        let n = seen.len();
        self.learn(&seen)?;
        self.set_learned_seq(account, top)?;
        // Senders of read mail: recounted for this account's mail each time.
        let mut read: Vec<Seen> = Vec::new();
        for f in s.folders() {
            if matches!(
                f,
                Folder::Sent | Folder::Drafts | Folder::Trash | Folder::Junk
            ) {
                continue;
            }
            for row in s.load(&f)? {
                if !row.flags.contains(Flags::SEEN) {
                    continue;
                }
                if let Some(m) = row.summary.as_deref() {
                    read.push(Seen {
                        name: m.from().to_string(),
                        email: m.from_address().to_string(),
                        sent: false,
                        at: m.timestamp().unwrap_or(row.first_seen),
                    });
                }
            }
        }
        self.recount_read(account, &read)?;
        Ok(n + read.len())
    }

    /// Replaces `account`'s share of the read counts with `read`.
    fn recount_read(&mut self, account: &str, read: &[Seen]) -> Result<(), ContactsError> {
        let path = self.path.clone();
        let db = |e| ContactsError::Db(path.clone(), e);
        let tx = self.conn.transaction().map_err(db)?;
        tx.execute("DELETE FROM read_by WHERE account = ?1", params![account])
            .map_err(db)?;
        for s in read {
            if !s.email.contains('@') {
                continue;
            }
            tx.execute(
                "INSERT INTO contacts(email, name) VALUES (?1, ?2) ON CONFLICT(email) DO UPDATE
                   SET name = CASE WHEN name = '' THEN excluded.name ELSE name END",
                params![s.email, s.name],
            )
            .map_err(db)?;
            tx.execute(
                "INSERT INTO read_by(account, email, n, last) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT(account, email) DO UPDATE SET n = n + 1, last = max(last, excluded.last)",
                params![account, s.email, s.at],
            )
            .map_err(db)?;
        }
        tx.execute_batch(
            "UPDATE contacts SET
               read = coalesce((SELECT sum(n) FROM read_by WHERE read_by.email = contacts.email), 0),
               read_last = coalesce((SELECT max(last) FROM read_by WHERE read_by.email = contacts.email), 0);",
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }
}

#[cfg(test)]
mod tests;
