//! Finding a contact as it is typed: by name, address, pinyin in full
//! (`zhangwei`, `zhang wei`) or initials (`zw`), with both readings of a
//! surname that has two (单 shan/dan, 曾 zeng/ceng); ranked by how often and
//! how recently you wrote to them, then read them. Everything is in memory:
//! a keystroke over 50,000 contacts is a scan of short strings.

use pinyin::{ToPinyin, ToPinyinMulti};

/// A contact as completion sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub email: String,
    /// Lower-case forms a query is matched against (name, pinyin, initials).
    keys: Vec<String>,
    pub score: f64,
    /// For a group: its members' addresses (the entry's `email` is empty).
    pub members: Vec<String>,
}

impl Entry {
    pub fn contact(name: &str, email: &str, score: f64) -> Entry {
        Entry {
            keys: keys(name),
            name: name.to_string(),
            email: email.to_string(),
            score,
            members: Vec::new(),
        }
    }

    pub fn group(name: &str, members: Vec<String>, score: f64) -> Entry {
        Entry {
            keys: keys(name),
            name: name.to_string(),
            email: String::new(),
            score,
            members,
        }
    }

    pub fn is_group(&self) -> bool {
        self.email.is_empty()
    }

    /// `张伟 <zhang.wei@corp.cn>`, a bare address without a name; for a
    /// group its members, comma-separated.
    pub fn address(&self) -> String {
        if self.is_group() {
            return self.members.join(", ");
        }
        if self.name.is_empty() {
            return self.email.clone();
        }
        let needs_quotes = self
            .name
            .chars()
            .any(|c| matches!(c, ',' | ';' | '<' | '>' | '@' | '"' | '(' | ')' | ':'));
        if needs_quotes {
            let escaped = self.name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{}>", self.email)
        } else {
            format!("{} <{}>", self.name, self.email)
        }
    }
}

