//! `postie fetch`: download every message the store does not have into
//! INBOX, then apply `leave_on_server`. One session per account: login +
//! index, pipelined `RETR` newest first (each message held in memory only
//! while it arrives; over 1 MB it streams to `tmp/`), delivered in batches
//! on the store thread (every file to `tmp/`, one syncfs, renames, fsync
//! dir, index commit); while `MAX_QUEUED` bytes are handed over and not yet
//! durable no further reply is read (the server's bytes wait in the socket, the
//! commands in flight stay in flight). Only when every download of the
//! session is durable, the policy's `DELE`s, then `QUIT`. A session that
//! ends any other way deletes nothing.

use rust_i18n::t;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Result};
use serde::Serialize;

use crate::error::{Classify, ErrorClass};
use crate::pop3::{Client, ClientConfig, Flow, Pop3Error};
use crate::store::download::{DownloadError, Downloaded};
use crate::store::StoreHandle;
use crate::sync::LeavePolicy;
use crate::sync::{self, Known};
use crate::uidl::Uidl;

/// Messages larger than this (by LIST) stream to a file one at a time
/// (never whole in memory); the rest are pipelined.
const STREAM_ABOVE: u64 = 1024 * 1024;
/// Bytes handed to the store and not yet durable, at most, before the
/// download stops reading replies until the disk catches up.
const MAX_QUEUED: u64 = 1024 * 1024;
/// Reply bytes (by LIST) asked for and not yet read, at most: enough to
/// keep a 25 ms link full, little enough that memory stays small.
const IN_FLIGHT: u64 = 4 * 1024 * 1024;
/// The most one pipelined reply may hold, whatever LIST said.
const MAX_EACH: usize = 64 * 1024 * 1024;
/// SQLite's page cache during a fetch, KiB (its default is 2,000).
const FETCH_CACHE_KIB: i64 = 512;
/// Messages per delivery batch (one directory sync, one index transaction).
const BATCH: usize = 64;
/// Bytes per delivery batch.
const BATCH_BYTES: usize = 512 * 1024;

/// What one account's fetch did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub account: String,
    /// Messages on the server the store had never seen.
    pub new: usize,
    pub downloaded: usize,
    pub bytes: u64,
    pub deleted: usize,
    /// Moved to a folder by a rule or the spam judge.
    pub filed: usize,
}

impl Report {
    pub fn line(&self) -> String {
        let size = crate::text::human_size(self.bytes);
        // More downloaded than new: the rest were known (listed, seen) but
        // not stored yet; said, so that "0 new, 22 downloaded" is not a puzzle.
        if self.downloaded > self.new {
            let line = t!(
                "fetch.report_earlier",
                account = self.account,
                new = self.new,
                downloaded = self.downloaded,
                earlier = self.downloaded - self.new,
                size = size,
                deleted = self.deleted
            )
            .into_owned();
            return self.with_filed(line);
        }
        let line = t!(
            "fetch.report",
            account = self.account,
            new = self.new,
            downloaded = self.downloaded,
            size = size,
            deleted = self.deleted
        )
        .into_owned();
        self.with_filed(line)
    }

    fn with_filed(&self, line: String) -> String {
        if self.filed == 0 {
            return line;
        }
        format!("{line}{}", t!("fetch.report_filed", n = self.filed))
    }

    pub fn something_happened(&self) -> bool {
        self.downloaded > 0 || self.deleted > 0
    }
}

/// A failure, and its class (temporary: cron simply tries again later, exit 75).
#[derive(Debug)]
pub struct Failure {
    pub error: anyhow::Error,
    pub class: ErrorClass,
}

/// Errors that know their class keep it; the rest are this machine's (or,
/// for a store thread or task that stopped, a bug).
macro_rules! failure_from {
    ($($t:ty => $class:expr),* $(,)?) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Failure {
                let class: fn(&$t) -> ErrorClass = $class;
                Failure { class: class(&e), error: e.into() }
            }
        }
    )*};
}

failure_from! {
    Pop3Error => Classify::class,
    crate::store::StoreError => Classify::class,
    crate::store::IndexError => Classify::class,
    std::io::Error => |_| ErrorClass::Local,
    crate::store::StoreGone => |_| ErrorClass::Bug,
    tokio::task::JoinError => |_| ErrorClass::Bug,
}

impl From<anyhow::Error> for Failure {
    /// The class of the first classified error in the chain (a POP3 or store
    /// error under a context); this machine's trouble otherwise.
    fn from(error: anyhow::Error) -> Failure {
        let class = error
            .chain()
            .find_map(|e| {
                e.downcast_ref::<Pop3Error>()
                    .map(Classify::class)
                    .or_else(|| {
                        e.downcast_ref::<crate::store::StoreError>()
                            .map(Classify::class)
                    })
            })
            .unwrap_or(ErrorClass::Local);
        Failure { error, class }
    }
}

