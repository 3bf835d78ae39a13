//! The links and addresses of a message (`y` in the reader): every URL in
//! the text (HTML mail's numbered references among them) and every e-mail
//! address in its headers and text, in order, each once. Pure.

use crate::mime::Rendered;

/// Characters that end a URL in running text.
fn url_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`' | '，' | '。' | '）' | '、')
}

fn urls(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(at) = ["https://", "http://", "ftp://", "mailto:", "www."]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let tail = &rest[at..];
        let end = tail.find(url_end).unwrap_or(tail.len());
        // Sentence punctuation and closing brackets after a URL are not part of it.
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?']);
        if url.len() > 8 && url.len() <= 2048 {
            out.push(url.to_string());
        }
        rest = &tail[end.max(1)..];
    }
}

fn addresses(text: &str, out: &mut Vec<String>) {
    let is_local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let is_domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    for (at, _) in text.match_indices('@') {
        let local_start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_local(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let domain_end = text[at + 1..]
            .char_indices()
            .take_while(|(_, c)| is_domain(*c))
            .last()
            .map_or(at + 1, |(i, c)| at + 1 + i + c.len_utf8());
        let local = &text[local_start..at];
        let domain = text[at + 1..domain_end].trim_end_matches(['.', '-']);
        if !local.is_empty() && domain.contains('.') && !local.starts_with('.') {
            out.push(format!("{local}@{domain}"));
        }
    }
}

/// Links first, then addresses (headers before the text), each once.
pub fn links_and_addresses(r: &Rendered) -> Vec<String> {
    let mut found = Vec::new();
    urls(&r.body, &mut found);
    // The HTML alternative's links too (the text part often has none).
    if let Some(html) = &r.html {
        urls(html, &mut found);
    }
    let mut addrs = Vec::new();
    for h in [&r.from, &r.to, &r.cc, &r.body] {
        addresses(h, &mut addrs);
    }
    // A mailto: link's address is listed with the addresses.
    found.retain(|u| !u.starts_with("mailto:"));
    found.extend(addrs);
    let mut seen = std::collections::HashSet::new();
    found.retain(|x| seen.insert(x.to_lowercase()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_then_addresses_each_once() {
        let r = Rendered {
            from: "李明 <li.ming@example.cn>".into(),
            to: "王总 <wang@example.cn>, li.ming@example.cn".into(),
            body: "详见 https://example.org/report?q=1&x=2。\n更多：(www.example.com/more).\n\n[1]: https://example.org/more\nWrite to support@example.com, or mailto:help@example.com!\nnot@home and @alone".into(),
            ..Rendered::default()
        };
        assert_eq!(
            links_and_addresses(&r),
            [
                "https://example.org/report?q=1&x=2",
                "www.example.com/more",
                "https://example.org/more",
                "li.ming@example.cn",
                "wang@example.cn",
                "support@example.com",
                "help@example.com",
            ]
        );
    }
}
