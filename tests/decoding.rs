//! The decoding corpus (`tests/fixtures/`, made by `generate.py` from Unicode
//! text with Python's own codecs): every fixture's subject, sender, date, body
//! and attachments are checked character by character against the text a
//! person should see, through both the list path (headers only, as `TOP n 0`
//! returns them) and the reader path (the whole message). Then every string
//! that can reach the terminal is checked for control characters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

use postie::mime::{DecodeOptions, Rendered, Summary};
use postie::text::sanitize::is_clean;
use serde_json::Value;

mod common;
use common::hostile as bounded;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn corpus() -> Vec<(Value, Vec<u8>)> {
    let expected: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/expected.json")).expect("expected.json"),
    )
    .expect("valid JSON");
    expected
        .into_iter()
        .map(|e| {
            let bytes =
                std::fs::read(format!("{DIR}/{}", e["file"].as_str().unwrap())).expect("fixture");
            (e, bytes)
        })
        .collect()
}

/// The header block, as `TOP n 0` would return it.
fn headers_only(raw: &[u8]) -> &[u8] {
    for (i, w) in raw.windows(2).enumerate() {
        if w == b"\n\n" {
            return &raw[..i + 2];
        }
        if i + 3 < raw.len() && &raw[i..i + 4] == b"\r\n\r\n" {
            return &raw[..i + 4];
        }
    }
    raw
}

/// Equality reported at the first differing character, with code points.
fn same_text(file: &str, what: &str, actual: &str, expected: &str) -> Result<(), String> {
    if actual == expected {
        return Ok(());
    }
    let a: Vec<char> = actual.chars().collect();
    let e: Vec<char> = expected.chars().collect();
    let i = a
        .iter()
        .zip(&e)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(e.len()));
    Err(format!(
        "{file}: {what} differs at character {i}: got {:?} (U+{:04X}), want {:?} (U+{:04X})\n  got:  {actual:?}\n  want: {expected:?}",
        a.get(i).copied().unwrap_or(' '),
        a.get(i).map(|&c| c as u32).unwrap_or(0),
        e.get(i).copied().unwrap_or(' '),
        e.get(i).map(|&c| c as u32).unwrap_or(0),
    ))
}

fn check(e: &Value, raw: &[u8]) -> Vec<String> {
    let file = e["file"].as_str().unwrap();
    let opts = DecodeOptions::default();
    let summary = Summary::from_headers(headers_only(raw), &opts);
    let full = Rendered::from_message(raw, &opts);
    let mut errors = Vec::new();
    let mut eq = |what: &str, actual: &str, expected: &str| {
        if let Err(msg) = same_text(file, what, actual, expected) {
            errors.push(msg);
        }
    };
    if let Some(s) = e["subject"].as_str() {
        eq("list subject", summary.subject(), s);
        eq("reader subject", &full.subject, s);
    }
    if let Some(f) = e["from"].as_str() {
        eq("list sender", summary.from(), f);
        let shown = full.from.split(" <").next().unwrap_or("");
        eq("reader sender", shown, f);
    }
    if let Some(a) = e["from_address"].as_str() {
        eq("list address", summary.from_address(), a);
    }
    if let Some(t) = e["to"].as_str() {
        eq("reader To", &full.to, t);
    }
    if let Some(c) = e["cc"].as_str() {
        eq("reader Cc", &full.cc, c);
    }
    match e.get("date") {
        Some(Value::String(d)) => eq(
            "list date",
            summary.date_rfc3339().as_deref().unwrap_or(""),
            d,
        ),
        Some(Value::Null) if summary.date_rfc3339().is_some() => {
            errors.push(format!(
                "{file}: a broken date was read as {:?}",
                summary.date_rfc3339()
            ));
        }
        _ => {}
    }
    if let Some(d) = e["date_shown"].as_str() {
        let mut eq = |what: &str, actual: &str, expected: &str| {
            if let Err(msg) = same_text(file, what, actual, expected) {
                errors.push(msg);
            }
        };
        eq("list date as written", &summary.list_date(), d);
        eq("reader date as written", &full.date, d);
    }
    for want in e["body_has"].as_array().into_iter().flatten() {
        let want = want.as_str().unwrap();
        if !full.body.contains(want) {
            errors.push(format!(
                "{file}: body lacks {want:?}\n  body: {:?}",
                full.body
            ));
        }
    }
    for unwanted in e["body_lacks"].as_array().into_iter().flatten() {
        let unwanted = unwanted.as_str().unwrap();
        if full.body.contains(unwanted) {
            errors.push(format!(
                "{file}: body has {unwanted:?}\n  body: {:?}",
                full.body
            ));
        }
    }
    if let Some(start) = e["body_starts"].as_str() {
        if !full.body.starts_with(start) {
            errors.push(format!(
                "{file}: body does not start with {start:?}: {:?}",
                full.body
            ));
        }
    }
    if let Some(list) = e["attachments"].as_array() {
        let got: Vec<(String, u64)> = full
            .attachments
            .iter()
            .map(|a| (a.name.clone(), a.size))
            .collect();
        let want: Vec<(String, u64)> = list
            .iter()
            .map(|a| (a[0].as_str().unwrap().to_string(), a[1].as_u64().unwrap()))
            .collect();
        if got.len() != want.len() {
            errors.push(format!("{file}: attachments {got:?}, want {want:?}"));
        } else {
            for ((gn, gs), (wn, ws)) in got.iter().zip(&want) {
                if let Err(m) = same_text(file, "attachment name", gn, wn) {
                    errors.push(m);
                }
                if gs != ws {
                    errors.push(format!("{file}: attachment {wn} is {gs} bytes, want {ws}"));
                }
            }
        }
    }
    errors
}

