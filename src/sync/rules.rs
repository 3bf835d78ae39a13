//! Filter rules: in order, each a pattern (`sync::pattern`) and what to do
//! with a message it matches — move or copy it to a folder, mark it read,
//! flag it, call it junk — and whether later rules are still tried. Pure:
//! deciding; the store carries it out. A rule never deletes: its harshest
//! action is a move to Trash.

use super::pattern::{Candidate, Pattern};
use crate::store::{Flags, Folder};

/// What one rule does to a message it matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Action {
    pub move_to: Option<Folder>,
    pub copy_to: Option<Folder>,
    pub mark_read: bool,
    pub flag: bool,
    pub junk: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// 1-based, as the config lists them (for messages).
    pub number: usize,
    pub pattern: Pattern,
    pub action: Action,
    pub stop: bool,
}

/// What the rules decided for one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Where it ends up (the last move wins; junk is a move to Junk).
    pub folder: Option<Folder>,
    /// Folders that get a copy.
    pub copies: Vec<Folder>,
    /// Flags to add.
    pub flags: Flags,
    /// The numbers of the rules that matched.
    pub matched: Vec<usize>,
}

impl Outcome {
    pub fn is_empty(&self) -> bool {
        self.matched.is_empty()
    }
}

/// Runs `rules` in order over `m`.
pub fn apply(rules: &[Rule], m: &impl Candidate) -> Outcome {
    let mut out = Outcome::default();
    for r in rules {
        if !r.pattern.matches(m, None) {
            continue;
        }
        out.matched.push(r.number);
        let a = &r.action;
        if let Some(f) = &a.copy_to {
            if !out.copies.contains(f) {
                out.copies.push(f.clone());
            }
        }
        if a.junk {
            out.folder = Some(Folder::Junk);
        } else if let Some(f) = &a.move_to {
            out.folder = Some(f.clone());
        }
        if a.mark_read {
            out.flags = out.flags.with(Flags::SEEN);
        }
        if a.flag {
            out.flags = out.flags.with(Flags::FLAGGED);
        }
        if r.stop {
            break;
        }
    }
    out
}

/// Whether any rule needs the header block (else summaries suffice).
pub fn need_headers(rules: &[Rule]) -> bool {
    rules.iter().any(|r| r.pattern.needs_headers())
}

/// A spam filter's commands, each run through `sh -c` with the message on
/// its standard input: `judge` exits 0 for spam (bogofilter's way;
/// `spamc -c` needs `spamc -c >/dev/null; test $? = 1`), `learn_spam` and
/// `learn_ham` teach it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Junk {
    pub judge: Option<String>,
    pub learn_spam: Option<String>,
    pub learn_ham: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::DecodeOptions;
    use crate::sync::pattern::{MessageView, Scope};
    use crate::uidl::Uidl;

    fn rule(number: usize, pattern: &str, action: Action, stop: bool) -> Rule {
        let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        Rule {
            number,
            pattern: Pattern::parse_for(pattern, zone, Scope::Message).unwrap(),
            action,
            stop,
        }
    }

    #[test]
    fn rules_run_in_order_until_one_says_stop() {
        let m = MessageView::read(
            Uidl::from("u"),
            b"From: boss@corp.cn\r\nSubject: =?UTF-8?B?5ZCI5ZCM?=\r\n\r\n",
            10,
            Flags::default(),
            &DecodeOptions::default(),
        );
        let own = |n: &str| Folder::own(n).unwrap();
        let rules = vec![
            rule(
                1,
                "from:nobody",
                Action {
                    move_to: Some(own("x")),
                    ..Action::default()
                },
                true,
            ),
            rule(
                2,
                "subject:合同",
                Action {
                    copy_to: Some(own("合同")),
                    mark_read: true,
                    ..Action::default()
                },
                false,
            ),
            rule(
                3,
                "from:boss@",
                Action {
                    move_to: Some(own("工作")),
                    flag: true,
                    ..Action::default()
                },
                true,
            ),
            rule(
                4,
                "from:boss@",
                Action {
                    junk: true,
                    ..Action::default()
                },
                false,
            ),
        ];
        let o = apply(&rules, &m);
        assert_eq!(o.matched, [2, 3]);
        assert_eq!(o.folder, Some(own("工作")));
        assert_eq!(o.copies, [own("合同")]);
        assert_eq!(o.flags, Flags::SEEN.with(Flags::FLAGGED));
        // Without the stop, the junk rule wins the folder.
        let mut rules = rules;
        rules[2].stop = false;
        assert_eq!(apply(&rules, &m).folder, Some(Folder::Junk));
    }
}
