use super::*;

fn utc() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(0).unwrap()
}

fn terms(p: &Pattern) -> &Vec<Term> {
    &p.groups[0]
}

#[test]
fn patterns_parse_and_name_their_mistakes() {
    let p = Pattern::parse("from:李 \"季度 报告\" -is:unread larger:1M", utc()).unwrap();
    assert_eq!(terms(&p).len(), 4);
    assert_eq!(terms(&p)[1].test, Test::Text("季度 报告".into()));
    assert!(terms(&p)[2].negated);
    assert_eq!(terms(&p)[3].test, Test::Larger(1024 * 1024));
    assert!(p.index_query.is_none());
    let p = Pattern::parse("body:季度报告 to:wang -body:草稿", utc()).unwrap();
    let q = p.index_query.unwrap();
    assert_eq!(q.body, vec!["季度报告"]);
    assert_eq!(q.to, vec!["wang"]);
    assert_eq!(q.not_body, vec!["草稿"]);
    assert_eq!(
        terms(&Pattern::parse("after:2024-03-01", utc()).unwrap())[0].test,
        Test::After(1_709_251_200)
    );
    for bad in [
        "frm:x",
        "is:lost",
        "larger:lots",
        "before:yesterday",
        "from:",
    ] {
        let e = Pattern::parse(bad, utc()).unwrap_err();
        assert!(e.contains(bad.split(':').next().unwrap()), "{bad}: {e}");
    }
    // A time in free text is text.
    assert_eq!(
        terms(&Pattern::parse("10:30", utc()).unwrap())[0].test,
        Test::Text("10:30".into())
    );
}

const MAIL: &[u8] = b"From: =?GB2312?B?vqm2qw==?= <shop@jd.com>\r\n\
To: me@example.com\r\n\
Cc: =?UTF-8?B?5byg5Lyf?= <zhang.wei@corp.cn>\r\n\
List-Id: Deals <deals.jd.com>\r\n\
X-Spam-Flag: YES\r\n\
Subject: =?UTF-8?B?6K6i5Y2V5bey5Y+R6LSn?=\r\n\r\nbody\r\n";

fn view(size: u64) -> MessageView {
    MessageView::read(
        Uidl::from("u1"),
        MAIL,
        size,
        Flags::default(),
        &DecodeOptions::default(),
    )
}

#[test]
fn rules_read_the_header_block_with_or_and_not() {
    let m = view(2000);
    let yes = |p: &str| {
        Pattern::parse_for(p, utc(), Scope::Message)
            .unwrap()
            .matches(&m, None)
    };
    assert!(yes("from:@jd.com | subject:订单"));
    assert!(yes("subject:订单"));
    assert!(yes("from:京东"));
    assert!(yes("header:X-Spam-Flag=YES"));
    assert!(yes("header:x-spam-flag=yes"));
    assert!(yes("header:X-Spam-Flag"));
    assert!(!yes("header:X-Spam-Flag=NO"));
    assert!(!yes("header:X-Other"));
    assert!(yes("list:deals.jd.com"));
    assert!(yes("cc:张伟") && yes("cc:zhang.wei@") && yes("to:me@"));
    assert!(!yes("to:zhang"));
    assert!(yes("size>1K") && !yes("size>1M") && yes("size<10K"));
    assert!(yes("from:nobody | -subject:发票"));
    assert!(!yes("from:nobody | subject:发票"));
    assert!(yes("from:jd.com & subject:订单"));
    assert!(!yes("from:jd.com & -subject:订单"));
    // What rules cannot read, and empty sides of |, are errors.
    for bad in ["body:x", "| from:a", "from:a |", "header:=x", "header:"] {
        assert!(
            Pattern::parse_for(bad, utc(), Scope::Message).is_err(),
            "{bad}"
        );
    }
    // The list has no header block: header words are refused there, with a reason.
    let e = Pattern::parse("header:X-Spam-Flag=YES", utc()).unwrap_err();
    assert!(e.contains("header"), "{e}");
    assert!(Pattern::parse("to:a | from:b", utc()).is_err());
    assert!(Pattern::parse("from:a | from:b", utc()).is_ok());
}

#[test]
fn case_is_ignored_with_or_without_an_allocation() {
    assert!(contains_ci("Re: WEEKLY Report", "weekly"));
    assert!(contains_ci("季度报告", "报告"));
    assert!(contains_ci("ÄRGER über Köln", "ärger"));
    assert!(!contains_ci("abc", "abcd"));
    assert!(contains_ci("abc", ""));
}
