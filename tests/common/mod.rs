//! Shared test helpers: the private Dovecot, generated mailboxes, and running
//! the real `postie` binary with a config of our own.
#![allow(dead_code, unused_imports)]

pub mod dovecot;
pub mod hostile;
pub mod oauth;
pub mod proxy;
pub mod smtp;
pub mod soak;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use dovecot::{skip_or_fail, Dovecot, User};

/// A message with CRLF line ends; `body` lines are joined with CRLF.
pub fn message(from: &str, subject: &str, date: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: test@example.com\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{}@postie.test>\r\nMIME-Version: 1.0\r\n{extra_headers}\r\n",
        subject.len() ^ date.len() ^ body.len()
    );
    m.push_str(&body.replace("\r\n", "\n").replace('\n', "\r\n"));
    m.into_bytes()
}

/// RFC 2047 B encoded-word for `text` in `charset` (built with encoding_rs, not the code under test).
pub fn encoded_word(text: &str, charset: &'static encoding_rs::Encoding) -> String {
    use base64::Engine as _;
    let (bytes, _, _) = charset.encode(text);
    format!(
        "=?{}?B?{}?=",
        charset.name(),
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    )
}

/// `n` varied messages: about a third with GB2312 Chinese subjects, some body
/// lines that begin with '.', sizes from half a kilobyte to tens of kilobytes.
pub fn generated_mailbox(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(generated_message).collect()
}

/// Message `i` of `generated_mailbox`.
pub fn generated_message(i: usize) -> Vec<u8> {
    let subjects_zh = [
        "季度报告",
        "会议通知",
        "项目进度",
        "周末聚餐",
        "合同草案",
        "发票",
        "请假申请",
    ];
    let date = format!(
        "Mon, {:02} Jan 2024 {:02}:{:02}:00 +0800",
        1 + i % 28,
        i % 24,
        i % 60
    );
    let (from, subject, ct) = if i % 3 == 0 {
        (
            format!(
                "{} <user{i}@example.cn>",
                encoded_word("张伟", encoding_rs::GBK)
            ),
            encoded_word(
                &format!("{} 第{i}号", subjects_zh[i % subjects_zh.len()]),
                encoding_rs::GBK,
            ),
            "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n",
        )
    } else {
        (
            format!("Sender {i} <s{i}@example.org>"),
            format!("Message number {i}"),
            "Content-Type: text/plain; charset=us-ascii\r\n",
        )
    };
    let mut body = String::new();
    let lines = 10 + (i * 37) % 400;
    for l in 0..lines {
        if l % 17 == 3 {
            body.push_str(".this line starts with a dot\n");
        } else if l % 53 == 5 {
            body.push_str(".\n");
        } else {
            body.push_str(&format!(
                "line {l} of message {i}: the quick brown fox jumps over the lazy dog\n"
            ));
        }
    }
    if i % 3 == 0 {
        // Chinese mail: a GBK body, base64-encoded in 76-column lines.
        use base64::Engine as _;
        body.insert_str(0, &format!("第{i}号邮件的正文。\n"));
        let crlf_body = body.replace('\n', "\r\n");
        let (gbk, _, _) = encoding_rs::GBK.encode(&crlf_body);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&gbk);
        body = b64
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
            .collect();
    }
    message(&from, &subject, &date, ct, &body)
}

/// A message of at least `size` bytes: a base64 attachment inside multipart/mixed.
pub fn big_message(size: usize) -> Vec<u8> {
    let mut body = String::from("--b\nContent-Type: text/plain\n\nA big one.\n\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"big.bin\"\n\n");
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n";
    while body.len() < size {
        body.push_str(line);
    }
    body.push_str("--b--\n");
    message(
        "Big <big@example.org>",
        "Ten megabytes",
        "Tue, 02 Jan 2024 10:00:00 +0000",
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
        &body,
    )
}

/// The first `n` demo messages (welcome, GB2312 QP, GBK base64, Foxmail, HTML, …) as CRLF bytes.
#[allow(dead_code)]
pub fn demo_messages(n: usize) -> Vec<Vec<u8>> {
    postie::demo::FILES
        .iter()
        .take(n)
        .map(|(_, b)| postie::demo::to_crlf(b))
        .collect()
}

/// Config for one account on the test Dovecot.
pub struct Account<'a> {
    pub port: u16,
    pub tls: &'a str,
    pub user: &'a str,
    pub auth: &'a str,
    pub ca_file: Option<&'a Path>,
    pub pipelining: bool,
}

