use super::*;

/// Decodes a whole reply (status, then a body if `multiline`), feeding `chunk` bytes at a time.
fn decode(wire: &[u8], multiline: bool, chunk: usize) -> (StatusLine, Option<Vec<u8>>, usize) {
    let mut d = Decoder::new();
    let mut fed = 0;
    let mut status = None;
    let mut body = Vec::new();
    loop {
        if status.is_none() {
            status = d.status().unwrap();
            if let Some(s) = &status {
                if !(multiline && s.is_ok()) {
                    return (s.clone(), None, d.buffered());
                }
            }
        }
        if let Some(s) = &status {
            if d.body(&mut body).unwrap() == BodyProgress::Done {
                return (s.clone(), Some(body), d.buffered());
            }
        }
        assert!(fed < wire.len(), "reply ended early");
        let end = (fed + chunk).min(wire.len());
        d.feed(&wire[fed..end]);
        fed = end;
    }
}

#[test]
fn rfc1939_list_example_in_any_chunking() {
    let wire = b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n";
    for chunk in [1, 2, 3, 7, wire.len()] {
        let (s, body, left) = decode(wire, true, chunk);
        assert!(s.is_ok());
        assert_eq!(s.text, "2 messages (320 octets)");
        let body = body.unwrap();
        assert_eq!(body, b"1 120\r\n2 200\r\n");
        assert_eq!(
            parse_listing(&body, parse_scan_listing).unwrap(),
            vec![(1, 120), (2, 200)]
        );
        assert_eq!(left, 0);
    }
}

#[test]
fn rfc1939_uidl_example() {
    let (_, body, _) = decode(
        b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
        true,
        1,
    );
    assert_eq!(
        parse_listing(&body.unwrap(), parse_uid_listing).unwrap(),
        vec![
            (1, "whqtswO00WBw418f9t5JxYwZ".into()),
            (2, "QhdPYR:00WBw1Ph7x7".into())
        ]
    );
}

#[test]
fn dot_stuffing_is_undone_and_the_terminator_is_exact() {
    // Body lines: "..", ".hidden", ".", "" and a line "end." ; on the wire each leading dot is doubled.
    let wire = b"+OK\r\n...\r\n..hidden\r\n..\r\n\r\nend.\r\n.\r\n+OK next\r\n";
    for chunk in 1..=wire.len() {
        let (_, body, left) = decode(wire, true, chunk);
        assert_eq!(
            body.unwrap(),
            b"..\r\n.hidden\r\n.\r\n\r\nend.\r\n",
            "chunk {chunk}"
        );
        // The next reply stays in the buffer, untouched.
        assert!(left <= b"+OK next\r\n".len());
    }
}

#[test]
fn a_body_that_is_only_a_dot_line() {
    let (_, body, _) = decode(b"+OK\r\n..\r\n.\r\n", true, 1);
    assert_eq!(body.unwrap(), b".\r\n");
    let (_, body, _) = decode(b"+OK\r\n.\r\n", true, 1);
    assert_eq!(body.unwrap(), b"");
}

#[test]
fn lf_only_line_ends_are_tolerated_and_kept() {
    let (s, body, _) = decode(b"+OK fine\n1 10\n..x\n.\n", true, 1);
    assert_eq!(s.text, "fine");
    assert_eq!(body.unwrap(), b"1 10\n.x\n");
}

#[test]
fn dot_cr_without_lf_is_data_not_a_terminator() {
    let (_, body, _) = decode(b"+OK\r\n.\rX\r\n.\r\n", true, 1);
    assert_eq!(body.unwrap(), b".\rX\r\n");
}

#[test]
fn status_lines_real_servers_send() {
    let p = |s: &[u8]| {
        let mut d = Decoder::new();
        d.feed(s);
        d.status()
    };
    assert_eq!(
        p(b"+ok\r\n").unwrap().unwrap(),
        StatusLine {
            kind: StatusKind::Ok,
            text: "".into()
        }
    );
    assert_eq!(p(b"+OK   \r\n").unwrap().unwrap().text, "");
    assert_eq!(
        p(b"+OK Dovecot ready. <1.2@h>  \r\n")
            .unwrap()
            .unwrap()
            .text,
        "Dovecot ready. <1.2@h>"
    );
    assert_eq!(p(b"-err nope\n").unwrap().unwrap().kind, StatusKind::Err);
    assert_eq!(
        p(b"+ \r\n").unwrap().unwrap().kind,
        StatusKind::Continuation
    );
    assert_eq!(p(b"+OK").unwrap(), None, "incomplete line waits");
    assert!(matches!(
        p(b"HTTP/1.1 400 Bad\r\n"),
        Err(CodecError::BadStatus(_))
    ));
    assert!(matches!(p(b"+OKAY\r\n"), Err(CodecError::BadStatus(_))));
    assert!(matches!(p(b"\r\n"), Err(CodecError::BadStatus(_))));
}

#[test]
fn over_long_status_line_is_an_error_not_an_allocation() {
    let mut d = Decoder::new();
    d.feed(b"+OK ");
    let junk = vec![b'x'; 4096];
    let mut result = Ok(None);
    for _ in 0..4 {
        d.feed(&junk);
        result = d.status();
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(CodecError::LineTooLong));
    let mut d = Decoder::new();
    let mut long = b"+OK ".to_vec();
    long.extend(vec![b'y'; MAX_STATUS_LINE + 10]);
    long.extend_from_slice(b"\r\n");
    d.feed(&long);
    assert_eq!(d.status(), Err(CodecError::LineTooLong));
}

