//! A leaf: text as the terminal shows it. `sanitize` is the one gate between
//! untrusted text and the screen; the rest is display-width arithmetic for
//! terminal columns (CJK characters take two cells, combining marks none),
//! used by `postie list` and by the UI.

pub mod sanitize;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` cells at a character boundary, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut to `cells` and padded with spaces to exactly `cells` columns.
pub fn fit(s: &str, cells: usize) -> String {
    let mut out = truncate(s, cells);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

/// `s` in at most `cells` columns. A message whose advice is in a closing
/// parenthesis (`… (is the server running, and is the port right?)`) keeps
/// that advice and gives way before it; any other is cut at its end.
pub fn truncate_middle(s: &str, cells: usize) -> String {
    if width(s) <= cells {
        return s.to_string();
    }
    let open = s.rfind(['(', '（']).filter(|_| s.ends_with([')', '）']));
    if let Some(at) = open {
        let advice = &s[at..];
        let aw = width(advice);
        // The message's start keeps 30 columns at least (what went wrong).
        if aw + 31 <= cells {
            let head = truncate(s[..at].trim_end(), cells - aw - 1);
            return format!("{head} {advice}");
        }
    }
    truncate(s, cells)
}

/// `s` right-aligned in `cells` columns.
pub fn fit_right(s: &str, cells: usize) -> String {
    let s = truncate(s, cells);
    let pad = cells.saturating_sub(width(&s));
    format!("{}{s}", " ".repeat(pad))
}

/// "10M", "500K", "1G" or a number of bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1024),
        'M' => (&t[..t.len() - 1], 1024 * 1024),
        'G' => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

/// Sizes as people read them: 512 B, 4.2K, 13M.
pub fn human_size(octets: u64) -> String {
    const K: f64 = 1024.0;
    let b = octets as f64;
    if octets < 1024 {
        format!("{octets}B")
    } else if b < K * 10.0 {
        format!("{:.1}K", b / K)
    } else if b < K * K {
        format!("{:.0}K", b / K)
    } else if b < K * K * 10.0 {
        format!("{:.1}M", b / K / K)
    } else if b < K * K * K {
        format!("{:.0}M", b / K / K)
    } else {
        // Bigger than any real message, but a hostile LIST may say so: it
        // must still fit the size column (u64::MAX is 16.0E).
        let mut v = b / K / K / K;
        let units = ["G", "T", "P", "E"];
        let mut i = 0;
        while v >= 1000.0 && i + 1 < units.len() {
            v /= K;
            i += 1;
        }
        if v < 10.0 {
            format!("{v:.1}{}", units[i])
        } else {
            format!("{v:.0}{}", units[i])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_notice_keeps_its_advice() {
        let n = "cannot connect to pop.example.com:1100: connection refused (is the server running, and is the port right?)";
        let cut = truncate_middle(n, 78);
        assert!(width(&cut) <= 78, "{cut}");
        assert!(cut.starts_with("cannot connect"), "{cut}");
        assert!(cut.ends_with("is the port right?)"), "{cut}");
        assert_eq!(truncate_middle("short", 78), "short");
        let zh = "无法连接 pop.example.com:1100：连接被拒绝（服务器在运行吗？端口对吗？）";
        assert!(width(&truncate_middle(zh, 66)) <= 66);
        assert!(truncate_middle(zh, 66).ends_with("端口对吗？）"));
        // Advice too long to keep whole: the start stays, the end goes.
        let long =
            "frm: is not a pattern postie knows (from:, to:, subject:, body:, is:, has:, larger:)";
        assert!(truncate_middle(long, 50).starts_with("frm: is not a pattern postie knows"));
        assert!(truncate_middle(long, 100).ends_with("larger:)"));
    }

    #[test]
    fn sizes_fit_the_column_however_large() {
        assert_eq!(human_size(u64::MAX), "16E");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024 * 1024), "5.0T");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0G");
        for n in [
            0,
            1023,
            1024,
            10 << 20,
            999 << 30,
            1 << 50,
            u64::MAX / 3,
            u64::MAX,
        ] {
            assert!(human_size(n).len() <= 6, "{n}: {}", human_size(n));
        }
    }

    #[test]
    fn cjk_counts_two_cells_and_cuts_at_char_boundary() {
        assert_eq!(width("邮件示例"), 8);
        assert_eq!(truncate("邮件示例", 6), "邮件…");
        assert_eq!(width(&truncate("邮件示例", 6)), 5);
        assert_eq!(fit("邮件", 6), "邮件  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit_right("12", 4), "  12");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(4300), "4.2K");
        assert_eq!(human_size(200 * 1024), "200K");
        assert_eq!(human_size(10 * 1024 * 1024 + 1), "10M");
    }
}

/// Marks that close a phrase, which CJK typesetting never puts first on a line.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '】'
            | '》'
            | '”'
            | '’'
            | '…'
    )
}

/// Wraps one line to `width` cells: at spaces where there are any, anywhere in
/// CJK runs (which have no spaces), never splitting a character.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    if self::width(line) <= width {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    // The byte index in `cur` just after the last space, and the width up to it.
    let mut last_space: Option<(usize, usize)> = None;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if c == ' ' && cur_w + w > width {
            // A space at the edge is the break itself.
            out.push(std::mem::take(&mut cur));
            cur_w = 0;
            last_space = None;
            continue;
        }
        if cur_w + w > width && !cur.is_empty() {
            match last_space {
                Some((at, at_w)) if at < cur.len() && at_w > 0 => {
                    let rest = cur.split_off(at);
                    out.push(cur.trim_end().to_string());
                    cur = rest;
                    cur_w -= at_w;
                }
                _ => {
                    // No line starts with a closing mark (，。）…): the
                    // character before it goes down with it (kinsoku).
                    let carried = if is_closing(c) && cur.chars().count() > 1 {
                        cur.pop()
                    } else {
                        None
                    };
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                    if let Some(p) = carried {
                        cur.push(p);
                        cur_w = p.width().unwrap_or(0);
                    }
                }
            }
            last_space = None;
        }
        cur.push(c);
        cur_w += w;
        if c == ' ' {
            last_space = Some((cur.len(), cur_w));
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    #[test]
    fn no_line_starts_with_a_closing_mark() {
        // 8 cells: "过滤条件" fits, "，" would start the next line alone.
        let lines = wrap("过滤条件，只显示匹配", 8);
        assert!(lines.iter().all(|l| !l.starts_with('，')), "{lines:?}");
        assert_eq!(lines.concat(), "过滤条件，只显示匹配");
        assert!(lines.iter().all(|l| width(l) <= 8), "{lines:?}");
    }

    #[test]
    fn wraps_at_spaces_and_inside_cjk() {
        assert_eq!(wrap("hello big world", 9), vec!["hello big", "world"]);
        assert_eq!(wrap("中文中文中文", 5), vec!["中文", "中文", "中文"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), vec![""]);
        for line in wrap("混合 text 和中文 words 一起 wrapping 测试", 7) {
            assert!(width(&line) <= 7, "{line:?}");
        }
    }
}
