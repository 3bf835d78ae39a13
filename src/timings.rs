//! Milestones for benchmarks. With `POSTIE_TIMINGS=FILE` in the environment,
//! the reader appends `name milliseconds` lines to FILE, measured from the
//! start of the process, and its peak memory (`peak-rss-kb`) at exit. Nothing
//! is recorded without the variable; the cost then is one check per frame.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();
static FILE: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();

/// Call first thing in `main`: the clock the milestones are measured on.
pub fn start() {
    START.get_or_init(Instant::now);
    FILE.get_or_init(|| std::env::var_os("POSTIE_TIMINGS").map(Into::into));
}

pub fn enabled() -> bool {
    FILE.get().is_some_and(Option::is_some)
}

fn append(line: &str) {
    let Some(Some(path)) = FILE.get() else { return };
    use std::os::unix::fs::OpenOptionsExt;
    // Private, and never through a symlink planted at that name.
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        // One write per line: the UI and the worker record from two threads.
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

/// Records `name` with the time since the process started.
pub fn mark(name: &str) {
    if !enabled() {
        return;
    }
    let ms = START
        .get()
        .map(|s| s.elapsed().as_secs_f64() * 1000.0)
        .unwrap_or(0.0);
    append(&format!("{name} {ms:.1}"));
}

/// A `/proc/self/status` figure in KiB (`VmHWM:`, `VmRSS:`).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
}

/// Records `name` with a value of its own (a phase's total milliseconds).
pub fn record(name: &str, value: f64) {
    if enabled() {
        append(&format!("{name} {value:.1}"));
    }
}

/// Records the peak resident memory so far (VmHWM), in KiB.
pub fn mark_peak_rss() {
    if enabled() {
        append(&format!("peak-rss-kb {}", status_kb("VmHWM:")));
    }
}

/// Records each milestone once.
#[derive(Debug, Default)]
pub struct Once {
    done: Vec<&'static str>,
}

impl Once {
    pub fn mark(&mut self, name: &'static str) {
        if !self.done.contains(&name) {
            self.done.push(name);
            mark(name);
        }
    }
}

/// Records the resident memory now (VmRSS), in KiB, as `rss-NAME`.
pub fn mark_rss(name: &str) {
    if enabled() {
        append(&format!("rss-{name} {}", status_kb("VmRSS:")));
    }
}
