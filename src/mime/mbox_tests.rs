//! mbox splitting, quoting and status headers, both ways.

use super::*;

fn read_all(bytes: &[u8]) -> Vec<Item> {
    let mut r = MboxReader::new(bytes);
    let mut out = Vec::new();
    while let Some(m) = r.next_message().unwrap() {
        out.push(m);
    }
    out
}

#[test]
fn splits_on_from_lines_and_unquotes_one_level() {
    let mbox = b"From a@b Sat Jun  8 10:00:00 2024\nSubject: one\n\n>From here\n>>From there\nFrom-ish\n\nFrom - Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n\n";
    let got = read_all(mbox);
    assert_eq!(got.len(), 2);
    let one = got[0].as_ref().unwrap();
    assert_eq!(one.offset, 0);
    assert_eq!(
        one.bytes,
        b"Subject: one\n\nFrom here\n>From there\nFrom-ish\n".to_vec()
    );
    let two = got[1].as_ref().unwrap();
    assert_eq!(two.bytes, b"Subject: two\n\nbody\n".to_vec());
    assert_eq!(
        &mbox[two.offset as usize..two.offset as usize + 6],
        b"From -"
    );
}

#[test]
fn text_before_the_first_from_line_is_not_a_message() {
    assert!(read_all(b"garbage\n\n").is_empty());
    assert!(looks_like_mbox(b"\n\nFrom x Mon Jan  1 00:00:00 2024\n"));
    assert!(!looks_like_mbox(b"Subject: x\n\n"));
}

#[test]
fn mutt_and_thunderbird_status_headers_become_flags_and_go() {
    let m = b"Subject: s\nStatus: RO\nX-Status: AF\nTo: x\n\nStatus: not a header\n";
    let (flags, rest) = take_status(m);
    let f = flags.unwrap();
    assert!(f.seen && f.answered && f.flagged && !f.deleted);
    assert_eq!(
        rest,
        b"Subject: s\nTo: x\n\nStatus: not a header\n".to_vec()
    );
    // Thunderbird: read + replied + marked = 0007; expunged 0008; folded away too.
    let m = b"X-Mozilla-Status: 0009\r\nX-Mozilla-Status2: 00800000\r\n\tfolded\r\nSubject: t\r\n\r\nb\r\n";
    let (flags, rest) = take_status(m);
    let f = flags.unwrap();
    assert!(f.seen && f.deleted && f.mdn_sent && !f.flagged && !f.answered);
    assert_eq!(rest, b"Subject: t\r\n\r\nb\r\n".to_vec());
    let (none, same) = take_status(b"Subject: u\n\nx\n");
    assert_eq!(none, None);
    assert_eq!(same, b"Subject: u\n\nx\n".to_vec());
}

#[test]
fn written_mboxrd_reads_back_to_the_same_bytes_and_flags() {
    let when = chrono::DateTime::from_timestamp(1_717_840_800, 0).unwrap();
    let cases: [(&[u8], MboxFlags); 4] = [
        (
            b"From: a@b\r\nSubject: x\r\n\r\nFrom the start\r\n>From quoted\r\n\r\n",
            MboxFlags {
                seen: true,
                flagged: true,
                ..MboxFlags::default()
            },
        ),
        (b"Subject: lf\n\nbody\n", MboxFlags::default()),
        (
            b"Subject: head only\n",
            MboxFlags {
                answered: true,
                deleted: true,
                forwarded: true,
                mdn_sent: true,
                ..MboxFlags::default()
            },
        ),
        (b"Subject: ends blank\n\nx\n\n", MboxFlags::default()),
    ];
    let mut out = Vec::new();
    for (m, f) in &cases {
        write_mboxrd(&mut out, "a@b", &when, m, *f).unwrap();
    }
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("From a@b Sat Jun  8 10:00:00 2024\n"),
        "{text}"
    );
    assert!(text.contains(">From the start\r\n>>From quoted"), "{text}");
    let back = read_all(&out);
    assert_eq!(back.len(), cases.len());
    for (got, (m, f)) in back.iter().zip(&cases) {
        let (flags, bytes) = take_status(&got.as_ref().unwrap().bytes);
        assert_eq!(&bytes, m);
        assert_eq!(flags.unwrap(), *f);
    }
}

#[test]
fn a_message_over_the_limit_is_reported_and_the_next_one_kept() {
    let mbox = b"From a\nSubject: big\n\n0123456789\n0123456789\n\nFrom b\nSubject: small\n\nx\n";
    let mut r = MboxReader::new(&mbox[..]).with_limit(30);
    let big = r.next_message().unwrap().unwrap();
    assert_eq!(
        big,
        Err(TooBig {
            offset: 0,
            bytes: 37
        })
    );
    let small = r.next_message().unwrap().unwrap().unwrap();
    assert_eq!(small.bytes, b"Subject: small\n\nx\n".to_vec());
    assert!(r.next_message().unwrap().is_none());
}

#[test]
fn a_foxmail_box_splits_at_its_marks() {
    let mark = b"\x10\x10\x10\x10\x10\x10\x10\x11\x11\x11\x11\x11\x11S\r\n";
    let mut file = Vec::new();
    file.extend_from_slice(mark);
    file.extend_from_slice(b"Return-Path: <a@b>\r\nSubject: one\r\n\r\nbody\r\n");
    file.extend_from_slice(mark);
    file.extend_from_slice(b"Subject: two\r\n\r\nno end of line");
    file.extend_from_slice(mark);
    file.extend_from_slice(b"Subject: three\r\n\r\nx\r\n");
    assert!(looks_like_foxmail_box(&file));
    assert!(!looks_like_foxmail_box(b"From x\n"));
    let mut r = FoxmailBoxReader::new(&file[..]);
    let mut got = Vec::new();
    while let Some(m) = r.next_message().unwrap() {
        got.push(m.unwrap().bytes);
    }
    assert_eq!(
        got,
        vec![
            b"Return-Path: <a@b>\r\nSubject: one\r\n\r\nbody\r\n".to_vec(),
            b"Subject: two\r\n\r\nno end of line".to_vec(),
            b"Subject: three\r\n\r\nx\r\n".to_vec(),
        ]
    );
    assert_eq!(r.position(), file.len() as u64);
}
