//! The pipelining scheduler, sans I/O: how many commands may be in flight
//! (a window that grows while replies come back promptly and shrinks when
//! they lag), and what a reply handler says next (`Flow`). The socket loop
//! in `connection` asks it; its tests need no socket.

use std::time::{Duration, Instant};

use super::codec::{Command, StatusLine};
use super::error::Pop3Error;

/// What a pipeline's reply handler wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Send nothing more; the replies already in flight are still read and handed over.
    Pause,
    /// Send these too, after the rest (what to ask next depends on this reply:
    /// after STAT, the `TOP n 0` of every message).
    Append(Vec<Queued>),
}

/// Commands appended to a pipeline: one, or a run of `TOP n 0` counting
/// down, kept as its ends (100,000 of them would be 3 MB as commands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    One(Command),
    /// `TOP from 0`, `TOP from-1 0`, … `count` of them.
    HeadersDown {
        from: u32,
        count: u32,
    },
}

impl Queued {
    fn len(&self) -> usize {
        match self {
            Queued::One(_) => 1,
            Queued::HeadersDown { count, .. } => *count as usize,
        }
    }

    /// A command standing for all of this one's (for the session's checks).
    fn sample(&self) -> Option<Command> {
        match self {
            Queued::One(cmd) => Some(cmd.clone()),
            Queued::HeadersDown { count: 0, .. } => None,
            Queued::HeadersDown { from, .. } => Some(Command::Top {
                msg: *from,
                lines: 0,
            }),
        }
    }
}

/// A pipeline's commands: those it was given, then those its replies
/// appended, each found by its place in that order.
pub(super) struct Queue<'a> {
    given: &'a [Command],
    more: Vec<Queued>,
    /// Where each of `more` starts, counted from the first of `given`.
    starts: Vec<usize>,
    len: usize,
}

impl<'a> Queue<'a> {
    pub(super) fn new(given: &'a [Command]) -> Queue<'a> {
        Queue {
            given,
            more: Vec::new(),
            starts: Vec::new(),
            len: given.len(),
        }
    }

    /// A queue of `appended` only.
    pub(super) fn of(appended: Vec<Queued>) -> Queue<'static> {
        let mut queue = Queue::new(&[]);
        queue.append(appended);
        queue
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// What `appended` would ask, for the session to check before it is queued.
    pub(super) fn samples(appended: &[Queued]) -> Vec<Command> {
        appended.iter().filter_map(Queued::sample).collect()
    }

    pub(super) fn append(&mut self, appended: Vec<Queued>) {
        for q in appended {
            let n = q.len();
            if n > 0 {
                self.starts.push(self.len);
                self.more.push(q);
                self.len += n;
            }
        }
    }

    /// The command at `i`, None past the end.
    pub(super) fn get(&self, i: usize) -> Option<std::borrow::Cow<'_, Command>> {
        use std::borrow::Cow;
        if let Some(cmd) = self.given.get(i) {
            return Some(Cow::Borrowed(cmd));
        }
        if i >= self.len {
            return None;
        }
        let k = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        Some(match self.more.get(k)? {
            Queued::One(cmd) => Cow::Borrowed(cmd),
            Queued::HeadersDown { from, .. } => {
                let offset = u32::try_from(i - self.starts[k]).ok()?;
                Cow::Owned(Command::Top {
                    msg: from.checked_sub(offset)?,
                    lines: 0,
                })
            }
        })
    }
}

/// How far the consumer of a pipeline's replies may fall behind (a fetch
/// whose disk is slower than its link): while `pending` is over `limit`
/// the pipeline reads no further reply, so what the server sends waits in
/// the socket (TCP's own flow control) rather than in memory, and the
/// commands in flight stay in flight (no round trip lost to a drained
/// pipeline). The consumer `hold`s what it takes on and `release`s it
/// as it catches up (from any thread).
#[derive(Debug, Clone)]
pub struct Backlog {
    pending: std::sync::Arc<std::sync::atomic::AtomicU64>,
    limit: u64,
    drained: std::sync::Arc<tokio::sync::Notify>,
}

impl Backlog {
    pub fn new(limit: u64) -> Backlog {
        Backlog {
            pending: Default::default(),
            limit,
            drained: Default::default(),
        }
    }

