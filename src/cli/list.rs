//! `postie list` and `postie search`: one line a message (or JSON), the
//! store's view when the server cannot be reached.

use anyhow::{anyhow, Result};
use rust_i18n::t;
use serde::Serialize;

use super::listing::Listing;
use super::{cli_store, quit_read_only, write_stdout, STORE_CLOSE};
use crate::accounts::{resolve, resolve_offline, Source, SourceArgs};
use crate::error::{Classify, ErrorClass};
use crate::pop3::{Arrival, Client, Flow, Pop3Error};
use crate::store::{Flags, Folder, StoreHandle};
use crate::sync::{Known, ListRow};
use crate::text::{fit, fit_right, human_size, width};
use crate::uidl::Uidl;

/// One row of `postie list`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListedMessage {
    /// None for a message no longer on the server (or when offline).
    pub number: Option<u32>,
    pub uidl: Option<String>,
    pub size: u64,
    pub date: Option<String>,
    pub from: String,
    pub from_address: String,
    pub subject: String,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub stored: bool,
    pub on_server: bool,
    #[serde(skip)]
    pub list_date: String,
}

impl ListedMessage {
    fn new(r: &ListRow) -> ListedMessage {
        ListedMessage::made(r, true)
    }

    /// `table`: with the text table's date column (JSON has `date` only).
    fn made(r: &ListRow, table: bool) -> ListedMessage {
        let s = r.summary.clone().unwrap_or_default();
        // The gate to the terminal: whatever the index holds (a damaged or
        // planted one included), nothing printed can be a control sequence.
        let clean = |t: &str| crate::text::sanitize::sanitize_line(t).into_owned();
        ListedMessage {
            number: r.number,
            uidl: r.uidl.durable().map(clean),
            size: r.size,
            list_date: if table {
                clean(&s.list_date())
            } else {
                String::new()
            },
            date: s.date_rfc3339(),
            from: clean(s.from()),
            from_address: clean(s.from_address()),
            subject: clean(s.subject()),
            seen: r.flags.contains(Flags::SEEN),
            flagged: r.flags.contains(Flags::FLAGGED),
            answered: r.flags.contains(Flags::ANSWERED),
            stored: r.stored,
            on_server: r.on_server,
        }
    }
}

/// What the store knows of INBOX: its rows and the planner's view of them.
async fn local_rows(store: Option<&StoreHandle>) -> Result<Vec<crate::store::Row>> {
    let Some(store) = store else {
        return Ok(Vec::new());
    };
    let rows = store.run(|s| s.load(&Folder::Inbox)).await?;
    Ok(rows?)
}

/// One session: login + index, the planned `TOP`s, recorded in the store.
/// Returns the list (newest first, stored messages gone from the server
/// merged in) and the session, still open. With nothing stored, every
/// header is wanted: the `TOP`s follow UIDL and LIST down the same
/// pipeline, not a round trip (and the server's index time) later.
pub async fn sync_listing(
    source: &Source,
    store: Option<&StoreHandle>,
) -> Result<(Vec<ListRow>, Client), Pop3Error> {
    let local = local_rows(store)
        .await
        .map_err(|e| Pop3Error::Local(e.to_string()))?;
    let known: std::collections::HashMap<Uidl, Known> = local
        .iter()
        .map(|r| (r.uidl.clone(), Known::from(r)))
        .collect();
    drop(local);
    let mut listing = Listing::new(&source.decode, store);
    let mut wanted = Vec::new();
    let mut client = if known.is_empty() {
        Client::open_prefetching(&source.client, 0, |arrival| {
            match arrival {
                Arrival::Count(_) => {}
                Arrival::Index { entries, .. } => wanted = listing.indexed(entries, &known),
                Arrival::Header(n, reply) => listing.arrived(n, reply),
            }
            Flow::Continue
        })
        .await?
    } else {
        let (client, index) = Client::open(&source.client).await?;
        wanted = listing.indexed(index, &known);
        client
    };
    drop(known);
    // Without pipelining nothing came with the index: ask for it now.
    let missing: Vec<u32> = wanted.into_iter().filter(|&n| !listing.has(n)).collect();
    if !missing.is_empty() {
        client
            .headers(&missing, |n, reply| {
                listing.arrived(n, reply);
                Flow::Continue
            })
            .await?;
    }
    Ok((listing.finish().await, client))
}

/// The message number, or `-` for a message not (known to be) on the server.
fn number_text(r: &ListedMessage) -> String {
    r.number.map_or("-".to_string(), |n| n.to_string())
}

