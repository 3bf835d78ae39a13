//! The store's index in SQLite (WAL mode, one writer per process, SQLite's
//! locking between processes): per message its UIDL, folder, file, size,
//! summary, thread ids, flags and times. It can always be rebuilt from the
//! Maildir folders; a damaged, foreign or newer index is moved aside by
//! `Store::open`, never trusted. Blocking code: runs on the store thread.

use rust_i18n::t;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{Flags, Folder};
use crate::mime::{Summary, SummaryParts};
use crate::uidl::Uidl;

/// 'PoSt': marks the file as postie's.
const APPLICATION_ID: i32 = 0x506f_5374;
/// The schema this code writes; older ones are migrated forward.
pub const SCHEMA_VERSION: i32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{}", t!("store.index_damaged", why = _0))]
    Damaged(String),
    #[error("{}", t!("store.index_foreign", why = _0))]
    Foreign(String),
    #[error("{}", t!("store.index_newer", schema = _0, known = SCHEMA_VERSION))]
    Newer(i32),
    #[error("{}", t!("store.index_busy", why = _0))]
    Busy(String),
}

impl crate::error::Classify for IndexError {
    fn class(&self) -> crate::error::ErrorClass {
        match self {
            // Another postie holds it: trying again later works.
            IndexError::Busy(_) => crate::error::ErrorClass::Temporary,
            IndexError::Damaged(_) | IndexError::Foreign(_) | IndexError::Newer(_) => {
                crate::error::ErrorClass::Local
            }
        }
    }
}

impl From<rusqlite::Error> for IndexError {
    fn from(e: rusqlite::Error) -> IndexError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                IndexError::Busy(e.to_string())
            }
            _ => IndexError::Damaged(e.to_string()),
        }
    }
}

/// One message as the index knows it.
#[derive(Debug, Clone)]
pub struct Row {
    pub uidl: Uidl,
    pub folder: Folder,
    pub size: u64,
    /// Arrival order: larger is newer.
    pub seq: i64,
    /// None until its headers have been read.
    pub summary: Option<Arc<Summary>>,
    pub flags: Flags,
    /// The whole message is in the Maildir.
    pub stored: bool,
    pub on_server: bool,
    /// Seconds since the epoch.
    pub first_seen: i64,
    pub downloaded: Option<i64>,
}

pub struct Index {
    pub(super) conn: Connection,
    /// What opening had to do, for the user (decoding settings changed).
    pub note: Option<String>,
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The time recorded as "downloaded": `POSTIE_TEST_NOW` (seconds since the
/// epoch) when set, so tests can age mail without waiting days; else now.
pub fn now_for_index() -> i64 {
    std::env::var("POSTIE_TEST_NOW")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(now)
}

const COLUMNS: &str = "uidl, folder, size, seq, subject, sender, sender_address, date, \
     date_offset, date_raw, attachment, message_id, in_reply_to, refs, reply_to, flags, \
     file IS NOT NULL, on_server, first_seen, downloaded, recipient";

/// Column `i` of `r` as text, borrowed (no copy of a field per row read).
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let summary = match r.get_ref(4)?.as_str_or_null() {
        Ok(Some(subject)) => {
            let date: Option<i64> = r.get(7)?;
            let offset: i64 = r.get(8)?;
            let s = Summary::whole(&SummaryParts {
                subject,
                from: text(r, 5)?,
                from_address: text(r, 6)?,
                recipient: text(r, 20)?,
                ids: [text(r, 11)?, text(r, 12)?, text(r, 13)?, text(r, 14)?],
                date_raw: text(r, 9)?,
                date: date.map(|d| (d, i16::try_from(offset).unwrap_or(0))),
                maybe_attachment: r.get(10)?,
            });
            Some(Arc::new(s))
        }
        Ok(None) => None,
        Err(e) => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                Box::new(e),
            ))
        }
    };
    let folder: String = r.get(1)?;
    Ok(Row {
        uidl: Uidl::from(r.get::<_, String>(0)?),
        folder: Folder::from_name(&folder).unwrap_or(Folder::Inbox),
        size: r.get::<_, i64>(2)?.max(0) as u64,
        seq: r.get(3)?,
        summary,
        flags: Flags::from_bits(r.get::<_, i64>(15)? as u8),
        stored: r.get(16)?,
        on_server: r.get(17)?,
        first_seen: r.get(18)?,
        downloaded: r.get(19)?,
    })
}

