//! Filter rules and the spam filter, carried out on the store (blocking: on
//! the store's thread). New mail is filed as it is stored (`file_new`), a
//! folder on demand (`plan_folder` then `carry_out`, `postie filter`). The
//! store's moves keep every message in exactly one folder; a rule never
//! deletes.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use rust_i18n::t;

use crate::mime::DecodeOptions;
use crate::store::{Flags, Folder, Row, Store, StoreError};
use crate::sync::pattern::MessageView;
use crate::sync::rules::{self, Junk, Outcome, Rule};
use crate::uidl::Uidl;

/// How long a spam filter's command may take on one message.
pub const JUNK_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a message a rule reads: its header block is in here.
const HEAD_BYTES: usize = 64 * 1024;

/// A retrieved message: its UIDL and bytes.
type Item = (Uidl, Vec<u8>);

/// One message and what the rules decided for it.
pub type Plan = (Row, Outcome);

/// A row and its place in its folder's order.
type Placed = (usize, Row);

/// What the rules would do to a folder (`Filer::plan_folder`).
#[derive(Debug, Default)]
pub struct FolderPlan {
    /// The messages some rule acts on, in the folder's order.
    pub plans: Vec<Plan>,
    /// Messages the rules could not be applied to (their evaluation
    /// failed: a bug): left where they are, and said.
    pub unjudged: usize,
}

/// `decide`, or None when it panicked (a bug, never the message's fault
/// to pay for: that message is left alone and counted).
fn judged<T>(decide: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decide)).ok()
}

/// `one` over `rows` on `threads` threads (each keeps its place); also how
/// many rows could not be decided.
fn decide_all(
    rows: Vec<Placed>,
    threads: usize,
    one: &(dyn Fn(&Row) -> Outcome + Sync),
) -> (Vec<(usize, Plan)>, usize) {
    let run = |chunk: Vec<Placed>| -> (Vec<(usize, Plan)>, usize) {
        let mut failed = 0;
        let mut out = Vec::with_capacity(chunk.len());
        for (at, row) in chunk {
            match judged(|| one(&row)) {
                Some(o) => out.push((at, (row, o))),
                None => failed += 1,
            }
        }
        (out, failed)
    };
    if threads < 2 || rows.len() < 2 {
        return run(rows);
    }
    let per = rows.len().div_ceil(threads);
    let mut chunks: Vec<Vec<Placed>> = Vec::new();
    let mut rest = rows.into_iter();
    loop {
        let chunk: Vec<Placed> = rest.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let run = &run;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| {
                let n = c.len();
                (n, scope.spawn(move || run(c)))
            })
            .collect();
        let mut all = Vec::new();
        let mut failed = 0;
        for (n, h) in handles {
            match h.join() {
                Ok((out, f)) => {
                    all.extend(out);
                    failed += f;
                }
                // Every row's panic is caught inside; a chunk lost anyway
                // is counted whole.
                Err(_) => failed += n,
            }
        }
        (all, failed)
    })
}

/// An account's rules and spam filter.
#[derive(Debug, Clone, Default)]
pub struct Filer {
    pub rules: Vec<Rule>,
    pub junk: Junk,
    pub decode: DecodeOptions,
}

/// What filing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Messages moved, by the folder they went to.
    pub moved: BTreeMap<Folder, Vec<String>>,
    /// Copies made.
    pub copied: usize,
    /// Messages whose flags a rule changed.
    pub marked: usize,
    /// What could not be done, in plain words.
    pub errors: Vec<String>,
}

impl Report {
    pub fn moved_count(&self) -> usize {
        self.moved.values().map(Vec::len).sum()
    }

    fn merge(&mut self, other: Report) {
        for (f, us) in other.moved {
            self.moved.entry(f).or_default().extend(us);
        }
        self.copied += other.copied;
        self.marked += other.marked;
        self.errors.extend(other.errors);
    }
}

impl Filer {
    /// Anything to do at all (rules, or a spam judge).
    pub fn is_active(&self) -> bool {
        !self.rules.is_empty() || self.junk.judge.is_some()
    }

    /// What the rules (and, for new mail, the spam judge) decide for one
    /// message given its bytes (all, or the first part with the header).
    fn decide(&self, uidl: &str, raw: &[u8], size: u64, flags: Flags, judge: bool) -> Outcome {
        let view = MessageView::read(Uidl::from(uidl), raw, size, flags, &self.decode);
        let mut out = rules::apply(&self.rules, &view);
        if judge && out.folder.is_none() {
            if let Some(cmd) = &self.junk.judge {
                if run(cmd, raw) == Ok(0) {
                    out.folder = Some(Folder::Junk);
                    out.matched.push(0);
                }
            }
        }
        out
    }

