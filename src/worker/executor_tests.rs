//! The executor over the in-memory mailbox, under tokio's paused clock: no
//! sockets, no wall clock. What reaches the server (its log) and what the
//! UI is told (events) are both checked.

use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::fake::{serve, server, Fake};
use super::*;
use crate::error::{ErrorClass, Failure};
use crate::secret::Secret;

fn message(subject: &str, body_len: usize) -> Vec<u8> {
    let mut m = format!("Subject: {subject}\r\nFrom: a@example.cn\r\n\r\n").into_bytes();
    m.extend(std::iter::repeat_n(b'x', body_len));
    m.extend(b"\r\n");
    m
}

fn start(
    cfg: ClientConfig,
) -> (
    UnboundedSender<Request>,
    UnboundedReceiver<Event>,
    JoinHandle<()>,
) {
    let (req_tx, req_rx) = unbounded_channel();
    let (ev_tx, ev_rx) = unbounded_channel();
    let worker: Worker<Fake> = Worker::over(cfg, DecodeOptions::default(), None, req_rx, ev_tx);
    (req_tx, ev_rx, tokio::spawn(worker.run()))
}

/// The next event that `want` picks, within an hour of (paused) time.
async fn until<T>(
    rx: &mut UnboundedReceiver<Event>,
    mut want: impl FnMut(&Event) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            match rx.recv().await {
                Some(e) => {
                    if let Some(t) = want(&e) {
                        return t;
                    }
                }
                None => panic!("the worker stopped"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3600), wait)
        .await
        .expect("the event came")
}

fn uidls(set: &std::collections::BTreeSet<Uidl>) -> Vec<&str> {
    set.iter().map(|u| u.as_str()).collect()
}

