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

    fn matches(&self, q: &str, q_joined: &str) -> bool {
        if self.email.to_lowercase().contains(q) {
            return true;
        }
        self.keys.iter().any(|k| {
            k.starts_with(q)
                || k.starts_with(q_joined)
                || k.contains(&format!(" {q}"))
                || (!q.is_ascii() && k.contains(q))
        })
    }
}

/// The match keys of a name: itself lower-cased, and for Chinese names the
/// pinyin with and without spaces and the initials, for each reading of
/// the first character (the surname).
pub fn keys(name: &str) -> Vec<String> {
    let lower = name.trim().to_lowercase();
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

/// All contacts and groups, ready to be asked.
#[derive(Debug, Default, Clone)]
pub struct Matcher {
    entries: Vec<Entry>,
}

impl Matcher {
    pub fn new(entries: Vec<Entry>) -> Matcher {
        Matcher { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` entries for `query`, best first (an empty query:
    /// the best of all).
    pub fn find(&self, query: &str, limit: usize) -> Vec<&Entry> {
        let q = query.trim().to_lowercase();
        let joined: String = q.split_whitespace().collect();
        let mut hits: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| q.is_empty() || e.matches(&q, &joined))
            .collect();
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