#[test]
fn ten_megabyte_body_line_streams_in_pieces() {
    let mut d = Decoder::new();
    d.feed(b"+OK\r\n");
    assert!(d.status().unwrap().unwrap().is_ok());
    let chunk = vec![b'a'; 64 * 1024];
    let mut total = 0;
    let mut out = Vec::new();
    for _ in 0..160 {
        d.feed(&chunk);
        assert_eq!(d.body(&mut out).unwrap(), BodyProgress::NeedMore);
        total += out.len();
        out.clear();
        assert!(d.buffered() < 8, "decoder must not hold the line");
    }
    d.feed(b"\r\n.\r\n");
    assert_eq!(d.body(&mut out).unwrap(), BodyProgress::Done);
    total += out.len();
    assert_eq!(total, 160 * 64 * 1024 + 2);
}

#[test]
fn err_reply_to_a_multiline_command_has_no_body() {
    let wire = b"-ERR [SYS/TEMP] no such message\r\n+OK\r\n";
    let (s, body, left) = decode(wire, true, wire.len());
    assert_eq!(s.kind, StatusKind::Err);
    assert_eq!(body, None);
    assert_eq!(s.code(), Some(ResponseCode::SysTemp));
    assert_eq!(
        left,
        b"+OK\r\n".len(),
        "the next reply is left for the next command"
    );
}

#[test]
fn response_codes() {
    assert_eq!(
        ResponseCode::parse("[IN-USE] locked"),
        Some(ResponseCode::InUse)
    );
    assert_eq!(
        ResponseCode::parse("[login-delay] wait"),
        Some(ResponseCode::LoginDelay)
    );
    assert_eq!(
        ResponseCode::parse("[SYS/PERM] gone"),
        Some(ResponseCode::SysPerm)
    );
    assert_eq!(ResponseCode::parse("[AUTH] bad"), Some(ResponseCode::Auth));
    assert_eq!(
        ResponseCode::parse("[XYZ/ABC] x"),
        Some(ResponseCode::Other("XYZ/ABC".into()))
    );
    assert_eq!(ResponseCode::parse("no code"), None);
    assert_eq!(ResponseCode::parse("[unterminated"), None);
    assert_eq!(ResponseCode::InUse.to_string(), "[IN-USE]");
}

#[test]
fn malformed_listings_are_errors_not_zeros() {
    assert!(parse_scan_listing("1").is_err());
    assert!(parse_scan_listing("x 100").is_err());
    assert!(parse_scan_listing("1 -5").is_err());
    assert!(parse_scan_listing("0 100").is_err());
    assert!(parse_scan_listing("1 12k").is_err());
    assert_eq!(parse_scan_listing("3  4096 extra").unwrap(), (3, 4096));
    assert!(parse_uid_listing("1").is_err());
    assert!(parse_uid_listing(&format!("1 {}", "u".repeat(71))).is_err());
    assert!(parse_uid_listing("1 has\u{7f}del").is_err());
    assert_eq!(
        parse_stat("2 320").unwrap(),
        Stat {
            count: 2,
            size: 320
        }
    );
    assert!(parse_stat("two 320").is_err());
    assert!(parse_stat("").is_err());
    let err = parse_listing(b"1 100\r\n2 oops\r\n", parse_scan_listing).unwrap_err();
    assert!(err.to_string().contains("2 oops"), "{err}");
    assert_eq!(parse_listing(b"", parse_scan_listing).unwrap(), vec![]);
}

#[test]
fn commands_encode_and_refuse_injection() {
    let enc = |c: Command| {
        let mut v = Vec::new();
        c.encode(&mut v).map(|_| String::from_utf8(v).unwrap())
    };
    assert_eq!(
        enc(Command::Top { msg: 3, lines: 0 }).unwrap(),
        "TOP 3 0\r\n"
    );
    assert_eq!(enc(Command::List(None)).unwrap(), "LIST\r\n");
    assert_eq!(enc(Command::Uidl(Some(7))).unwrap(), "UIDL 7\r\n");
    assert_eq!(
        enc(Command::Pass(Secret::new("with space"))).unwrap(),
        "PASS with space\r\n"
    );
    assert_eq!(
        enc(Command::User("a\r\nDELE 1".into())),
        Err(CodecError::BadArgument("user name"))
    );
    assert_eq!(
        enc(Command::Pass(Secret::new("x\ny"))),
        Err(CodecError::BadArgument("password"))
    );
    assert_eq!(
        enc(Command::User(String::new())),
        Err(CodecError::EmptyArgument("user name"))
    );
    assert_eq!(enc(Command::Retr(0)), Err(CodecError::ZeroMessageNumber));
    // Debug output of a command never shows the password.
    assert_eq!(
        format!("{:?}", Command::Pass(Secret::new("hunter2"))),
        "Pass(***)"
    );
}

#[test]
fn multiline_shapes() {
    assert!(Command::List(None).is_multiline());
    assert!(!Command::List(Some(1)).is_multiline());
    assert!(Command::Top { msg: 1, lines: 0 }.is_multiline());
    assert!(Command::Capa.is_multiline());
    assert!(!Command::Dele(1).is_multiline());
}

#[test]
fn discard_after_stls_forgets_injected_bytes() {
    let mut d = Decoder::new();
    d.feed(b"+OK Begin TLS\r\n+OK injected\r\n");
    assert!(d.status().unwrap().unwrap().is_ok());
    assert!(d.buffered() > 0);
    d.discard_buffered();
    assert_eq!(d.buffered(), 0);
    assert_eq!(d.status().unwrap(), None);
}