#[tokio::test(start_paused = true)]
async fn marks_survive_a_dropped_session_and_only_quit_deletes() {
    let (srv, cfg) = serve(&[
        ("u1", &message("one", 10)),
        ("u2", &message("two", 10)),
        ("u3", &message("three", 10)),
    ]);
    let (req, mut ev, task) = start(cfg);
    until(&mut ev, |e| matches!(e, Event::Indexed(_)).then_some(())).await;
    // The link drops under the DELE.
    server(&srv).drop_next = true;
    req.send(Request::Mark(Uidl::from("u2"))).unwrap();
    let uncommitted = until(&mut ev, |e| match e {
        Event::ConnectionLost { uncommitted, .. } => Some(*uncommitted),
        _ => None,
    })
    .await;
    assert_eq!(uncommitted, 1);
    assert_eq!(server(&srv).messages.len(), 3, "a drop deletes nothing");
    // A session lost young: a pause, a new login, the mark applied again.
    let secs = until(&mut ev, |e| match e {
        Event::Reconnecting { in_secs } => Some(*in_secs),
        _ => None,
    })
    .await;
    assert_eq!(secs, 1);
    let applied = until(&mut ev, |e| match e {
        Event::MarksApplied(m) if !m.is_empty() => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(uidls(&applied), vec!["u2"]);
    req.send(Request::Mark(Uidl::from("u3"))).unwrap();
    req.send(Request::QuitCommit).unwrap();
    let deleted = until(&mut ev, |e| match e {
        Event::Closed { deleted } => Some(*deleted),
        _ => None,
    })
    .await;
    assert_eq!(deleted, 2);
    task.await.unwrap();
    let s = server(&srv);
    let left: Vec<&str> = s.messages.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(left, vec!["u1"]);
    assert_eq!(s.sessions, 2);
    assert_eq!(
        s.log.iter().filter(|l| *l == "QUIT").count(),
        1,
        "{:?}",
        s.log
    );
    assert!(s.log.contains(&"drop".to_string()));
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_server_is_tried_again_with_growing_pauses() {
    let (srv, cfg) = serve(&[("u1", &message("one", 10))]);
    server(&srv).unreachable = 4;
    let started = tokio::time::Instant::now();
    let (req, mut ev, task) = start(cfg);
    let mut waits = Vec::new();
    while waits.len() < 4 {
        let (class, secs) = until(&mut ev, |e| match e {
            Event::Failed(Failure { class, .. }) => Some((Some(*class), None)),
            Event::Reconnecting { in_secs } => Some((None, Some(*in_secs))),
            _ => None,
        })
        .await;
        if let Some(c) = class {
            assert_eq!(c, ErrorClass::Temporary);
        }
        waits.extend(secs);
    }
    assert_eq!(waits, vec![1, 2, 5, 10]);
    until(&mut ev, |e| matches!(e, Event::Indexed(_)).then_some(())).await;
    assert!(
        started.elapsed() >= Duration::from_secs(18),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server(&srv).attempts, 5);
    req.send(Request::QuitDiscard).unwrap();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_refused_login_waits_for_the_user_and_a_typed_password_gets_in() {
    let (srv, mut cfg) = serve(&[("u1", &message("one", 10))]);
    cfg.password = Secret::new("wrong");
    let (req, mut ev, task) = start(cfg);
    let class = until(&mut ev, |e| match e {
        Event::Failed(Failure { class, .. }) => Some(*class),
        _ => None,
    })
    .await;
    assert_eq!(class, ErrorClass::Login);
    // Halted: an hour passes without another try.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(server(&srv).attempts, 1);
    req.send(Request::Password(Secret::new("right"))).unwrap();
    until(&mut ev, |e| matches!(e, Event::Indexed(_)).then_some(())).await;
    assert_eq!(server(&srv).sessions, 1);
    req.send(Request::QuitDiscard).unwrap();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn opening_another_message_stops_a_long_download_and_shows_the_other() {
    let (srv, cfg) = serve(&[
        ("big", &message("big", 3 * 1024 * 1024)),
        ("small", &message("small", 100)),
    ]);
    server(&srv).slow_retr = Some(Duration::from_millis(200));
    let (req, mut ev, task) = start(cfg);
    until(&mut ev, |e| matches!(e, Event::Indexed(_)).then_some(())).await;
    req.send(Request::FetchBody(Uidl::from("big"))).unwrap();
    until(&mut ev, |e| {
        matches!(e, Event::BodyProgress { .. }).then_some(())
    })
    .await;
    req.send(Request::FetchBody(Uidl::from("small"))).unwrap();
    let stopped = until(&mut ev, |e| match e {
        Event::BodyFailed { uidl, error, .. } if uidl.as_str() == "big" => Some(error.clone()),
        Event::BodyLoaded { uidl, .. } if uidl.as_str() == "big" => {
            panic!("the long download was not stopped")
        }
        _ => None,
    })
    .await;
    assert!(stopped.contains("stopped"), "{stopped}");
    let shown = until(&mut ev, |e| match e {
        Event::BodyLoaded { uidl, rendered } => Some((uidl.clone(), rendered.subject.clone())),
        _ => None,
    })
    .await;
    assert_eq!(shown.0.as_str(), "small");
    assert_eq!(shown.1, "small");
    req.send(Request::QuitDiscard).unwrap();
    task.await.unwrap();
    let s = server(&srv);
    assert_eq!(s.messages.len(), 2, "nothing deleted");
    assert_eq!(s.sessions, 2, "the stopped download's session was dropped");
}

/// On a slow link the header stream's summaries reach the store while it
/// runs (every `RECORD_EVERY`: 10 s, 100 ms here), not only at its end: a
/// reader killed mid-stream keeps most of what it had fetched. (Real time:
/// the store answers from a thread of its own.)
#[tokio::test]
async fn a_slow_header_stream_is_recorded_in_the_store_as_it_goes() {
    let msgs: Vec<(String, Vec<u8>)> = (1..=16)
        .map(|i| (format!("u{i}"), message(&format!("s{i}"), 10)))
        .collect();
    let refs: Vec<(&str, &[u8])> = msgs.iter().map(|(u, b)| (u.as_str(), &b[..])).collect();
    let (srv, cfg) = serve(&refs);
    server(&srv).slow_top = Some(Duration::from_millis(40));
    server(&srv).stall_top_after = Some(10);
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    let store = crate::store::StoreHandle::start(store);
    let (_req_tx, req_rx) = unbounded_channel();
    let (ev_tx, mut ev_rx) = unbounded_channel();
    let mut worker: Worker<Fake> = Worker::over(
        cfg,
        DecodeOptions::default(),
        Some(store.clone()),
        req_rx,
        ev_tx,
    );
    worker.settings.record_every = Duration::from_millis(100);
    let task = tokio::spawn(worker.run());
    let mut seen = 0;
    while seen < 10 {
        seen += until(&mut ev_rx, |e| match e {
            Event::HeadersLoaded(b) => Some(b.len()),
            _ => None,
        })
        .await;
    }
    // Ten of sixteen in, the eleventh never comes: the stream still runs,
    // and what came before its last record is in the store.
    let rows = store
        .run(|s| s.load(&crate::store::Folder::Inbox))
        .await
        .unwrap()
        .unwrap();
    let recorded = rows.iter().filter(|r| r.summary.is_some()).count();
    assert!(
        (2..=10).contains(&recorded),
        "{recorded} summaries recorded mid-stream"
    );
    task.abort();
}
