//! The store against damaged, foreign and newer indexes, crashed writers,
//! and the full text of GBK mail.

use super::*;

fn stored(root: &Path, key: &str) -> Store {
    let mut s = Store::open(root, key, DecodeOptions::default()).unwrap();
    let u = Uidl::from("uid-1");
    s.apply_server_index(&[(u.clone(), 30)], &[]).unwrap();
    s.deliver(&u, b"Subject: one\r\n\r\nbody\r\n", Flags::SEEN, None)
        .unwrap();
    s.put_summaries(&[(u, Arc::new(Summary::note("one")))])
        .unwrap();
    s
}

/// A store with uid-1 (seen), uid-2 and uid-3, closed.
fn three_stored() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut s = stored(dir.path(), "k");
    for id in ["uid-2", "uid-3"] {
        s.deliver(
            &Uidl::from(id),
            b"Subject: x\r\n\r\nb\r\n",
            Flags::default(),
            None,
        )
        .unwrap();
    }
    dir
}

/// Found by the index_loader fuzz target: one byte changed inside the
/// folder lookup index (quick_check still says "ok") hid two of three
/// messages from the list. Every start now checks that the list finds
/// every file and rebuilds the lookups when it does not.
#[test]
fn a_damaged_lookup_inside_a_sound_file_hides_no_message() {
    let dir = three_stored();
    let path = dir.path().join(INDEX_FILE);
    let (page, size): (i64, i64) = {
        let c = rusqlite::Connection::open(&path).unwrap();
        let page = c
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'messages_by_folder'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        (page, size)
    };
    let mut bytes = fs::read(&path).unwrap();
    let start = ((page - 1) * size) as usize;
    let area = &mut bytes[start..start + size as usize];
    let hits: Vec<usize> = area
        .windows(5)
        .enumerate()
        .filter(|(_, w)| w == b"INBOX")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 3, "three INBOX keys in the lookup page");
    area[hits[1] + 2] = b'?';
    fs::write(&path, &bytes).unwrap();
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    assert_eq!(
        s.index().quick_check().unwrap(),
        ["ok"],
        "SQLite sees no damage"
    );
    s.reconcile().unwrap();
    assert_eq!(s.load(&Folder::Inbox).unwrap().len(), 3, "{:?}", s.notes);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("lookup tables were damaged")),
        "{:?}",
        s.notes
    );
}

/// Found by the index_loader fuzz target (10M-run campaign): a damaged
/// folder name in one row ("INAOX") made its file count as known, so the
/// message stayed out of the list; and a row that lost its file name.
#[test]
fn a_row_with_a_damaged_folder_or_file_name_is_corrected_from_the_maildir() {
    let dir = three_stored();
    {
        let c = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
        c.execute(
            "UPDATE messages SET folder = 'INAOX' WHERE uidl = 'uid-2'",
            [],
        )
        .unwrap();
        c.execute("UPDATE messages SET file = NULL WHERE uidl = 'uid-3'", [])
            .unwrap();
    }
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    s.reconcile().unwrap();
    let rows = s.load(&Folder::Inbox).unwrap();
    assert_eq!(rows.len(), 3, "{:?}", s.notes);
    assert!(rows.iter().all(|r| r.stored), "{rows:?}");
}

/// Found by the index_loader fuzz target (a timeout): a lookup of texts
/// waiting to be indexed that still names messages already indexed made
/// full-text indexing loop for ever, the write-ahead log growing. Made
/// here by hiding the lookup from SQLite while the rows change.
#[test]
fn a_stale_lookup_of_waiting_texts_does_not_loop() {
    let dir = three_stored();
    let path = dir.path().join(INDEX_FILE);
    let sql: (String, i64) = {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row(
            "SELECT sql, rootpage FROM sqlite_master WHERE name = 'messages_untexted'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA writable_schema = ON;
             DELETE FROM sqlite_master WHERE name = 'messages_untexted';",
        )
        .unwrap();
    }
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute("UPDATE messages SET texted = 1", []).unwrap();
    }
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA writable_schema = ON;").unwrap();
        c.execute(
            "INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql)
             VALUES ('index', 'messages_untexted', 'messages', ?1, ?2)",
            rusqlite::params![sql.1, sql.0],
        )
        .unwrap();
    }
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    let stale = s.index().text_pending(10).unwrap();
    assert_eq!(
        stale.len(),
        3,
        "the lookup names the three indexed messages"
    );
    let done = std::thread::scope(|t| {
        t.spawn(|| s.index_texts(usize::MAX).unwrap())
            .join()
            .unwrap()
    });
    assert_eq!(done, 0);
    assert!(
        s.index().text_pending(10).unwrap().is_empty(),
        "REINDEX repaired it"
    );
}