#[test]
fn every_fixture_reads_as_a_person_expects() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 40,
        "the corpus has {} fixtures",
        corpus.len()
    );
    let errors: Vec<String> = corpus.iter().flat_map(|(e, raw)| check(e, raw)).collect();
    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// Every string that can reach the terminal, from every fixture and every demo message.
fn shown_strings(raw: &[u8]) -> Vec<String> {
    let opts = DecodeOptions::default();
    let s = Summary::from_headers(headers_only(raw), &opts);
    let r = Rendered::from_message(raw, &opts);
    let list_date = s.list_date();
    let mut all = vec![
        s.subject().to_string(),
        s.from().to_string(),
        s.from_address().to_string(),
        s.date_raw().to_string(),
        list_date,
        r.to_text(),
    ];
    all.extend(r.attachments.iter().map(|a| a.name.clone()));
    all.extend(r.attachments.iter().map(|a| a.mime_type.clone()));
    all
}

#[test]
fn nothing_a_message_sends_reaches_the_terminal_unsanitised() {
    let mut inputs: Vec<(String, Vec<u8>)> = corpus()
        .into_iter()
        .map(|(e, raw)| (e["file"].as_str().unwrap().to_string(), raw))
        .collect();
    inputs.extend(
        postie::demo::FILES
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec())),
    );
    for (name, raw) in &inputs {
        for s in shown_strings(raw) {
            assert!(
                is_clean(&s),
                "{name}: control or bidi character survives in {s:?}"
            );
            assert!(
                !s.contains('\t') && !s.contains('\r'),
                "{name}: tab or CR survives in {s:?}"
            );
        }
    }
}

#[test]
fn strict_mode_and_fallback_charset_change_what_they_should() {
    let (_, seed) = corpus().into_iter().next().unwrap();
    let strict = DecodeOptions {
        strict: true,
        fallback: None,
    };
    assert_eq!(Summary::from_headers(&seed, &strict).subject(), "ÓÊ¼þÊ¾Àý");
    assert_eq!(Summary::from_headers(&seed, &strict).from(), "³Â¿¡Çå");
    // A raw GBK subject with no charset anywhere: the account's fallback decides.
    let (subject, _, _) = encoding_rs::GBK.encode("短主题");
    let mut raw = b"From: a@b.c\r\nSubject: ".to_vec();
    raw.extend_from_slice(&subject);
    raw.extend_from_slice(b"\r\n\r\n");
    let fallback = DecodeOptions {
        strict: false,
        fallback: Some(encoding_rs::GBK),
    };
    assert_eq!(Summary::from_headers(&raw, &fallback).subject(), "短主题");
}

#[test]
fn a_100000_character_header_decodes() {
    let raw = bounded::huge_header();
    assert!(raw.len() > 100_000);
    // The reader shows the whole subject, every word decoded.
    let r = Rendered::from_message(&raw, &DecodeOptions::default());
    assert!(
        r.subject.starts_with("=?x 中 =?x 中"),
        "{}",
        &r.subject[..40]
    );
    assert_eq!(r.subject.matches('中').count(), 10_000);
    // The list's summary keeps its first 7 KB (a list row shows one line;
    // 100,000 summaries stay small), cut on a character, decoded the same.
    let s = Summary::from_headers(&raw, &DecodeOptions::default());
    assert!(r.subject.starts_with(s.subject()));
    assert!(
        (7_000..=65_535 / 9).contains(&s.subject().len()),
        "{}",
        s.subject().len()
    );
    assert_eq!(s.from_address(), "a@b.c");
}

#[test]
fn ten_thousand_received_lines_decode() {
    let raw = bounded::many_received();
    let s = Summary::from_headers(&raw, &DecodeOptions::default());
    assert_eq!(s.subject(), "many hops");
    assert_eq!(
        Rendered::from_message(&raw, &DecodeOptions::default()).body,
        "body"
    );
}

#[test]
fn a_5_mb_base64_attachment_decodes_to_its_size() {
    let r = Rendered::from_message(&bounded::big_attachment(), &DecodeOptions::default());
    assert_eq!(r.body, "see attached");
    assert_eq!(r.attachments.len(), 1);
    assert_eq!(r.attachments[0].name, "big.bin");
    assert_eq!(r.attachments[0].size, 5 * 1024 * 1024);
}

