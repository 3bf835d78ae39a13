use super::*;
use encoding_rs::GBK;

fn ctx() -> HeaderContext {
    HeaderContext::default()
}

fn gbk_ctx() -> HeaderContext {
    HeaderContext {
        declared: Some(GBK),
        ..Default::default()
    }
}

#[test]
fn foxmail_latin1_label_on_gb2312_bytes_is_repaired_when_the_body_is_chinese() {
    let subject = b"=?iso-8859-1?q?=d3=ca=bc=fe=ca=be=c0=fd?=";
    assert_eq!(
        gbk_ctx().decode(subject),
        "\u{90ae}\u{4ef6}\u{793a}\u{4f8b}"
    ); // 邮件示例
       // Without a Chinese body, or in strict mode, the label is taken at its word.
    assert_eq!(ctx().decode(subject), "ÓÊ¼þÊ¾Àý");
    let strict = HeaderContext {
        opts: DecodeOptions {
            strict: true,
            fallback: None,
        },
        declared: Some(GBK),
        ..Default::default()
    };
    assert_eq!(strict.decode(subject), "ÓÊ¼þÊ¾Àý");
}

#[test]
fn a_character_split_across_adjacent_words_survives() {
    // 中 is D6 D0 in GB2312: one byte in each word, folded between them.
    let v = b"=?gb2312?B?1g==?=\r\n =?GB2312?b?0A==?=";
    assert_eq!(ctx().decode(v), "中");
    // Q words likewise, with underscores as spaces.
    assert_eq!(
        ctx().decode(b"=?utf-8?q?a_=E4=B8?= =?UTF-8?Q?=AD_b?="),
        "a 中 b"
    );
}

#[test]
fn whitespace_between_words_goes_but_text_between_them_stays() {
    assert_eq!(ctx().decode(b"=?utf-8?B?5L2g?= =?utf-8?B?5aW9?="), "你好");
    assert_eq!(
        ctx().decode(b"=?utf-8?B?5L2g?= and =?utf-8?B?5aW9?="),
        "你 and 好"
    );
    assert_eq!(ctx().decode(b"Re: =?utf-8?B?5L2g?="), "Re: 你");
}

#[test]
fn different_charsets_in_adjacent_words_decode_separately() {
    let v = b"=?gb2312?B?1tA=?= =?big5?B?pKQ=?=";
    assert_eq!(ctx().decode(v), "中中");
}

#[test]
fn rfc2231_language_tag_is_ignored() {
    assert_eq!(ctx().decode(b"=?utf-8*zh-CN?B?5Lit5paH?="), "中文");
}

#[test]
fn malformed_words_are_shown_as_written() {
    for v in [
        &b"=?utf-8?B?***?="[..],
        b"=?utf-8?X?abc?=",
        b"=?utf-8?B?abc",
        b"=??B?abc?=",
        b"=?utf-8?Q?=ZZ?=",
    ] {
        assert_eq!(
            ctx().decode(v),
            String::from_utf8_lossy(v),
            "{}",
            String::from_utf8_lossy(v)
        );
    }
}

#[test]
fn raw_8bit_headers_use_the_declared_charset_then_the_fallback() {
    let raw = [
        0xD6, 0xDC, 0xC4, 0xA9, 0xD2, 0xBB, 0xC6, 0xF0, 0xB3, 0xD4, 0xB7, 0xB9, 0xC2, 0xF0,
    ]; // 周末一起吃饭吗
    assert_eq!(gbk_ctx().decode(&raw), "周末一起吃饭吗");
    let fb = HeaderContext {
        opts: DecodeOptions {
            fallback: Some(GBK),
            strict: false,
        },
        ..Default::default()
    };
    assert_eq!(fb.decode(&raw), "周末一起吃饭吗");
    assert_eq!(ctx().decode("直接的UTF-8".as_bytes()), "直接的UTF-8");
}

#[test]
fn unknown_charset_label_falls_back_to_detection() {
    assert_eq!(ctx().decode(b"=?x-klingon?B?5Lit5paH?="), "中文");
}