#[test]
fn another_mailboxs_index_is_set_aside_and_its_uidls_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    drop(stored(dir.path(), "pop.a.example/alice"));
    let mut s = Store::open(dir.path(), "pop.b.example/alice", DecodeOptions::default()).unwrap();
    assert!(s.notes[0].contains("another account"), "{:?}", s.notes);
    let rows = s.load(&Folder::Inbox).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].uidl.is_session(),
        "kept, but not under the old server's UIDL"
    );
    assert_eq!(
        rows[0].flags,
        Flags::SEEN,
        "the flag in the file name survives"
    );
    assert!(!rows[0].on_server);
}

#[test]
fn new_decoding_settings_reread_summaries_and_keep_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = stored(dir.path(), "k");
    // One known from `TOP n 0` alone, not stored.
    let top = Uidl::from("uid-top");
    s.apply_server_index(&[(Uidl::from("uid-1"), 30), (top.clone(), 40)], &[])
        .unwrap();
    s.put_summaries(&[(top.clone(), Arc::new(Summary::note("from TOP")))])
        .unwrap();
    drop(s);
    let strict = DecodeOptions {
        strict: true,
        ..DecodeOptions::default()
    };
    let mut s = Store::open(dir.path(), "k", strict).unwrap();
    assert!(s.notes[0].contains("decoding settings"), "{:?}", s.notes);
    let summary = |s: &mut Store, u: &str| {
        s.load(&Folder::Inbox)
            .unwrap()
            .into_iter()
            .find(|r| r.uidl == u)
            .unwrap()
            .summary
            .map(|s| s.subject().to_string())
    };
    // The stored message keeps its summary until its file is read again;
    // the other is read again from the server.
    assert_eq!(summary(&mut s, "uid-1").as_deref(), Some("one"));
    assert_eq!(summary(&mut s, "uid-top"), None);
    s.index_texts(usize::MAX).unwrap();
    assert_eq!(summary(&mut s, "uid-1").as_deref(), Some("one"));
    let rows = s.load(&Folder::Inbox).unwrap();
    let one = rows.iter().find(|r| r.uidl == "uid-1").unwrap();
    assert!(one.stored && one.flags == Flags::SEEN);
}

#[test]
fn a_newer_index_is_set_aside_and_rebuilt_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    drop(stored(dir.path(), "k"));
    let conn = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    assert!(s.notes[0].contains("newer postie"), "{:?}", s.notes);
    let rows = s.load(&Folder::Inbox).unwrap();
    assert_eq!(rows[0].uidl, Uidl::from("uid-1"));
    assert_eq!(rows[0].flags, Flags::SEEN);
    assert_eq!(
        rows[0]
            .summary
            .as_ref()
            .map(|s| s.subject().to_string())
            .as_deref(),
        Some("one")
    );
}

#[test]
fn a_crashed_writers_temp_files_are_removed_and_a_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), "k", DecodeOptions::default()).unwrap());
    let tmp = dir.path().join("INBOX/tmp");
    let dead = tmp.join(".postie-retr-4000000-abc");
    let dead2 = tmp.join("1700000000.M1P4000001Q3.host,U=61,S=3");
    let live = tmp.join(format!(".postie-retr-{}-abc", std::process::id()));
    let foreign = tmp.join("1700000000.12345.otherhost");
    for f in [&dead, &dead2, &live, &foreign] {
        std::fs::write(f, b"partial").unwrap();
    }
    drop(Store::open(dir.path(), "k", DecodeOptions::default()).unwrap());
    assert!(!dead.exists() && !dead2.exists());
    assert!(live.exists(), "a running writer's file is left alone");
    assert!(
        foreign.exists(),
        "another program's fresh file is left alone"
    );
}

#[test]
fn a_session_only_id_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    let err = s.deliver(&Uidl::session(1), b"x", Flags::default(), None);
    assert!(err.is_err());
    assert!(maildir::scan(&s.folder_dir(&Folder::Inbox))
        .unwrap()
        .is_empty());
}

mod text {
    use super::*;
    use crate::store::index::TextQuery;