impl Account<'_> {
    pub fn toml(&self) -> String {
        let mut s = format!(
            "[accounts.test]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"{}\"\nuser = \"{}\"\nauth = \"{}\"\npipelining = {}\ncommand_timeout = 20\nread_timeout = 20\nconnect_timeout = 10\n",
            self.port, self.tls, self.user, self.auth, self.pipelining
        );
        if let Some(ca) = self.ca_file {
            s.push_str(&format!("ca_file = \"{}\"\n", ca.display()));
        }
        s
    }
}

pub struct Run {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs the real binary with `config` written to a temp file and the password in the environment.
pub fn postie(config: &str, password: Option<&str>, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    postie_in(dir.path(), config, password, args)
}

/// Like `postie`, with its config, cache and state under `dir` (kept between runs).
pub fn postie_in(dir: &Path, config: &str, password: Option<&str>, args: &[&str]) -> Run {
    postie_with_stdin(dir, config, password, args, None)
}

/// Like `postie_in`, with `stdin` on standard input (None: /dev/null).
pub fn postie_with_stdin(
    dir: &Path,
    config: &str,
    password: Option<&str>,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Run {
    postie_with_env(dir, config, password, args, stdin, &[])
}

/// Like `postie_with_stdin`, with more environment variables (TZ, LANG).
pub fn postie_with_env(
    dir: &Path,
    config: &str,
    password: Option<&str>,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Run {
    let path: PathBuf = dir.join("config.toml");
    std::fs::write(&path, config).expect("write config");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .expect("chmod config");
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postie"));
    cmd.env_remove("POSTIE_PASSWORD")
        .env("POSTIE_CONFIG", &path)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .envs(env.iter().copied())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        });
    if let Some(p) = password {
        cmd.env("POSTIE_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("run postie");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(bytes).expect("write postie's stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait for postie");
    Run {
        status: status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The machine, for benchmark output: cores, CPU model, RAM.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim);
    let ram_mb = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cores} cores, {cpu}, {ram_mb} MB RAM")
}

/// A local store in `dir` (the account's root), on its own thread, for worker tests.
pub fn store_at(dir: &Path) -> postie::store::StoreHandle {
    let store = postie::store::Store::open(dir, "test", postie::mime::DecodeOptions::default())
        .expect("open the test store");
    postie::store::StoreHandle::start(store)
}

/// The rows of INBOX in the store at `dir`, read by a second opener.
pub fn store_rows(dir: &Path) -> Vec<postie::store::Row> {
    let mut store = postie::store::Store::open(dir, "test", postie::mime::DecodeOptions::default())
        .expect("open the test store");
    store.load(&postie::store::Folder::Inbox).expect("load")
}

/// How many rows the INBOX of the store at `dir` (made for `key`) has.
pub fn store_rows_keyed(dir: &Path, key: &str) -> usize {
    let mut store = postie::store::Store::open(dir, key, postie::mime::DecodeOptions::default())
        .expect("open the store");
    store
        .load(&postie::store::Folder::Inbox)
        .expect("load")
        .len()
}

/// A client for a POP3 server on 127.0.0.1 over plain TCP (cleartext logins
/// are allowed to loopback), every timeout `secs` (connect at most 5 s).
pub fn loopback_client(
    port: u16,
    user: &str,
    password: &str,
    auth: postie::pop3::AuthPreference,
    secs: u64,
) -> postie::pop3::ClientConfig {
    use std::time::Duration;
    postie::pop3::ClientConfig {
        token: None,
        endpoint: postie::pop3::Endpoint {
            host: "127.0.0.1".into(),
            port,
            tls: postie::pop3::TlsMode::None,
            ca_file: None,
            timeouts: postie::pop3::Timeouts {
                connect: Duration::from_secs(secs.min(5)),
                command: Duration::from_secs(secs),
                read: Duration::from_secs(secs),
            },
        },
        user: user.into(),
        password: postie::secret::Secret::new(password),
        auth,
        allow_insecure_auth: false,
        pipelining: true,
    }
}

/// The reader's worker for `cfg` on this runtime: its request sender, its
/// event receiver and its task.
pub fn spawn_worker_for(
    cfg: postie::pop3::ClientConfig,
    store: Option<postie::store::StoreHandle>,
) -> (
    tokio::sync::mpsc::UnboundedSender<postie::worker::Request>,
    tokio::sync::mpsc::UnboundedReceiver<postie::worker::Event>,
    tokio::task::JoinHandle<()>,
) {
    let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = postie::worker::Worker::new(
        cfg,
        postie::mime::DecodeOptions::default(),
        store,
        req_rx,
        ev_tx,
    );
    (req_tx, ev_rx, tokio::spawn(worker.run()))
}

/// A port on 127.0.0.1 nothing listens on (bound, then let go): connecting
/// to it is refused at once.
pub fn refused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a port")
        .local_addr()
        .expect("its address")
        .port()
}