#[test]
fn params_with_rfc2231_continuations_and_charsets() {
    // 报告.pdf in GB2312: B1 A8 B8 E6 2E 70 64 66, split across two sections.
    let p =
        Params::parse(b"attachment;\r\n filename*0*=gb2312''%B1%A8%B8;\r\n filename*1*=%E6.pdf");
    assert_eq!(p.value, "attachment");
    assert_eq!(p.decoded("filename", &ctx()).as_deref(), Some("报告.pdf"));
    let p = Params::parse(b"text/plain; charset=\"GB2312\"; format=flowed");
    assert_eq!(p.value, "text/plain");
    assert_eq!(p.text("charset").as_deref(), Some("GB2312"));
    let p = Params::parse(b"application/pdf; name=\"=?gb2312?B?sai45i5wZGY=?=\"");
    assert_eq!(p.decoded("name", &ctx()).as_deref(), Some("报告.pdf"));
    let p = Params::parse(b"attachment; filename*=UTF-8'zh'%E6%8A%A5%E5%91%8A.pdf");
    assert_eq!(p.decoded("filename", &ctx()).as_deref(), Some("报告.pdf"));
    let p = Params::parse(b"multipart/mixed; boundary=\"a;b\\\"c\"");
    assert_eq!(p.text("boundary").as_deref(), Some("a;b\"c"));
}

#[test]
fn address_lists() {
    let a = parse_addresses(
        b"\"=?gb2312?B?1cXOsA==?=\" <zw@example.cn>, Bob <bob@x.org>,\r\n plain@y.net",
        &ctx(),
    );
    assert_eq!(a.len(), 3);
    assert_eq!(
        (a[0].name.as_str(), a[0].address.as_str()),
        ("张伟", "zw@example.cn")
    );
    assert_eq!(a[1].display(), "Bob");
    assert_eq!(a[2].display(), "plain@y.net");
    let a = parse_addresses(
        b"Team: a@b.c, \"Doe, J\" <j@d.e>;, x@y.z (Xavier Y)",
        &ctx(),
    );
    assert_eq!(
        a.iter().map(|m| m.full()).collect::<Vec<_>>(),
        vec!["a@b.c", "Doe, J <j@d.e>", "Xavier Y <x@y.z>"]
    );
    let raw_name = [b'"', 0xB3, 0xC2, b'"', b' ', b'<', b'c', b'@', b'd', b'>']; // 陈 in GB2312
    assert_eq!(parse_addresses(&raw_name, &gbk_ctx())[0].name, "陈");
    assert!(parse_addresses(b"", &ctx()).is_empty());
    assert_eq!(parse_addresses(b"undisclosed-recipients:;", &ctx()), vec![]);
}

#[test]
fn header_block_splitting() {
    let raw = b"From x\r\nSubject: a\r\n b\r\nX-Empty:\r\nbad line\r\nTo: t\r\n\r\nbody\r\n";
    let (fields, body) = split_entity(raw);
    let names: Vec<&[u8]> = fields.iter().map(|f| f.name).collect();
    assert_eq!(names, vec![&b"Subject"[..], b"X-Empty", b"To"]);
    assert_eq!(&*unfold(find(&fields, "subject").unwrap()), b" a b");
    assert_eq!(body, b"body\r\n");
    let (fields, body) = split_entity(b"Subject: only headers");
    assert_eq!(fields.len(), 1);
    assert!(body.is_empty());
}

#[test]
fn base64_words_with_and_without_padding() {
    // Padded, unpadded, and padding left in the middle by a careless mailer.
    assert_eq!(ctx().decode(b"=?UTF-8?B?5L2g5aW9?="), "你好");
    assert_eq!(ctx().decode(b"=?UTF-8?B?5L2g5aW9IQ==?="), "你好!");
    assert_eq!(ctx().decode(b"=?UTF-8?B?5L2g5aW9IQ?="), "你好!");
    assert_eq!(ctx().decode(b"=?UTF-8?B?5L2g=5aW9?="), "你好");
    // Folded across lines, one line each: the same text.
    assert_eq!(
        ctx().decode(b"=?UTF-8?B?5L2g?=\r\n =?UTF-8?B?5aW9?="),
        "你好"
    );
}