    fn gbk_base64_body(text: &str) -> Vec<u8> {
        use base64::Engine as _;
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&gbk);
        format!(
            "From: =?gbk?B?{}?= <wang@example.cn>\r\nTo: li@example.cn\r\nSubject: weekly\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n",
            base64::engine::general_purpose::STANDARD.encode(encoding_rs::GBK.encode("王总").0)
        )
        .into_bytes()
    }

    fn utf8_body(text: &str) -> Vec<u8> {
        use base64::Engine as _;
        format!(
            "From: =?gbk?B?{}?= <wang@example.cn>\r\nTo: li@example.cn\r\nSubject: weekly\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n",
            base64::engine::general_purpose::STANDARD.encode(encoding_rs::GBK.encode("王总").0)
        )
        .into_bytes()
    }

    fn any(w: &str) -> TextQuery {
        TextQuery {
            any: vec![w.to_string()],
            ..TextQuery::default()
        }
    }

    #[test]
    fn a_chinese_phrase_in_a_base64_gbk_body_is_found_and_syntax_is_literal() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let (a, b) = (Uidl::from("a"), Uidl::from("b"));
        s.apply_server_index(&[(a.clone(), 100), (b.clone(), 100)], &[])
            .unwrap();
        s.deliver(
            &a,
            &gbk_base64_body("附件是第二季度报告，请查收。"),
            Flags::default(),
            None,
        )
        .unwrap();
        s.deliver(
            &b,
            &gbk_base64_body("明天开会 \"quoted\" NEAR -x*"),
            Flags::default(),
            None,
        )
        .unwrap();
        // A summary read from the server is replaced by the file's own.
        s.put_summaries(&[(b.clone(), Arc::new(Summary::note("草稿 notes")))])
            .unwrap();
        let found = |s: &mut Store, q: &TextQuery| -> Vec<String> {
            s.search_text(q)
                .unwrap()
                .into_iter()
                .map(|f| f.uidl)
                .collect()
        };
        assert_eq!(found(&mut s, &any("季度报告")), ["a"]);
        // The sender, decoded, and the recipients are indexed too.
        // Two characters: subjects and senders only (each summary is read
        // from its file when its text is indexed, b's note replaced).
        assert_eq!(found(&mut s, &any("王总")), ["b", "a"]);
        assert_eq!(found(&mut s, &any("王总 <wang")), ["b", "a"]);
        let to = TextQuery {
            to: vec!["li@example".into()],
            ..TextQuery::default()
        };
        assert_eq!(found(&mut s, &to).len(), 2);
        // FTS5 syntax is taken literally: no error, only real matches.
        for q in ["\"quoted\"", "NEAR", "-x*", "\"", "a AND b", "(季度", "*"] {
            let r = s.search_text(&any(q));
            assert!(r.is_ok(), "{q}: {r:?}");
        }
        assert_eq!(found(&mut s, &any("-x*")), ["b"]);
        assert_eq!(found(&mut s, &any("\"quoted\"")), ["b"]);
        // Short words scan subjects and senders (LIKE wildcards literal).
        assert_eq!(found(&mut s, &any("ek")), ["b", "a"]);
        // One and two Chinese characters find bodies too (the grams index):
        // a word inside a run, a run's last character, a two-letter word.
        let body = |w: &str| TextQuery {
            body: vec![w.into()],
            ..TextQuery::default()
        };
        assert_eq!(found(&mut s, &body("报告")), ["a"]);
        assert_eq!(found(&mut s, &any("季度")), ["a"]);
        assert_eq!(found(&mut s, &body("开会")), ["b"]);
        assert_eq!(found(&mut s, &body("查")), ["a"]);
        assert_eq!(found(&mut s, &body("收")), ["a"]);
        assert_eq!(found(&mut s, &body("明")), ["b"]);
        assert!(found(&mut s, &body("预算")).is_empty());
        let to = |w: &str| TextQuery {
            to: vec![w.into()],
            ..TextQuery::default()
        };
        assert_eq!(found(&mut s, &to("li")), ["b", "a"]);
        assert!(found(&mut s, &to("报告")).is_empty());
        assert!(found(&mut s, &any("%")).is_empty());
        // A message removed for good leaves the index.
        s.delete("a").unwrap();
        assert!(found(&mut s, &any("季度报告")).is_empty());
    }

    #[test]
    fn a_part_of_a_word_is_found_in_its_field_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let a = Uidl::from("a");
        s.apply_server_index(&[(a.clone(), 100)], &[]).unwrap();
        s.deliver(
            &a,
            &utf8_body("The Quarterly REPORT, exported 2024-06-08. हिंदी"),
            Flags::default(),
            None,
        )
        .unwrap();
        let found = |s: &mut Store, q: TextQuery| -> usize { s.search_text(&q).unwrap().len() };
        let body = |w: &str| TextQuery {
            body: vec![w.into()],
            ..TextQuery::default()
        };
        let to = |w: &str| TextQuery {
            to: vec![w.into()],
            ..TextQuery::default()
        };
        // Inside a word, at its start or end, any case.
        for w in [
            "port", "Report", "xport", "quart", "terly", "2024-06", "06-08.",
        ] {
            assert_eq!(found(&mut s, body(w)), 1, "{w}");
        }
        // Each field is its own: the recipient's domain is not in the body,
        // the body's words are not recipients.
        assert_eq!(found(&mut s, to("ample")), 1);
        assert_eq!(found(&mut s, body("ample")), 0);
        assert_eq!(found(&mut s, to("port")), 0);
        assert_eq!(found(&mut s, body("reports")), 0);
        assert_eq!(found(&mut s, body("2025")), 0);
        // Words whose letters include marks are kept whole by the index.
        assert_eq!(found(&mut s, body("हिंदी")), 1);
        assert_eq!(found(&mut s, body("िंद")), 1);
        // Anywhere: the sender's decoded name and address too.
        assert_eq!(found(&mut s, any("王总")), 1);
        assert_eq!(found(&mut s, any("wang@exam")), 1);
    }

    #[test]
    fn an_index_of_schema_3_is_indexed_again_into_words() {
        let dir = tempfile::tempdir().unwrap();
        let a = Uidl::from("a");
        {
            let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
            s.apply_server_index(&[(a.clone(), 100)], &[]).unwrap();
            s.deliver(&a, &gbk_base64_body("季度报告"), Flags::default(), None)
                .unwrap();
            s.index_texts(usize::MAX).unwrap();
        }
        // Back to what schema 3 kept: a trigram table and a grams table.
        let conn = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
        conn.execute_batch(
            "DROP TABLE words_vocab; DROP TABLE words;
             CREATE VIRTUAL TABLE text USING fts5(subject, sender, recipients, body, names,
               tokenize = 'trigram', content = '', contentless_delete = 1);
             CREATE VIRTUAL TABLE grams USING fts5(g, content = '', contentless_delete = 1, detail = none);
             PRAGMA user_version = 3;",
        )
        .unwrap();
        drop(conn);
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        assert_eq!(s.search_text(&any("季度报告")).unwrap().len(), 1);
        let conn = rusqlite::Connection::open(dir.path().join(INDEX_FILE)).unwrap();
        let old: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('text', 'grams')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old, 0);
    }

    #[test]
    fn an_import_recorded_twice_keeps_one_row_with_its_summary_and_words() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
        let bytes = gbk_base64_body("季度报告");
        let id = crate::store::import::import_id(&bytes);
        let items: Vec<crate::store::import::Incoming> =
            vec![(id.clone(), bytes.clone().into(), Flags::SEEN)];
        let folder = Folder::Own("old".into());
        for _ in 0..2 {
            let w = s.import_write(&folder, &items).unwrap();
            let r = crate::store::texts::render_for_index(&bytes, &DecodeOptions::default());
            assert_eq!(s.import_record(&w, vec![Some(r)]).unwrap(), 1);
        }
        let rows = s.load(&folder).unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0]
                .summary
                .as_ref()
                .map(|m| m.subject().to_string())
                .as_deref(),
            Some("weekly")
        );
        assert_eq!(s.search_text(&any("季度报告")).unwrap().len(), 1);
        assert_eq!(s.search_text(&any("王总")).unwrap().len(), 1);
    }
}

