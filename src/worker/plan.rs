//! The worker's decisions, pure: given what the user wants, the marks, the
//! session's health and the clock, which step comes next (`next_step`), how
//! long to back off, and whether a request stops a download. The executor
//! (`mod.rs`) carries a step out and records its outcome here; nothing in
//! this file does I/O or waits.

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use super::protocol::Request;
use crate::error::ErrorClass;
use crate::secret::Secret;
use crate::uidl::Uidl;

/// A download that can be stopped: larger than this, or running this long.
pub(super) const CANCEL_ABOVE: u64 = 1024 * 1024;
pub(super) const CANCEL_AFTER: Duration = Duration::from_secs(2);
/// A session lost sooner than this after its login counts as dying young.
const HEALTHY_SESSION: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quit {
    Commit,
    Discard,
}

/// Attachments to save: the message, the directory, the parts (empty: all).
pub(super) type SaveRequest = (Uidl, PathBuf, Vec<usize>);

/// What the user has asked for and not yet had.
#[derive(Debug, Default)]
pub(super) struct Wants {
    /// The rows on screen: their headers come first.
    pub visible: Vec<Uidl>,
    pub body: Option<Uidl>,
    pub saves: VecDeque<SaveRequest>,
    /// Messages to move or copy (some to be retrieved first).
    pub files: VecDeque<crate::worker::local::FileRequest>,
    /// A new session to see new mail.
    pub refresh: bool,
    pub quit: Option<Quit>,
    /// Requests taken in during a long reply, to be accepted next.
    pub pending: VecDeque<Request>,
}

/// The user's marks for deletion and what the server session holds of them.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// The truth, whatever the session holds.
    pub user: BTreeSet<Uidl>,
    /// The marks standing (DELE'd) in the current server session.
    pub applied: BTreeSet<Uidl>,
    /// The session's marks differ from the user's.
    pub dirty: bool,
}

impl Marks {
    /// The session is gone: nothing stands on the server (without QUIT
    /// nothing was deleted), so every mark is applied again next session.
    pub fn session_lost(&mut self) {
        self.applied.clear();
        self.dirty = !self.user.is_empty();
    }

    /// A new session: its marks are applied from scratch.
    pub fn session_started(&mut self) {
        self.applied.clear();
        self.dirty = true;
    }
}

/// How the sessions have been going: for backoff and for halting.
#[derive(Debug)]
pub(super) struct Health {
    /// Failed logins in a row.
    pub failures: u32,
    /// Sessions in a row lost soon after their login (backoff across logins).
    pub drops: u32,
    /// The pause for `drops` was taken before this reconnect.
    pub paused_after_drop: bool,
    /// When the current session logged in.
    pub logged_in_at: Option<Instant>,
    /// A login or TLS failure: wait for the user (refresh or quit) instead of retrying.
    pub halted: bool,
    /// The last exchange with the server (for the keep-alive NOOP).
    pub last_activity: Instant,
    /// When the next check for new mail is due (from the last login).
    pub next_check: Option<Instant>,
    /// `check_interval`: a new session this often to see new mail (and the
    /// longest backoff, when it is over 30 s).
    pub check_every: Option<Duration>,
}

impl Health {
    pub fn new(now: Instant) -> Health {
        Health {
            failures: 0,
            drops: 0,
            paused_after_drop: false,
            logged_in_at: None,
            halted: false,
            last_activity: now,
            next_check: None,
            check_every: None,
        }
    }

    /// Logged in at `now`: failures forgotten, the next check scheduled.
    pub fn logged_in(&mut self, now: Instant) {
        self.failures = 0;
        self.logged_in_at = Some(now);
        self.next_check = self.check_every.map(|d| now + d);
    }

    /// The session was lost at `now`. One lost soon after its login counts
    /// towards the backoff (a server that drops at every DELE must not be
    /// asked again and again); one that lived a while starts the count afresh.
    pub fn lost(&mut self, now: Instant) {
        let young = self
            .logged_in_at
            .is_some_and(|t| now.saturating_duration_since(t) < HEALTHY_SESSION);
        self.drops = if young { self.drops + 1 } else { 0 };
    }

    /// A login failed with `class`: the seconds to wait before the next
    /// attempt, or None when the user must act first (the worker halts).
    pub fn connect_failed(&mut self, class: ErrorClass) -> Option<u64> {
        if class.needs_the_user() {
            self.halted = true;
            return None;
        }
        self.failures += 1;
        Some(backoff(self.failures + self.drops, self.check_every))
    }
}

/// The delay before attempt number `attempts`: 1, 2, 5, 10, 30 s, then up to
/// the check interval when that is longer (a server down for the night is
/// not asked every 30 s until morning).
pub(super) fn backoff(attempts: u32, check_every: Option<Duration>) -> u64 {
    let cap = check_every.map_or(30, |d| d.as_secs().max(30));
    [1, 2, 5, 10, 30, 60, 120, 300, 600][(attempts.max(1) as usize - 1).min(8)].min(cap)
}

