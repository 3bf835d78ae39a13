//! Short words in the full text: the trigram index (`text`) cannot answer a
//! query under three characters, and most Chinese words are two (合同, 会议,
//! 预算). A second FTS5 table, `grams`, holds for each stored message the
//! CJK bigrams of its body, attachment names, recipients, subject and
//! sender (and the last
//! character of each CJK run, so that a one-character query finds every
//! occurrence as a prefix), plus its one- and two-character words in other
//! scripts. It is contentless, `detail=none` (row ids only: no positions,
//! no columns), which keeps it small; the recipients' grams carry an `r` in
//! front so that `to:` can ask for them alone, the subject's and sender's an
//! `s`.

use rusqlite::Transaction;

use super::index::IndexError;

/// Creates the table (schema 3).
pub(super) fn migrate(tx: &Transaction<'_>) -> Result<(), IndexError> {
    tx.execute_batch(
        "CREATE VIRTUAL TABLE grams USING fts5(
           g, tokenize = 'unicode61', content = '', contentless_delete = 1,
           detail = none
         );",
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

/// The grams of `text`, each once, tagged with `tag`, appended to `out`
/// (space-separated; unicode61 then takes each as one token).
fn push_grams(
    text: &str,
    tag: &str,
    seen: &mut std::collections::HashSet<String>,
    out: &mut String,
) {
    let mut push = |g: String| {
        if seen.insert(g.clone()) {
            out.push_str(tag);
            out.push_str(&g);
            out.push(' ');
        }
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            for pair in run.windows(2) {
                push(pair.iter().collect());
            }
            if let Some(last) = run.last() {
                push(last.to_string());
            }
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() && !is_cjk(chars[i]) {
                i += 1;
            }
            if i - start <= 2 {
                push(
                    chars[start..i]
                        .iter()
                        .flat_map(|c| c.to_lowercase())
                        .collect(),
                );
            }
        } else {
            i += 1;
        }
    }
}

/// The `grams` row of a message: its body and attachment names plain, its
/// recipients tagged `r`, its subject and sender tagged `s`.
pub(super) fn of(t: &super::index::Text) -> String {
    let mut out = String::new();
    let mut seen = std::collections::HashSet::new();
    push_grams(&t.body, "", &mut seen, &mut out);
    push_grams(&t.names, "", &mut seen, &mut out);
    let mut seen = std::collections::HashSet::new();
    push_grams(&t.recipients, "r", &mut seen, &mut out);
    let mut seen = std::collections::HashSet::new();
    push_grams(&t.subject, "s", &mut seen, &mut out);
    push_grams(&t.sender, "s", &mut seen, &mut out);
    out
}

/// Where a short word is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Anywhere: body, attachment names, recipients, subject, sender.
    Any,
    /// Body or attachment names.
    Body,
    /// Recipients.
    To,
}

/// The FTS5 query on `grams` for a word of one or two characters (None when
/// it has nothing the table holds, such as punctuation). One CJK character
/// is a prefix (every bigram it starts, and the run's last character); two
/// are one gram; a short word in another script is itself.
pub(super) fn query(word: &str, scope: Scope) -> Option<String> {
    let chars: Vec<char> = word.chars().collect();
    let cjk = chars.iter().all(|c| is_cjk(*c));
    let term = if cjk || chars.iter().all(|c| c.is_alphanumeric() && !is_cjk(*c)) {
        chars
            .iter()
            .flat_map(|c| c.to_lowercase())
            .collect::<String>()
    } else {
        return None;
    };
    if term.is_empty() {
        return None;
    }
    let one = |tag: &str| {
        if cjk && chars.len() == 1 {
            format!("\"{tag}{term}\"*")
        } else {
            format!("\"{tag}{term}\"")
        }
    };
    Some(match scope {
        Scope::Any => format!("({} OR {} OR {})", one(""), one("r"), one("s")),
        Scope::Body => one(""),
        Scope::To => one("r"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_of_chinese_latin_and_recipients() {
        let g = of(&super::super::index::Text {
            subject: "周报".into(),
            sender: "李明".into(),
            recipients: "王芳 <wang@example.cn>".into(),
            body: "预算需要。ok CV 2024".into(),
            names: "合同.pdf".into(),
        });
        let tokens: Vec<&str> = g.split_whitespace().collect();
        for want in [
            "预算", "算需", "需要", "要", "ok", "cv", "合同", "同", "r王芳", "r芳", "rcn", "s周报",
            "s李明",
        ] {
            assert!(tokens.contains(&want), "{want} in {tokens:?}");
        }
        // Longer Latin words are the trigram index's.
        assert!(
            !tokens.contains(&"2024") && !tokens.contains(&"rwang") && !tokens.contains(&"pdf")
        );
        assert_eq!(query("预算", Scope::Body).as_deref(), Some("\"预算\""));
        assert_eq!(query("预", Scope::To).as_deref(), Some("\"r预\"*"));
        assert_eq!(
            query("CV", Scope::Any).as_deref(),
            Some("(\"cv\" OR \"rcv\" OR \"scv\")")
        );
        assert_eq!(query("%", Scope::Any), None);
        assert_eq!(query("\"", Scope::Any), None);
    }
}
