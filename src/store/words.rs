//! The full-text index's words. One FTS5 table, `words`, holds for each
//! stored message the distinct words of its body and attachment names, its
//! recipients (tagged `r_`) and its subject and sender (tagged `s_`):
//! words in scripts written with spaces are kept whole, lowercased; text in
//! scripts written without them (Han, kana, Hangul) as character pairs,
//! plus the last character of each run, so that any Chinese phrase is found
//! without a word segmenter (季度报告: 季度, 度报, 报告) and a one-character
//! query finds every occurrence as a prefix. The table is contentless and
//! `detail=none` (row ids only), and each row holds each word once: indexing
//! costs a few hundred nanoseconds a distinct word, so an import indexes as
//! it stores. A part of a word is found through the table's vocabulary
//! (`words_vocab`): every indexed word that contains it.

use rusqlite::Transaction;

use super::index::IndexError;

/// Words longer than this are indexed (and looked for) by their start.
const MAX_WORD: usize = 64;

/// Creates the tables (schema 4). The words are cut here, in Rust; FTS5's
/// tokenizer only has to take each space-separated word whole, so marks
/// (Devanagari vowel signs, which Rust counts as letters) are word
/// characters to it too.
pub(super) fn migrate(tx: &Transaction<'_>) -> Result<(), IndexError> {
    tx.execute_batch(
        "CREATE VIRTUAL TABLE words USING fts5(
           w, tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* Co M*' tokenchars '_'\",
           content = '', contentless_delete = 1, detail = none
         );
         CREATE VIRTUAL TABLE words_vocab USING fts5vocab(words, row);",
    )?;
    Ok(())
}

/// Scripts written without spaces between words: Han, kana, Hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // Han extension A
        | 0x4E00..=0x9FFF    // Han
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // Han compatibility
        | 0x20000..=0x3134F  // Han extensions B-G
    )
}

/// A piece of text as the index cuts it (lent for the call only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece<'a> {
    /// A word in a script written with spaces, lowercased (at most
    /// `MAX_WORD` characters).
    Word(&'a str),
    /// Two characters of a CJK run.
    Pair(&'a str),
    /// The last character of a CJK run (a run of one is only that).
    Last(&'a str),
}

/// The character at byte `i` of `text` and its length.
fn char_at(text: &str, i: usize) -> (char, usize) {
    match text[i..].chars().next() {
        Some(c) => (c, c.len_utf8()),
        None => ('\0', 1),
    }
}

/// Cuts `text` into pieces, in order (repeats included). Bytes are read
/// one at a time where they are ASCII (most of most mail); a word is
/// lowercased as it is read.
pub(super) fn pieces(text: &str, mut each: impl FnMut(Piece<'_>)) {
    let b = text.as_bytes();
    let mut word = String::new();
    let mut i = 0;
    while i < b.len() {
        let (c, len) = if b[i] < 0x80 {
            (b[i] as char, 1)
        } else {
            char_at(text, i)
        };
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            i += 1;
        } else if is_cjk(c) {
            let mut prev = (i, len);
            i += len;
            while i < b.len() && b[i] >= 0x80 {
                let (n, nlen) = char_at(text, i);
                if !is_cjk(n) {
                    break;
                }
                each(Piece::Pair(&text[prev.0..i + nlen]));
                prev = (i, nlen);
                i += nlen;
            }
            each(Piece::Last(&text[prev.0..prev.0 + prev.1]));
        } else if c.is_alphanumeric() {
            word.clear();
            let mut count = 0;
            while i < b.len() {
                let (c, len) = if b[i] < 0x80 {
                    (b[i] as char, 1)
                } else {
                    char_at(text, i)
                };
                if !c.is_alphanumeric() || is_cjk(c) {
                    break;
                }
                if count < MAX_WORD {
                    if c.is_ascii() {
                        word.push(c.to_ascii_lowercase());
                    } else {
                        word.extend(c.to_lowercase());
                    }
                    count += 1;
                }
                i += len;
            }
            each(Piece::Word(&word));
        } else {
            i += len;
        }
    }
}

/// Passes a `u64` that is a hash already through unchanged.
#[derive(Default)]
struct Hashed(u64);

impl std::hash::Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else is folded in anyway.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The `words` row of a message: its body and attachment names untagged,
/// its recipients tagged `r_`, its subject and sender `s_`; each once. A
/// word is known again by a 64-bit hash of it (two different words of one
/// message sharing one is a chance of about one in 10^13).
pub(super) fn of(t: &super::index::Text) -> String {
    use std::hash::BuildHasher;
    let hasher = foldhash::fast::FixedState::with_seed(0x706f_7374_6965);
    let mut out = String::new();
    for (fields, tag) in [
        (&[&t.body, &t.names][..], ""),
        (&[&t.recipients][..], "r_"),
        (&[&t.subject, &t.sender][..], "s_"),
    ] {
        let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Hashed>> =
            std::collections::HashSet::default();
        for f in fields {
            pieces(f, |p| {
                let (Piece::Word(w) | Piece::Pair(w) | Piece::Last(w)) = p;
                if seen.insert(hasher.hash_one(w)) {
                    out.push_str(tag);
                    out.push_str(w);
                    out.push(' ');
                }
            });
        }
    }
    out
}

/// Where a word is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Anywhere: body, attachment names, recipients, subject, sender.
    Any,
    /// Body or attachment names.
    Body,
    /// Recipients.
    To,
}

impl Scope {
    fn tags(self) -> &'static [&'static str] {
        match self {
            Scope::Any => &["", "r_", "s_"],
            Scope::Body => &[""],
            Scope::To => &["r_"],
        }
    }

    /// Whether an indexed term (tag and word) is in this scope; its word.
    pub(super) fn word_of(self, term: &str) -> Option<&str> {
        let (tag, word) = match term.split_once('_') {
            Some((t, w)) => (t, w),
            None => ("", term),
        };
        let ok = matches!(
            (self, tag),
            (Scope::Any, "" | "r" | "s") | (Scope::Body, "") | (Scope::To, "r")
        );
        ok.then_some(word)
    }
}

