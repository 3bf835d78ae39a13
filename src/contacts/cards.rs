//! Address books from other programs, and one for them: vCard 2.1/3.0/4.0
//! (Foxmail, Thunderbird, Google, Apple, Outlook; read by Stalwart's
//! `calcard`, which decodes vCard 2.1's QUOTED-PRINTABLE and CHARSET=GB2312)
//! and CSV as Foxmail and Outlook export it (UTF-8 with or without a BOM,
//! UTF-16LE with a BOM, GBK; the header row names the columns in Chinese or
//! English). Written back as vCard 4.0.

use calcard::vcard::{VCard, VCardEntry, VCardKind, VCardProperty, VCardValue, VCardVersion};

/// One person (or group) read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    pub name: String,
    pub emails: Vec<String>,
    /// The groups (CATEGORIES, 分组) it is in.
    pub groups: Vec<String>,
    /// A vCard 4.0 group (KIND:group): its members' addresses are `emails`.
    pub is_group: bool,
}

/// Why a file gave no contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardsError {
    /// Neither a vCard nor a CSV file with an e-mail column.
    Unknown,
    /// A CSV file whose header row names no e-mail column.
    NoEmailColumn(Vec<String>),
}

/// A text file's bytes as text: a BOM says UTF-8 or UTF-16; otherwise
/// UTF-8 if it is, else GBK (GB18030), as Chinese Windows writes.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// The contacts in a file's text, vCard or CSV (told apart by content).
pub fn read(text: &str) -> Result<Vec<Card>, CardsError> {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head
        .as_bytes()
        .get(..11)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"begin:vcard"))
    {
        return Ok(read_vcards(text));
    }
    read_csv(text)
}

fn text_of(v: &VCardValue) -> Option<String> {
    match v {
        VCardValue::Text(t) => Some(t.trim().to_string()),
        VCardValue::Component(parts) => Some(parts.join(" ").trim().to_string()),
        _ => None,
    }
}

fn plausible_email(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches("mailto:").trim();
    (s.contains('@') && !s.contains(char::is_whitespace) && s.len() <= 320).then(|| s.to_string())
}

