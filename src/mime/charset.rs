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

/// Fewer 8-bit bytes than this in a whole message is a short sample:
/// detection alone is unreliable on it.
const SHORT_SAMPLE: usize = 16;

/// Does `sample`'s 8-bit text consist only of GB2312 hanzi (lead 0xB0-0xF7,
/// trail 0xA1-0xFE)? Latin accents rarely pair up so; Chinese names always do.
fn looks_gb2312(sample: &[u8]) -> bool {
    let mut pairs = 0;
    let mut i = 0;
    while i < sample.len() {
        let b = sample[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        match sample.get(i + 1) {
            Some(&t) if (0xB0..=0xF7).contains(&b) && (0xA1..=0xFE).contains(&t) => {
                pairs += 1;
                i += 2;
            }
            _ => return false,
        }
    }
    pairs > 0
}

/// Single-byte encodings for Latin script (what a short sample of Western
/// text is often mistaken for).
fn is_latin_single_byte(enc: &'static Encoding) -> bool {
    matches!(
        enc.name(),
        "windows-1250"
            | "windows-1254"
            | "windows-1257"
            | "windows-1258"
            | "ISO-8859-2"
            | "ISO-8859-3"
            | "ISO-8859-4"
            | "ISO-8859-10"
            | "ISO-8859-13"
            | "ISO-8859-14"
            | "ISO-8859-15"
            | "ISO-8859-16"
            | "macintosh"
    )
}

/// The charset of a message's unlabelled 8-bit text, judged from all of it
/// together (every raw 8-bit header value, and the body where there is one),
/// not field by field: a two-character GBK name alone reads as Cyrillic or
/// Big5 to a detector. On a short sample, GB2312-shaped pairs are GBK and
/// other Latin guesses are windows-1252 (`£5.00`, not `Ł5.00`).
pub fn message_charset(sample: &[u8]) -> Option<&'static Encoding> {
    let eight = sample.iter().filter(|b| **b >= 0x80).count();
    if eight == 0 {
        return None;
    }
    if std::str::from_utf8(sample).is_ok() {
        return Some(UTF_8);
    }
    if eight < SHORT_SAMPLE && looks_gb2312(sample) {
        return Some(GBK);
    }
    let guess = detect(sample);
    if eight < SHORT_SAMPLE && is_latin_single_byte(guess) {
        return Some(WINDOWS_1252);
    }
    Some(guess)
}

/// Is `sample` (the bytes of Latin-1-labelled encoded-words, a space
/// apart) GBK that a Latin-1 reading turns into mojibake (`³Â¿¡Çå`)? Every
/// run of 8-bit bytes must be whole GB2312 hanzi (lead 0xB0-0xF7, trail
/// 0xA1-0xFE), valid GBK and not valid UTF-8; there must be three such
/// pairs, or a byte that Latin-1 reads as a symbol (0xA1-0xBF: `³ ¿ ¡`),
/// which real Latin words do not hold; and on a longer sample the detector,
/// which weighs Latin plausibility, must agree.
/// `Promoção de ações` (Latin letters in pairs) stays Latin.
pub fn latin_reads_as_mojibake(sample: &[u8]) -> bool {
    // UTF-8 mislabelled as Latin-1 (`cafÃ©`) is GB2312-shaped too.
    if sample.is_ascii()
        || !looks_gb2312(sample)
        || std::str::from_utf8(sample).is_ok()
        || decode_exact(sample, GBK).is_none()
    {
        return false;
    }
    let eight = sample.iter().filter(|b| **b >= 0x80).count();
    let symbol = sample.iter().any(|b| (0xA1..=0xBF).contains(b));
    if eight < 6 && !symbol {
        return false;
    }
    // On a short sample (a two-character name) the detector has too little
    // to go on; the shape has said it.
    if eight < SHORT_SAMPLE {
        return true;
    }
    let guess = detect(sample);
    guess == GBK || guess == GB18030
}

/// A 7-bit charset label (ISO-2022-JP, -KR, -CN, HZ) on 8-bit bytes is a
/// wrong label: the bytes are the family's 8-bit form (EUC-JP or
/// Shift_JIS, EUC-KR, GBK). None when the label is not one of these.
pub fn seven_bit_mislabel(label: &str, bytes: &[u8]) -> Option<String> {
    if bytes.is_ascii() {
        return None;
    }
    let l = label.trim().trim_matches('"').to_ascii_lowercase();
    let family: &[&[u8]] = if l.starts_with("iso-2022-jp") || l == "csiso2022jp" {
        &[b"euc-jp", b"shift_jis"]
    } else if l.starts_with("iso-2022-kr") {
        &[b"euc-kr"]
    } else if l.starts_with("iso-2022-cn") || l == "hz-gb-2312" || l == "hz" {
        &[b"gbk"]
    } else {
        return None;
    };
    let encs: Vec<&'static Encoding> = family
        .iter()
        .filter_map(|f| Encoding::for_label(f))
        .collect();
    // The detector decides between the family's forms when it names one.
    let guess = detect(bytes);
    if encs.contains(&guess) {
        if let Some(s) = decode_exact(bytes, guess) {
            return Some(s);
        }
    }
    encs.iter()
        .find_map(|e| decode_exact(bytes, e))
        .or_else(|| encs.first().map(|e| decode_as(bytes, e)))
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
    if let Some(s) = label.and_then(|l| seven_bit_mislabel(l, bytes)) {
        return s;
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

    #[test]
    fn a_message_s_8_bit_text_is_judged_together() {
        let gbk = |t: &str| GBK.encode(t).0.into_owned();
        // Short GB2312-shaped pairs are GBK, whatever a detector says of 4 bytes.
        for name in ["李明", "刘洋", "马", "陈静"] {
            assert_eq!(message_charset(&gbk(name)), Some(GBK), "{name}");
        }
        // Short Latin text is windows-1252, not Central European.
        assert_eq!(message_charset(b"Save \xa35.00"), Some(WINDOWS_1252));
        assert_eq!(message_charset(b"na\xefve Gr\xfc\xdfe"), Some(WINDOWS_1252));
        assert_eq!(message_charset(b"ascii"), None);
        assert_eq!(message_charset("已是 UTF-8".as_bytes()), Some(UTF_8));
        // Enough text: detection decides (here Cyrillic).
        let koi8 = Encoding::for_label(b"koi8-r").unwrap();
        let ru = koi8
            .encode("Привет, это длинный русский текст для проверки.")
            .0;
        let guess = message_charset(&ru).unwrap();
        assert_eq!(
            decode_as(&ru, guess),
            "Привет, это длинный русский текст для проверки."
        );
    }

    #[test]
    fn seven_bit_labels_on_8_bit_bytes_are_sniffed() {
        let euc = Encoding::for_label(b"euc-jp")
            .unwrap()
            .encode("日本語の本文です")
            .0;
        assert_eq!(
            seven_bit_mislabel("ISO-2022-JP", &euc).as_deref(),
            Some("日本語の本文です")
        );
        let sjis = Encoding::for_label(b"shift_jis")
            .unwrap()
            .encode("会議は明日です")
            .0;
        assert_eq!(
            seven_bit_mislabel("iso-2022-jp", &sjis).as_deref(),
            Some("会議は明日です")
        );
        assert_eq!(seven_bit_mislabel("iso-2022-jp", b"plain"), None);
        assert_eq!(seven_bit_mislabel("utf-8", &euc), None);
        let opts = DecodeOptions::default();
        assert_eq!(
            decode_text(&euc, Some("iso-2022-jp"), &opts),
            "日本語の本文です"
        );
    }
}