/// What one piece of a query asks the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ask {
    /// This term, in one of the scope's tags.
    Exact(String),
    /// A term that starts with this (one CJK character: every pair it
    /// starts and every run it ends).
    Prefix(String),
    /// A word that contains this (words of three letters or more): looked up
    /// in the vocabulary.
    Inside(String),
}

/// What a query word asks: each of its pieces must be found (for a phrase
/// that is every word and every character pair it holds, wherever they
/// are in the message). Empty when it holds nothing the index keeps (only
/// punctuation). Words of one or two letters are matched whole.
pub(super) fn asks(word: &str) -> Vec<Ask> {
    let mut out = Vec::new();
    let mut after_pair = false;
    pieces(word, |p| {
        match p {
            Piece::Word(w) if w.chars().count() <= 2 => out.push(Ask::Exact(w.to_string())),
            Piece::Word(w) => out.push(Ask::Inside(w.to_string())),
            Piece::Pair(p) => out.push(Ask::Exact(p.to_string())),
            // A CJK run of one character is a prefix; a longer run's last
            // character is in its last pair already.
            Piece::Last(c) => {
                if !after_pair {
                    out.push(Ask::Prefix(c.to_string()));
                }
            }
        }
        after_pair = matches!(p, Piece::Pair(_));
    });
    out.dedup();
    out
}

/// `s` as an FTS5 string, taken literally.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl Ask {
    /// The FTS5 expression for an exact or prefix ask in `scope` (None for
    /// `Inside`, which needs the vocabulary: see `terms_expr`).
    pub(super) fn expr(&self, scope: Scope) -> Option<String> {
        let (s, star) = match self {
            Ask::Exact(s) => (s, ""),
            Ask::Prefix(s) => (s, "*"),
            Ask::Inside(_) => return None,
        };
        let alts: Vec<String> = scope
            .tags()
            .iter()
            .map(|t| format!("{}{star}", quoted(&format!("{t}{s}"))))
            .collect();
        Some(format!("({})", alts.join(" OR ")))
    }
}

/// The FTS5 expression for any of these indexed terms (None: there are
/// none, so nothing matches).
pub(super) fn terms_expr(terms: &[String]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    let alts: Vec<String> = terms.iter().map(|t| quoted(t)).collect();
    Some(format!("({})", alts.join(" OR ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_chinese_latin_and_recipients() {
        let g = of(&super::super::index::Text {
            subject: "周报".into(),
            sender: "李明".into(),
            recipients: "王芳 <wang@example.cn>".into(),
            body: "预算需要。OK CV 2024 report report".into(),
            names: "合同.pdf".into(),
        });
        let tokens: Vec<&str> = g.split_whitespace().collect();
        for want in [
            "预算",
            "算需",
            "需要",
            "要",
            "ok",
            "cv",
            "2024",
            "report",
            "合同",
            "同",
            "pdf",
            "r_王芳",
            "r_芳",
            "r_wang",
            "r_example",
            "r_cn",
            "s_周报",
            "s_报",
            "s_李明",
        ] {
            assert!(tokens.contains(&want), "{want} in {tokens:?}");
        }
        assert_eq!(tokens.iter().filter(|t| **t == "report").count(), 1);
        assert!(!tokens.contains(&"预"), "{tokens:?}");
    }

    #[test]
    fn long_words_are_cut() {
        let text = format!("{} B", "É".repeat(200));
        let mut got = Vec::new();
        pieces(&text, |p| got.push(format!("{p:?}")));
        let cut = "é".repeat(MAX_WORD);
        assert_eq!(
            got,
            vec![format!("Word({cut:?})"), "Word(\"b\")".to_string()]
        );
    }

    #[test]
    fn what_a_query_asks() {
        assert_eq!(asks("预算"), vec![Ask::Exact("预算".into())]);
        assert_eq!(
            asks("季度报告"),
            vec![
                Ask::Exact("季度".into()),
                Ask::Exact("度报".into()),
                Ask::Exact("报告".into())
            ]
        );
        assert_eq!(asks("预"), vec![Ask::Prefix("预".into())]);
        assert_eq!(asks("CV"), vec![Ask::Exact("cv".into())]);
        assert_eq!(asks("Port"), vec![Ask::Inside("port".into())]);
        assert_eq!(
            asks("wang@example.cn"),
            vec![
                Ask::Inside("wang".into()),
                Ask::Inside("example".into()),
                Ask::Exact("cn".into())
            ]
        );
        assert_eq!(
            asks("第1号"),
            vec![
                Ask::Prefix("第".into()),
                Ask::Exact("1".into()),
                Ask::Prefix("号".into())
            ]
        );
        assert!(asks("%\"").is_empty());
        assert_eq!(
            Ask::Prefix("预".into()).expr(Scope::To).as_deref(),
            Some("(\"r_预\"*)")
        );
        assert_eq!(
            Ask::Exact("cv".into()).expr(Scope::Any).as_deref(),
            Some("(\"cv\" OR \"r_cv\" OR \"s_cv\")")
        );
        assert_eq!(Scope::To.word_of("r_wang"), Some("wang"));
        assert_eq!(Scope::To.word_of("wang"), None);
        assert_eq!(Scope::Body.word_of("s_wang"), None);
        assert_eq!(Scope::Any.word_of("s_wang"), Some("wang"));
    }
}