    /// `bytes` more taken on and not yet done with.
    pub fn hold(&self, bytes: u64) {
        self.pending
            .fetch_add(bytes, std::sync::atomic::Ordering::SeqCst);
    }

    /// `bytes` done with: a pipeline waiting on the limit looks again.
    pub fn release(&self, bytes: u64) {
        self.pending
            .fetch_sub(bytes, std::sync::atomic::Ordering::SeqCst);
        self.drained.notify_waiters();
    }

    fn over(&self) -> bool {
        self.pending.load(std::sync::atomic::Ordering::SeqCst) > self.limit
    }

    /// Returns once `pending` is at or under `limit`.
    pub async fn wait(&self) {
        loop {
            let drained = self.drained.notified();
            tokio::pin!(drained);
            // Registered before the check: a notification in between is not lost.
            drained.as_mut().enable();
            if !self.over() {
                return;
            }
            drained.await;
        }
    }
}

/// A reply: the status line, and for a positive multi-line reply its unstuffed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusLine,
    pub body: Option<Vec<u8>>,
}

impl Reply {
    /// The reply as a result: `-ERR` becomes `Pop3Error::Refused` for `cmd`.
    pub fn into_result(self, cmd: &Command) -> Result<Reply, Pop3Error> {
        if self.status.is_ok() {
            Ok(self)
        } else {
            Err(Pop3Error::refused(cmd, self.status))
        }
    }
}

/// Bytes of command text first allowed in flight: about 5,000 `TOP n 0`,
/// a round trip's worth of a fast server on a 50 ms link.
pub const INITIAL_WINDOW: usize = 64 * 1024;

/// The least the window shrinks to: over a thousand `TOP n 0`, enough for a
/// server on the same machine.
pub const PIPELINE_WINDOW: usize = 16 * 1024;

/// The most the window grows to on a long, fast link.
pub const MAX_PIPELINE_WINDOW: usize = 1024 * 1024;

/// Bytes of commands a second a fast server answers (100,000 `TOP n 0`;
/// Dovecot answers 80,000-90,000 on two cores here): before its pace is
/// measured, the window holds at least a round trip of it, so a long link's
/// first flight keeps such a server busy.
const FAST_PACE: f64 = 1.3e6;

/// What that first guess may come to at most (about 20,000 `TOP n 0`).
const MAX_FIRST_GUESS: usize = 256 * 1024;

/// The pipeline window: enough commands in flight to keep the server busy
/// across a round trip, and not many more. Two measurements size it, as TCP
/// BBR and Vegas size theirs: the shortest delay seen between a command and
/// its reply (the round trip with no queue), and the rate at which the
/// server answers (bytes of commands per second over a round trip). The
/// window grows to two round trips of that rate: while the window is what
/// limits, the rate is about the window per round trip, so it doubles each
/// round trip until the server is what limits. It shrinks when replies come
/// back well over a round trip late (they waited in a queue at the server),
/// so on a short link few commands wait there, which keeps a pause (the user
/// opening a message) quick to take effect; a slow command (UIDL of a big
/// mailbox) shrinks it only until the next round trip's rate restores it.
/// Until the first sign of a queue (or of a server slower than the window),
/// it also grows by what each prompt reply answered, as TCP's slow start
/// does, so it doubles over a round trip instead of waiting a round trip to
/// measure the rate, and it holds at least a round trip of a fast server's
/// pace (the round trip known from the first reply: the login's STAT for a
/// cold list): the server is not left idle while the first window's replies
/// cross a long link.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    /// Bytes of commands that may be in flight.
    pub(super) bytes: usize,
    min_delay: Option<Duration>,
    /// Bytes of commands answered since `since`.
    answered: usize,
    since: Option<Instant>,
    /// Still growing by each prompt reply (slow start).
    starting: bool,
}

impl Window {
    pub(super) fn new() -> Window {
        Window {
            bytes: INITIAL_WINDOW,
            min_delay: None,
            answered: 0,
            since: None,
            starting: true,
        }
    }

    /// A window on a connection whose round trip is known (`round_trip`):
    /// it holds that round trip of a fast server's pace from the start, as
    /// it would after its first reply.
    pub(super) fn knowing(round_trip: Option<Duration>) -> Window {
        let mut w = Window::new();
        if let Some(base) = round_trip {
            w.min_delay = Some(base);
            w.bytes = w.bytes.max(first_guess(base));
        }
        w
    }