#[test]
fn a_server_index_of_many_new_messages_is_recorded_in_order_without_session_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    // 150 new rows: written 64 to a statement, so three statements, the
    // last one short; a session's own id among them gets no row.
    let mut new: Vec<(Uidl, u64)> = (0..150)
        .map(|i| (Uidl::from(format!("u{i:03}").as_str()), 1000 + i))
        .collect();
    new.insert(70, (Uidl::session(7), 5));
    s.apply_server_index(&new, &[]).unwrap();
    let rows = s.load(&Folder::Inbox).unwrap();
    assert_eq!(rows.len(), 150);
    let mut by_seq = rows.clone();
    by_seq.sort_by_key(|r| r.seq);
    for (i, r) in by_seq.iter().enumerate() {
        assert_eq!(r.uidl.as_str(), format!("u{i:03}"));
        assert_eq!(r.size, 1000 + i as u64);
        assert!(r.on_server && !r.stored && r.summary.is_none());
    }
    let seqs: Vec<i64> = by_seq.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    // Again, with one gone and one back with a new size: the rest keep
    // their rows and order, the new one comes after them.
    s.apply_server_index(
        &[(Uidl::from("u010"), 7), (Uidl::from("u999"), 9)],
        &[Uidl::from("u020")],
    )
    .unwrap();
    let rows = s.load(&Folder::Inbox).unwrap();
    assert_eq!(rows.len(), 150);
    let get = |u: &str| rows.iter().find(|r| r.uidl.as_str() == u).unwrap();
    assert!(rows.iter().all(|r| r.uidl.as_str() != "u020"));
    assert_eq!((get("u010").size, get("u010").seq), (7, seqs[10]));
    assert!(get("u999").seq > *seqs.last().unwrap());
}

