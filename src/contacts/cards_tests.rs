//! vCard and CSV as other programs write them.

use super::*;

#[test]
fn vcard_21_quoted_printable_gb2312_30_several_emails_and_40_groups() {
    // 张伟 in GB2312, quoted-printable, as Foxmail and old phones write it.
    let gbk = encoding_rs::GBK.encode("张伟").0;
    let qp: String = gbk.iter().map(|b| format!("={b:02X}")).collect();
    let text = format!(
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:{qp};\r\nEMAIL;INTERNET:zhang.wei@corp.cn\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Li Na\r\nN:Li;Na;;;\r\nEMAIL;TYPE=INTERNET,WORK:li.na@corp.cn\r\nitem1.EMAIL;TYPE=INTERNET:nana@home.cn\r\nCATEGORIES:同事,项目组\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:周会\r\nMEMBER:mailto:li.na@corp.cn\r\nMEMBER:mailto:zhang.wei@corp.cn\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Mail\r\nTEL:123\r\nEND:VCARD\r\n"
    );
    let cards = read(&text).unwrap();
    assert_eq!(cards.len(), 3, "{cards:?}");
    assert_eq!(cards[0].name, "张伟");
    assert_eq!(cards[0].emails, vec!["zhang.wei@corp.cn"]);
    assert_eq!(cards[1].name, "Li Na");
    assert_eq!(cards[1].emails, vec!["li.na@corp.cn", "nana@home.cn"]);
    assert_eq!(cards[1].groups, vec!["同事", "项目组"]);
    assert!(cards[2].is_group);
    assert_eq!(cards[2].emails, vec!["li.na@corp.cn", "zhang.wei@corp.cn"]);
}

#[test]
fn csv_in_utf16_gbk_and_with_a_bom_with_chinese_or_english_headers() {
    let foxmail = "姓名,电子邮件地址,手机,分组\r\n张伟,zhang.wei@corp.cn,138,项目组\r\n李娜,\"li.na@corp.cn;nana@home.cn\",,\r\n";
    let outlook = "First Name\tLast Name\tE-mail Address\tE-mail Type\tE-mail 2 Address\tCategories\r\nWei\tZhang\tzhang.wei@corp.cn\tSMTP\twei@home.cn\tWork\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    for u in outlook.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let gbk = encoding_rs::GBK.encode(foxmail).0.into_owned();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(foxmail.as_bytes());
    for bytes in [foxmail.as_bytes().to_vec(), gbk, bom] {
        let cards = read(&decode_text(&bytes)).unwrap();
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].name, "张伟");
        assert_eq!(cards[0].groups, vec!["项目组"]);
        assert_eq!(cards[1].emails, vec!["li.na@corp.cn", "nana@home.cn"]);
    }
    let cards = read(&decode_text(&utf16)).unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].name, "Wei Zhang");
    assert_eq!(cards[0].emails, vec!["zhang.wei@corp.cn", "wei@home.cn"]);
    assert_eq!(cards[0].groups, vec!["Work"]);
    assert!(matches!(
        read("a,b\r\n1,2\r\n"),
        Err(CardsError::NoEmailColumn(_))
    ));
}

#[test]
fn cards_written_as_vcard_40_read_back_the_same() {
    let cards = vec![
        Card {
            name: "张伟".into(),
            emails: vec!["zhang.wei@corp.cn".into(), "zw@home.cn".into()],
            groups: vec!["项目组".into()],
            is_group: false,
        },
        Card {
            name: "周会".into(),
            emails: vec!["a@x.cn".into()],
            groups: vec![],
            is_group: true,
        },
    ];
    let text = write_vcards(&cards);
    assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{text}");
    assert_eq!(read(&text).unwrap(), cards);
}
