//! Bytes to text by charset: label clean-up (`"GB2312"`, `gb_2312-80`,
//! `x-gbk`, `cp936`...), GB2312 read as GBK/GB18030 (a superset, as every
//! real GB2312 mailer wrote GBK), UTF-8 BOM removal, and detection with
//! chardetng when the label is missing or plainly wrong.

use encoding_rs::{Encoding, GB18030, GBK, UTF_8, WINDOWS_1252};

/// How decoding treats labels (`decoding` and `fallback_charset` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// For 8-bit text that declares no charset, before detection.
    pub fallback: Option<&'static Encoding>,
    /// Decode exactly as labelled: no repairs of evidently wrong labels.
    pub strict: bool,
}

impl DecodeOptions {
    /// The account's `fallback_charset` and `decoding` settings.
    pub fn for_account(account: &crate::config::AccountConfig) -> DecodeOptions {
        DecodeOptions {
            fallback: account.fallback_charset.as_deref().and_then(lookup),
            strict: account.decoding == crate::config::Decoding::Strict,
        }
    }
}

/// The encoding for a MIME charset label, tolerant of the quirks real mailers write.
pub fn lookup(label: &str) -> Option<&'static Encoding> {
    let cleaned = label.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if cleaned.is_empty() || cleaned.len() > 64 {
        return None;
    }
    let lower = cleaned.to_ascii_lowercase();
    let alias = match lower.as_str() {
        // GB2312 mail is GBK in practice; GBK's decoder is GB18030's (WHATWG), a superset of both.
        "gb2312" | "gb_2312" | "gb_2312-80" | "gb2312-80" | "gb-2312" | "euc-cn" | "x-euc-cn"
        | "cp936" | "ms936" | "windows-936" | "936" | "x-gbk" | "gbk" | "cn-gb" | "csgb2312"
        | "chinese" => Some(GBK),
        "gb18030" | "gb-18030" | "x-gb18030" => Some(GB18030),
        "big5-hkscs" | "big-5" | "big_5" | "cp950" | "ms950" | "x-big5" | "csbig5" => {
            Encoding::for_label(b"big5")
        }
        "utf8" | "utf-8" | "unicode-1-1-utf-8" | "x-unicode20utf8" => Some(UTF_8),
        "ks_c_5601-1987" | "ks_c_5601" | "cp949" | "ms949" | "uhc" | "euc-kr" => {
            Encoding::for_label(b"euc-kr")
        }
        "sjis" | "shift-jis" | "x-sjis" | "cp932" | "ms932" | "windows-31j" => {
            Encoding::for_label(b"shift_jis")
        }
        "ascii" | "us-ascii" | "ansi_x3.4-1968" | "iso646-us" => Some(WINDOWS_1252),
        _ => None,
    };
    alias
        .or_else(|| Encoding::for_label(lower.as_bytes()))
        .or_else(|| Encoding::for_label(lower.replace('_', "-").as_bytes()))
        .or_else(|| {
            lower
                .strip_prefix("x-")
                .and_then(|l| Encoding::for_label(l.as_bytes()))
        })
}

/// Is this a Chinese charset label? Used to repair mislabelled Latin-1 words.
pub fn is_chinese(enc: &'static Encoding) -> bool {
    enc == GBK || enc == GB18030 || enc.name() == "Big5"
}