/// The text table: `NUMBER  DATE  FROM  SUBJECT  SIZE`, aligned by display width.
/// The rows as aligned text. `width`: the terminal's, when stdout is one
/// (the subject, then the sender, give way so a row fits); None for a pipe,
/// which gets every sender and subject whole.
pub fn format_listing(rows: &[ListedMessage], width_limit: Option<usize>) -> String {
    let num_w = rows.iter().map(|r| number_text(r).len()).max().unwrap_or(1);
    let date_w = rows
        .iter()
        .map(|r| width(&r.list_date).min(16))
        .max()
        .unwrap_or(0)
        .max(16);
    let mut from_w = rows.iter().map(|r| width(&r.from)).max().unwrap_or(0);
    let mut subj_w = rows.iter().map(|r| width(&r.subject)).max().unwrap_or(0);
    if let Some(total) = width_limit {
        // NUMBER  DATE  FROM  SUBJECT  SIZE: four gaps of two, six for the size.
        let fixed = num_w + date_w + 6 + 8;
        let room = total.saturating_sub(fixed);
        from_w = from_w.min(24).min(room / 3).max(8.min(from_w));
        subj_w = subj_w.min(room.saturating_sub(from_w)).max(10.min(subj_w));
    }
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{}  {}  {}  {}  {}\n",
            fit_right(&number_text(r), num_w),
            fit(&r.list_date, date_w),
            fit(&r.from, from_w),
            fit(&r.subject, subj_w),
            fit_right(&human_size(r.size), 6),
        ));
    }
    out
}

/// The terminal's width when stdout is one.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size().ok().map(|(w, _)| w as usize)
}

pub async fn run_list(args: &SourceArgs, json: bool, offline: bool) -> Result<()> {
    let source = resolve(args).await?;
    let store = cli_store(&source).await;
    let mut session = None;
    // The numbering list is saved, and the store closed, while the rows print.
    let mut numbered = None;
    let rows: Vec<ListRow> = if offline {
        let rows = local_only(store.as_ref()).await?;
        if rows.is_empty() {
            eprintln!(
                "postie: {}",
                t!("out.nothing_stored", account = source.label)
            );
        }
        rows
    } else {
        match sync_listing(&source, store.as_ref()).await {
            Ok((rows, client)) => {
                // QUIT after printing: what was fetched is never lost to it.
                session = Some(client);
                // The numbers printed stay handles offline (`show N`) and
                // for `search`.
                let numbering: Vec<(u32, String)> = rows
                    .iter()
                    .filter_map(|r| Some((r.number?, r.uidl.durable()?.to_string())))
                    .collect();
                let label = source.label.clone();
                numbered = Some(tokio::task::spawn_blocking(move || {
                    super::numbers::save(&label, &numbering)
                }));
                rows
            }
            Err(e) if e.class() == ErrorClass::Temporary => {
                // The mail stored here is shown, with why the server's is
                // not; with nothing stored, an empty list would look like an
                // empty mailbox, so the failure is the answer (exit 75).
                let rows = local_only(store.as_ref()).await?;
                if rows.is_empty() {
                    return Err(e.into());
                }
                let why = crate::text::sanitize::sanitize_line(&e.to_string()).into_owned();
                if e.code() == Some(&crate::pop3::ResponseCode::InUse) {
                    eprintln!("postie: {}", t!("out.in_use_local", why = why));
                } else if matches!(e, Pop3Error::Connect { .. }) {
                    eprintln!("postie: {}", t!("out.offline_local", why = why));
                } else {
                    eprintln!("postie: {}", t!("out.server_trouble_local", why = why));
                }
                rows
            }
            Err(e) => return Err(e.into()),
        }
    };
    let closed = store.as_ref().map(|s| s.begin_close(STORE_CLOSE));
    let printed = print_listing(&rows, json);
    crate::timings::mark("list-printed");
    if let Some(closed) = closed {
        closed.await;
    }
    if let Some(saving) = numbered {
        if let Ok(Err(e)) = saving.await {
            tracing::warn!("cannot keep the numbering list printed: {e}");
        }
    }
    crate::timings::mark("list-closed");
    if let Some(client) = session {
        quit_read_only(client).await;
    }
    printed
}

/// Prints rows as `list` does: aligned text, or one JSON array (written
/// as it is made, a row at a time: no second copy of the whole listing).
fn print_listing(rows: &[ListRow], json: bool) -> Result<()> {
    if !json {
        let rows: Vec<ListedMessage> = rows.iter().map(ListedMessage::new).collect();
        return write_stdout(format_listing(&rows, terminal_width()).as_bytes());
    }
    use serde::Serializer as _;
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = serde_json::Serializer::pretty(&mut out)
        .collect_seq(rows.iter().map(|r| ListedMessage::made(r, false)))
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        // `postie list --json | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow!("{}", t!("out.stdout", error = e))),
    }
}