    /// The shortest delay seen between a command and its reply.
    pub(super) fn round_trip(&self) -> Option<Duration> {
        self.min_delay
    }

    /// Writes go out when this much of the window is free: in batches, but
    /// soon enough that the window stays nearly full.
    pub(super) fn refill_below(&self) -> usize {
        self.bytes - self.bytes / 4
    }

    /// A reply arrived `delay` after its command (of `len` bytes) was sent.
    pub(super) fn observe(&mut self, delay: Duration, len: usize) {
        self.observe_at(Instant::now(), delay, len);
    }

    pub(super) fn observe_at(&mut self, now: Instant, delay: Duration, len: usize) {
        let base = self.min_delay.map_or(delay, |m| m.min(delay));
        self.min_delay = Some(base);
        if delay > base * 5 / 2 + Duration::from_millis(5) {
            self.bytes = self.bytes.saturating_sub(len).max(PIPELINE_WINDOW);
            self.starting = false;
        } else if self.starting {
            self.bytes = (self.bytes + len)
                .max(first_guess(base))
                .min(MAX_PIPELINE_WINDOW);
        }
        let since = *self.since.get_or_insert(now);
        self.answered += len;
        // The rate over at least a round trip (and 5 ms, for a clock's grain).
        let interval = now.duration_since(since);
        if interval < base.max(Duration::from_millis(5)) {
            return;
        }
        let rate = self.answered as f64 / interval.as_secs_f64();
        self.answered = 0;
        self.since = Some(now);
        let target = (2.0 * base.as_secs_f64() * rate) as usize;
        // A window over two round trips of the server's pace only queues.
        self.starting &= target >= self.bytes;
        self.bytes = self.bytes.max(target).min(MAX_PIPELINE_WINDOW);
    }
}

