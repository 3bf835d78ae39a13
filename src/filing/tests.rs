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
    let plans = filer.plan_folder(&mut s, &Folder::Inbox).unwrap();
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