/// Old Foxmail's multipart mail: GBK in `iso-8859-1` words and no Chinese
/// charset at the top. From `TOP n 0` alone, the words judged together read
/// as GBK; real Latin-1 words stay Latin-1.
#[test]
fn latin1_labelled_gbk_words_are_judged_together_from_the_headers_alone() {
    let head = b"From: =?iso-8859-1?q?=b3=c2=bf=a1=c7=e5?= <chenjunqing@example.com>\r\nTo: boss@example.cn\r\nSubject: =?iso-8859-1?q?=d3=ca=bc=fe=ca=be=c0=fd?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"fox\"\r\n\r\n";
    let s = crate::mime::Summary::from_headers(head, &DecodeOptions::default());
    assert_eq!(s.subject(), "邮件示例");
    assert_eq!(s.from(), "陈俊清");
    // A two-character name alone: a Latin-1 symbol (³) gives it away.
    let short = b"From: =?iso-8859-1?q?=cd=f5=b7=bc?= <w@example.cn>\r\nSubject: hi\r\n\r\n";
    assert_eq!(
        crate::mime::Summary::from_headers(short, &DecodeOptions::default()).from(),
        "王芳"
    );
    // Strict decoding takes the label at its word.
    let strict = DecodeOptions {
        strict: true,
        fallback: None,
    };
    assert_eq!(
        crate::mime::Summary::from_headers(head, &strict).subject(),
        "ÓÊ¼þÊ¾Àý"
    );
    for (latin, text) in [
        (
            "=?iso-8859-1?q?Promo=e7=e3o_de_a=e7=f5es?=",
            "Promoção de ações",
        ),
        ("=?iso-8859-1?q?Caf=e9_M=fcller?=", "Café Müller"),
        ("=?iso-8859-1?q?=c0_bient=f4t?=", "À bientôt"),
        ("=?windows-1252?q?Gr=fc=dfe_aus_K=f6ln?=", "Grüße aus Köln"),
        ("=?iso-8859-1?q?Se=f1or_Pe=f1a?=", "Señor Peña"),
        ("=?iso-8859-1?q?=a3100_off?=", "£100 off"),
    ] {
        let raw = format!("From: a@b.c\r\nSubject: {latin}\r\n\r\n");
        assert_eq!(
            crate::mime::Summary::from_headers(raw.as_bytes(), &DecodeOptions::default()).subject(),
            text
        );
    }
}

#[test]
fn utf8_mislabelled_as_latin1_is_not_taken_for_gbk() {
    // `café` in UTF-8 (C3 A9) is GB2312-shaped; it is no Foxmail GBK.
    let raw = b"From: a@b.c\r\nSubject: =?iso-8859-1?q?caf=c3=a9_cr=c3=a8me?=\r\n\r\n";
    let s = crate::mime::Summary::from_headers(raw, &DecodeOptions::default())
        .subject()
        .to_string();
    assert!(!s.contains('茅'), "{s}");
}

