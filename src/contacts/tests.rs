//! The address book: cards merged, mail learned once, ranking.

use super::*;

fn card(name: &str, emails: &[&str], groups: &[&str]) -> Card {
    Card {
        name: name.into(),
        emails: emails.iter().map(|s| s.to_string()).collect(),
        groups: groups.iter().map(|s| s.to_string()).collect(),
        is_group: false,
    }
}

#[test]
fn cards_merge_by_address_and_groups_expand() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("p/contacts.sqlite");
    let mut b = Book::open(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (added, known) = b
        .add_cards(&[
            card("张伟", &["zhang.wei@corp.cn", "zw@home.cn"], &["项目组"]),
            card("李娜", &["li.na@corp.cn"], &["项目组"]),
        ])
        .unwrap();
    assert_eq!((added, known), (3, 0));
    let (added, known) = b
        .add_cards(&[card("", &["ZHANG.WEI@corp.cn"], &[])])
        .unwrap();
    assert_eq!((added, known), (0, 1));
    let all = b.all().unwrap();
    assert_eq!(all.len(), 3);
    let zw = all.iter().find(|c| c.email == "zhang.wei@corp.cn").unwrap();
    assert_eq!(zw.name, "张伟");
    assert_eq!(zw.groups, vec!["项目组".to_string()]);
    let m = b.matcher(0).unwrap();
    let g = m.find("项目", 5);
    assert!(g
        .iter()
        .any(|e| e.is_group() && e.address() == "li.na@corp.cn, zhang.wei@corp.cn"));
}

#[test]
fn someone_you_write_to_weekly_outranks_a_newsletter_you_read() {
    let d = tempfile::tempdir().unwrap();
    let mut b = Book::open(&d.path().join("c.sqlite")).unwrap();
    let now = 1_750_000_000;
    let week = 7 * 86_400;
    let mut seen: Vec<Seen> = (0..8)
        .map(|k| Seen {
            name: "赵敏".into(),
            email: "zhao@corp.cn".into(),
            sent: true,
            at: now - k * week,
        })
        .collect();
    seen.push(Seen {
        name: "Zhihu Weekly".into(),
        email: "zhihu@news.example".into(),
        sent: false,
        at: now - 300 * 86_400,
    });
    b.learn(&seen).unwrap();
    let m = b.matcher(now).unwrap();
    let order: Vec<String> = m.find("zh", 5).iter().map(|e| e.email.clone()).collect();
    assert_eq!(order, vec!["zhao@corp.cn", "zhihu@news.example"]);
    let zm = b
        .all()
        .unwrap()
        .into_iter()
        .find(|c| c.email == "zhao@corp.cn")
        .unwrap();
    assert_eq!((zm.sent, zm.read), (8, 0));
}
