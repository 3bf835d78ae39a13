//! A subject without its reply and forward prefixes (`Re:`, `回复：`,
//! `转发：`...): what a thread is about, for sorting, threading and replies.

/// Prefixes that mark a reply or a forward, as mail clients write them
/// (compared case-insensitively; full-width and ASCII colons both).
const PREFIXES: [&str; 9] = [
    "re", "aw", "sv", "fwd", "fw", "回复", "答复", "转发", "回覆",
];

/// Strips every leading reply/forward prefix (`Re: Fwd: 回复：x` → `x`):
/// the subject the thread is about.
pub fn base_subject(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let Some(rest) = strip_one(s) else {
            return s;
        };
        s = rest.trim_start();
    }
}

fn strip_one(s: &str) -> Option<&str> {
    for p in PREFIXES {
        let Some(head) = s.get(..p.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(p) {
            continue;
        }
        let mut rest = &s[p.len()..];
        // `Re[2]:` and `Re(2):` count too.
        if let Some(r) = rest.strip_prefix('[').or_else(|| rest.strip_prefix('(')) {
            let end = r.find([']', ')'])?;
            if !r[..end].chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            rest = &r[end + 1..];
        }
        if let Some(r) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
            return Some(r);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_stripped_but_words_kept() {
        assert_eq!(base_subject("Re: Fwd: 回复：x"), "x");
        assert_eq!(base_subject("Research: x"), "Research: x");
    }
}
