//! Pure planning, one layer for everyone: given the server's index (UIDL +
//! LIST) and what the local store knows, say which headers to fetch, which
//! rows are new, which messages left the server, which marks still apply,
//! and what the list shows. `postie list`, `postie show` and the worker all
//! call it; nothing here does I/O.

pub mod pattern;
pub mod policy;
pub mod rules;

pub use policy::LeavePolicy;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::mime::Summary;
use crate::pop3::MailboxEntry;
use crate::store::{Flags, Row};
use crate::uidl::Uidl;

/// One message of this session, named for the layers above POP3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMessage {
    pub number: u32,
    /// The server's UIDL, or a session-only id (no UIDL, or a shared one).
    pub uidl: Uidl,
    pub size: u64,
}

/// A server index with every message named.
#[derive(Debug, Clone, Default)]
pub struct Identified {
    /// In number order (oldest first).
    pub messages: Vec<ServerMessage>,
    /// Whether the server gave UIDLs at all.
    pub has_uidl: bool,
    /// Messages whose UIDL the server gave to more than one message (RFC
    /// 1939 forbids it): they get session-only ids, so they are never
    /// opened, marked, stored or deleted by that UIDL.
    pub duplicated: usize,
    /// Messages whose UIDL line was unusable (view only this session).
    pub unusable: usize,
}

/// Names each message: its UIDL when no other message shares it, else a
/// session-only id.
pub fn identify(index: Vec<MailboxEntry>) -> Identified {
    let has_uidl = !index.is_empty() && index.iter().all(|e| e.uidl.is_some() || e.bad_uidl);
    let unusable = index.iter().filter(|e| e.bad_uidl).count();
    // Shared UIDLs found by sorting positions (4 bytes a message, not a map).
    let mut order: Vec<u32> = (0..index.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| index[a as usize].uidl.cmp(&index[b as usize].uidl));
    let mut shared = vec![false; index.len()];
    for w in order.windows(2) {
        let (a, b) = (w[0] as usize, w[1] as usize);
        if index[a].uidl.is_some() && index[a].uidl == index[b].uidl {
            shared[a] = true;
            shared[b] = true;
        }
    }
    drop(order);
    let mut duplicated = 0;
    let messages = index
        .into_iter()
        .zip(shared)
        .map(|(e, shared)| {
            let uidl = match e.uidl {
                Some(u) if !shared => Uidl::from(u),
                Some(_) => {
                    duplicated += 1;
                    Uidl::session(e.number)
                }
                None => Uidl::session(e.number),
            };
            ServerMessage {
                number: e.number,
                uidl,
                size: e.size,
            }
        })
        .collect();
    Identified {
        messages,
        has_uidl,
        duplicated,
        unusable,
    }
}

/// What the store knows of one message.
#[derive(Debug, Clone)]
pub struct Known {
    pub summary: Option<Arc<Summary>>,
    pub flags: Flags,
    pub stored: bool,
    pub on_server: bool,
    pub seq: i64,
    pub size: u64,
    /// Filed away from INBOX (Trash, Junk, a folder of the user's): known,
    /// so never new or downloaded again, but not a row of INBOX's list.
    pub elsewhere: bool,
}

impl From<&Row> for Known {
    fn from(r: &Row) -> Known {
        Known {
            summary: r.summary.clone(),
            flags: r.flags,
            stored: r.stored,
            on_server: r.on_server,
            seq: r.seq,
            size: r.size,
            elsewhere: r.folder != crate::store::Folder::Inbox,
        }
    }
}

/// One row of the list the reader and `postie list` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub uidl: Uidl,
    /// This session's message number; None for a message kept only here.
    pub number: Option<u32>,
    pub size: u64,
    pub summary: Option<Arc<Summary>>,
    pub flags: Flags,
    pub stored: bool,
    /// Still on the server (as far as the last index said).
    pub on_server: bool,
}

impl ListRow {
    /// A message on the server, not yet known to the store.
    pub fn new(uidl: Uidl, size: u64) -> ListRow {
        ListRow {
            uidl,
            number: None,
            size,
            summary: None,
            flags: Flags::default(),
            stored: false,
            on_server: true,
        }
    }

    /// A row from the store alone, before (or without) a server index.
    pub fn from_store(r: &Row) -> ListRow {
        ListRow {
            uidl: r.uidl.clone(),
            number: None,
            size: r.size,
            summary: r.summary.clone(),
            flags: r.flags,
            stored: r.stored,
            on_server: r.on_server,
        }
    }
}

/// What to do after a server index arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The list: newest first, stored messages gone from the server merged
    /// in by arrival.
    pub rows: Vec<ListRow>,
    /// Messages whose headers must be fetched (`TOP n 0`), newest first.
    pub headers: Vec<u32>,
    /// Messages the store has never seen, oldest first: rows to record.
    pub new: Vec<(Uidl, u64)>,
    /// Messages the store thought on the server that are not any more.
    pub gone: Vec<Uidl>,
    /// Marks that name no message of this session (gone, or session-only
    /// ids from an earlier session).
    pub marks_dropped: Vec<Uidl>,
}

