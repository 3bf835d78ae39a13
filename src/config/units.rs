//! Sizes (`10M`, `1G`) and durations (`5m`, `30s`, `14d`) as the config writes them.

use std::time::Duration;

pub use crate::text::parse_size;

/// "30s", "5m", "1h", "2d" or a number of seconds; "0" is zero.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = match t.chars().last()? {
        's' => (&t[..t.len() - 1], 1),
        'm' => (&t[..t.len() - 1], 60),
        'h' => (&t[..t.len() - 1], 3600),
        'd' => (&t[..t.len() - 1], 86400),
        _ => (t.as_str(), 1),
    };
    Some(Duration::from_secs(
        num.trim().parse::<u64>().ok()?.checked_mul(mult)?,
    ))
}