/// Prints `count/total, bytes, rate` on one line of stderr.
struct Progress {
    on: bool,
    start: std::time::Instant,
    total: usize,
}

impl Progress {
    fn show(&self, count: usize, bytes: u64) {
        if !self.on {
            return;
        }
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r\x1b[Kdownloading {count}/{}, {} ({}/s)",
            self.total,
            crate::text::human_size(bytes),
            crate::text::human_size((bytes as f64 / secs) as u64)
        );
    }
    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

/// The login and the index asked for, under way while the store opens and
/// is read (`start_login`).
pub type Login =
    tokio::task::JoinHandle<Result<(Client, crate::pop3::client::Unparsed), Pop3Error>>;

/// Starts the login (and the UIDL/LIST behind it) on its own task: the
/// server's password check takes tens of milliseconds, time the store
/// spends opening.
pub fn start_login(client: &ClientConfig) -> Login {
    let client = client.clone();
    tokio::spawn(async move { Client::open_unparsed(&client).await })
}

/// What one account's fetch needs to know.
pub struct Target<'a> {
    /// The account's name, for the report.
    pub label: &'a str,
    pub client: &'a ClientConfig,
    /// `max_message_size`: a larger message stays on the server.
    pub max_message: u64,
    pub policy: LeavePolicy,
    /// Filter rules and the spam judge, run on what is stored.
    pub filer: std::sync::Arc<crate::filing::Filer>,
}