/// A name from N's components (family; given; middle; prefix; suffix):
/// Chinese names family first without a space, others given first.
fn name_from_n(values: &[VCardValue]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| text_of(v).unwrap_or_default())
        .collect();
    let family = parts.first().cloned().unwrap_or_default();
    let given = parts.get(1).cloned().unwrap_or_default();
    let cjk = family
        .chars()
        .chain(given.chars())
        .any(crate::store::words::is_cjk);
    if cjk {
        format!("{family}{given}")
    } else {
        [given, family]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn read_vcards(text: &str) -> Vec<Card> {
    let mut out = Vec::new();
    let mut parser = calcard::Parser::new(text);
    loop {
        match parser.entry() {
            calcard::Entry::VCard(v) => {
                if let Some(card) = card_of(&v) {
                    out.push(card);
                }
            }
            calcard::Entry::Eof => break,
            // A damaged line or card: the rest of the file still counts.
            _ => {}
        }
    }
    out
}

fn card_of(v: &VCard) -> Option<Card> {
    let mut card = Card::default();
    let mut n_name = String::new();
    for e in &v.entries {
        match &e.name {
            VCardProperty::Fn if card.name.is_empty() => {
                card.name = e
                    .values
                    .iter()
                    .filter_map(text_of)
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            VCardProperty::N => n_name = name_from_n(&e.values),
            VCardProperty::Email | VCardProperty::Member => {
                for v in &e.values {
                    if let Some(m) = text_of(v).as_deref().and_then(plausible_email) {
                        if !card.emails.contains(&m) {
                            card.emails.push(m);
                        }
                    }
                }
            }
            VCardProperty::Categories => {
                for v in &e.values {
                    for g in text_of(v).unwrap_or_default().split(',') {
                        let g = g.trim();
                        if !g.is_empty() && !card.groups.iter().any(|x| x == g) {
                            card.groups.push(g.to_string());
                        }
                    }
                }
            }
            VCardProperty::Kind => {
                card.is_group = e
                    .values
                    .iter()
                    .any(|v| matches!(v, VCardValue::Kind(VCardKind::Group)));
            }
            _ => {}
        }
    }
    if card.name.trim().is_empty() {
        card.name = n_name;
    }
    card.name = card.name.trim().to_string();
    (!card.emails.is_empty()).then_some(card)
}

/// A header cell, folded for comparison.
fn fold(h: &str) -> String {
    h.trim().trim_matches('"').trim().to_lowercase()
}

fn read_csv(text: &str) -> Result<Vec<Card>, CardsError> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or_default();
    if first.trim().is_empty() {
        return Err(CardsError::Unknown);
    }
    let tabs = first.matches('\t').count();
    let delimiter = if tabs > first.matches(',').count() {
        b'\t'
    } else if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(fold).collect(),
        Err(_) => return Err(CardsError::Unknown),
    };
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let name_col = find(&[
        "姓名",
        "名字",
        "显示名称",
        "联系人",
        "name",
        "display name",
        "full name",
        "nickname",
    ]);
    let given_col = find(&["名", "first name", "given name"]);
    let family_col = find(&["姓", "last name", "family name", "surname"]);
    let group_col = find(&[
        "类别",
        "分组",
        "组",
        "所属组",
        "categories",
        "group",
        "groups",
        "group membership",
    ]);
    let email_cols: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            (h.contains("mail") || h.contains("邮件") || h.contains("邮箱"))
                && !["type", "类型", "display", "显示"]
                    .iter()
                    .any(|x| h.contains(x))
        })
        .map(|(i, _)| i)
        .collect();
    if email_cols.is_empty() {
        return Err(CardsError::NoEmailColumn(headers));
    }
    let mut out = Vec::new();
    for record in reader.records().flatten() {
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let mut card = Card {
            name: cell(name_col),
            ..Card::default()
        };
        if card.name.is_empty() {
            let n = [
                VCardValue::Text(cell(family_col)),
                VCardValue::Text(cell(given_col)),
            ];
            card.name = name_from_n(&n);
        }
        for &i in &email_cols {
            // Google's "a@x ::: b@y" and Foxmail's "a@x;b@y" hold several.
            for part in record
                .get(i)
                .unwrap_or_default()
                .split([';', ','])
                .flat_map(|p| p.split(":::"))
            {
                if let Some(m) = plausible_email(part) {
                    if !card.emails.contains(&m) {
                        card.emails.push(m);
                    }
                }
            }
        }
        for g in cell(group_col)
            .split([';', ','])
            .flat_map(|g| g.split(":::"))
        {
            let g = g.trim().trim_start_matches('*').trim();
            if !g.is_empty() && g != "myContacts" && !card.groups.iter().any(|x| x == g) {
                card.groups.push(g.to_string());
            }
        }
        if !card.emails.is_empty() {
            out.push(card);
        }
    }
    Ok(out)
}

/// Cards as vCard 4.0 text: FN, every EMAIL, CATEGORIES; groups as
/// KIND:group with a MEMBER each.
pub fn write_vcards(cards: &[Card]) -> String {
    let mut out = String::new();
    for c in cards {
        let mut v = VCard::default();
        if c.is_group {
            v.entries
                .push(VCardEntry::new(VCardProperty::Kind).with_value(VCardKind::Group));
        }
        v.entries
            .push(VCardEntry::new(VCardProperty::Fn).with_value(c.name.clone()));
        for e in &c.emails {
            let (prop, value) = if c.is_group {
                (VCardProperty::Member, format!("mailto:{e}"))
            } else {
                (VCardProperty::Email, e.clone())
            };
            v.entries.push(VCardEntry::new(prop).with_value(value));
        }
        if !c.groups.is_empty() {
            v.entries.push(
                VCardEntry::new(VCardProperty::Categories).with_values(
                    c.groups
                        .iter()
                        .map(|g| VCardValue::Text(g.clone()))
                        .collect(),
                ),
            );
        }
        // Writing into a String cannot fail.
        let _ = v.write_to(&mut out, VCardVersion::V4_0);
    }
    out
}

#[cfg(test)]
#[path = "cards_tests.rs"]
mod tests;