impl Index {
    /// Opens (or creates) the index at `path` for `key` (the account and its
    /// decoding settings). Any doubt about the file is an error: the caller
    /// moves it aside and rebuilds.
    pub fn open(path: &Path, key: &str, decode: &str) -> Result<Index, IndexError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Index::setup(conn, key, decode)
    }

    /// An index in memory only, for a store whose index file cannot be written.
    pub fn in_memory(key: &str, decode: &str) -> Result<Index, IndexError> {
        Index::setup(Connection::open_in_memory()?, key, decode)
    }

    fn setup(conn: Connection, key: &str, decode: &str) -> Result<Index, IndexError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if app != APPLICATION_ID && (app != 0 || tables != 0) {
            return Err(IndexError::Foreign(format!(
                "not a postie index (application id {app:#x})"
            )));
        }
        if version > SCHEMA_VERSION {
            return Err(IndexError::Newer(version));
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A big first sync writes one large transaction; the log is cut back
        // to 4 MB once it is folded into the index.
        conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
        let mut index = Index { conn, note: None };
        index.migrate(version, key)?;
        let stored_key: Option<String> = index
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'account'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match stored_key {
            Some(k) if k == key => {}
            Some(k) => return Err(IndexError::Foreign(format!("made for {k}"))),
            None => {
                index.conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('account', ?1)",
                    params![key],
                )?;
            }
        }
        // Summaries depend on how mail is decoded (`fallback_charset`,
        // `decoding`): when that changed, they are read again; flags and
        // stored mail are untouched.
        let stored_decode: Option<String> = index
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'decode'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if stored_decode.as_deref() != Some(decode) {
            if stored_decode.is_some() {
                // Nothing is blanked that cannot be read again: a stored
                // message keeps its summary until the store's background
                // pass has decoded its file again (with its text for
                // search); one known from `TOP n 0` alone is read again
                // from the server.
                index.conn.execute_batch(
                    "UPDATE messages SET texted = 0 WHERE file IS NOT NULL;
                     UPDATE messages SET subject = NULL WHERE file IS NULL;",
                )?;
                index.note = Some(t!("store.decoding_changed").into());
            }
            set_meta(&index.conn, "decode", Some(decode))?;
        }
        Ok(index)
    }

    /// Brings the schema from `from` up to `SCHEMA_VERSION`, in one transaction.
    fn migrate(&self, from: i32, _key: &str) -> Result<(), IndexError> {
        if from >= SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self.conn.unchecked_transaction()?;
        if from < 1 {
            tx.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE messages (
                   id INTEGER PRIMARY KEY,
                   uidl TEXT NOT NULL UNIQUE,
                   folder TEXT NOT NULL,
                   file TEXT,
                   size INTEGER NOT NULL DEFAULT 0,
                   seq INTEGER NOT NULL,
                   subject TEXT,
                   sender TEXT NOT NULL DEFAULT '',
                   sender_address TEXT NOT NULL DEFAULT '',
                   date INTEGER,
                   date_offset INTEGER NOT NULL DEFAULT 0,
                   date_raw TEXT NOT NULL DEFAULT '',
                   attachment INTEGER NOT NULL DEFAULT 0,
                   message_id TEXT NOT NULL DEFAULT '',
                   in_reply_to TEXT NOT NULL DEFAULT '',
                   refs TEXT NOT NULL DEFAULT '',
                   reply_to TEXT NOT NULL DEFAULT '',
                   flags INTEGER NOT NULL DEFAULT 0,
                   first_seen INTEGER NOT NULL,
                   downloaded INTEGER,
                   on_server INTEGER NOT NULL DEFAULT 1
                 );
                 CREATE INDEX messages_by_folder ON messages(folder, seq);",
            )?;
        }
        if from < 2 {
            text::migrate(&tx)?;
        }
        if from < 3 {
            // What Sent and Drafts show: the first recipient.
            tx.execute_batch("ALTER TABLE messages ADD COLUMN recipient TEXT NOT NULL DEFAULT ''")?;
        }
        if from < 4 {
            // Schemas 2 and 3 kept a trigram index (`text`) and a table of
            // short grams (`grams`); both give way to `words`, and the mail
            // stored already is indexed again in the background.
            tx.execute_batch("DROP TABLE IF EXISTS text; DROP TABLE IF EXISTS grams;")?;
            super::words::migrate(&tx)?;
            tx.execute("UPDATE messages SET texted = 0 WHERE file IS NOT NULL", [])?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    /// How many rows of `folder` have a stored file, found the way `load`
    /// finds them (through the folder index).
    pub fn count_stored(&self, folder: &Folder) -> Result<usize, IndexError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM messages WHERE folder = ?1 AND file IS NOT NULL",
            params![folder.name()],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Rebuilds SQLite's lookup structures from the table itself.
    pub fn reindex(&self) -> Result<(), IndexError> {
        self.conn.execute_batch("REINDEX")?;
        Ok(())
    }

    /// SQLite's own `quick_check`: "ok", or what is damaged.
    pub fn quick_check(&self) -> Result<Vec<String>, IndexError> {
        let mut st = self.conn.prepare("PRAGMA quick_check")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every message of `folder`, newest first.
    pub fn load(&self, folder: &Folder) -> Result<Vec<Row>, IndexError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE folder = ?1 ORDER BY seq DESC"
        ))?;
        let rows = st.query_map(params![folder.name()], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Caps SQLite's own page cache at `kib` (the file system caches the
    /// pages too): a fetch reads the index once and needs no more.
    pub fn limit_cache(&self, kib: i64) -> Result<(), IndexError> {
        self.conn.pragma_update(None, "cache_size", -kib)?;
        Ok(())
    }

    /// What a fetch needs of every message it could meet on the server: each
    /// received folder's rows and the tombstones (counted as stored: never
    /// downloaded again), without their summaries (a fetch lists nothing).
    pub fn known_to_fetch(&self) -> Result<Vec<Row>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT uidl, folder, size, seq, flags, file IS NOT NULL, on_server,
                    first_seen, downloaded
             FROM messages WHERE folder NOT IN ('Sent', 'Drafts')",
        )?;
        let rows = st.query_map([], |r| {
            let folder: String = r.get(1)?;
            let stored: bool = r.get(5)?;
            Ok(Row {
                uidl: Uidl::from(r.get::<_, String>(0)?),
                // As the list reads it: the tombstones' pseudo-folder is INBOX's.
                folder: Folder::from_name(&folder).unwrap_or(Folder::Inbox),
                size: r.get::<_, i64>(2)?.max(0) as u64,
                seq: r.get(3)?,
                summary: None,
                flags: Flags::from_bits(r.get::<_, i64>(4)? as u8),
                stored: stored || folder == "Deleted",
                on_server: r.get(6)?,
                first_seen: r.get(7)?,
                downloaded: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Messages removed for good here that the server still had (tombstones).
    pub fn load_deleted(&self) -> Result<Vec<Row>, IndexError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE folder = 'Deleted'"
        ))?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The newest `limit` messages of `folder`, newest first.
    pub fn load_newest(&self, folder: &Folder, limit: usize) -> Result<Vec<Row>, IndexError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE folder = ?1 ORDER BY seq DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![folder.name(), limit as i64], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn get(&self, uidl: &str) -> Result<Option<Row>, IndexError> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE uidl = ?1"))?;
        Ok(st.query_row(params![uidl], row).optional()?)
    }

    /// The folder and Maildir file (relative to the folder) of a stored message.
    pub fn file(&self, uidl: &str) -> Result<Option<(Folder, String)>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT folder, file FROM messages WHERE uidl = ?1 AND file IS NOT NULL",
        )?;
        let found: Option<(String, String)> = st
            .query_row(params![uidl], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(found.map(|(f, file)| (Folder::from_name(&f).unwrap_or(Folder::Inbox), file)))
    }

    /// Adds `delta` to the count of store sessions open (or ended without
    /// closing) and reads `key` of the meta table, in one transaction;
    /// returns the count before the change and that value.
    pub fn count_session(
        &mut self,
        delta: i64,
        key: &str,
    ) -> Result<(i64, Option<String>), IndexError> {
        let tx = self.conn.transaction()?;
        let before: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'sessions'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let value: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?;
        set_meta(&tx, "sessions", Some(&(before + delta).max(0).to_string()))?;
        tx.commit()?;
        Ok((before, value))
    }

    /// Sets (or with None removes) `key` of the meta table, and the count
    /// of sessions.
    pub fn set_meta_and_sessions(
        &mut self,
        key: &str,
        value: Option<&str>,
        sessions: i64,
    ) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        set_meta(&tx, key, value)?;
        set_meta(&tx, "sessions", Some(&sessions.to_string()))?;
        tx.commit()?;
        Ok(())
    }

    pub fn is_empty(&self) -> Result<bool, IndexError> {
        let any: bool = self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM messages)", [], |r| r.get(0))?;
        Ok(!any)
    }

    pub(super) fn next_seq(&self) -> Result<i64, IndexError> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT max(seq) FROM messages", [], |r| r.get(0))?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Records what a server index said: `new` messages (oldest first) get
    /// rows; `present` ones are on the server; `gone` ones are not (kept,
    /// as local-only, when stored; forgotten otherwise).
    pub fn apply_server_index(
        &mut self,
        new: &[(Uidl, u64)],
        gone: &[Uidl],
    ) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        let first = {
            let max: Option<i64> =
                tx.query_row("SELECT max(seq) FROM messages", [], |r| r.get(0))?;
            max.unwrap_or(0) + 1
        };
        {
            // Many rows a statement: half the CPU of a statement a row,
            // spent while a cold list's server and worker want the cores.
            // A session's own UIDLs take no seq (they get no row).
            let durable = new.iter().filter(|(u, _)| !u.is_session());
            super::fresh::insert_new(
                &tx,
                (first..)
                    .zip(durable)
                    .map(|(seq, (uidl, size))| super::fresh::NewRow {
                        uidl,
                        size: *size,
                        seq,
                        summary: None,
                    }),
            )?;
            let mut off = tx.prepare_cached(
                "UPDATE messages SET on_server = 0 WHERE uidl = ?1 AND file IS NOT NULL",
            )?;
            let mut del =
                tx.prepare_cached("DELETE FROM messages WHERE uidl = ?1 AND file IS NULL")?;
            for uidl in gone {
                off.execute(params![uidl.as_str()])?;
                del.execute(params![uidl.as_str()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Summaries read from the messages' files: they replace any other.
    pub fn put_summaries(&mut self, rows: &[(Uidl, Arc<Summary>)]) -> Result<(), IndexError> {
        self.write_summaries(rows, "", false)
    }

    /// Summaries read from `TOP n 0`: they never replace one read from the
    /// whole stored message (its body may decide how its headers read).
    pub fn put_server_summaries(
        &mut self,
        rows: &[(Uidl, Arc<Summary>)],
    ) -> Result<(), IndexError> {
        // A UIDL of this session only names no row to keep.
        self.write_summaries(rows, " AND (file IS NULL OR texted = 0)", true)
    }

    /// `rows`' summaries where `only` allows; from the server (`server`),
    /// a session's own UIDLs are skipped.
    fn write_summaries(
        &mut self,
        rows: &[(Uidl, Arc<Summary>)],
        only: &str,
        server: bool,
    ) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(&format!(
                "UPDATE messages SET subject = ?2, sender = ?3, sender_address = ?4, date = ?5,
                   date_offset = ?6, date_raw = ?7, attachment = ?8, message_id = ?9,
                   in_reply_to = ?10, refs = ?11, reply_to = ?12, recipient = ?13 WHERE uidl = ?1{only}"
            ))?;
            for (uidl, s) in rows.iter().filter(|(u, _)| !(server && u.is_session())) {
                st.execute(params![
                    uidl.as_str(),
                    s.subject(),
                    s.from(),
                    s.from_address(),
                    s.timestamp(),
                    s.offset_minutes(),
                    s.date_raw(),
                    s.maybe_attachment(),
                    s.message_id(),
                    s.in_reply_to(),
                    s.references(),
                    s.reply_to(),
                    s.recipient(),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A message now in the Maildir (`file` relative to its folder).
    #[allow(clippy::too_many_arguments)]
    pub fn stored(
        &mut self,
        uidl: &str,
        folder: &Folder,
        file: &str,
        size: u64,
        flags: Flags,
        on_server: bool,
        summary: Option<&Summary>,
    ) -> Result<(), IndexError> {
        let seq = self.next_seq()?;
        let t = now_for_index();
        self.conn.execute(
            "INSERT INTO messages(uidl, folder, file, size, seq, flags, first_seen, downloaded, on_server)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)
             ON CONFLICT(uidl) DO UPDATE SET folder = excluded.folder, file = excluded.file,
               size = excluded.size, flags = excluded.flags, downloaded = excluded.downloaded",
            params![
                uidl,
                folder.name(),
                file,
                size as i64,
                seq,
                flags.bits() as i64,
                t,
                on_server
            ],
        )?;
        if let Some(s) = summary {
            self.put_summaries(&[(Uidl::from(uidl), Arc::new(s.clone()))])?;
        }
        Ok(())
    }

    pub fn set_flags(
        &mut self,
        uidl: &str,
        flags: Flags,
        file: Option<&str>,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE messages SET flags = ?2, file = coalesce(?3, file) WHERE uidl = ?1",
            params![uidl, flags.bits() as i64, file],
        )?;
        Ok(())
    }

    pub fn set_folder(
        &mut self,
        uidl: &str,
        folder: &Folder,
        file: &str,
        flags: Flags,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE messages SET folder = ?2, file = ?3, flags = ?4 WHERE uidl = ?1",
            params![uidl, folder.name(), file, flags.bits() as i64],
        )?;
        Ok(())
    }

    /// The stored copy is gone (deleted for good, or vanished from disk).
    pub fn unstore(&mut self, uidl: &str) -> Result<(), IndexError> {
        self.forget_text(uidl)?;
        self.conn.execute(
            "UPDATE messages SET file = NULL, downloaded = NULL, folder = 'INBOX' WHERE uidl = ?1",
            params![uidl],
        )?;
        self.conn.execute(
            "DELETE FROM messages WHERE uidl = ?1 AND on_server = 0",
            params![uidl],
        )?;
        Ok(())
    }

    /// Records many delivered messages in one transaction.
    pub fn stored_many(
        &mut self,
        folder: &Folder,
        rows: &[(String, String, u64, Flags)],
        on_server: bool,
    ) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        {
            let first: i64 = {
                let max: Option<i64> =
                    tx.query_row("SELECT max(seq) FROM messages", [], |r| r.get(0))?;
                max.unwrap_or(0) + 1
            };
            let t = now_for_index();
            let mut st = tx.prepare_cached(
                "INSERT INTO messages(uidl, folder, file, size, seq, flags, first_seen, downloaded, on_server)
                 VALUES (?1, ?7, ?2, ?3, ?4, ?5, ?6, ?6, ?8)
                 ON CONFLICT(uidl) DO UPDATE SET folder = excluded.folder, file = excluded.file,
                   size = excluded.size, flags = messages.flags | excluded.flags,
                   downloaded = excluded.downloaded",
            )?;
            // New rows take the next arrival numbers; known ones keep theirs.
            for (seq, (uidl, file, size, flags)) in (first..).zip(rows) {
                st.execute(params![
                    uidl,
                    file,
                    *size as i64,
                    seq,
                    flags.bits() as i64,
                    t,
                    folder.name(),
                    on_server
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Messages the index believes on the server that a `leave_on_server`
    /// policy may delete: stored ones downloaded before `cutoff` (`Some`), or
    /// every stored one (`None`).
    pub fn stored_on_server(&self, cutoff: Option<i64>) -> Result<Vec<String>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT uidl FROM messages WHERE on_server = 1 AND file IS NOT NULL
               AND downloaded IS NOT NULL AND (?1 IS NULL OR downloaded <= ?1)",
        )?;
        let rows = st.query_map(params![cutoff], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Messages deleted here that the server still has: in Trash, or
    /// removed for good (kept as a tombstone in the pseudo-folder `Deleted`).
    pub fn deleted_here(&self) -> Result<Vec<String>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT uidl FROM messages WHERE on_server = 1 AND folder IN ('Trash', 'Deleted')",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// A message removed for good here but still on the server: remembered
    /// (no file, no summary shown anywhere) so `until-deleted` can delete it there.
    pub fn tombstone(&mut self, uidl: &str) -> Result<(), IndexError> {
        self.forget_text(uidl)?;
        self.conn.execute(
            "UPDATE messages SET folder = 'Deleted', file = NULL WHERE uidl = ?1",
            params![uidl],
        )?;
        Ok(())
    }

    pub fn set_on_server(&mut self, uidl: &str, on: bool) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE messages SET on_server = ?2 WHERE uidl = ?1",
            params![uidl, on],
        )?;
        Ok(())
    }

    pub fn remove(&mut self, uidl: &str) -> Result<(), IndexError> {
        self.forget_text(uidl)?;
        self.conn
            .execute("DELETE FROM messages WHERE uidl = ?1", params![uidl])?;
        Ok(())
    }

    /// Every stored message's id that starts with `prefix`.
    pub fn ids_like(&self, prefix: &str) -> Result<Vec<String>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT uidl FROM messages WHERE file IS NOT NULL AND substr(uidl, 1, length(?1)) = ?1",
        )?;
        let rows = st.query_map([prefix], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(IndexError::from)
    }

    /// Every stored file the index knows: (uidl, folder, file, flags).
    pub fn files(&self) -> Result<Vec<(String, Folder, String, Flags)>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT uidl, folder, file, flags FROM messages WHERE file IS NOT NULL",
        )?;
        let rows = st.query_map([], |r| {
            let folder: String = r.get(1)?;
            Ok(Folder::from_name(&folder).map(|f| {
                (
                    r.get::<_, String>(0),
                    f,
                    r.get::<_, String>(2),
                    Flags::from_bits(r.get::<_, i64>(3).unwrap_or(0) as u8),
                )
            }))
        })?;
        // A row whose folder is no folder of ours (a damaged value) matches
        // no file: the file is adopted again and the row corrected.
        let mut out = Vec::new();
        for row in rows {
            if let Some((uidl, folder, file, flags)) = row? {
                out.push((uidl?, folder, file?, flags));
            }
        }
        Ok(out)
    }

    /// The stored files of one folder: (uidl, file), through the folder's
    /// lookup (not a pass over every folder's rows).
    pub fn files_of(&self, folder: &Folder) -> Result<Vec<(String, String)>, IndexError> {
        let mut st = self.conn.prepare_cached(
            "SELECT uidl, file FROM messages WHERE folder = ?1 AND file IS NOT NULL",
        )?;
        let rows = st.query_map(params![folder.name()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(IndexError::from)
    }

    /// Bytes on disk per message, for the benchmark.
    pub fn page_bytes(&self) -> Result<u64, IndexError> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages * size).max(0) as u64)
    }
}

#[path = "text.rs"]
mod text;
pub use text::{Found, Pending, Text, TextQuery};

/// Sets (or with None removes) `key` of the meta table.
fn set_meta(conn: &rusqlite::Connection, key: &str, value: Option<&str>) -> Result<(), IndexError> {
    match value {
        Some(v) => conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, v],
        )?,
        None => conn.execute("DELETE FROM meta WHERE key = ?1", params![key])?,
    };
    Ok(())
}