    /// Stores retrieved messages straight into the folders the rules (and
    /// the spam judge) choose, with the flags they set: one batch, and one
    /// directory sync, per folder; copies follow. Returns how many were
    /// stored, and what filing did.
    pub fn deliver_new(
        &self,
        s: &mut Store,
        items: &[(Uidl, Vec<u8>)],
    ) -> Result<(usize, Report), StoreError> {
        let judge = self.junk.judge.is_some();
        // By (folder, flags): one batch each.
        let mut groups: BTreeMap<(Folder, u8), Vec<Item>> = BTreeMap::new();
        let mut copies: Vec<(String, Outcome)> = Vec::new();
        for (uidl, bytes) in items {
            let out = self.decide(uidl, bytes, bytes.len() as u64, Flags::default(), judge);
            let folder = out.folder.clone().unwrap_or(Folder::Inbox);
            groups
                .entry((folder, out.flags.bits()))
                .or_default()
                .push((uidl.clone(), bytes.clone()));
            if !out.copies.is_empty() {
                copies.push((uidl.to_string(), out));
            }
        }
        let mut report = Report::default();
        let mut stored = 0;
        for ((folder, flags), group) in groups {
            let n = s.deliver_batch_to(&folder, Flags::from_bits(flags), &group)?;
            stored += n;
            if flags != 0 {
                report.marked += n;
            }
            if folder != Folder::Inbox {
                report
                    .moved
                    .entry(folder)
                    .or_default()
                    .extend(group.into_iter().map(|(u, _)| u.to_string()));
            }
        }
        for (uidl, out) in copies {
            for to in &out.copies {
                match s.file_many(std::slice::from_ref(&uidl), to, true) {
                    Ok(f) => report.copied += f.copies.len(),
                    Err(e) => report.errors.push(e.to_string()),
                }
            }
        }
        Ok((stored, report))
    }

    /// Files messages just stored in INBOX: `bytes` when at hand (else the
    /// stored file's head is read; the spam judge then reads the whole file).
    /// `judge`: ask the spam judge too (`postie fetch`; not the reader, whose
    /// user is waiting).
    pub fn file_new(&self, s: &mut Store, new: &[(String, Option<&[u8]>)], judge: bool) -> Report {
        let judge = judge && self.junk.judge.is_some();
        if self.rules.is_empty() && !judge {
            return Report::default();
        }
        let mut plans = Vec::new();
        for (uidl, bytes) in new {
            // New mail: no flags yet (the row is read only for a match).
            let out = match bytes {
                Some(b) => self.decide(uidl, b, b.len() as u64, Flags::default(), judge),
                None => match read_for_rules(s, uidl, judge) {
                    Some(b) => {
                        let size = s
                            .with_index(|i| i.get(uidl))
                            .ok()
                            .flatten()
                            .map_or(0, |r| r.size);
                        self.decide(uidl, &b, size, Flags::default(), judge)
                    }
                    None => continue,
                },
            };
            if out.is_empty() {
                continue;
            }
            if let Ok(Some(row)) = s.with_index(|i| i.get(uidl)) {
                plans.push((row, out));
            }
        }
        self.carry_out(s, &plans)
    }

    /// What the rules would do to every message of `folder` (a dry run);
    /// only messages some rule matches are listed. Reads each stored
    /// message's head when a rule needs the header block.
    pub fn plan_folder(&self, s: &mut Store, folder: &Folder) -> Result<FolderPlan, StoreError> {
        let rows = s.load(folder)?;
        let heads = rules::need_headers(&self.rules);
        // Where each file is, in one query rather than one a message.
        let files = if heads {
            s.files_in(folder)?
        } else {
            Default::default()
        };
        // Rows not yet summarised (just stored) are read from their files
        // here; the rest are decided on as many threads as there are cores,
        // as reading 100,000 header blocks is most of the time.
        // Each row keeps its place in the folder's order.
        let (fresh, summarised): (Vec<Placed>, Vec<Placed>) = rows
            .into_iter()
            .enumerate()
            .partition(|(_, r)| r.summary.is_none());
        let mut decided: Vec<(usize, Plan)> = Vec::with_capacity(fresh.len() + summarised.len());
        let mut unjudged = 0;
        let any_fresh = !fresh.is_empty();
        for (at, row) in fresh {
            let raw = read_for_rules(s, &row.uidl, false).unwrap_or_default();
            match judged(|| self.decide(&row.uidl, &raw, row.size, row.flags, false)) {
                Some(o) => decided.push((at, (row, o))),
                None => unjudged += 1,
            }
        }
        let one = |row: &Row| -> Outcome {
            if heads {
                // The header block only; the summary is the index's.
                let head = files
                    .get(row.uidl.as_str())
                    .and_then(|p| crate::store::maildir::read_head(p).ok())
                    .unwrap_or_default();
                let view = MessageView::of_row_with_head(row, &head, &self.decode);
                rules::apply(&self.rules, &view)
            } else {
                rules::apply(&self.rules, &MessageView::of_row(row))
            }
        };
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let threads = if summarised.len() < 2_000 { 1 } else { threads };
        let (more, failed) = decide_all(summarised, threads, &one);
        decided.extend(more);
        unjudged += failed;
        if any_fresh {
            decided.sort_by_key(|(at, _)| *at);
        }
        let mut plans = Vec::new();
        for (_, (row, o)) in decided {
            // Already where the rules would put it, and nothing else to do.
            let moves = o.folder.as_ref().is_some_and(|f| f != folder);
            let marks = !row.flags.contains(o.flags);
            if moves || marks || !o.copies.is_empty() {
                plans.push((row, o));
            }
        }
        Ok(FolderPlan { plans, unjudged })
    }