#[test]
fn a_thousand_nested_multiparts_stop_at_the_depth_limit() {
    let r = Rendered::from_message(&bounded::deeply_nested(), &DecodeOptions::default());
    assert!(!r.body.contains("the bottom"));
    assert!(r.body.contains("nested too deeply"), "{}", r.body);
    assert_eq!(r.subject, "deep");
}

/// The streaming scan a large stored message gets (the reader never holds
/// it whole) lists the same attachments, names and decoded sizes as the full
/// decode, on every fixture, every demo message and the big ones.
#[test]
fn the_streaming_attachment_scan_agrees_with_the_full_decode() {
    let opts = DecodeOptions::default();
    let mut messages: Vec<(String, Vec<u8>)> = corpus()
        .into_iter()
        .map(|(e, b)| (e["file"].as_str().unwrap().to_string(), b))
        .collect();
    for (name, bytes) in postie::demo::FILES {
        messages.push((name.to_string(), postie::demo::to_crlf(bytes)));
        messages.push((format!("{name} (LF)"), bytes.to_vec()));
    }
    messages.push(("5 MB base64".into(), bounded::big_attachment()));
    let mut with_attachments = 0;
    for (name, raw) in &messages {
        let full = Rendered::from_message(raw, &opts).attachments;
        let scanned = postie::mime::scan_attachments(std::io::Cursor::new(raw), &opts).unwrap();
        assert_eq!(scanned, full, "{name}");
        with_attachments += usize::from(!full.is_empty());
    }
    assert!(with_attachments >= 8, "{with_attachments}");
    // And the large-message rendering: the text of the head, every attachment.
    let big = bounded::big_attachment();
    let r = postie::mime::render_large(&mut std::io::Cursor::new(&big), &opts).unwrap();
    assert!(r.body.starts_with("see attached"), "{}", r.body);
    assert!(
        r.body.contains("the text of its first 1.0M is shown"),
        "{}",
        r.body
    );
    assert_eq!(r.attachments.len(), 1);
    assert_eq!(r.attachments[0].size, 5 * 1024 * 1024);
}

#[test]
fn foxmail_multipart_reads_alike_in_the_list_and_the_reader() {
    let (e, raw) = corpus()
        .into_iter()
        .find(|(e, _)| e.get("foxmail_subject").is_some())
        .expect("the foxmail-multipart fixture");
    let want = e["foxmail_subject"].as_str().unwrap();
    let who = e["foxmail_from"].as_str().unwrap();
    let plain = DecodeOptions::default();
    // The reader: the first text part declares gb2312.
    let full = Rendered::from_message(&raw, &plain);
    assert_eq!(full.subject, want);
    assert!(full.from.starts_with(who), "{}", full.from);
    // The list from a reply that carries the body (a stored copy): the same part decides.
    let s = Summary::from_headers(&raw, &plain);
    assert_eq!((s.subject(), s.from()), (want, who));
    // TOP n 0 has no body: the account's fallback_charset decides.
    let gbk = DecodeOptions {
        fallback: encoding_rs::Encoding::for_label(b"gbk"),
        strict: false,
    };
    let s = Summary::from_headers(headers_only(&raw), &gbk);
    assert_eq!((s.subject(), s.from()), (want, who));
    // Without either, the Latin-1-labelled words judged together are GBK
    // (`decoding = "smart"`, the default); `strict` takes them as labelled.
    let s = Summary::from_headers(headers_only(&raw), &plain);
    assert_eq!((s.subject(), s.from()), (want, who));
    let strict = DecodeOptions {
        fallback: None,
        strict: true,
    };
    let s = Summary::from_headers(headers_only(&raw), &strict);
    assert_eq!(s.subject(), "ÓÊ¼þÊ¾Àý");
    // The reader's message carries the list's summary, decoded alike.
    let carried = full.summary.as_deref().expect("a summary with the message");
    assert_eq!((carried.subject(), carried.from()), (want, who));
}

/// Found by fuzzing (fuzz/fuzz_targets/mime_render.rs): a Date in the year
/// 20224 made chrono's RFC 2822 formatting panic in the reader and in
/// `postie show`. Such a date is unreadable: shown as written.
#[test]
fn a_date_beyond_year_9999_is_shown_as_written_not_a_panic() {
    let raw = b"From: T <t@example.com>\r\nDate: Tue, 04 Jun 20224 10:15:00 +0800\r\nSubject: far future\r\n\r\nbody\r\n";
    let opts = DecodeOptions::default();
    let r = Rendered::from_message(raw, &opts);
    assert_eq!(r.date, "Tue, 04 Jun 20224 10:15:00 +0800");
    let s = Summary::from_headers(raw, &opts);
    assert_eq!(s.date_rfc3339(), None);
    assert!(!s.list_date().is_empty());
}
