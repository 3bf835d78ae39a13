//! `next_step` and its helpers, under tokio's paused clock: no sockets, no
//! wall clock. Each test walks the decisions the executor would ask for,
//! recording outcomes as the executor does.

use std::time::Duration;

use tokio::time::{advance, Instant};

use super::*;

fn state() -> State {
    State {
        wants: Wants::default(),
        marks: Marks::default(),
        health: Health::new(Instant::now()),
        session: Facts::default(),
    }
}

fn u(s: &str) -> Uidl {
    Uidl::from(s)
}

/// What the executor does with `Connect` when the login works.
fn logged_in(s: &mut State) {
    s.health.paused_after_drop = false;
    s.health.logged_in(Instant::now());
    s.marks.session_started();
    s.session.connected = true;
}

/// What the executor does when the link breaks.
fn lost(s: &mut State) {
    s.health.lost(Instant::now());
    s.marks.session_lost();
    s.session.connected = false;
}

#[tokio::test(start_paused = true)]
async fn reconnect_backoff_grows_across_logins_that_die_young_and_resets_after_a_healthy_one() {
    let mut s = state();
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    // A server that drops every session seconds after the login.
    let mut pauses = Vec::new();
    for _ in 0..5 {
        logged_in(&mut s);
        advance(Duration::from_secs(3)).await;
        lost(&mut s);
        match next_step(&s, Instant::now()) {
            Step::PauseAfterDrops { secs } => {
                pauses.push(secs);
                s.health.paused_after_drop = true;
            }
            other => panic!("expected a pause, got {other:?}"),
        }
        // Paused once: the next decision is the login itself.
        assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    }
    assert_eq!(pauses, vec![1, 2, 5, 10, 30]);
    // A session that lived past a minute starts the count afresh.
    logged_in(&mut s);
    advance(Duration::from_secs(61)).await;
    lost(&mut s);
    assert_eq!(s.health.drops, 0);
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    // Failed logins back off too, counted with the drops, capped at 30 s
    // (or the check interval when that is longer).
    let waits: Vec<u64> = (0..7)
        .map(|_| s.health.connect_failed(ErrorClass::Temporary).unwrap_or(0))
        .collect();
    assert_eq!(waits, vec![1, 2, 5, 10, 30, 30, 30]);
    let mut s = state();
    s.health.check_every = Some(Duration::from_secs(300));
    let waits: Vec<u64> = (0..9)
        .map(|_| s.health.connect_failed(ErrorClass::Temporary).unwrap_or(0))
        .collect();
    assert_eq!(waits, vec![1, 2, 5, 10, 30, 60, 120, 300, 300]);
    // So does the pause after sessions that keep dying young.
    s.health.drops = 8;
    assert_eq!(
        next_step(&s, Instant::now()),
        Step::PauseAfterDrops { secs: 300 }
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_login_halts_until_the_user_acts() {
    let mut s = state();
    assert_eq!(s.health.connect_failed(ErrorClass::Login), None);
    assert_eq!(next_step(&s, Instant::now()), Step::WaitForUser);
    assert_eq!(s.health.connect_failed(ErrorClass::Tls), None);
    assert_eq!(next_step(&s, Instant::now()), Step::WaitForUser);
    // R (a refresh) or a typed password lifts it.
    assert_eq!(accept(&mut s, Request::Refresh), None);
    assert_eq!(next_step(&s, Instant::now()), Step::Refresh);
    s.wants.refresh = false;
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    s.health.halted = true;
    let typed = accept(&mut s, Request::Password(Secret::new("pw")));
    assert_eq!(typed.map(|p| p.expose().to_string()), Some("pw".into()));
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
}

#[tokio::test(start_paused = true)]
async fn marks_are_applied_again_after_a_drop() {
    let mut s = state();
    logged_in(&mut s);
    accept(&mut s, Request::Mark(u("a")));
    accept(&mut s, Request::Mark(u("b")));
    assert_eq!(next_step(&s, Instant::now()), Step::SyncMarks);
    // Applied (what sync_marks records).
    s.marks.applied = s.marks.user.clone();
    s.marks.dirty = false;
    assert_eq!(next_step(&s, Instant::now()), Step::Idle);
    // The link drops: nothing was deleted (no QUIT), every mark is still the user's.
    advance(Duration::from_secs(90)).await;
    lost(&mut s);
    assert!(s.marks.applied.is_empty());
    assert_eq!(s.marks.user.len(), 2);
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    logged_in(&mut s);
    // Before anything else in the new session, the marks.
    s.wants.body = Some(u("c"));
    s.session.headers_missing = true;
    assert_eq!(next_step(&s, Instant::now()), Step::SyncMarks);
    // Without marks, a drop leaves nothing to apply again.
    let mut s = state();
    logged_in(&mut s);
    s.marks.dirty = false;
    lost(&mut s);
    logged_in(&mut s);
    assert!(s.marks.dirty, "a new session starts from a clean slate");
}

#[tokio::test(start_paused = true)]
async fn a_commit_interrupted_by_a_drop_is_carried_out_in_the_next_session() {
    let mut s = state();
    logged_in(&mut s);
    accept(&mut s, Request::Mark(u("a")));
    s.marks.applied = s.marks.user.clone();
    s.marks.dirty = false;
    accept(&mut s, Request::QuitCommit);
    assert_eq!(next_step(&s, Instant::now()), Step::Commit);
    // The link drops before QUIT: the commit is still wanted.
    advance(Duration::from_secs(5)).await;
    lost(&mut s);
    assert_eq!(s.wants.quit, Some(Quit::Commit));
    // A young session lost: a pause first, then a login, the marks again,
    // then QUIT.
    assert_eq!(
        next_step(&s, Instant::now()),
        Step::PauseAfterDrops { secs: 1 }
    );
    s.health.paused_after_drop = true;
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    logged_in(&mut s);
    assert_eq!(next_step(&s, Instant::now()), Step::SyncMarks);
    s.marks.applied = s.marks.user.clone();
    s.marks.dirty = false;
    assert_eq!(next_step(&s, Instant::now()), Step::Commit);
    // Leaving without deleting wins over a commit still waiting.
    accept(&mut s, Request::QuitDiscard);
    assert_eq!(next_step(&s, Instant::now()), Step::Leave);
}

#[tokio::test(start_paused = true)]
async fn opening_another_message_stops_a_long_download_but_lets_a_short_one_finish() {
    let big = 5 * 1024 * 1024;
    let small = 10 * 1024;
    let reading = u("reading");
    let other = Request::FetchBody(u("other"));
    // A long one stops at once, for another message, R, q, or leaving it.
    assert!(stops_now(&other, &reading, big, Duration::ZERO));
    assert!(stops_now(
        &Request::StopBody(reading.clone()),
        &reading,
        big,
        Duration::ZERO
    ));
    assert!(stops_now(&Request::Refresh, &reading, big, Duration::ZERO));
    assert!(stops_now(
        &Request::QuitDiscard,
        &reading,
        big,
        Duration::ZERO
    ));
    // Asking for the same message again, or marking, does not stop it.
    assert!(!stops_now(
        &Request::FetchBody(reading.clone()),
        &reading,
        big,
        Duration::ZERO
    ));
    assert!(!stops_now(
        &Request::Mark(u("x")),
        &reading,
        big,
        Duration::ZERO
    ));
    assert!(!stops_now(
        &Request::StopBody(u("x")),
        &reading,
        big,
        Duration::ZERO
    ));
    // A short one finishes, unless it has already run CANCEL_AFTER.
    let started = Instant::now();
    assert!(!stops_now(&other, &reading, small, started.elapsed()));
    assert!(cancels(&other, &reading), "it would stop it once long");
    advance(CANCEL_AFTER + Duration::from_millis(1)).await;
    assert!(stops_now(&other, &reading, small, started.elapsed()));
    // After a stop the executor drops the session (mid-reply) and keeps the
    // request that stopped it: the marks come back, the other message is next.
    let mut s = state();
    logged_in(&mut s);
    accept(&mut s, Request::Mark(u("m")));
    s.marks.applied = s.marks.user.clone();
    s.marks.dirty = false;
    s.wants.pending.push_front(other);
    s.marks.session_lost();
    s.session.connected = false;
    assert_eq!(next_step(&s, Instant::now()), Step::Connect);
    logged_in(&mut s);
    if let Some(r) = s.wants.pending.pop_front() {
        accept(&mut s, r);
    }
    assert_eq!(next_step(&s, Instant::now()), Step::SyncMarks);
    s.marks.dirty = false;
    assert_eq!(next_step(&s, Instant::now()), Step::FetchBody(u("other")));
}

#[test]
fn a_uidl_shared_by_two_messages_is_never_marked_kept_or_carried_into_a_session() {
    use crate::pop3::MailboxEntry;
    let entry = |number: u32, uidl: &str| MailboxEntry {
        number,
        size: 100,
        uidl: Some(uidl.into()),
        bad_uidl: false,
    };
    let id = crate::sync::identify(vec![entry(1, "dup"), entry(2, "dup"), entry(3, "solo")]);
    assert_eq!(id.duplicated, 2);
    let session_only: Vec<bool> = id.messages.iter().map(|m| m.uidl.is_session()).collect();
    assert_eq!(session_only, vec![true, true, false]);
    // A mark the user put on one of them in this session cannot follow it
    // into the next (it would name the other message): the plan drops it.
    let marks: std::collections::BTreeSet<Uidl> = [id.messages[0].uidl.clone(), u("solo")]
        .into_iter()
        .collect();
    let plan = crate::sync::plan(&id, &Default::default(), &marks);
    assert_eq!(plan.marks_dropped, vec![id.messages[0].uidl.clone()]);
    // And nothing with a session id is ever stored.
    assert!(plan.new.iter().all(|(u, _)| !u.is_session()));
}

#[tokio::test(start_paused = true)]
async fn steps_come_in_order_of_urgency() {
    let mut s = state();
    s.health.check_every = Some(Duration::from_secs(300));
    logged_in(&mut s);
    s.marks.dirty = false;
    s.session.downloads_left = true;
    s.session.headers_missing = true;
    accept(
        &mut s,
        Request::Save {
            uidl: u("s"),
            dir: "/tmp".into(),
            parts: vec![],
        },
    );
    accept(&mut s, Request::FetchBody(u("b")));
    accept(&mut s, Request::Mark(u("m")));
    let mut order = Vec::new();
    loop {
        let step = next_step(&s, Instant::now());
        match &step {
            Step::SyncMarks => s.marks.dirty = false,
            Step::FetchBody(_) => s.wants.body = None,
            Step::Save => {
                s.wants.saves.pop_front();
            }
            Step::LoadHeaders => s.session.headers_missing = false,
            Step::Download => s.session.downloads_left = false,
            _ => {
                order.push(step);
                break;
            }
        }
        order.push(step);
    }
    assert_eq!(
        order,
        vec![
            Step::SyncMarks,
            Step::FetchBody(u("b")),
            Step::Save,
            Step::LoadHeaders,
            Step::Download,
            Step::Idle
        ]
    );
    // The check interval passes while idle: a new session to see new mail.
    advance(Duration::from_secs(300)).await;
    assert_eq!(next_step(&s, Instant::now()), Step::CheckMail);
}