/// The match keys of a name: itself lower-cased, and for Chinese names the
/// pinyin with and without spaces and the initials, for each reading of
/// the first character (the surname).
pub fn keys(name: &str) -> Vec<String> {
    // Control characters would blur the boundaries the matcher relies on.
    let lower: String = name
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut out = vec![lower.clone()];
    if !lower.chars().any(|c| c.to_pinyin().is_some()) {
        // Western names: each word can start a match.
        return out;
    }
    let mut first_readings: Vec<&'static str> = Vec::new();
    let mut rest: Vec<String> = Vec::new();
    for (i, c) in lower.chars().enumerate() {
        if i == 0 {
            match c.to_pinyin_multi() {
                Some(multi) => {
                    for p in multi {
                        if !first_readings.contains(&p.plain()) {
                            first_readings.push(p.plain());
                        }
                    }
                }
                None => rest.push(c.to_string()),
            }
        } else {
            match c.to_pinyin() {
                Some(p) => rest.push(p.plain().to_string()),
                None if c.is_whitespace() || c == '·' => {}
                None => rest.push(c.to_string()),
            }
        }
    }
    if first_readings.is_empty() {
        first_readings.push("");
    }
    for first in first_readings {
        let mut words: Vec<String> = Vec::new();
        if !first.is_empty() {
            words.push(first.to_string());
        }
        words.extend(rest.iter().cloned());
        let spaced = words.join(" ");
        let joined = words.concat();
        let initials: String = words.iter().filter_map(|w| w.chars().next()).collect();
        for k in [spaced, joined, initials] {
            if !k.is_empty() && !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

/// All contacts and groups, ready to be asked: their keys laid end to end
/// in one text (each key after a 0x01), their addresses in another, so a
/// keystroke is a few substring searches over two flat texts rather than a
/// walk over 50,000 entries' strings.
#[derive(Debug, Default, Clone)]
pub struct Matcher {
    entries: Vec<Entry>,
    keys: String,
    key_starts: Vec<usize>,
    emails: String,
    email_starts: Vec<usize>,
}

/// Marks each entry in which `pat` occurs in `hay` (`starts`: where each
/// entry's part begins); one hit is enough, so the search goes on from the
/// next entry.
fn scan(hay: &str, starts: &[usize], pat: &str, marked: &mut [bool]) {
    let finder = memchr::memmem::Finder::new(pat.as_bytes());
    let bytes = hay.as_bytes();
    let mut pos = 0;
    while let Some(off) = bytes.get(pos..).and_then(|rest| finder.find(rest)) {
        let at = pos + off;
        let i = starts.partition_point(|&s| s <= at).saturating_sub(1);
        if let Some(m) = marked.get_mut(i) {
            *m = true;
        }
        pos = starts.get(i + 1).copied().unwrap_or(bytes.len());
    }
}

impl Matcher {
    pub fn new(entries: Vec<Entry>) -> Matcher {
        let mut keys = String::new();
        let mut emails = String::new();
        let mut key_starts = Vec::with_capacity(entries.len());
        let mut email_starts = Vec::with_capacity(entries.len());
        for e in &entries {
            key_starts.push(keys.len());
            for k in &e.keys {
                keys.push('\u{1}');
                keys.push_str(k);
            }
            email_starts.push(emails.len());
            emails.push('\u{1}');
            emails.push_str(&e.email.to_lowercase());
        }
        Matcher {
            entries,
            keys,
            key_starts,
            emails,
            email_starts,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` entries for `query`, best first (an empty query:
    /// the best of all). A key matches from its start (`zhang`, the
    /// initials `zw`, `zhang wei` also typed `zhangwei`) or from a later
    /// word (`wei`); Chinese anywhere in a name (`伟`); an address
    /// anywhere (`wei@`).
    pub fn find(&self, query: &str, limit: usize) -> Vec<&Entry> {
        let text: String = query
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let mut hits: Vec<&Entry> = if text.is_empty() {
            self.entries.iter().collect()
        } else {
            let mut marked = vec![false; self.entries.len()];
            let joined: String = text.split_whitespace().collect();
            scan(
                &self.keys,
                &self.key_starts,
                &format!("\u{1}{text}"),
                &mut marked,
            );
            if joined != text {
                scan(
                    &self.keys,
                    &self.key_starts,
                    &format!("\u{1}{joined}"),
                    &mut marked,
                );
            }
            scan(
                &self.keys,
                &self.key_starts,
                &format!(" {text}"),
                &mut marked,
            );
            if !text.is_ascii() {
                scan(&self.keys, &self.key_starts, &text, &mut marked);
            }
            scan(&self.emails, &self.email_starts, &text, &mut marked);
            self.entries
                .iter()
                .zip(marked)
                .filter_map(|(e, m)| m.then_some(e))
                .collect()
        };
        let by_score = |a: &&Entry, b: &&Entry| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.email.cmp(&b.email))
        };
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit, by_score);
            hits.truncate(limit);
        }
        hits.sort_by(by_score);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> Matcher {
        Matcher::new(vec![
            Entry::contact("张伟", "zhang.wei@corp.cn", 5.0),
            Entry::contact("张卫国", "weiguo@corp.cn", 1.0),
            Entry::contact("单雄信", "shan@corp.cn", 1.0),
            Entry::contact("Newsletter", "news@shop.example", 0.1),
            Entry::group("项目组", vec!["a@x.cn".into(), "b@x.cn".into()], 0.5),
        ])
    }

    fn first(m: &Matcher, q: &str) -> String {
        m.find(q, 5)
            .first()
            .map(|e| e.address())
            .unwrap_or_default()
    }

    #[test]
    fn zw_zhangw_zhang_wei_and_the_surname_find_zhang_wei() {
        let m = book();
        for q in [
            "zw",
            "zhangw",
            "zhang wei",
            "ZhangWei",
            "张",
            "wei@",
            "张伟",
        ] {
            assert_eq!(first(&m, q), "张伟 <zhang.wei@corp.cn>", "{q}");
        }
        // Both readings of 单.
        assert_eq!(first(&m, "shanx"), "单雄信 <shan@corp.cn>");
        assert_eq!(first(&m, "danxiong"), "单雄信 <shan@corp.cn>");
        assert_eq!(first(&m, "news"), "Newsletter <news@shop.example>");
        assert!(m.find("qqq", 5).is_empty());
    }

    #[test]
    fn ranking_puts_whom_you_write_to_first_and_groups_expand() {
        let m = book();
        let zh: Vec<String> = m.find("zh", 5).iter().map(|e| e.email.clone()).collect();
        assert_eq!(zh, vec!["zhang.wei@corp.cn", "weiguo@corp.cn"]);
        let g = m.find("xmz", 5);
        assert_eq!(g.len(), 1);
        assert!(g[0].is_group());
        assert_eq!(g[0].address(), "a@x.cn, b@x.cn");
        let quoted = Entry::contact("Wei, Zhang", "z@x.cn", 0.0);
        assert_eq!(quoted.address(), "\"Wei, Zhang\" <z@x.cn>");
    }
}
