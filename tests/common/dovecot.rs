//! A private Dovecot for tests: its own config, certificate, users and Maildirs
//! in a temp dir, listening on random 127.0.0.1 ports. Started once per test
//! binary; stopped when the test process exits (a watchdog shell holds our
//! stdin pipe and stops Dovecot when the pipe closes).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct User {
    pub name: &'static str,
    pub password: String,
    /// Message files (CRLF bytes), oldest first.
    pub messages: Vec<Vec<u8>>,
}

impl User {
    pub fn new(name: &'static str, messages: Vec<Vec<u8>>) -> User {
        User {
            name,
            password: format!("pw-{name}-S3cr3t!"),
            messages,
        }
    }
}

pub struct Dovecot {
    pub dir: PathBuf,
    pub plain_port: u16,
    pub pop3s_port: u16,
    pub ca_file: PathBuf,
    pub passwords: Vec<(String, String)>,
    conf: PathBuf,
    _watchdog: Mutex<Child>,
    _tmp: Option<tempfile::TempDir>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Maildir file name as a delivery agent writes it (no `:2,` info part: with
/// one, Dovecot cannot guess the name from its uidlist and rescans the whole
/// directory at each session's first message access). The leading timestamp
/// fixes Dovecot's message order.
pub fn maildir_name(index: usize, size: usize) -> String {
    format!(
        "{}.M{}P1.postie-test,S={size},W={size}",
        1_700_000_000 + index,
        index
    )
}

impl Dovecot {
    pub fn start(users: Vec<User>) -> Result<Dovecot, String> {
        Dovecot::start_with(users, "")
    }

    /// Starts an instance with `extra` lines added to its config.
    pub fn start_with(users: Vec<User>, extra: &str) -> Result<Dovecot, String> {
        if Command::new("dovecot").arg("--version").output().is_err() {
            return Err("dovecot is not installed (apt-get install dovecot-pop3d)".into());
        }
        let tmp = tempfile::Builder::new()
            .prefix("postie-dovecot-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let dir = tmp.path().to_path_buf();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| e.to_string())?;
        }
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .stderr(Stdio::piped()))?;

        let mut passwd = String::new();
        let mut passwords = Vec::new();
        for user in &users {
            let home = dir.join("home").join(user.name);
            let cur = home.join("Maildir").join("cur");
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(home.join("Maildir").join(sub))
                    .map_err(|e| e.to_string())?;
            }
            for (i, msg) in user.messages.iter().enumerate() {
                std::fs::write(cur.join(maildir_name(i, msg.len())), msg)
                    .map_err(|e| e.to_string())?;
            }
            passwd.push_str(&format!(
                "{}:{{PLAIN}}{}:65534:65534::{}\n",
                user.name,
                user.password,
                home.display()
            ));
            passwords.push((user.name.to_string(), user.password.clone()));
        }
        std::fs::write(dir.join("passwd"), passwd).map_err(|e| e.to_string())?;
        run(Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(dir.join("home")))?;

        let mut last_err = String::new();
        for attempt in 0..3 {
            let (plain_port, pop3s_port) = (free_port(), free_port());
            let conf = dir.join("dovecot.conf");
            let dh = if Path::new("/usr/share/dovecot/dh.pem").exists() {
                "ssl_dh = </usr/share/dovecot/dh.pem\n"
            } else {
                ""
            };
            let d = dir.display();
            std::fs::write(
                &conf,
                format!(
                    r#"
base_dir = {d}/run
state_dir = {d}/state
instance_name = postie-test-{pid}-{attempt}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
{dh}disable_plaintext_auth = no
auth_mechanisms = plain apop
auth_verbose = yes
first_valid_uid = 1
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
pop3_logout_format = top=%t/%p, retr=%r/%b, del=%d/%m, size=%s, in=%i, out=%o
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s_port}
    ssl = yes
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
{extra}
"#,
                    pid = std::process::id()
                ),
            )
            .map_err(|e| e.to_string())?;
            // The watchdog stops Dovecot when our end of its stdin closes, i.e. when the test process exits.
            let script = format!(
                "dovecot -F -c '{c}' & pid=$!; cat >/dev/null; kill $pid; wait $pid; rm -rf '{d}'",
                c = conf.display()
            );
            let child = Command::new("sh")
                .arg("-c")
                .arg(&script)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run dovecot: {e}"))?;
            let dovecot = Dovecot {
                dir: dir.clone(),
                plain_port,
                pop3s_port,
                ca_file: dir.join("cert.pem"),
                passwords: passwords.clone(),
                conf: conf.clone(),
                _watchdog: Mutex::new(child),
                _tmp: None,
            };
            match dovecot.wait_ready(Duration::from_secs(15)) {
                Ok(()) => {
                    let mut d = dovecot;
                    d._tmp = Some(tmp);
                    return Ok(d);
                }
                Err(e) => {
                    let log = std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default();
                    last_err = format!("{e}; log: {log}");
                    dovecot.stop();
                }
            }
        }
        Err(format!("dovecot did not start: {last_err}"))
    }

    fn wait_ready(&self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.plain_port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 256];
                if let Ok(n) = s.read(&mut buf) {
                    if buf[..n].starts_with(b"+OK") {
                        let _ = s.write_all(b"QUIT\r\n");
                        return Ok(());
                    }
                }
            }
            if start.elapsed() > limit {
                return Err(format!(
                    "no POP3 greeting on 127.0.0.1:{} within {limit:?}",
                    self.plain_port
                ));
            }
            if let Ok(mut child) = self._watchdog.lock() {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    return Err(format!("dovecot exited ({status}): {err}"));
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (and removes its files): the port refuses from now on.
    pub fn stop(&self) {
        if let Ok(mut child) = self._watchdog.lock() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }

    /// The instance's config file (for dovecot-lda and doveadm).
    pub fn conf(&self) -> &std::path::Path {
        &self.conf
    }

    pub fn password(&self, user: &str) -> String {
        self.passwords
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }

    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.join("home").join(user).join("Maildir")
    }

    /// The message files now in the user's Maildir (cur and new), in Dovecot's order.
    pub fn message_files(&self, user: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = ["cur", "new"]
            .iter()
            .flat_map(|d| {
                std::fs::read_dir(self.maildir(user).join(d))
                    .into_iter()
                    .flatten()
            })
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort_by_key(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let ts: u64 = name
                .split('.')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            (ts, name)
        });
        files
    }

    /// `message_files` with each file's bytes, read again while a file
    /// vanishes under the listing (a concurrent session's Dovecot renames
    /// files: new/ to cur/, the Seen flag after RETR).
    pub fn message_contents(&self, user: &str) -> Vec<(PathBuf, Vec<u8>)> {
        for _ in 0..50 {
            let read: Result<Vec<_>, _> = self
                .message_files(user)
                .into_iter()
                .map(|f| std::fs::read(&f).map(|b| (f, b)))
                .collect();
            if let Ok(files) = read {
                return files;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{user}'s Maildir kept changing under the listing");
    }

    /// UIDLs as Dovecot derives them (`%08Xu%08Xv`, which it prints in lowercase), read from its own dovecot-uidlist.
    pub fn expected_uidls(&self, user: &str) -> Vec<(String, String)> {
        let text =
            std::fs::read_to_string(self.maildir(user).join("dovecot-uidlist")).unwrap_or_default();
        let mut lines = text.lines();
        let header = lines.next().unwrap_or("");
        let validity: u32 = header
            .split(' ')
            .find_map(|w| w.strip_prefix('V'))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        lines
            .filter_map(|l| {
                let (uid, rest) = l.split_once(' ')?;
                let uid: u32 = uid.parse().ok()?;
                let name = rest.rsplit_once(':').map(|(_, n)| n).unwrap_or(rest);
                let base = name.split(',').next()?.split(':').next()?.to_string();
                Some((base, format!("{uid:08x}{validity:08x}")))
            })
            .collect()
    }

    /// Drops the user's sessions from the server side, as a network failure would.
    /// Drops `msg` into `user`'s Maildir `new/` as a delivery agent would
    /// (numbered `index`, owned by the mail user).
    #[allow(dead_code)]
    pub fn deliver(&self, user: &str, index: usize, msg: &[u8]) {
        let new = self.maildir(user).join("new");
        std::fs::write(new.join(maildir_name(index, msg.len())), msg).expect("deliver");
        let _ = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(self.maildir(user))
            .status();
    }

    pub fn kick(&self, user: &str) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(["kick", user])
            .output();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An instance of this test's own (to be stopped, or configured apart). With
/// CI=true one that cannot start fails the test; elsewhere it is skipped.
pub fn own(users: Vec<User>, extra: &str) -> Option<Dovecot> {
    required(retried(|| Dovecot::start_with(users.clone(), extra)))
}

/// Up to three tries: the usual cause of a failed start is a free port that
/// another process took between its being chosen and the server binding it.
pub fn retried<T>(mut start: impl FnMut() -> Result<T, String>) -> Result<T, String> {
    let mut last = String::new();
    for _ in 0..3 {
        match start() {
            Ok(t) => return Ok(t),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(last)
}

/// A started Dovecot, or (outside CI) None with a note; under CI=true a
/// failure to start fails the test.
pub fn required<T>(started: Result<T, String>) -> Option<T> {
    match started {
        Ok(d) => Some(d),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and Dovecot cannot start: {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED (a server the test needs cannot start; CI makes this a failure): {e}"
            );
            note_skip(&e);
            None
        }
    }
}

/// A tool a test needs is missing: with CI=true that is a failure; elsewhere
/// the test returns early, noted so the summary does not count it as passed.
pub fn skip_or_fail(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {why}");
    }
    eprintln!("SKIPPED ({why}; CI makes this a failure)");
    note_skip(why);
}

/// Tells tests/run.sh that a test returned early, so its summary does not
/// count it as passed.
fn note_skip(why: &str) {
    if let Some(path) = std::env::var_os("POSTIE_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{}", why.replace('\n', " "));
        }
    }
}

/// The shared instance for this test binary. With CI=true a Dovecot that cannot
/// start fails the test; elsewhere the test is skipped with a note.
pub fn shared(init: fn() -> Vec<User>) -> Option<&'static Dovecot> {
    static INSTANCE: OnceLock<Result<Dovecot, String>> = OnceLock::new();
    required(
        INSTANCE
            .get_or_init(|| retried(|| Dovecot::start(init())))
            .as_ref()
            .map_err(Clone::clone),
    )
}
