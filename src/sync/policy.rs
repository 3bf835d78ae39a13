//! `leave_on_server`: what downloading leaves on the server, and which
//! stored messages the policy deletes there now. Pure: the store answers the
//! question this module asks (`store::Candidates`), the fetch deletes.

use crate::store::Candidates;

/// What downloading leaves on the server (`leave_on_server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeavePolicy {
    /// Nothing is deleted on the server by downloading.
    #[default]
    Always,
    /// Deleted as soon as it is safely stored.
    Never,
    /// Deleted this many days after postie first downloaded it.
    Days(u32),
    /// Deleted on the server when it is deleted here.
    UntilDeleted,
}

impl LeavePolicy {
    /// What to tell the user when the server's `EXPIRE` (RFC 2449: days it
    /// keeps mail once retrieved; `NEVER`) is stricter than this policy.
    pub fn expire_note(self, expire: &str) -> Option<String> {
        let word = expire.split_whitespace().next()?;
        if word.eq_ignore_ascii_case("NEVER") {
            return None;
        }
        let days: u32 = word.parse().ok()?;
        let stricter = match self {
            LeavePolicy::Never => false,
            LeavePolicy::Days(d) => days < d,
            LeavePolicy::Always | LeavePolicy::UntilDeleted => true,
        };
        if !stricter {
            return None;
        }
        Some(if days == 0 {
            "the server deletes each message once it has been retrieved (EXPIRE 0), whatever leave_on_server says".to_string()
        } else {
            format!("the server deletes retrieved mail after {days} days (EXPIRE {days}), sooner than leave_on_server says")
        })
    }

    pub fn parse(s: &str) -> Result<LeavePolicy, String> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "always" => Ok(LeavePolicy::Always),
            "never" => Ok(LeavePolicy::Never),
            "until-deleted" => Ok(LeavePolicy::UntilDeleted),
            _ => match t.strip_suffix('d').map(str::parse::<u32>) {
                Some(Ok(n)) => Ok(LeavePolicy::Days(n)),
                _ => Err(format!(
                    "leave_on_server {s:?} is not one of \"always\", \"never\", \"14d\" (days), \"until-deleted\""
                )),
            },
        }
    }
}

/// What `policy` deletes from the server at `now` (seconds since the epoch).
pub fn deletions(policy: LeavePolicy, now: i64) -> Candidates {
    match policy {
        LeavePolicy::Always => Candidates::Nothing,
        LeavePolicy::Never => Candidates::StoredBefore(None),
        LeavePolicy::Days(n) => Candidates::StoredBefore(Some(now - i64::from(n) * 86_400)),
        LeavePolicy::UntilDeleted => Candidates::DeletedHere,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_policy_asks_its_own_question() {
        let now = 10 * 86_400;
        assert_eq!(deletions(LeavePolicy::Always, now), Candidates::Nothing);
        assert_eq!(
            deletions(LeavePolicy::Never, now),
            Candidates::StoredBefore(None)
        );
        assert_eq!(
            deletions(LeavePolicy::Days(3), now),
            Candidates::StoredBefore(Some(7 * 86_400))
        );
        assert_eq!(
            deletions(LeavePolicy::UntilDeleted, now),
            Candidates::DeletedHere
        );
    }
}
