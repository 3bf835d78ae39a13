//! Sizes (`10M`, `1G`) and durations (`5m`, `30s`, `14d`) as the config writes them.

use std::time::Duration;

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