/// Downloads every message `store` lacks, then applies the policy (see the
/// module's comment for the order that keeps every message safe).
pub async fn fetch_into(
    source: &Target<'_>,
    store: &StoreHandle,
    login: Login,
    progress: bool,
) -> Result<Report, Failure> {
    let policy = source.policy;
    let mut report = Report {
        account: source.label.to_string(),
        ..Report::default()
    };
    // What the store knows is read while the login and the index are under
    // way (the server's password check alone takes tens of milliseconds).
    let (known, opened) = tokio::join!(
        store.run(
            |s| -> Result<Vec<crate::store::Row>, crate::store::StoreError> {
                // A run killed between renaming files into new/ and recording
                // them left files the index does not know: adopted, so they
                // are not downloaded twice (unless the index is known to
                // agree with the folders: see store::sound).
                s.with_index(|i| i.limit_cache(FETCH_CACHE_KIB))?;
                s.reconcile_unless_sound()?;
                // Every folder mail is filed in (Trash, Junk, the user's), and
                // what was removed for good here (a message deleted here may
                // still be on the server): never downloaded again.
                s.with_index(|i| i.known_to_fetch())
            },
        ),
        login
    );
    let known: std::collections::HashMap<Uidl, Known> = known??
        .into_iter()
        .map(|r| {
            let k = Known::from(&r);
            (r.uidl, k)
        })
        .collect();
    let (mut client, unparsed) = opened?.map_err(Failure::from)?;
    let share = |u: &str| known.get_key_value(u).map(|(k, _)| k.shared());
    let index = client
        .parse_index(unparsed, &share)
        .await
        .map_err(Failure::from)?;
    if let Some(note) = client
        .capabilities()
        .expire
        .as_deref()
        .and_then(|e| policy.expire_note(e))
    {
        eprintln!("postie: {}", t!("fetch.note", note = note));
    }
    let id = sync::identify(index);
    if !id.has_uidl && !id.messages.is_empty() && policy != LeavePolicy::Never {
        let _ = client.quit().await;
        return Err(anyhow!("{}", t!("fetch.no_uidl")).into());
    }
    if id.unusable > 0 {
        eprintln!("postie: {}", t!("fetch.unusable_uidl", n = id.unusable));
    }
    if id.duplicated > 0 {
        eprintln!("postie: {}", t!("fetch.duplicated_uidl", n = id.duplicated));
    }
    let plan = sync::plan(&id, &known, &Default::default());
    report.new = plan.new.len();
    // The plan's list rows (every message on the server) are not needed
    // here: what is new and what has gone goes to the index, the rest is
    // freed before the downloads need the memory.
    let sync::Plan { new, gone, .. } = plan;
    if !new.is_empty() || !gone.is_empty() {
        store
            .run(move |s| s.apply_server_index(&new, &gone))
            .await??;
    }
    // Without UIDL (leave_on_server = "never"), everything is taken and
    // then deleted: kept here under local ids.
    let unnamed = !id.has_uidl;
    // Newest first; never-seen and seen-but-not-stored alike.
    let wanted: Vec<(u32, Uidl, u64)> = id
        .messages
        .iter()
        .rev()
        // Messages sharing a UIDL are downloaded too (kept by their
        // content, never deleted).
        .filter(|m| !known.get(&m.uidl).is_some_and(|k| k.stored))
        .map(|m| (m.number, m.uidl.clone(), m.size))
        .collect();
    drop(known);
    // Larger than `max_message_size`: left on the server, never downloaded
    // (and so never deleted by a policy), said once.
    let max = source.max_message;
    let (wanted, too_big): (Vec<_>, Vec<_>) = wanted.into_iter().partition(|w| w.2 <= max);
    for (number, _, size) in &too_big {
        eprintln!(
            "postie: warning: message {number} is {}: {}; it stays on the server",
            crate::text::human_size(*size),
            crate::pop3::client::too_large(max)
        );
    }
    let progress = Progress {
        on: progress && wanted.len() >= 50,
        start: std::time::Instant::now(),
        total: wanted.len(),
    };
    // Messages without a usable UIDL cannot be streamed to a named file:
    // they come through the pipeline too (bounded by MAX_EACH).
    let (small, large): (Vec<_>, Vec<_>) = wanted
        .into_iter()
        .partition(|w| w.2 <= STREAM_ABOVE || w.1.is_session());
    // Bytes handed to the store and not yet durable: over MAX_QUEUED, no
    // further reply is read (the commands in flight stay in flight).
    let backlog = crate::pop3::pipeline::Backlog::new(MAX_QUEUED);
    let failed = crate::store::FirstFailure::default();
    let stored = Arc::new(AtomicU64::new(0));
    let filed = Arc::new(AtomicU64::new(0));
    let mut batch: Vec<(Uidl, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0usize;
    let numbers: Vec<(u32, u64)> = small.iter().map(|w| (w.0, w.2)).collect();
    let uidl_of: std::collections::HashMap<u32, Uidl> =
        small.iter().map(|w| (w.0, w.1.clone())).collect();
    let hand_over = |batch: &mut Vec<(Uidl, Vec<u8>)>, bytes: &mut usize| {
        if batch.is_empty() {
            return;
        }
        let items = std::mem::take(batch);
        let size = std::mem::take(bytes) as u64;
        backlog.hold(size);
        let (backlog, failed, stored) = (backlog.clone(), failed.clone(), stored.clone());
        let (filer, filed) = (source.filer.clone(), filed.clone());
        store.post(move |s| {
            let delivered = if unnamed {
                let bytes: Vec<Vec<u8>> = items.into_iter().map(|(_, b)| b).collect();
                s.deliver_unnamed(&bytes, false)
            } else {
                let (named, shared): (Vec<_>, Vec<_>) =
                    items.into_iter().partition(|(u, _)| !u.is_session());
                let shared: Vec<Vec<u8>> = shared.into_iter().map(|(_, b)| b).collect();
                // The rules decide where each goes before it is written:
                // stored once, in its folder.
                let named = if filer.is_active() {
                    filer.deliver_new(s, &named).map(|(n, r)| {
                        filed.fetch_add(r.moved_count() as u64, Ordering::SeqCst);
                        for e in r.errors {
                            eprintln!("postie: {}", t!("fetch.rule_failed", error = e));
                        }
                        n
                    })
                } else {
                    s.deliver_batch(&named)
                };
                named.and_then(|n| Ok(n + s.deliver_unnamed(&shared, true)?))
            };
            match delivered {
                Ok(n) => {
                    stored.fetch_add(n as u64, Ordering::SeqCst);
                }
                Err(e) => failed.note(e),
            }
            backlog.release(size);
        });
    };
    // One pipeline for them all: a disk that falls behind holds the reading
    // back (`backlog`), it does not end the pipeline.
    if !numbers.is_empty() {
        let mut refused: Option<Pop3Error> = None;
        client
            .retrieve_gated(
                &numbers,
                // A server whose LIST size is far off still fits (bounded).
                MAX_EACH.min(usize::try_from(max).unwrap_or(usize::MAX)),
                IN_FLIGHT,
                Some(&backlog),
                |number, result| {
                    match result {
                        Ok(bytes) => {
                            report.downloaded += 1;
                            report.bytes += bytes.len() as u64;
                            batch_bytes += bytes.len();
                            if let Some(u) = uidl_of.get(&number) {
                                batch.push((u.clone(), bytes));
                            }
                            if batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
                                hand_over(&mut batch, &mut batch_bytes);
                            }
                            progress.show(report.downloaded, report.bytes);
                        }
                        Err(e) => {
                            refused.get_or_insert(e);
                        }
                    }
                    Flow::Continue
                },
            )
            .await
            .map_err(|e| match e {
                Pop3Error::TooLarge {
                    command: "RETR",
                    limit,
                } if limit as u64 == max => {
                    Pop3Error::Local(format!("a message {}", crate::pop3::client::too_large(max)))
                }
                e => e,
            })
            .map_err(Failure::from)?;
        if let Some(e) = refused {
            eprintln!("postie: warning: {e}");
        }
    }
    hand_over(&mut batch, &mut batch_bytes);
    for (number, uidl, _) in &large {
        let bytes = match store.download(&mut client, *number, uidl, max).await {
            Ok(Downloaded::Stored { bytes, .. }) => bytes,
            Ok(Downloaded::NotKept { why, .. }) => return Err(why.into()),
            Err(DownloadError::Pop3(e)) => return Err(e.into()),
            Err(e) => {
                return Err(Failure {
                    class: e.class(),
                    error: e.into(),
                })
            }
        };
        stored.fetch_add(1, Ordering::SeqCst);
        if source.filer.is_active() {
            let (filer, u, filed) = (source.filer.clone(), uidl.to_string(), filed.clone());
            store.post(move |s| {
                let r = filer.file_new(s, &[(u, None)], true);
                filed.fetch_add(r.moved_count() as u64, Ordering::SeqCst);
                for e in r.errors {
                    eprintln!("postie: {}", t!("fetch.rule_failed", error = e));
                }
            });
        }
        report.downloaded += 1;
        report.bytes += bytes;
        progress.show(report.downloaded, report.bytes);
    }
    // Every download of this session durable before any DELE.
    store.run(|_| ()).await?;
    report.filed = filed.load(Ordering::SeqCst) as usize;
    progress.done();
    if let Some(why) = failed.take() {
        let _ = client.quit().await;
        return Err(
            anyhow!("cannot store the mail ({why}); nothing was deleted from the server").into(),
        );
    }
    let now = crate::store::index::now_for_index();
    let candidates = store
        .run(move |s| s.policy_deletions(crate::sync::policy::deletions(policy, now)))
        .await??;
    let by_uidl: std::collections::HashMap<&str, u32> = id
        .messages
        .iter()
        .filter(|m| !m.uidl.is_session())
        .map(|m| (m.uidl.as_str(), m.number))
        .collect();
    let doomed: Vec<(u32, String)> = candidates
        .into_iter()
        .filter_map(|u| by_uidl.get(u.as_str()).map(|&n| (n, u)))
        .collect();
    let mut numbers: Vec<u32> = doomed.iter().map(|d| d.0).collect();
    if unnamed {
        // Every message this session stored (nothing else can be named).
        numbers = small.iter().chain(&large).map(|w| w.0).collect();
    }
    let refused = if numbers.is_empty() {
        Vec::new()
    } else {
        client.dele(&numbers).await.map_err(Failure::from)?
    };
    client.quit().await.map_err(Failure::from)?;
    let deleted: Vec<String> = doomed
        .into_iter()
        .filter(|(n, _)| !refused.iter().any(|(r, _)| r == n))
        .map(|(_, u)| u)
        .collect();
    report.deleted = if unnamed {
        numbers.len() - refused.len()
    } else {
        deleted.len()
    };
    if !deleted.is_empty() {
        store
            .run(move |s| {
                for u in &deleted {
                    s.index_mut().set_on_server(u, false)?;
                }
                Ok::<(), crate::store::IndexError>(())
            })
            .await??;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_says_what_was_downloaded_besides_new_mail() {
        let r = Report {
            account: "qq".into(),
            new: 0,
            downloaded: 22,
            bytes: 2048,
            deleted: 0,
            filed: 0,
        };
        assert_eq!(
            crate::i18n::fill_in(
                crate::i18n::Language::En,
                "fetch.report_earlier",
                &[
                    ("account", "qq".into()),
                    ("new", "0".into()),
                    ("downloaded", "22".into()),
                    ("earlier", "22".into()),
                    ("size", "2.0K".into()),
                    ("deleted", "0".into()),
                ]
            ),
            "qq: 0 new, 22 downloaded (22 of them earlier messages not stored yet; 2.0K), 0 deleted from server"
        );
        // The line itself (in the language in use) names the earlier ones.
        assert!(r.line().contains("22"), "{}", r.line());
        let plain = Report {
            new: 3,
            downloaded: 3,
            ..r
        };
        assert!(!plain.line().contains("earlier") && !plain.line().contains("以前"));
    }
}
