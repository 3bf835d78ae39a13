//! `[[accounts.NAME.rules]]` (and shared `[[rules]]`, tried after an
//! account's own) and `junk = { judge, learn_spam, learn_ham }`: checked when
//! the config is read, so a bad pattern is an error naming the rule's number
//! and the part that is wrong.

use serde::Deserialize;

use crate::store::Folder;
use crate::sync::pattern::{Pattern, Scope};
use crate::sync::rules::{Action, Junk, Rule};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// A pattern (`from:@jd.com | subject:订单`).
    #[serde(rename = "match")]
    pub pattern: String,
    /// Move to this folder (created when missing).
    #[serde(rename = "move")]
    pub move_to: Option<String>,
    /// Copy to this folder.
    #[serde(rename = "copy")]
    pub copy_to: Option<String>,
    /// "read": mark it read.
    pub mark: Option<String>,
    #[serde(default)]
    pub flag: bool,
    /// Move to Junk.
    #[serde(default)]
    pub junk: bool,
    /// Later rules are not tried.
    #[serde(default)]
    pub stop: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JunkConfig {
    pub judge: Option<String>,
    pub learn_spam: Option<String>,
    pub learn_ham: Option<String>,
}

impl JunkConfig {
    pub fn commands(&self) -> Junk {
        let clean = |c: &Option<String>| c.clone().filter(|s| !s.trim().is_empty());
        Junk {
            judge: clean(&self.judge),
            learn_spam: clean(&self.learn_spam),
            learn_ham: clean(&self.learn_ham),
        }
    }
}

fn folder(what: &str, name: &str, number: usize) -> Result<Folder, String> {
    Folder::parse(name).map_err(|e| {
        rust_i18n::t!(
            "config.rule_folder",
            n = number,
            what = what,
            name = name,
            error = e
        )
        .into_owned()
    })
}

/// The rules, parsed (dates in patterns are local days).
pub fn compile(rules: &[RuleConfig]) -> Result<Vec<Rule>, String> {
    let zone = *chrono::Local::now().offset();
    rules
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let number = k + 1;
            let pattern = Pattern::parse_for(&r.pattern, zone, Scope::Message).map_err(|e| {
                rust_i18n::t!(
                    "config.rule_pattern",
                    n = number,
                    pattern = r.pattern,
                    error = e
                )
                .into_owned()
            })?;
            let mark_read = match r.mark.as_deref() {
                None => false,
                Some("read") => true,
                Some(other) => {
                    return Err(
                        rust_i18n::t!("config.rule_mark", n = number, value = other).into_owned()
                    )
                }
            };
            let action = Action {
                move_to: r
                    .move_to
                    .as_deref()
                    .map(|m| folder("move", m, number))
                    .transpose()?,
                copy_to: r
                    .copy_to
                    .as_deref()
                    .map(|c| folder("copy", c, number))
                    .transpose()?,
                mark_read,
                flag: r.flag,
                junk: r.junk,
            };
            if action == Action::default() {
                return Err(rust_i18n::t!("config.rule_no_action", n = number).into_owned());
            }
            Ok(Rule {
                number,
                pattern,
                action,
                stop: r.stop,
            })
        })
        .collect()
}
