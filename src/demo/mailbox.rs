//! The demo mailbox, compiled into the binary so `postie` works from any directory.
//! `tests` checks that every `assets/demo/*.eml` file is listed here.

pub const MESSAGES: &[(&str, &[u8])] = &[
    ("01-welcome.eml", include_bytes!("../../assets/demo/01-welcome.eml")),
    ("02-gb2312-quoted-printable.eml", include_bytes!("../../assets/demo/02-gb2312-quoted-printable.eml")),
    ("03-gbk-base64.eml", include_bytes!("../../assets/demo/03-gbk-base64.eml")),
    ("04-foxmail-mislabelled.eml", include_bytes!("../../assets/demo/04-foxmail-mislabelled.eml")),
    ("05-html-only.eml", include_bytes!("../../assets/demo/05-html-only.eml")),
    ("06-alternative-utf8.eml", include_bytes!("../../assets/demo/06-alternative-utf8.eml")),
    ("07-chinese-attachments.eml", include_bytes!("../../assets/demo/07-chinese-attachments.eml")),
    ("08-thread-1.eml", include_bytes!("../../assets/demo/08-thread-1.eml")),
    ("09-thread-2.eml", include_bytes!("../../assets/demo/09-thread-2.eml")),
    ("10-thread-3.eml", include_bytes!("../../assets/demo/10-thread-3.eml")),
    ("11-thread-4.eml", include_bytes!("../../assets/demo/11-thread-4.eml")),
    ("12-big5.eml", include_bytes!("../../assets/demo/12-big5.eml")),
    ("13-raw-8bit-gbk.eml", include_bytes!("../../assets/demo/13-raw-8bit-gbk.eml")),
    ("14-dot-lines.eml", include_bytes!("../../assets/demo/14-dot-lines.eml")),
    ("15-hostile.eml", include_bytes!("../../assets/demo/15-hostile.eml")),
    ("16-bad-date.eml", include_bytes!("../../assets/demo/16-bad-date.eml")),
];