/// Everything the worker decides from.
#[derive(Debug)]
pub(super) struct State {
    pub wants: Wants,
    pub marks: Marks,
    pub health: Health,
    /// Facts about the session, refreshed by the executor before each decision.
    pub session: Facts,
}

/// What the executor knows of the session when it asks for the next step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Facts {
    pub connected: bool,
    /// Some message's headers have not been seen yet.
    pub headers_missing: bool,
    /// `download = "all"` has messages left to store.
    pub downloads_left: bool,
}

/// One step of the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// RSET + QUIT (or nothing, without a session), then end: nothing deleted.
    Leave,
    /// Drop the session without QUIT (nothing committed): a new one sees new mail.
    Refresh,
    /// A login or TLS failure stands: wait for a request.
    WaitForUser,
    /// Sessions keep dying young: wait this long (or for a request) first.
    PauseAfterDrops {
        secs: u64,
    },
    Connect,
    /// DELE or RSET so the session's marks are the user's.
    SyncMarks,
    /// QUIT with the marks standing.
    Commit,
    /// Show this message (the stored copy, else RETR).
    FetchBody(Uidl),
    /// The next attachment save.
    Save,
    /// TOP the messages whose headers are not known yet.
    LoadHeaders,
    /// Move or copy messages, retrieving those not stored first.
    File,
    /// A stretch of the background download.
    Download,
    /// The check interval has passed: a new session to see new mail.
    CheckMail,
    /// Nothing to do: wait for a request, probing the link.
    Idle,
}

/// What to do next, in order of urgency: leaving, a refresh, a session (or
/// waiting for one), the marks (so that what the server holds is the user's
/// before anything else), a commit, the message the user is reading, saves,
/// headers, the background download, a due check, idling.
pub(super) fn next_step(s: &State, now: Instant) -> Step {
    let (w, m, h, f) = (&s.wants, &s.marks, &s.health, &s.session);
    if w.quit == Some(Quit::Discard) {
        return Step::Leave;
    }
    if w.refresh {
        return Step::Refresh;
    }
    if !f.connected {
        if h.halted {
            return Step::WaitForUser;
        }
        if h.drops > 0 && !h.paused_after_drop {
            return Step::PauseAfterDrops {
                secs: backoff(h.drops, h.check_every),
            };
        }
        return Step::Connect;
    }
    if m.dirty {
        return Step::SyncMarks;
    }
    if w.quit == Some(Quit::Commit) {
        return Step::Commit;
    }
    if let Some(u) = &w.body {
        return Step::FetchBody(u.clone());
    }
    if !w.saves.is_empty() {
        return Step::Save;
    }
    if !w.files.is_empty() {
        return Step::File;
    }
    if f.headers_missing {
        return Step::LoadHeaders;
    }
    if f.downloads_left {
        return Step::Download;
    }
    if h.next_check.is_some_and(|t| t <= now) {
        return Step::CheckMail;
    }
    Step::Idle
}

/// Takes a request in. A typed password comes back, for the session's settings.
pub(super) fn accept(s: &mut State, r: Request) -> Option<Secret> {
    let (w, m, h) = (&mut s.wants, &mut s.marks, &mut s.health);
    match r {
        Request::Visible(v) => w.visible = v,
        Request::FetchBody(u) => w.body = Some(u),
        Request::Save { uidl, dir, parts } => w.saves.push_back((uidl, dir, parts)),
        Request::File(r) => w.files.push_back(r),
        Request::Mark(u) => m.dirty |= m.user.insert(u),
        Request::Unmark(u) => m.dirty |= m.user.remove(&u),
        Request::UnmarkAll => {
            m.dirty |= !m.user.is_empty() || !m.applied.is_empty();
            m.user.clear();
        }
        Request::Refresh => {
            w.refresh = true;
            h.halted = false;
        }
        Request::QuitCommit => {
            w.quit = Some(Quit::Commit);
            h.halted = false;
        }
        Request::QuitDiscard => w.quit = Some(Quit::Discard),
        // Only a download in progress can be stopped (see `cancels`).
        Request::StopBody(_) => {}
        Request::Password(p) => {
            h.halted = false;
            h.failures = 0;
            return Some(p);
        }
        // Taken by the worker itself (its settings, not its plans).
        Request::Reconfigure(_) | Request::Refiled(..) => {}
    }
    None
}

/// Does `r`, arriving during the download of `uidl`, stop it?
pub(super) fn cancels(r: &Request, uidl: &Uidl) -> bool {
    match r {
        Request::FetchBody(u) => u != uidl,
        Request::StopBody(u) => u == uidl,
        Request::Refresh | Request::QuitCommit | Request::QuitDiscard => true,
        _ => false,
    }
}

/// Does `r` stop, at once, a download of `size` bytes that has run
/// `elapsed`? A short download is let finish (a request that would stop it
/// waits, and stops it only once it has run `CANCEL_AFTER`).
pub(super) fn stops_now(r: &Request, uidl: &Uidl, size: u64, elapsed: Duration) -> bool {
    let long = size > CANCEL_ABOVE || elapsed > CANCEL_AFTER;
    long && cancels(r, uidl)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
