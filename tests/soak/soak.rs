//! Reliability soaks, run by hand (too long for CI), against a private
//! Dovecot and aiosmtpd on 127.0.0.1:
//!
//! - `cargo bench --bench soak -- kill [N]`: `kill -9` at random moments of
//!   `postie fetch` (leave_on_server "never" and "always"), of `postie list`
//!   (header saves into the index) and of `postie send` (the draft written,
//!   marked sending, moved to Sent), N kills each (default 50). After every
//!   kill: no message lost from the union of server and store, none twice
//!   in the store, nothing half-written visible, and the next start clean.
//! - `cargo bench --bench soak -- chaos [FAULTS]`: a TCP chaos proxy between
//!   postie and Dovecot (and the SMTP server) that drops, resets, stalls,
//!   splits into single bytes and delays, through cycles of list, open,
//!   mark, unmark, commit (the reader's worker), fetch with each
//!   leave_on_server policy and send, until FAULTS faults (default 1000);
//!   invariants after every cycle and the RSS curve.
//! - `cargo bench --bench soak -- disk`: a 4 MB tmpfs as the data directory
//!   during fetch, save and send.
//!
//! Prints counts and invariant results; exits non-zero if an invariant broke.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use common::soak::{chaos_soak, disk_soak, kill_drafts_soak, kill_soak};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    let num = args.get(1).and_then(|s| s.parse().ok());
    println!("soak on {}", common::machine());
    let v = match mode {
        "kill" => kill_soak(num.unwrap_or(50) as usize),
        "chaos" => chaos_soak(num.unwrap_or(1000)),
        "drafts" => kill_drafts_soak(num.unwrap_or(50) as usize),
        "disk" => disk_soak(),
        _ => {
            eprintln!(
                "usage: cargo bench --bench soak -- kill [N] | drafts [N] | chaos [FAULTS] | disk"
            );
            std::process::exit(2);
        }
    };
    if v.broken.is_empty() {
        println!("{mode}: every invariant held");
    } else {
        println!("{mode}: {} invariant(s) broken", v.broken.len());
        std::process::exit(1);
    }
}