/// Messages stored but not yet indexed for search (after an upgrade that
/// changed the index, or mail fetched while the reader was not open) are
/// indexed before a search: many of them take a while, so it is said, with
/// a count on a terminal.
async fn index_waiting_texts(store: &crate::store::StoreHandle) -> Result<()> {
    /// Fewer than this are indexed without a word.
    const SAY_FROM: usize = 200;
    let waiting = store.run(|s| s.texts_waiting()).await??;
    if waiting < SAY_FROM {
        return Ok(());
    }
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    eprintln!("postie: {}", t!("out.search_indexing", n = waiting));
    let mut done = 0;
    loop {
        let n = store.run(|s| s.index_texts(2_000)).await??;
        if n == 0 {
            break;
        }
        done += n;
        if tty {
            eprint!("\r{}", t!("out.search_indexed", done = done, n = waiting));
        }
    }
    if tty {
        eprintln!();
    }
    Ok(())
}

/// `postie search QUERY`: the stored mail (subjects, senders, recipients,
/// bodies, attachment names) and the subjects and senders of every message
/// the store knows, each word (or `"quoted phrase"`) taken literally; printed
/// as `list` prints, newest first. Works offline.
pub async fn run_search(args: &SourceArgs, query: &str, json: bool) -> Result<()> {
    let words = crate::app::limit::words(query);
    if words.is_empty() {
        return Err(anyhow!(
            "nothing to search for: give a word or a \"phrase\""
        ));
    }
    let source = resolve_offline(args).await?;
    let store = cli_store(&source)
        .await
        .ok_or_else(|| anyhow!("{}", t!("out.no_store_to_search")))?;
    index_waiting_texts(&store).await?;
    let q = crate::store::index::TextQuery {
        any: words,
        ..Default::default()
    };
    let found = store
        .run(
            move |s| -> Result<Vec<crate::store::Row>, crate::store::StoreError> {
                let found = s.search_text(&q)?;
                // Only the rows found are read (not every folder's).
                let mut rows = Vec::with_capacity(found.len());
                for f in found {
                    if let Some(r) = s.with_index(|i| i.get(&f.uidl))? {
                        rows.push(r);
                    }
                }
                Ok(rows)
            },
        )
        .await??;
    store.close(STORE_CLOSE).await;
    // A message on the server carries the number `list` printed for it last
    // (`show N` takes it, online or not); one kept only here has none.
    let label = source.label.clone();
    let by_uidl: std::collections::HashMap<String, u32> =
        tokio::task::spawn_blocking(move || super::numbers::load(&label))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|(n, u)| (u, n))
            .collect();
    let rows: Vec<ListRow> = found
        .iter()
        .map(|r| {
            let mut row = ListRow::from_store(r);
            if r.on_server {
                row.number = by_uidl.get(r.uidl.as_str()).copied();
            }
            row
        })
        .collect();
    if rows.is_empty() {
        // Like grep: nothing found is exit 1, said on stderr (and `[]` for
        // a script reading --json).
        if json {
            print_listing(&rows, json)?;
        }
        return Err(anyhow!("{}", t!("out.no_match", query = query)));
    }
    print_listing(&rows, json)
}

/// INBOX as the store alone knows it (no message numbers: no session).
async fn local_only(store: Option<&StoreHandle>) -> Result<Vec<ListRow>> {
    Ok(local_rows(store)
        .await?
        .iter()
        .map(ListRow::from_store)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(from: &str, subject: &str) -> ListedMessage {
        ListedMessage {
            number: Some(12),
            uidl: Some("u".into()),
            size: 2048,
            date: None,
            from: from.into(),
            from_address: String::new(),
            subject: subject.into(),
            seen: false,
            flagged: false,
            answered: false,
            stored: false,
            on_server: true,
            list_date: "2024-12-02 14:05".into(),
        }
    }

    #[test]
    fn list_fits_a_terminal_and_gives_a_pipe_everything() {
        let long = "关于第二季度销售报告和明年预算的讨论，请各部门在周五之前回复意见".repeat(2);
        let rows = vec![row("王芳 (市场部)", &long)];
        for w in [60, 80, 120] {
            let text = format_listing(&rows, Some(w));
            for line in text.lines() {
                assert!(width(line) <= w, "{w}: {line:?} is {}", width(line));
            }
            assert!(text.contains("2.0K"), "the size stays: {text}");
        }
        let piped = format_listing(&rows, None);
        assert!(piped.contains(&long), "{piped}");
    }
}