#[test]
fn a_listings_new_rows_go_in_whole_in_the_index_order_whatever_order_they_come() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), "k", DecodeOptions::default()).unwrap();
    s.apply_server_index(&[(Uidl::from("old"), 5)], &[])
        .unwrap();
    let first = s.first_free_seq().unwrap();
    // 100 new messages, oldest first u000; headers read newest first, in
    // two chunks; u050's could not be had; a session id is never a row.
    let fresh = |i: u32, summary: bool| FreshRow {
        uidl: Uidl::from(format!("u{i:03}").as_str()),
        size: 1000 + u64::from(i),
        order: i,
        summary: summary.then(|| {
            Arc::new(Summary::whole(&crate::mime::SummaryParts {
                subject: &format!("主题 {i}"),
                from: "张伟",
                from_address: "zw@example.cn",
                recipient: "王芳",
                ids: ["<m@x>", "<p@x>", "<r@x> <p@x>", "r@x"],
                date_raw: "",
                date: Some((1_700_000_000 + i64::from(i), 480)),
                maybe_attachment: i % 2 == 0,
            }))
        }),
    };
    let read: Vec<FreshRow> = (0..100)
        .rev()
        .filter(|&i| i != 50)
        .map(|i| fresh(i, true))
        .collect();
    s.insert_fresh(&read[..70], first).unwrap();
    let mut rest = read[70..].to_vec();
    rest.push(fresh(50, false));
    rest.push(FreshRow {
        uidl: Uidl::session(3),
        ..fresh(7, false)
    });
    s.insert_fresh(&rest, first).unwrap();
    let mut rows = s.load(&Folder::Inbox).unwrap();
    assert_eq!(rows.len(), 101);
    rows.sort_by_key(|r| r.seq);
    assert_eq!(rows[0].uidl.as_str(), "old");
    for (i, r) in rows[1..].iter().enumerate() {
        assert_eq!(r.uidl.as_str(), format!("u{i:03}"));
        assert_eq!((r.size, r.seq), (1000 + i as u64, first + i as i64));
        assert!(r.on_server && !r.stored);
        if i == 50 {
            assert!(r.summary.is_none(), "a bare row keeps no summary");
            continue;
        }
        let m = r.summary.as_deref().unwrap();
        assert_eq!(m.subject(), format!("主题 {i}"));
        assert_eq!(
            (m.from(), m.from_address(), m.recipient()),
            ("张伟", "zw@example.cn", "王芳")
        );
        assert_eq!(m.timestamp(), Some(1_700_000_000 + i as i64));
        assert_eq!(
            (m.offset_minutes(), m.maybe_attachment()),
            (480, i % 2 == 0)
        );
        assert_eq!(m.references(), "<r@x> <p@x>");
        assert_eq!(
            (m.message_id(), m.in_reply_to(), m.reply_to()),
            ("<m@x>", "<p@x>", "r@x")
        );
    }
    // One already there (another process wrote it): on the server, resized.
    s.insert_fresh(
        &[FreshRow {
            size: 7,
            ..fresh(3, false)
        }],
        first,
    )
    .unwrap();
    let rows = s.load(&Folder::Inbox).unwrap();
    let u3 = rows.iter().find(|r| r.uidl.as_str() == "u003").unwrap();
    assert_eq!(u3.size, 7);
    assert_eq!(u3.summary.as_deref().unwrap().subject(), "主题 3");
}