#[test]
fn unquoted_splitting_respects_quotes_comments_and_brackets() {
    let pieces = |v: &[u8], sep: u8| -> Vec<String> {
        split_unquoted(v, sep)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    };
    assert_eq!(
        pieces(br#""Wang, Wei" <w@x.cn>, (a, b) c@d, <e,f@g>"#, b','),
        [r#""Wang, Wei" <w@x.cn>"#, " (a, b) c@d", " <e,f@g>"]
    );
    // An escaped quote inside quotes does not end them.
    assert_eq!(
        pieces(br#""a \" , b" <x@y>, z@w"#, b','),
        [r#""a \" , b" <x@y>"#, " z@w"]
    );
    // No separator at all: one piece, even with an unbalanced quote.
    assert_eq!(
        pieces(br#""never closed <x@y"#, b','),
        [r#""never closed <x@y"#]
    );
    assert_eq!(pieces(b"", b','), [""]);
    assert_eq!(pieces(b"a,", b','), ["a", ""]);
    // Only the first piece is looked for: a group label.
    assert_eq!(
        split_unquoted(b"Team: a@b, c@d;", b':').next(),
        Some(&b"Team"[..])
    );
}

#[test]
fn a_summary_reads_content_type_once_for_both_uses() {
    // multipart/mixed (with a comment) marks an attachment; its charset
    // parameter decodes raw 8-bit header text.
    let mut raw = b"From: a@b.c\r\nContent-Type: Multipart/Mixed (x); charset=gbk; boundary=\"b\"\r\nSubject: ".to_vec();
    raw.extend_from_slice(&encoding_rs::GBK.encode("季度报告").0);
    raw.extend_from_slice(b"\r\n\r\n");
    let s = crate::mime::Summary::from_headers(&raw, &DecodeOptions::default());
    assert!(s.maybe_attachment());
    assert_eq!(s.subject(), "季度报告");
}

#[test]
fn a_summary_keeps_its_date_offset_and_attachment_mark_in_one_word() {
    use crate::mime::{Summary, SummaryParts};
    let with = |date: Option<(i64, i16)>, attachment: bool| {
        Summary::whole(&SummaryParts {
            subject: "s",
            from: "f",
            from_address: "f@example.cn",
            recipient: "",
            ids: [""; 4],
            date_raw: "not a date",
            date,
            maybe_attachment: attachment,
        })
    };
    for date in [
        Some((1_717_467_300, 480)),
        Some((1_717_467_300, -330)),
        Some((0, 0)),
        Some((-2_000_000_000, -5999)),
        Some((253_402_300_799, 5999)),
        None,
    ] {
        for attachment in [false, true] {
            let s = with(date, attachment);
            assert_eq!(s.timestamp(), date.map(|d| d.0), "{date:?} {attachment}");
            assert_eq!(s.offset_minutes(), date.map_or(0, |d| d.1), "{date:?}");
            assert_eq!(s.maybe_attachment(), attachment, "{date:?}");
            // The raw date is kept only when the date could not be read.
            assert_eq!(s.date_raw(), if date.is_some() { "" } else { "not a date" });
            let flipped = s.clone().with_attachment(!attachment);
            assert_eq!(flipped.maybe_attachment(), !attachment);
            assert_eq!(flipped.timestamp(), s.timestamp());
            assert_eq!(flipped.offset_minutes(), s.offset_minutes());
        }
    }
    // Only a corrupt index holds a date this far out: no date, not a wrong one.
    assert_eq!(with(Some((i64::MAX, 0)), true).timestamp(), None);
    assert_eq!(with(Some((1, i16::MAX)), false).timestamp(), None);
    assert!(with(Some((i64::MIN, 0)), true).maybe_attachment());
    assert_eq!(Summary::default().timestamp(), None);
}

#[test]
fn a_summary_cuts_an_overlong_part_at_a_character_and_keeps_the_others() {
    use crate::mime::{Summary, SummaryParts};
    let subject = "主题".repeat(20_000); // 120,000 bytes
    let references = "<a@b> ".repeat(1_000); // 6,000 bytes
    let s = Summary::whole(&SummaryParts {
        subject: &subject,
        from: "张伟",
        from_address: "zw@example.cn",
        recipient: "王芳",
        ids: ["<m@example.cn>", "", &references, "r@example.cn"],
        date_raw: "",
        date: None,
        maybe_attachment: false,
    });
    assert!(s.subject().len() <= 65_535 / 9 && s.subject().len() > 7_000);
    assert!(subject.starts_with(s.subject()));
    assert_eq!(s.from(), "张伟");
    assert_eq!(s.from_address(), "zw@example.cn");
    assert_eq!(s.message_id(), "<m@example.cn>");
    assert_eq!(s.references(), references);
    assert_eq!(s.reply_to(), "r@example.cn");
    assert_eq!(s.recipient(), "王芳");
}
