//! The private SMTP server (tests/common/smtp_server.py on aiosmtpd): a
//! STARTTLS-required listener and an implicit-TLS one, both with the test
//! Dovecot's certificate, delivering into that Dovecot with dovecot-lda.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::dovecot::{required, Dovecot};

pub struct Smtp {
    pub starttls_port: u16,
    pub implicit_port: u16,
    pub user: String,
    pub password: String,
    record: PathBuf,
    child: Child,
    _tmp: tempfile::TempDir,
}

/// One message as the server received it.
pub struct Received {
    pub bytes: Vec<u8>,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

impl Smtp {
    /// Starts a server accepting `user`/`password`, delivering to `lda_user` on `dovecot`.
    pub fn start(
        dovecot: &Dovecot,
        user: &str,
        password: &str,
        lda_user: &str,
    ) -> Result<Smtp, String> {
        Smtp::start_with(dovecot, user, password, lda_user, &[])
    }

    /// What the server recorded of clients' answers to its OAuth error
    /// challenges (`MECH b'…'` lines).
    pub fn oauth_answers(&self) -> String {
        std::fs::read_to_string(self.record.join("oauth-answers.log")).unwrap_or_default()
    }

    /// `start`, with more arguments for the script (`--oauth-key …`).
    pub fn start_with(
        dovecot: &Dovecot,
        user: &str,
        password: &str,
        lda_user: &str,
        extra: &[String],
    ) -> Result<Smtp, String> {
        let probe = Command::new("/usr/bin/python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .map_err(|e| format!("/usr/bin/python3: {e}"))?;
        if !probe.status.success() {
            return Err("aiosmtpd is not installed (apt-get install python3-aiosmtpd)".into());
        }
        let tmp = tempfile::Builder::new()
            .prefix("postie-smtp-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let record = tmp.path().join("received");
        std::fs::create_dir_all(&record).map_err(|e| e.to_string())?;
        let (starttls_port, implicit_port) = (free_port(), free_port());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/smtp_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .args(["--starttls-port", &starttls_port.to_string()])
            .args(["--implicit-port", &implicit_port.to_string()])
            .arg("--cert")
            .arg(dovecot.dir.join("cert.pem"))
            .arg("--key")
            .arg(dovecot.dir.join("key.pem"))
            .args(["--user", user, "--password", password])
            .arg("--record")
            .arg(&record)
            .arg("--lda-conf")
            .arg(dovecot.conf())
            .args(["--lda-user", lda_user])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the SMTP server: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        if line.trim() != "ready" {
            let _ = child.kill();
            return Err(format!("the SMTP server did not start (said {line:?})"));
        }
        Ok(Smtp {
            starttls_port,
            implicit_port,
            user: user.into(),
            password: password.into(),
            record,
            child,
            _tmp: tmp,
        })
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.record)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let meta: serde_json::Value = std::fs::read(p.with_extension("json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or_default();
                Received {
                    bytes: std::fs::read(&p).unwrap_or_default(),
                    mail_from: meta["mail_from"].as_str().unwrap_or("").to_string(),
                    rcpt_tos: meta["rcpt_tos"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The `[accounts.NAME.smtp]` table for this server.
    pub fn toml(&self, tls: &str, auth: &str, ca_file: Option<&Path>) -> String {
        let port = if tls == "implicit" {
            self.implicit_port
        } else {
            self.starttls_port
        };
        let mut s = format!(
            "host = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\nuser = \"{}\"\nauth = \"{auth}\"\ntimeout = 20\n",
            self.user
        );
        if let Some(ca) = ca_file {
            s.push_str(&format!("ca_file = \"{}\"\n", ca.display()));
        }
        s
    }
}

/// A config for user `li` on `d` (POP3 on its plain port, `pop3_tls`, with
/// `extra` account lines) sending through `smtp_table`.
pub fn account_toml(d: &Dovecot, pop3_tls: &str, extra: &str, smtp_table: &str) -> String {
    let auth = if pop3_tls == "none" { "user" } else { "auto" };
    let a = super::Account {
        port: d.plain_port,
        tls: pop3_tls,
        user: "li",
        auth,
        ca_file: Some(&d.ca_file),
        pipelining: true,
    };
    format!(
        "{}email = \"li@example.cn\"\nname = \"李明\"\n{extra}\n[accounts.test.smtp]\n{smtp_table}",
        a.toml()
    )
}

impl Drop for Smtp {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server that also takes the tests' OAuth tokens (`common::oauth`) for `user`.
pub fn own_oauth(dovecot: &Dovecot, user: &str, lda_user: &str) -> Option<Smtp> {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode(super::oauth::KEY);
    let extra = vec![
        "--oauth-key".to_string(),
        key,
        "--oauth-audience".into(),
        super::oauth::AUDIENCE.into(),
        "--oauth-scope".into(),
        super::oauth::SCOPE.into(),
    ];
    required(super::dovecot::retried(|| {
        Smtp::start_with(dovecot, user, "not-used", lda_user, &extra)
    }))
}

/// A started server, or (outside CI) None; under CI=true a failure to start fails the test.
pub fn own(dovecot: &Dovecot, user: &str, password: &str, lda_user: &str) -> Option<Smtp> {
    required(super::dovecot::retried(|| {
        Smtp::start(dovecot, user, password, lda_user)
    }))
}
