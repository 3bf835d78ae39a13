//! A listing's new messages written once, with their summaries: `postie
//! list` reads a new message's headers before the store has its row, so
//! the row goes in whole — half the store's work of a row and then its
//! summary, done while the server and the listing want the same cores.

use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::index::{now, Index, IndexError};
use super::{Store, StoreError};
use crate::mime::Summary;
use crate::uidl::Uidl;

/// A message the store has never seen.
#[derive(Debug, Clone)]
pub struct FreshRow {
    pub uidl: Uidl,
    pub size: u64,
    /// Its place among the session's new messages, oldest first: its seq is
    /// the first free one (when the index arrived) plus this.
    pub order: u32,
    /// None when its headers could not be had (a row all the same).
    pub summary: Option<Arc<Summary>>,
}

/// Rows a statement (16 values each).
const ROWS: usize = 64;

const ROW: &str = "(?, 'INBOX', ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

impl Index {
    /// `rows` recorded (a session's own UIDLs skipped); one already there
    /// (another process wrote it meanwhile) is marked on the server.
    pub fn insert_fresh(&mut self, rows: &[FreshRow], first_seq: i64) -> Result<(), IndexError> {
        let tx = self.conn.transaction()?;
        insert_new(
            &tx,
            rows.iter().map(|r| NewRow {
                uidl: &r.uidl,
                size: r.size,
                seq: first_seq + i64::from(r.order),
                summary: r.summary.as_deref(),
            }),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// One INBOX row to insert (`insert_new`).
pub(super) struct NewRow<'a> {
    pub uidl: &'a Uidl,
    pub size: u64,
    pub seq: i64,
    /// None: a bare row (its summary comes later, or never).
    pub summary: Option<&'a Summary>,
}

/// Inserts `rows` (a session's own UIDLs skipped), `ROWS` to a statement,
/// first seen now; a row already there is marked on the server and resized.
/// Shared by a server index's new rows and `postie list`'s fresh ones.
pub(super) fn insert_new<'a>(
    tx: &rusqlite::Transaction<'_>,
    rows: impl Iterator<Item = NewRow<'a>>,
) -> Result<(), IndexError> {
    let t = now();
    let mut rows = rows.filter(|r| !r.uidl.is_session()).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<NewRow<'a>> = rows.by_ref().take(ROWS).collect();
        let sql = format!(
            "INSERT INTO messages(uidl, folder, size, seq, first_seen, on_server, subject,
               sender, sender_address, date, date_offset, date_raw, attachment, message_id,
               in_reply_to, refs, reply_to, recipient) VALUES {}
             ON CONFLICT(uidl) DO UPDATE SET on_server = 1, size = excluded.size",
            vec![ROW; chunk.len()].join(", ")
        );
        let mut ins = tx.prepare_cached(&sql)?;
        let mut values: Vec<ToSqlOutput<'_>> = Vec::with_capacity(chunk.len() * 16);
        for r in &chunk {
            values.extend([
                text(r.uidl.as_str()),
                (r.size as i64).into(),
                r.seq.into(),
                t.into(),
            ]);
            match r.summary {
                Some(s) => values.extend([
                    text(s.subject()),
                    text(s.from()),
                    text(s.from_address()),
                    s.timestamp()
                        .map_or(ToSqlOutput::Borrowed(ValueRef::Null), Into::into),
                    i64::from(s.offset_minutes()).into(),
                    text(s.date_raw()),
                    i64::from(s.maybe_attachment()).into(),
                    text(s.message_id()),
                    text(s.in_reply_to()),
                    text(s.references()),
                    text(s.reply_to()),
                    text(s.recipient()),
                ]),
                None => {
                    let null = ToSqlOutput::Borrowed(ValueRef::Null);
                    values.extend([null.clone(), text(""), text(""), null]);
                    values.extend([0i64.into(), text(""), 0i64.into()]);
                    values.extend(std::iter::repeat_n(text(""), 5));
                }
            }
        }
        ins.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

fn text(s: &str) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
}

impl Store {
    /// The seq a new message gets next (`insert_fresh`'s `first_seq`).
    pub fn first_free_seq(&mut self) -> Result<i64, StoreError> {
        self.with_index(|i| i.next_seq())
    }

    /// `Index::insert_fresh`.
    pub fn insert_fresh(&mut self, rows: &[FreshRow], first_seq: i64) -> Result<(), StoreError> {
        self.with_index(|i| i.insert_fresh(rows, first_seq))
    }
}
