//! The real binary in a real terminal: tmux on a private socket, keys sent
//! with send-keys, the screen read with capture-pane.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `command` (a shell line) in a `width`×`height` window. After it
    /// exits the window stays, showing `EXITED:<status>` on a row of its own.
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("tmux.sock");
        // A killed postie leaves the terminal raw (no CR on LF) with the
        // cursor anywhere, and the shell's "Killed" line may end mid-row:
        // the status goes on a row of its own, so no wrap splits it.
        let line = format!(
            "{command}; s=$?; stty sane 2>/dev/null; printf '\\r\\nEXITED:%s\\r\\n' $s; sleep 600"
        );
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "postie",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(line)
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux could not start");
        Tmux { socket, _dir: dir }
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    /// Sends keys as tmux names them (`j`, `Enter`, `Escape`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = self
                .tmux()
                .args(["send-keys", "-t", "postie", k])
                .status()
                .expect("send-keys");
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "postie"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a tmux command on this server (`set -g set-clipboard on`, `show-buffer`).
    #[allow(dead_code)]
    pub fn tmux_command(&self, args: &[&str]) -> String {
        let out = self.tmux().args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The window's title, as the program set it (OSC 2).
    #[allow(dead_code)]
    pub fn title(&self) -> String {
        let out = self
            .tmux()
            .args(["display-message", "-p", "-t", "postie", "#{pane_title}"])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the title contains `text`; panics with the title after `secs`.
    #[allow(dead_code)]
    pub fn wait_for_title(&self, text: &str, secs: u64) {
        let start = Instant::now();
        loop {
            let t = self.title();
            if t.contains(text) {
                return;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("waited {secs} s for the title {text:?}; it is {t:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The screen once it shows one of `texts`; panics with the screen after `secs`.
    pub fn wait_for_any(&self, texts: &[&str], secs: u64) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if texts.iter().any(|t| s.contains(t)) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("waited {secs} s for one of {texts:?}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The screen once it shows `text`; panics with the screen after `secs`.
    pub fn wait_for(&self, text: &str, secs: u64) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("waited {secs} s for {text:?}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// A shell line that runs postie with this config and password, isolated from the user's files.
pub fn postie_command(config: &Path, password: &str, home: &Path) -> String {
    format!(
        "env HOME='{h}' XDG_STATE_HOME='{h}/state' XDG_CACHE_HOME='{h}/cache' XDG_DATA_HOME='{h}/data' XDG_DOWNLOAD_DIR='{h}/Downloads' POSTIE_CONFIG='{c}' POSTIE_PASSWORD='{p}' TERM=xterm-256color '{bin}'",
        h = home.display(),
        c = config.display(),
        p = password,
        bin = env!("CARGO_BIN_EXE_postie")
    )
}

/// The postie process whose store is under `home` (to kill it as a crash would).
pub fn postie_pid(home: &Path) -> Option<u32> {
    let want = format!("XDG_DATA_HOME={}/data", home.display());
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let exe = std::fs::read_link(entry.path().join("exe")).unwrap_or_default();
        if exe != Path::new(env!("CARGO_BIN_EXE_postie")) {
            continue;
        }
        let env = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if env.split(|&b| b == 0).any(|v| v == want.as_bytes()) {
            return Some(pid);
        }
    }
    None
}