/// Decodes `bytes` as `enc`, without BOM sniffing (a BOM must not switch encodings)
/// except that a UTF-8 BOM at the start of UTF-8 text is dropped.
pub fn decode_as(bytes: &[u8], enc: &'static Encoding) -> String {
    let bytes = if enc == UTF_8 {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    } else {
        bytes
    };
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Decodes without replacement characters, or gives `None`.
pub fn decode_exact(bytes: &[u8], enc: &'static Encoding) -> Option<String> {
    let bytes = if enc == UTF_8 {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    } else {
        bytes
    };
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

/// chardetng's best guess for `bytes` (UTF-8 allowed).
pub fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    det.guess(None, true)
}

/// Text whose charset is unknown: UTF-8 if it is valid UTF-8, else the first
/// hint that decodes it cleanly, else detection.
pub fn decode_unlabelled(bytes: &[u8], hints: &[Option<&'static Encoding>]) -> String {
    if bytes.is_ascii() {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    if let Some(s) = decode_exact(bytes, UTF_8) {
        return s;
    }
    for enc in hints.iter().flatten() {
        if let Some(s) = decode_exact(bytes, enc) {
            return s;
        }
    }
    decode_as(bytes, detect(bytes))
}

/// Body text with a (possibly absent or wrong) label.
pub fn decode_text(bytes: &[u8], label: Option<&str>, opts: &DecodeOptions) -> String {
    let declared = label.and_then(lookup);
    let Some(enc) = declared else {
        return decode_unlabelled(bytes, &[opts.fallback]);
    };
    if opts.strict || bytes.is_ascii() {
        return decode_as(bytes, enc);
    }
    // Repairs: "us-ascii" with 8-bit bytes is a wrong label; so is "utf-8" that is not UTF-8.
    let ascii_label = label.is_some_and(|l| {
        matches!(
            l.trim().trim_matches('"').to_ascii_lowercase().as_str(),
            "us-ascii" | "ascii"
        )
    });
    if ascii_label {
        return decode_unlabelled(bytes, &[opts.fallback]);
    }
    if enc == UTF_8 {
        if let Some(s) = decode_exact(bytes, UTF_8) {
            return s;
        }
        let guess = detect(bytes);
        if let Some(s) = (guess != UTF_8)
            .then(|| decode_exact(bytes, guess))
            .flatten()
        {
            return s;
        }
    }
    decode_as(bytes, enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_quirks() {
        for l in [
            "GB2312",
            "\"GB2312\"",
            "gb_2312-80",
            "x-gbk",
            "cp936",
            " gbk ",
            "EUC-CN",
        ] {
            assert_eq!(lookup(l), Some(GBK), "{l}");
        }
        assert_eq!(lookup("gb18030"), Some(GB18030));
        assert_eq!(lookup("big5-hkscs").map(|e| e.name()), Some("Big5"));
        assert_eq!(lookup("ks_c_5601-1987").map(|e| e.name()), Some("EUC-KR"));
        assert_eq!(lookup("iso-8859-1"), Some(WINDOWS_1252));
        assert_eq!(lookup("x-mac-klingon"), None);
        assert_eq!(lookup(""), None);
    }

    #[test]
    fn gb2312_label_reads_gbk_only_characters() {
        // 镕 (U+9555) is in GBK, not GB2312: bytes E9 46.
        assert_eq!(
            decode_text(&[0xE9, 0x46], Some("gb2312"), &DecodeOptions::default()),
            "镕"
        );
    }

    #[test]
    fn bom_is_removed_and_does_not_switch_encodings() {
        assert_eq!(
            decode_text(
                b"\xEF\xBB\xBFhi \xE4\xBD\xA0",
                Some("utf-8"),
                &DecodeOptions::default()
            ),
            "hi 你"
        );
    }

    #[test]
    fn wrong_labels_are_repaired_unless_strict() {
        let gbk = [0xC4, 0xE3, 0xBA, 0xC3, 0xA3, 0xAC, 0xCA, 0xC0, 0xBD, 0xE7]; // 你好，世界
        assert_eq!(
            decode_text(
                &gbk,
                None,
                &DecodeOptions {
                    fallback: Some(GBK),
                    strict: false
                }
            ),
            "你好，世界"
        );
        let utf8 = "naïve café".as_bytes();
        assert_eq!(
            decode_text(utf8, Some("us-ascii"), &DecodeOptions::default()),
            "naïve café"
        );
        let strict = DecodeOptions {
            fallback: None,
            strict: true,
        };
        assert_eq!(decode_text(utf8, Some("us-ascii"), &strict), "naÃ¯ve cafÃ©");
    }
}
