//! Filing a whole folder: the rules' plan, decided on several threads, is
//! the one a single pass would make, in the folder's order.

use std::sync::Arc;

use super::*;
use crate::mime::Summary;
use crate::sync::pattern::{Pattern, Scope};
use crate::sync::rules::Action;

fn rule(number: usize, pattern: &str, move_to: &str) -> Rule {
    let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    Rule {
        number,
        pattern: Pattern::parse_for(pattern, zone, Scope::Message).unwrap(),
        action: Action {
            move_to: Some(Folder::own(move_to).unwrap()),
            ..Action::default()
        },
        stop: true,
    }
}

#[test]
fn a_big_folder_is_planned_on_threads_in_its_own_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    let n = 3_000;
    let items: Vec<(Uidl, Vec<u8>)> = (0..n)
        .map(|i| {
            let tag = if i % 7 == 0 { "X-Tag: hot\r\n" } else { "" };
            let bytes = format!(
                "From: a{i}@corp.cn\r\n{tag}Subject: =?UTF-8?B?5ZCI5ZCM?= {i}\r\n\r\nbody {i}\r\n"
            );
            (Uidl::from(format!("uid-{i:05}")), bytes.into_bytes())
        })
        .collect();
    let index: Vec<(Uidl, u64)> = items
        .iter()
        .map(|(u, b)| (u.clone(), b.len() as u64))
        .collect();
    s.apply_server_index(&index, &[]).unwrap();
    s.deliver_batch(&items).unwrap();
    // Summarised, as the reader leaves them, except the last ten: those
    // are read from their files on the caller's thread.
    let sums: Vec<(Uidl, Arc<Summary>)> = items[..n - 10]
        .iter()
        .map(|(u, b)| {
            (
                u.clone(),
                Arc::new(Summary::from_headers(b, &DecodeOptions::default())),
            )
        })
        .collect();
    s.put_summaries(&sums).unwrap();
    let filer = Filer {
        rules: vec![
            rule(1, "header:X-Tag=hot", "热"),
            rule(2, "subject:合同 & from:a5", "合同"),
        ],
        ..Filer::default()
    };
    let plans = filer.plan_folder(&mut s, &Folder::Inbox).unwrap().plans;
    let order: Vec<String> = s
        .load(&Folder::Inbox)
        .unwrap()
        .into_iter()
        .map(|r| r.uidl.to_string())
        .collect();
    let mut expected = Vec::new();
    for u in &order {
        let i: usize = u["uid-".len()..].parse().unwrap();
        let hot = i % 7 == 0;
        let boss = format!("a{i}@").starts_with("a5");
        if hot {
            expected.push((u.clone(), "热".to_string(), 1));
        } else if boss {
            expected.push((u.clone(), "合同".to_string(), 2));
        }
    }
    let got: Vec<(String, String, usize)> = plans
        .iter()
        .map(|(r, o)| {
            (
                r.uidl.to_string(),
                o.folder.as_ref().unwrap().name().to_string(),
                o.matched[0],
            )
        })
        .collect();
    assert!(expected.len() > 500, "{}", expected.len());
    assert_eq!(got, expected);
}

/// A rule evaluation that panics (a bug) costs only its own message: it is
/// left alone and counted, on one thread and on several, and the others
/// keep their plans and order.
#[test]
fn a_panicking_decision_is_counted_and_the_rest_decided() {
    let rows: Vec<Placed> = (0..40)
        .map(|i| {
            (
                i,
                Row {
                    uidl: Uidl::from(format!("u{i}").as_str()),
                    folder: Folder::Inbox,
                    size: 10,
                    seq: i as i64,
                    summary: None,
                    flags: Flags::default(),
                    stored: true,
                    on_server: false,
                    first_seen: 0,
                    downloaded: None,
                },
            )
        })
        .collect();
    let one = |r: &Row| -> Outcome {
        assert!(r.uidl.as_str() != "u7" && r.uidl.as_str() != "u31", "a bug");
        Outcome::default()
    };
    // The panics' messages would only clutter the test's output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let results: Vec<_> = [1, 4]
        .into_iter()
        .map(|threads| decide_all(rows.clone(), threads, &one))
        .collect();
    std::panic::set_hook(hook);
    for (decided, failed) in results {
        assert_eq!(failed, 2);
        let at: Vec<usize> = decided.iter().map(|(at, _)| *at).collect();
        let expected: Vec<usize> = (0..40).filter(|i| *i != 7 && *i != 31).collect();
        assert_eq!(at, expected);
    }
}
