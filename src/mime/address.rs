//! Addresses as people write them: lists split at `,` `;` (and the
//! full-width `，` `；` of a Chinese input method), one mailbox parsed into
//! lettre's type, and `Name <addr>` written back with quotes only where needed.

/// Header values are one line each in a draft.
fn one_line(v: &str) -> String {
    v.replace(['\r', '\n'], " ").trim().to_string()
}

/// Splits an address list at commas and semicolons (Outlook and Foxmail
/// users separate with `;`, and full-width `，` `；` slip in with a Chinese
/// input method) outside quotes and angle brackets.
pub fn split_addresses(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for c in list.chars() {
        if escaped {
            escaped = false;
            cur.push(c);
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' | '，' | '；' if !quoted && !angle => {
                let t = cur.trim();
                if !t.is_empty() {
                    out.push(t.to_string());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    let t = cur.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
    out
}

/// One address as a lettre mailbox, or why it is not one.
pub fn parse_mailbox(entry: &str) -> Result<lettre::message::Mailbox, String> {
    let entry = entry.trim();
    let (name, addr) = match (entry.rfind('<'), entry.ends_with('>')) {
        (Some(open), true) => (entry[..open].trim(), &entry[open + 1..entry.len() - 1]),
        _ => ("", entry),
    };
    let addr = addr.trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
        .unwrap_or_else(|| name.to_string());
    let bad = || format!("\"{entry}\" is not an e-mail address");
    if addr.is_empty() || addr.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let address: lettre::Address = addr.parse().map_err(|_| bad())?;
    let name = name.trim();
    Ok(lettre::message::Mailbox::new(
        (!name.is_empty()).then(|| name.to_string()),
        address,
    ))
}

/// `Name <addr>` as a draft line shows it, quoting a name that needs it.
pub fn format_mailbox(name: &str, address: &str) -> String {
    let name = one_line(name);
    if name.is_empty() || name == address {
        return address.to_string();
    }
    let plain = name.chars().all(|c| {
        !matches!(
            c,
            ',' | ';' | '"' | '<' | '>' | '(' | ')' | '@' | ':' | '\\' | '[' | ']' | '，' | '；'
        )
    });
    if plain {
        format!("{name} <{address}>")
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\" <{address}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_split_outside_quotes_and_brackets() {
        assert_eq!(
            split_addresses("\"Wang, Li\" <l@x.cn>; b@y.com，c@z.com ; <d,e@w.com>"),
            vec!["\"Wang, Li\" <l@x.cn>", "b@y.com", "c@z.com", "<d,e@w.com>"]
        );
        assert!(split_addresses("  ,; ").is_empty());
    }

    #[test]
    fn mailboxes_parse_with_chinese_names_and_refuse_junk() {
        let m = parse_mailbox("张三 <zhang@example.cn>").unwrap();
        assert_eq!(m.name.as_deref(), Some("张三"));
        assert_eq!(m.email.to_string(), "zhang@example.cn");
        let m = parse_mailbox("\"Wang, Li\" <l@x.cn>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Wang, Li"));
        assert!(parse_mailbox("bob@").is_err());
        assert!(parse_mailbox("bob").is_err());
        assert!(parse_mailbox("a b@c.com").is_err());
        assert_eq!(
            parse_mailbox("bob@").unwrap_err(),
            "\"bob@\" is not an e-mail address"
        );
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(format_mailbox("张三", "z@x.cn"), "张三 <z@x.cn>");
        assert_eq!(
            format_mailbox("Wang, Li", "l@x.cn"),
            "\"Wang, Li\" <l@x.cn>"
        );
        assert_eq!(format_mailbox("", "l@x.cn"), "l@x.cn");
        let s = format_mailbox("A \"B\" C", "l@x.cn");
        assert_eq!(
            parse_mailbox(&s).unwrap().name.as_deref(),
            Some("A \"B\" C")
        );
    }
}
