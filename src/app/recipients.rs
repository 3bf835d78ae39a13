//! Who a message goes to, asked on the prompt line before the editor opens
//! (`r a f c`, as mutt's `askcc`), and again on the compose screen (`t c
//! b`): `To:` first, ↓ / ↑ to `Cc:` and `Bcc:`, Tab completes from the
//! address book (`complete`). Pure, like the rest of `app`.

use super::keymap::Key;
use super::{App, Effect, Prompt};
use crate::send::compose::ComposeKind;
use crate::send::{ComposeRequest, Recipients};
use crate::uidl::Uidl;

/// Which line of the addressing prompt is being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    To,
    Cc,
    Bcc,
}

/// What the addresses are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A draft not written yet (the editor opens after).
    New {
        kind: ComposeKind,
        original: Option<Uidl>,
    },
    /// The draft on the compose screen.
    Draft { id: String },
}

/// The addressing prompt: the field being typed (its text is the prompt's)
/// and the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    pub target: Target,
    pub field: Field,
    /// Every field as last left (the one being typed is the prompt's text).
    pub to: Recipients,
}

impl Addressing {
    fn slot(&mut self, field: Field) -> &mut String {
        match field {
            Field::To => &mut self.to.to,
            Field::Cc => &mut self.to.cc,
            Field::Bcc => &mut self.to.bcc,
        }
    }
}

/// Where the address being typed starts: after the last `,` or `;` that is
/// not inside quotes, spaces skipped.
pub fn word_start(text: &str) -> usize {
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' | ';' if !quoted => start = i + c.len_utf8(),
            _ => {}
        }
    }
    start + (text[start..].len() - text[start..].trim_start().len())
}

/// A field as the draft gets it: no separator left dangling at the end.
fn tidy(text: &str) -> String {
    text.trim()
        .trim_end_matches([',', ';', ' '])
        .trim()
        .to_string()
}

impl App {
    /// Opens the addressing prompt on `field`, the fields filled from `to`.
    pub(super) fn ask_recipients(
        &mut self,
        target: Target,
        to: Recipients,
        field: Field,
    ) -> Vec<Effect> {
        let mut a = Addressing { target, field, to };
        let mut line = std::mem::take(a.slot(field));
        if !line.is_empty() && !line.ends_with(", ") {
            // Ready for one more address after those already there.
            line.push_str(", ");
        }
        self.prompt = Some((Prompt::Recipients(Box::new(a)), line));
        self.completion = None;
        self.contacts_wanted()
    }

    /// The address book is read once the prompt is first up.
    fn contacts_wanted(&mut self) -> Vec<Effect> {
        match self.contacts {
            super::complete::Contacts::NotLoaded => {
                self.contacts = super::complete::Contacts::Loading {
                    then_complete: false,
                };
                vec![Effect::LoadContacts]
            }
            _ => vec![],
        }
    }

    /// Keys of the addressing prompt that are its own (None: the prompt's
    /// usual editing keys).
    pub(super) fn recipients_key(&mut self, key: Key) -> Option<Vec<Effect>> {
        let Some((Prompt::Recipients(a), text)) = self.prompt.as_mut() else {
            return None;
        };
        let next = match (key, a.field) {
            (Key::Down, Field::To) | (Key::Up, Field::Bcc) => Field::Cc,
            (Key::Down, Field::Cc) => Field::Bcc,
            (Key::Up, Field::Cc) => Field::To,
            (Key::Down | Key::Up, f) => f,
            (Key::Tab, _) => return Some(self.complete()),
            (Key::Enter, f) => {
                *a.slot(f) = std::mem::take(text);
                let a = a.clone();
                self.prompt = None;
                return Some(self.recipients_answered(*a));
            }
            _ => return None,
        };
        let old = a.field;
        *a.slot(old) = std::mem::replace(text, std::mem::take(a.slot(next)));
        a.field = next;
        Some(vec![])
    }

    fn recipients_answered(&mut self, a: Addressing) -> Vec<Effect> {
        let to = Recipients {
            to: tidy(&a.to.to),
            cc: tidy(&a.to.cc),
            bcc: tidy(&a.to.bcc),
        };
        vec![Effect::Compose(match a.target {
            Target::New { kind, original } => ComposeRequest::Start {
                kind,
                original: original.map(|u| u.to_string()),
                to,
            },
            Target::Draft { id } => ComposeRequest::Readdress { id, to },
        })]
    }

    /// `t`, `c`, `b` on the compose screen: the draft's recipients again.
    pub(super) fn readdress(&mut self, field: Field) -> Vec<Effect> {
        let Some(c) = &self.compose else {
            return vec![];
        };
        let d = &c.view.draft;
        let to = Recipients {
            to: d.to.clone(),
            cc: d.cc.clone(),
            bcc: d.bcc.clone(),
        };
        let target = Target::Draft {
            id: c.view.id.clone(),
        };
        self.ask_recipients(target, to, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_being_typed_starts_after_the_last_separator_outside_quotes() {
        assert_eq!(word_start("zw"), 0);
        assert_eq!(word_start("a@b.cn, zw"), 8);
        assert_eq!(word_start("a@b.cn;zw"), 7);
        assert_eq!(word_start("\"Doe, John\" <j@d.cn>, 张"), 22);
        assert_eq!(word_start("\"Doe, Jo"), 0);
        assert_eq!(word_start("\"a\\\", b\" <x@y>, z"), 16);
        assert_eq!(word_start("a@b.cn,   "), 10);
    }

    #[test]
    fn a_field_loses_the_separator_left_for_the_next_address() {
        assert_eq!(
            tidy("张伟 <zhang.wei@corp.cn>, "),
            "张伟 <zhang.wei@corp.cn>"
        );
        assert_eq!(tidy(" a@b.cn;  "), "a@b.cn");
        assert_eq!(tidy(""), "");
    }
}
