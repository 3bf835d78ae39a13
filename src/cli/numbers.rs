//! The numbering `postie list` printed last, kept so that a number it
//! printed stays a handle when the server cannot be reached (`show 38`
//! offline reads the stored copy of what was 38) and so that `search` can
//! print numbers for the messages on the server. One file per account,
//! `$XDG_STATE_HOME/postie/numbers/ACCOUNT`: a line `NUMBER UIDL` each,
//! written whole (a temporary file renamed over it). A number from it is
//! only ever a way to a UIDL: nothing is deleted or changed by number.

use std::collections::HashMap;
use std::path::PathBuf;

fn path(account: &str) -> PathBuf {
    crate::paths::xdg_dir("XDG_STATE_HOME", ".local/state")
        .join("postie")
        .join("numbers")
        .join(crate::store::names::safe_component(account))
}

/// Records the numbering just printed (blocking: run off the async threads).
pub fn save(account: &str, rows: &[(u32, String)]) -> std::io::Result<()> {
    let text: String = rows
        .iter()
        // A UIDL is printable ASCII without spaces (RFC 1939); anything
        // else is not kept.
        .filter(|(_, u)| !u.is_empty() && u.bytes().all(|b| (0x21..=0x7e).contains(&b)))
        .map(|(n, u)| format!("{n} {u}\n"))
        .collect();
    crate::paths::write_state_file(&path(account), &text)
}

/// The numbering `list` printed last: number to UIDL (empty when none).
pub fn load(account: &str) -> HashMap<u32, String> {
    std::fs::read_to_string(path(account))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (n, u) = l.split_once(' ')?;
            Some((n.parse().ok()?, u.trim().to_string()))
        })
        .collect()
}