/// Plans a session from its index and what the store knows.
pub fn plan(server: &Identified, known: &HashMap<Uidl, Known>, marks: &BTreeSet<Uidl>) -> Plan {
    let mut plan = Plan::default();
    let present: HashMap<&Uidl, u32> = server
        .messages
        .iter()
        .map(|m| (&m.uidl, m.number))
        .collect();
    let mut next_seq = known.values().map(|k| k.seq).max().unwrap_or(0) + 1;
    // Server rows, oldest first, and the arrival order they sort by.
    let mut on_server: Vec<ListRow> = Vec::with_capacity(server.messages.len());
    let mut seqs: Vec<i64> = Vec::with_capacity(server.messages.len());
    for m in &server.messages {
        let k = known.get(&m.uidl).filter(|_| !m.uidl.is_session());
        let seq = match k {
            Some(k) => k.seq,
            None => {
                if !m.uidl.is_session() {
                    plan.new.push((m.uidl.clone(), m.size));
                }
                next_seq += 1;
                next_seq
            }
        };
        if k.is_some_and(|k| k.elsewhere) {
            continue;
        }
        let summary = k.and_then(|k| k.summary.clone());
        seqs.push(seq);
        on_server.push(ListRow {
            uidl: m.uidl.clone(),
            number: Some(m.number),
            size: m.size,
            summary,
            flags: k.map_or(Flags::default(), |k| k.flags),
            stored: k.is_some_and(|k| k.stored),
            on_server: true,
        });
    }
    plan.headers = on_server
        .iter()
        .rev()
        .filter(|r| r.summary.is_none())
        .filter_map(|r| r.number)
        .collect();
    let mut local: Vec<(i64, ListRow)> = Vec::new();
    for (uidl, k) in known {
        if present.contains_key(uidl) {
            continue;
        }
        if k.on_server {
            plan.gone.push(uidl.clone());
        }
        if k.stored && !k.elsewhere {
            local.push((
                k.seq,
                ListRow {
                    uidl: uidl.clone(),
                    number: None,
                    size: k.size,
                    summary: k.summary.clone(),
                    flags: k.flags,
                    stored: true,
                    on_server: false,
                },
            ));
        }
    }
    plan.gone.sort();
    local.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    // Merge: server order kept, local-only rows placed by arrival (in
    // place when there are none: one list of 100,000 rows, not two).
    on_server.reverse();
    seqs.reverse();
    if local.is_empty() {
        plan.rows = on_server;
    } else {
        let mut local = local.into_iter().peekable();
        plan.rows.reserve(on_server.len() + local.len());
        for (seq, row) in seqs.into_iter().zip(on_server) {
            while local.peek().is_some_and(|(s, _)| *s > seq) {
                if let Some((_, r)) = local.next() {
                    plan.rows.push(r);
                }
            }
            plan.rows.push(row);
        }
        plan.rows.extend(local.map(|(_, r)| r));
    }
    plan.marks_dropped = marks
        .iter()
        .filter(|u| u.is_session() || !present.contains_key(u))
        .cloned()
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(number: u32, uidl: Option<&str>) -> MailboxEntry {
        MailboxEntry {
            bad_uidl: false,
            number,
            size: 100 + number as u64,
            uidl: uidl.map(Into::into),
        }
    }

    fn known(seq: i64, stored: bool, on_server: bool) -> Known {
        Known {
            summary: Some(Arc::new(Summary::note("s"))),
            flags: Flags::SEEN,
            stored,
            on_server,
            seq,
            size: 10,
            elsewhere: false,
        }
    }

    #[test]
    fn a_shared_uidl_names_neither_message() {
        let id = identify(vec![
            entry(1, Some("dup")),
            entry(2, Some("dup")),
            entry(3, Some("c")),
        ]);
        assert_eq!(id.duplicated, 2);
        assert!(id.messages[0].uidl.is_session() && id.messages[1].uidl.is_session());
        assert_ne!(id.messages[0].uidl, id.messages[1].uidl);
        assert_eq!(id.messages[2].uidl, Uidl::new("c"));
        // Neither is recorded in the store, and both need headers.
        let p = plan(&id, &HashMap::new(), &BTreeSet::new());
        assert_eq!(p.new, vec![(Uidl::new("c"), 103)]);
        assert_eq!(p.headers, vec![3, 2, 1]);
    }

    #[test]
    fn plans_new_cached_gone_and_local_rows() {
        let id = identify(vec![
            entry(1, Some("a")),
            entry(2, Some("b")),
            entry(3, Some("new")),
        ]);
        let mut k = HashMap::new();
        k.insert(Uidl::new("a"), known(1, false, true));
        k.insert(
            Uidl::new("b"),
            Known {
                summary: None,
                ..known(3, false, true)
            },
        );
        // Stored, deleted elsewhere: stays, as local-only, between b and a by arrival.
        k.insert(Uidl::new("kept"), known(2, true, true));
        // Not stored, deleted elsewhere: leaves the list.
        k.insert(Uidl::new("lost"), known(0, false, true));
        let marks: BTreeSet<Uidl> = [Uidl::new("lost"), Uidl::new("b"), Uidl::session(9)].into();
        let p = plan(&id, &k, &marks);
        let order: Vec<&str> = p.rows.iter().map(|r| r.uidl.as_str()).collect();
        assert_eq!(order, ["new", "b", "kept", "a"]);
        assert_eq!(p.rows[2].number, None);
        assert!(p.rows[2].stored);
        assert_eq!(p.headers, vec![3, 2]);
        assert_eq!(p.new, vec![(Uidl::new("new"), 103)]);
        assert_eq!(p.gone, vec![Uidl::new("kept"), Uidl::new("lost")]);
        assert_eq!(p.marks_dropped, vec![Uidl::session(9), Uidl::new("lost")]);
        assert_eq!(p.rows[3].flags, Flags::SEEN);
    }

    #[test]
    fn a_server_without_uidl_records_nothing() {
        let id = identify(vec![entry(1, None), entry(2, None)]);
        assert!(!id.has_uidl);
        let p = plan(&id, &HashMap::new(), &BTreeSet::new());
        assert!(p.new.is_empty());
        assert_eq!(p.rows.len(), 2);
    }
}