/// A round trip of a fast server's pace (bounded): the window before the
/// server's own pace is measured.
fn first_guess(round_trip: Duration) -> usize {
    ((round_trip.as_secs_f64() * FAST_PACE) as usize).min(MAX_FIRST_GUESS)
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use std::collections::VecDeque;

    /// Commands of `len` bytes through a link of round trip `rtt` to a server
    /// answering `rate` bytes of commands per second, written the way
    /// `pipeline` writes them (refilled below `Window::refill_below`).
    /// Returns the window after `total` commands, and the longest any command
    /// of the second half (once the window has settled) waited at the server.
    fn simulate(rtt: Duration, rate: f64, total: usize) -> (usize, Duration) {
        let (bytes, wait, _) = simulate_with(rtt, rate, total, None);
        (bytes, wait)
    }

    /// As `simulate`, with one command (number, seconds) much slower than
    /// the others, as UIDL of a big mailbox is. Also returns when the last
    /// reply arrived.
    fn simulate_with(
        rtt: Duration,
        rate: f64,
        total: usize,
        slow: Option<(usize, f64)>,
    ) -> (usize, Duration, Duration) {
        simulate_after(Window::new(), rtt, rate, total, slow)
    }

    /// As `simulate_with`, from a window that may have seen replies already.
    fn simulate_after(
        mut w: Window,
        rtt: Duration,
        rate: f64,
        total: usize,
        slow: Option<(usize, f64)>,
    ) -> (usize, Duration, Duration) {
        let len = 13;
        let start = Instant::now();
        let mut now = Duration::ZERO;
        let mut server_free = Duration::ZERO;
        let mut in_flight: VecDeque<(Duration, Duration)> = VecDeque::new(); // (sent, answered)
        let (mut sent, mut done) = (0, 0);
        let mut longest_wait = Duration::ZERO;
        while done < total {
            if in_flight.is_empty() || in_flight.len() * len <= w.refill_below() {
                while sent < total && in_flight.len() * len < w.bytes {
                    let arrives = now + rtt / 2;
                    let begins = arrives.max(server_free);
                    if sent > total / 2 {
                        longest_wait = longest_wait.max(begins - arrives);
                    }
                    let work = match slow {
                        Some((n, secs)) if n == sent => secs,
                        _ => len as f64 / rate,
                    };
                    server_free = begins + Duration::from_secs_f64(work);
                    in_flight.push_back((now, server_free + rtt / 2));
                    sent += 1;
                }
            }
            let Some((at, back)) = in_flight.pop_front() else {
                break;
            };
            now = now.max(back);
            w.observe_at(start + now, now - at, len);
            done += 1;
        }
        (w.bytes, longest_wait, now)
    }

    #[test]
    fn a_long_link_to_a_fast_server_opens_the_window_to_two_round_trips_of_its_pace() {
        // 50 ms round trip, 100,000 TOPs a second.
        let rate = 13.0 * 100_000.0;
        let (bytes, wait) = simulate(Duration::from_millis(50), rate, 200_000);
        let two_rtts = 2.0 * 0.05 * rate;
        assert!(
            (bytes as f64) > 0.8 * two_rtts && (bytes as f64) < 1.3 * two_rtts,
            "window {bytes}, two round trips of the server {two_rtts}"
        );
        // Commands queue at the server for about a round trip, no more.
        assert!(wait < Duration::from_millis(120), "waited {wait:?}");
    }

    #[test]
    fn a_slow_command_does_not_leave_the_window_shut() {
        // UIDL of 100,000 messages: 150 ms of the server's time, early on.
        let rate = 13.0 * 100_000.0;
        let slow = Some((100, 0.150));
        let (bytes, _, _) = simulate_with(Duration::from_millis(50), rate, 100_000, slow);
        assert!(
            bytes as f64 > 0.8 * 2.0 * 0.05 * rate,
            "window {bytes} after the slow command"
        );
    }

    #[test]
    fn a_long_link_is_kept_busy_from_the_first_window() {
        // 100 ms round trip, 90,000 TOPs a second, 10,000 and 100,000 TOPs
        // after STAT: within 10 % of sending them all at once (round trip +
        // work).
        for total in [10_000, 100_000] {
            let rate = 13.0 * 90_000.0;
            let rtt = Duration::from_millis(100);
            let mut w = Window::new();
            w.observe_at(Instant::now(), rtt, 6);
            let (_, _, took) = simulate_after(w, rtt, rate, total, None);
            let unbounded = rtt.as_secs_f64() + total as f64 * 13.0 / rate;
            assert!(
                took.as_secs_f64() < 1.1 * unbounded,
                "{total}: {took:?}, all at once {unbounded:.3} s"
            );
        }
    }

    #[test]
    fn a_local_server_keeps_the_window_small() {
        let (bytes, wait) = simulate(Duration::from_micros(100), 13.0 * 100_000.0, 50_000);
        assert_eq!(bytes, PIPELINE_WINDOW);
        assert!(wait < Duration::from_millis(20), "waited {wait:?}");
    }

    #[test]
    fn a_slow_server_on_a_long_link_gets_no_more_than_it_can_use() {
        // 2,000 commands a second: two round trips' worth is 200 commands.
        let (bytes, _) = simulate(Duration::from_millis(50), 13.0 * 2_000.0, 5_000);
        assert_eq!(bytes, PIPELINE_WINDOW);
    }
}

#[cfg(test)]
mod queue_tests {
    use super::*;

    fn top(msg: u32) -> Command {
        Command::Top { msg, lines: 0 }
    }

    #[test]
    fn a_queue_reads_given_then_appended_commands_in_order() {
        let given = [Command::Stat];
        let mut q = Queue::new(&given);
        q.append(vec![
            Queued::HeadersDown { from: 5, count: 2 },
            Queued::One(Command::Uidl(None)),
            Queued::HeadersDown { from: 9, count: 0 },
            Queued::HeadersDown { from: 3, count: 3 },
        ]);
        q.append(vec![Queued::One(Command::Retr(7))]);
        let all: Vec<Command> = (0..q.len())
            .map(|i| q.get(i).map(|c| c.into_owned()))
            .collect::<Option<_>>()
            .unwrap_or_default();
        assert_eq!(
            all,
            vec![
                Command::Stat,
                top(5),
                top(4),
                Command::Uidl(None),
                top(3),
                top(2),
                top(1),
                Command::Retr(7)
            ]
        );
        assert_eq!(q.get(q.len()), None);
        assert_eq!(
            Queue::samples(&[
                Queued::HeadersDown { from: 9, count: 0 },
                Queued::HeadersDown { from: 4, count: 4 }
            ]),
            vec![top(4)]
        );
    }
}
