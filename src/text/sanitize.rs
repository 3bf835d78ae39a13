//! The one gate between untrusted text and the terminal. Every string that came
//! from a server or a message passes through here before it is drawn or printed:
//! ESC, C0 and C1 controls and bidi overrides become visible placeholders, so a
//! message can neither move the cursor nor reorder what the reader sees.

/// Tab stops every 8 columns, as terminals do.
pub const TAB_WIDTH: usize = 8;

/// Characters that reorder text (bidi embeddings, overrides, isolates, marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn push_placeholder(out: &mut String, c: char) {
    match c {
        '\u{0}'..='\u{1f}' => {
            out.push('^');
            out.push((b'@' + c as u8) as char);
        }
        '\u{7f}' => out.push_str("^?"),
        _ => out.push_str(&format!("<U+{:04X}>", c as u32)),
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// For one-line fields (subject, sender, status text): line breaks and tabs
/// become single spaces; other controls become placeholders.
pub fn sanitize_line(s: &str) -> std::borrow::Cow<'_, str> {
    // Printable ASCII (most of it) is safe as it is: no decoding of characters.
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) || !s.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut last_space = false;
    for c in s.chars() {
        match c {
            '\t' | '\r' | '\n' => {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
                continue;
            }
            c if is_unsafe(c) => push_placeholder(&mut out, c),
            c => out.push(c),
        }
        last_space = false;
    }
    std::borrow::Cow::Owned(out)
}

/// For bodies: keeps line breaks (CRLF and lone CR become LF), expands tabs
/// to the next multiple of `TAB_WIDTH` columns, and shows every other control.
pub fn sanitize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut col = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        // Printable ASCII, most of most mail: copied a run at a time, a
        // column a byte.
        let run = bytes[i..]
            .iter()
            .take_while(|b| (0x20..0x7f).contains(*b))
            .count();
        if run > 0 {
            out.push_str(&s[i..i + run]);
            col += run;
            i += run;
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        match c {
            '\n' => {
                out.push('\n');
                col = 0;
            }
            '\r' => {
                if bytes.get(i) != Some(&b'\n') {
                    out.push('\n');
                }
                col = 0;
            }
            '\t' => {
                let n = TAB_WIDTH - col % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            c if is_unsafe(c) => {
                let before = out.len();
                push_placeholder(&mut out, c);
                col += out.len() - before;
            }
            c => {
                out.push(c);
                col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            }
        }
    }
    out
}

/// True if `s` is safe to write to a terminal as it is (newlines allowed).
pub fn is_clean(s: &str) -> bool {
    !s.chars().any(|c| c != '\n' && is_unsafe(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_become_visible() {
        assert_eq!(sanitize_line("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(sanitize_line("x\u{9b}31m"), "x<U+009B>31m");
        assert_eq!(sanitize_line("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        assert_eq!(sanitize_line("bell\x07\x00\x7f"), "bell^G^@^?");
        assert_eq!(sanitize_line("folded\r\n\tsubject"), "folded subject");
        assert!(is_clean(&sanitize_line("\u{2066}\u{2069}\u{200f}\x1b")));
    }

    #[test]
    fn text_keeps_lines_and_expands_tabs() {
        assert_eq!(sanitize_text("a\tb\r\nc\rd"), "a       b\nc\nd");
        assert_eq!(sanitize_text("中\tx"), "中      x");
        assert_eq!(sanitize_text("\x1b]0;title\x07"), "^[]0;title^G");
        assert!(is_clean(&sanitize_text("\u{85}\u{8d}\x1bP")));
    }

    #[test]
    fn clean_text_is_untouched() {
        let s = "邮件示例 — hello, world";
        assert_eq!(sanitize_line(s), s);
        assert_eq!(sanitize_text(s), s);
    }
}