    /// Does what `plans` say: flags first, then copies, then one batch of
    /// moves per target folder.
    pub fn carry_out(&self, s: &mut Store, plans: &[(Row, Outcome)]) -> Report {
        let mut report = Report::default();
        let mut moves: BTreeMap<Folder, Vec<String>> = BTreeMap::new();
        let mut copies: BTreeMap<Folder, Vec<String>> = BTreeMap::new();
        for (row, o) in plans {
            if !o.flags.is_empty() && !row.flags.contains(o.flags) {
                match s.set_flags(&row.uidl, row.flags.with(o.flags)) {
                    Ok(()) => report.marked += 1,
                    Err(e) => report.errors.push(e.to_string()),
                }
            }
            for c in &o.copies {
                copies
                    .entry(c.clone())
                    .or_default()
                    .push(row.uidl.to_string());
            }
            if let Some(f) = &o.folder {
                if *f != row.folder {
                    moves
                        .entry(f.clone())
                        .or_default()
                        .push(row.uidl.to_string());
                }
            }
        }
        for (to, uidls) in copies {
            match s.file_many(&uidls, &to, true) {
                Ok(f) => report.copied += f.copies.len(),
                Err(e) => report.errors.push(e.to_string()),
            }
        }
        for (to, uidls) in moves {
            match s.file_many(&uidls, &to, false) {
                Ok(f) => {
                    if !f.done.is_empty() {
                        report.moved.entry(to).or_default().extend(f.done);
                    }
                }
                Err(e) => report.errors.push(e.to_string()),
            }
        }
        report
    }

    /// Runs the rules over `folder` and does what they say.
    pub fn file_folder(&self, s: &mut Store, folder: &Folder) -> Result<Report, StoreError> {
        let planned = self.plan_folder(s, folder)?;
        let mut report = self.carry_out_all(s, &planned.plans);
        if planned.unjudged > 0 {
            report
                .errors
                .push(t!("filing.unjudged", n = planned.unjudged).into_owned());
        }
        Ok(report)
    }

    /// `carry_out` in batches, so a large folder is not one long transaction.
    pub fn carry_out_all(&self, s: &mut Store, plans: &[Plan]) -> Report {
        let mut report = Report::default();
        for chunk in plans.chunks(2000) {
            report.merge(self.carry_out(s, chunk));
        }
        report
    }

    /// Teaches the spam filter that these messages are spam (`spam`) or
    /// not; Ok(0) when no command is set. Errors name the message.
    pub fn learn(&self, s: &mut Store, uidls: &[String], spam: bool) -> Result<usize, String> {
        let cmd = if spam {
            &self.junk.learn_spam
        } else {
            &self.junk.learn_ham
        };
        let Some(cmd) = cmd else { return Ok(0) };
        let mut taught = 0;
        for u in uidls {
            let Ok(Some(bytes)) = s.read(u) else { continue };
            match run(cmd, &bytes) {
                Ok(0) => taught += 1,
                Ok(code) => {
                    return Err(rust_i18n::t!(
                        "junk.learn_failed",
                        command = crate::text::sanitize::sanitize_line(cmd),
                        code = code
                    )
                    .into_owned())
                }
                Err(e) => return Err(e),
            }
        }
        Ok(taught)
    }
}

/// A stored message's bytes for rules: its head, or all of it for the judge.
fn read_for_rules(s: &mut Store, uidl: &str, whole: bool) -> Option<Vec<u8>> {
    let path = s.path(uidl).ok()??;
    if whole {
        return std::fs::read(&path).ok();
    }
    let mut f = crate::store::maildir::open_regular(&path).ok()?;
    let mut buf = Vec::new();
    std::io::Read::take(&mut f, HEAD_BYTES as u64)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

use std::io::Read;

/// Runs `cmd` with `sh -c`, `input` on its standard input, its output
/// thrown away; its exit code, or why it could not run (or was stopped
/// after `JUNK_COMMAND_TIMEOUT`).
pub fn run(cmd: &str, input: &[u8]) -> Result<i32, String> {
    use std::os::unix::process::CommandExt;
    let shown = crate::text::sanitize::sanitize_line(cmd).into_owned();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| rust_i18n::t!("junk.cannot_run", command = shown, error = e).into_owned())?;
    if let Some(mut stdin) = child.stdin.take() {
        let bytes = input.to_vec();
        // On a thread: a command that reads nothing must not stall us.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let deadline = std::time::Instant::now() + JUNK_COMMAND_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.code().unwrap_or(-1)),
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(rust_i18n::t!(
                    "junk.timeout",
                    command = shown,
                    secs = JUNK_COMMAND_TIMEOUT.as_secs()
                )
                .into_owned());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                return Err(
                    rust_i18n::t!("junk.cannot_run", command = shown, error = e).into_owned()
                )
            }
        }
    }
}

#[cfg(test)]
#[path = "filing/tests.rs"]
mod tests;
