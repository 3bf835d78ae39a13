//! The user's accounts (CONTRACT.md "Configuration"): where the config file
//! lives, what it may say, and where a password comes from. Produces the
//! `ClientConfig` the POP3 layer needs; nothing here opens a connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::pop3::{AuthPreference, ClientConfig, Endpoint, Timeouts, TlsMode};
use crate::secret::Secret;
use crate::send::smtp::SmtpAuth;
use crate::sync::LeavePolicy;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config {path}: {reason}")]
    Parse { path: String, reason: String },
    #[error(
        "config {path}: no accounts defined (add an [accounts.NAME] table, or run with --demo)"
    )]
    NoAccounts { path: String },
    #[error("no account named {name:?} in {path} (accounts: {known})")]
    UnknownAccount {
        name: String,
        path: String,
        known: String,
    },
    #[error("no config file at {path}; create it (see README.md) or run with --demo")]
    Missing { path: String },
    #[error("account {account}: {reason}")]
    Invalid { account: String, reason: String },
    #[error("account {account}: password_command failed: {reason}")]
    PasswordCommand { account: String, reason: String },
    #[error("account {account}: no password: set password_command or password in the config, or POSTIE_PASSWORD in the environment")]
    NoPassword { account: String },
}

/// How to read mislabelled or unlabelled text (used by the decoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decoding {
    /// Repair charsets that are evidently mislabelled.
    #[default]
    Smart,
    /// Decode exactly as labelled.
    Strict,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    pub user: String,
    #[serde(default)]
    pub auth: AuthPreference,
    pub password_command: Option<String>,
    pub password: Option<Secret>,
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub allow_insecure_auth: bool,
    pub fallback_charset: Option<String>,
    #[serde(default)]
    pub decoding: Decoding,
    /// Send commands ahead when the server offers PIPELINING (default true).
    #[serde(default = "default_true")]
    pub pipelining: bool,
    /// Seconds for connecting (TCP, TLS and greeting); default 20.
    pub connect_timeout: Option<u64>,
    /// Seconds from a command to its reply's first line; default 60.
    pub command_timeout: Option<u64>,
    /// Longest silence in seconds inside a long reply; default 60.
    pub read_timeout: Option<u64>,
    /// Where saved attachments go (default `$XDG_DOWNLOAD_DIR`, else `~/Downloads`).
    pub download_dir: Option<PathBuf>,
    /// What downloading leaves on the server: `always`, `never`, `Nd`, `until-deleted`.
    pub leave_on_server: Option<String>,
    /// `on-open` (a body is stored when first read) or `all` (the reader
    /// downloads every new message in the background).
    pub download: Option<String>,
    /// With `download = "all"`: larger messages wait until opened ("10M").
    pub max_download_size: Option<String>,
    /// The From address of mail sent (default: `user`, if it is an address).
    pub email: Option<String>,
    /// The display name on mail sent.
    pub name: Option<String>,
    pub signature: Option<String>,
    pub signature_file: Option<PathBuf>,
    /// Other addresses that are the user's (left out of reply-all).
    #[serde(default)]
    pub alternates: Vec<String>,
    /// Sending; without it, compose and reply say how to add it.
    pub smtp: Option<SmtpConfig>,
    /// How often the reader looks for new mail with a new session ("5m";
    /// "0": only when asked with R).
    pub check_interval: Option<String>,
    /// Ring the terminal's bell when new mail arrives.
    #[serde(default)]
    pub bell_on_new: bool,
    /// Seconds a `password_command` may take (default 30).
    pub password_command_timeout: Option<u64>,
    /// The largest message postie takes in ("1G", the default).
    pub max_message_size: Option<String>,
}

/// The SMTP port when none is given: 465 for implicit TLS (RFC 8314), 587
/// for STARTTLS, 25 without TLS. The modes are POP3's (`TlsMode`).
pub fn smtp_default_port(tls: TlsMode) -> u16 {
    match tls {
        TlsMode::Implicit => 465,
        TlsMode::StartTls => 587,
        TlsMode::None => 25,
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    /// `implicit` (465), `starttls` (587; refused when not offered), `none`.
    #[serde(default)]
    pub tls: TlsMode,
    /// Default: the account's user.
    pub user: Option<String>,
    #[serde(default)]
    pub auth: SmtpAuth,
    /// Default: the account's password source.
    pub password_command: Option<String>,
    pub password: Option<Secret>,
    /// Default: the account's ca_file.
    pub ca_file: Option<PathBuf>,
    /// Default: the account's allow_insecure_auth.
    pub allow_insecure_auth: Option<bool>,
    /// Seconds for connecting and for each reply; default 60.
    pub timeout: Option<u64>,
}

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

/// The default `max_message_size`: 1 GB.
pub const MAX_MESSAGE_SIZE: u64 = crate::pop3::client::MAX_MESSAGE_SIZE;

/// The default `check_interval`.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_account: Option<String>,
    #[serde(default)]
    accounts: IndexMap<String, AccountConfig>,
}

#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub default_account: Option<String>,
    pub accounts: IndexMap<String, AccountConfig>,
    /// Things the user should know but that do not stop postie.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads the config. A missing file at the default place is `Ok(None)`
    /// (postie then opens the demo); a missing file the user named is an error.
    pub fn load(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
        let (path, named) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (
                crate::paths::config_file(),
                std::env::var_os("POSTIE_CONFIG").is_some_and(|p| !p.is_empty()),
            ),
        };
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing { path: shown })
            }
            Err(e) => {
                return Err(ConfigError::Read {
                    path: shown,
                    reason: e.to_string(),
                })
            }
        };
        let mut config = Config::parse(&text, &path)?;
        config.check_permissions();
        Ok(Some(config))
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            reason: parse_error(text, &e),
        })?;
        if file.accounts.is_empty() {
            return Err(ConfigError::NoAccounts { path: shown });
        }
        for (name, acct) in &file.accounts {
            acct.validate(name)?;
        }
        if let Some(d) = &file.default_account {
            if !file.accounts.contains_key(d) {
                return Err(unknown_account(d, &shown, &file.accounts));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            default_account: file.default_account,
            accounts: file.accounts,
            warnings: Vec::new(),
        })
    }

    fn check_permissions(&mut self) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let has_password = self.accounts.values().any(|a| {
                a.password.is_some() || a.smtp.as_ref().is_some_and(|s| s.password.is_some())
            });
            if let Ok(meta) = std::fs::metadata(&self.path) {
                if has_password && meta.permissions().mode() & 0o077 != 0 {
                    self.warnings.push(format!(
                        "{} holds a password and is readable by other users; run: chmod 600 {}",
                        self.path.display(),
                        self.path.display()
                    ));
                }
            }
        }
    }

    /// The named account, else `default_account`, else the first in the file.
    pub fn account(&self, name: Option<&str>) -> Result<(&str, &AccountConfig), ConfigError> {
        let wanted = name.or(self.default_account.as_deref());
        let found = match wanted {
            Some(n) => self.accounts.get_key_value(n),
            None => self.accounts.first(),
        };
        found.map(|(k, v)| (k.as_str(), v)).ok_or_else(|| {
            unknown_account(
                wanted.unwrap_or_default(),
                &self.path.display().to_string(),
                &self.accounts,
            )
        })
    }
}

fn unknown_account(
    name: &str,
    path: &str,
    accounts: &IndexMap<String, AccountConfig>,
) -> ConfigError {
    ConfigError::UnknownAccount {
        name: name.to_string(),
        path: path.to_string(),
        known: accounts.keys().cloned().collect::<Vec<_>>().join(", "),
    }
}

impl AccountConfig {
    /// The account's `fallback_charset` and `decoding` settings.
    pub fn decode_options(&self) -> crate::mime::DecodeOptions {
        crate::mime::DecodeOptions {
            fallback: self
                .fallback_charset
                .as_deref()
                .and_then(crate::mime::charset::lookup),
            strict: self.decoding == Decoding::Strict,
        }
    }

    fn validate(&self, name: &str) -> Result<(), ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            account: name.to_string(),
            reason,
        };
        if self.host.trim().is_empty() {
            return Err(invalid("host is empty".into()));
        }
        if self.user.is_empty() || self.user.contains(['\r', '\n', '\0']) {
            return Err(invalid("user must be non-empty and on one line".into()));
        }
        if self.port == Some(0) {
            return Err(invalid("port 0 is not a port".into()));
        }
        if let Some(cs) = &self.fallback_charset {
            if encoding_rs::Encoding::for_label(cs.as_bytes()).is_none() {
                return Err(invalid(format!(
                    "fallback_charset {cs:?} is not a charset postie knows"
                )));
            }
        }
        if let Some(p) = &self.leave_on_server {
            LeavePolicy::parse(p).map_err(invalid)?;
        }
        if let Some(d) = &self.download {
            if d != "on-open" && d != "all" {
                return Err(invalid(format!(
                    "download {d:?} is not \"on-open\" or \"all\""
                )));
            }
        }
        if let Some(m) = &self.max_message_size {
            if parse_size(m).is_none_or(|n| n == 0) {
                return Err(invalid(format!(
                    "max_message_size {m:?} is not a size like \"1G\""
                )));
            }
        }
        if let Some(m) = &self.max_download_size {
            if parse_size(m).is_none() {
                return Err(invalid(format!(
                    "max_download_size {m:?} is not a size like \"10M\""
                )));
            }
        }
        if let Some(c) = &self.check_interval {
            if parse_duration(c).is_none() {
                return Err(invalid(format!(
                    "check_interval {c:?} is not a time like \"5m\", \"30s\" or \"0\""
                )));
            }
        }
        if let Some(e) = &self.email {
            if crate::mime::address::parse_mailbox(e).is_err() {
                return Err(invalid(format!("email {e:?} is not an e-mail address")));
            }
        }
        if let Some(smtp) = &self.smtp {
            if smtp.host.trim().is_empty() {
                return Err(invalid("smtp.host is empty".into()));
            }
            if smtp.port == Some(0) {
                return Err(invalid("smtp.port 0 is not a port".into()));
            }
            if smtp.timeout == Some(0) {
                return Err(invalid("smtp.timeout must be at least 1 second".into()));
            }
        }
        for (what, v) in [
            ("connect_timeout", self.connect_timeout),
            ("command_timeout", self.command_timeout),
            ("read_timeout", self.read_timeout),
        ] {
            if v == Some(0) {
                return Err(invalid(format!("{what} must be at least 1 second")));
            }
        }
        Ok(())
    }

    /// `download = "all"`, and the size limit for it.
    pub fn background_download(&self) -> Option<Option<u64>> {
        (self.download.as_deref() == Some("all"))
            .then(|| self.max_download_size.as_deref().and_then(parse_size))
    }

    /// `max_message_size` (checked by `validate`), else 1 GB.
    pub fn max_message(&self) -> u64 {
        self.max_message_size
            .as_deref()
            .and_then(parse_size)
            .unwrap_or(MAX_MESSAGE_SIZE)
    }

    /// The account's `leave_on_server` (checked by `validate`).
    pub fn leave_policy(&self) -> LeavePolicy {
        self.leave_on_server
            .as_deref()
            .and_then(|p| LeavePolicy::parse(p).ok())
            .unwrap_or_default()
    }

    pub fn endpoint(&self) -> Endpoint {
        let d = Timeouts::default();
        let secs =
            |v: Option<u64>, default: Duration| v.map(Duration::from_secs).unwrap_or(default);
        Endpoint {
            host: self.host.trim().to_string(),
            port: self.port.unwrap_or(self.tls.default_port()),
            tls: self.tls,
            ca_file: self.ca_file.as_deref().map(crate::paths::expand_tilde),
            timeouts: Timeouts {
                connect: secs(self.connect_timeout, d.connect),
                command: secs(self.command_timeout, d.command),
                read: secs(self.read_timeout, d.read),
            },
        }
    }

    fn password_command_limit(&self) -> Duration {
        self.password_command_timeout
            .map_or(PASSWORD_COMMAND_TIMEOUT, Duration::from_secs)
    }

    /// How often the reader looks for new mail; None: only on R.
    pub fn check_every(&self) -> Option<Duration> {
        let d = self
            .check_interval
            .as_deref()
            .and_then(parse_duration)
            .unwrap_or(CHECK_INTERVAL);
        (!d.is_zero()).then_some(d)
    }

    /// The password from its configured source, without asking anyone:
    /// `POSTIE_PASSWORD_<ACCOUNT>`, else `POSTIE_PASSWORD`, else
    /// `password_command`, else `password`; None when there is no source
    /// (the caller asks). An empty variable counts as unset. Blocking: it
    /// may run a command.
    pub fn password_source(&self, name: &str) -> Result<Option<Secret>, ConfigError> {
        for var in [password_variable(name), "POSTIE_PASSWORD".to_string()] {
            match std::env::var(&var) {
                Ok(p) if !p.is_empty() => return Ok(Some(Secret::new(p))),
                _ => {}
            }
        }
        if let Some(cmd) = &self.password_command {
            return run_password_command(name, cmd, self.password_command_limit()).map(Some);
        }
        Ok(self.password.clone())
    }

    /// The password: `password_source`, else a no-echo prompt when there is
    /// a terminal (before any screen is set up: the command-line tools).
    pub fn resolve_password(&self, name: &str) -> Result<Secret, ConfigError> {
        if let Some(p) = self.password_source(name)? {
            return Ok(p);
        }
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            let prompt = format!("Password for {} at {}: ", self.user, self.host);
            return rpassword::prompt_password(prompt)
                .map(Secret::new)
                .map_err(|_| ConfigError::NoPassword {
                    account: name.to_string(),
                });
        }
        Err(ConfigError::NoPassword {
            account: name.to_string(),
        })
    }

    /// The From address: `email`, else `user` when it is an address.
    pub fn from_address(&self) -> Option<String> {
        self.email
            .clone()
            .or_else(|| self.user.contains('@').then(|| self.user.clone()))
            .map(|a| a.trim().to_string())
    }

    /// Who the user is on mail they send (blocking: reads `signature_file`).
    pub fn identity(&self, account: &str) -> Result<crate::send::compose::Identity, ConfigError> {
        let address = self.from_address().ok_or_else(|| ConfigError::Invalid {
            account: account.to_string(),
            reason: format!(
                "no From address: set email = \"you@example.com\" in [accounts.{account}]"
            ),
        })?;
        let from = match self.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => crate::mime::address::format_mailbox(n, &address),
            _ => address.clone(),
        };
        let mut mine: Vec<String> = vec![address.to_lowercase(), self.user.to_lowercase()];
        mine.extend(self.alternates.iter().map(|a| a.trim().to_lowercase()));
        mine.dedup();
        let signature = match (&self.signature, &self.signature_file) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(f)) => {
                let path = crate::paths::expand_tilde(f);
                Some(
                    std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
                        account: account.to_string(),
                        reason: format!("cannot read signature_file {}: {e}", path.display()),
                    })?,
                )
            }
            (None, None) => None,
        };
        Ok(crate::send::compose::Identity {
            from,
            mine,
            signature,
        })
    }

    /// How to send, with the password for it (the SMTP table's own source,
    /// else `account_password`: the account's, already known).
    pub fn smtp_settings(
        &self,
        account: &str,
        account_password: Option<&Secret>,
    ) -> Result<crate::send::smtp::SmtpSettings, ConfigError> {
        let Some(smtp) = &self.smtp else {
            return Err(ConfigError::Invalid {
                account: account.to_string(),
                reason: format!(
                    "no [accounts.{account}.smtp] table: add one with host (and port, tls) to send mail; see README.md"
                ),
            });
        };
        let password = if let Some(cmd) = &smtp.password_command {
            run_password_command(account, cmd, self.password_command_limit())?
        } else if let Some(p) = &smtp.password {
            p.clone()
        } else if let Some(p) = account_password {
            p.clone()
        } else {
            self.resolve_password(account)?
        };
        Ok(crate::send::smtp::SmtpSettings {
            host: smtp.host.trim().to_string(),
            port: smtp.port.unwrap_or(smtp_default_port(smtp.tls)),
            tls: smtp.tls,
            user: smtp.user.clone().unwrap_or_else(|| self.user.clone()),
            password,
            auth: smtp.auth,
            ca_file: smtp
                .ca_file
                .as_deref()
                .or(self.ca_file.as_deref())
                .map(crate::paths::expand_tilde),
            allow_insecure_auth: smtp.allow_insecure_auth.unwrap_or(self.allow_insecure_auth),
            timeout: Duration::from_secs(smtp.timeout.unwrap_or(60)),
        })
    }

    pub fn client_config(&self, password: Secret) -> ClientConfig {
        ClientConfig {
            endpoint: self.endpoint(),
            user: self.user.clone(),
            password,
            auth: self.auth,
            allow_insecure_auth: self.allow_insecure_auth,
            pipelining: self.pipelining,
        }
    }
}

/// A TOML error in words that never quote the file: the line, the column,
/// the key and what is wrong — the offending line may hold a password
/// (`password = "Secret…` with its quote missing), and so may a value the
/// parser would name (`invalid type: integer `12345``).
fn parse_error(text: &str, e: &toml::de::Error) -> String {
    let mut what = e.message().trim().replace('\n', " ");
    if what.starts_with("invalid type") || what.starts_with("invalid value") {
        // "invalid type: integer `12345`, expected a string": the value goes.
        if let (Some(a), Some(b)) = (what.find('`'), what.rfind('`')) {
            if a < b && !what[b + 1..].contains('`') {
                what.replace_range(a..=b, "");
                what = what.replace(" ,", ",").replace("  ", " ");
            }
        }
    }
    let Some(span) = e.span() else {
        return what;
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..span.start.min(text.len())].chars().count() + 1;
    // The key of that line, if it has one (a key is never a secret).
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| {
            !k.is_empty()
                && k.len() <= 64
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
    match key {
        Some(k) => format!("line {line}, column {column}, key {k}: {what}"),
        None => format!("line {line}, column {column}: {what}"),
    }
}

/// `POSTIE_PASSWORD_<ACCOUNT>`: the account's name in upper case, anything
/// but letters and digits as `_` (`work-qq` → `POSTIE_PASSWORD_WORK_QQ`).
pub fn password_variable(account: &str) -> String {
    let name: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("POSTIE_PASSWORD_{name}")
}

/// How long a `password_command` may take unless `password_command_timeout` says.
pub const PASSWORD_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `cmd` with `sh -c` and takes the first line it prints. It may ask
/// on the terminal (a GPG pinentry, `pass`), but not for ever: after
/// `limit` it is stopped (its whole process group) and named in the error.
pub(crate) fn run_password_command(
    account: &str,
    cmd: &str,
    limit: Duration,
) -> Result<Secret, ConfigError> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let fail = |reason: String| ConfigError::PasswordCommand {
        account: account.to_string(),
        reason,
    };
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    // Read both pipes on threads of their own, so a talkative command
    // cannot fill a pipe and stall.
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                // Read to the end (a writer cut off would die of SIGPIPE),
                // keeping the first 64 KB.
                let mut chunk = [0u8; 8192];
                while let Ok(n) = p.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if buf.len() < 64 * 1024 {
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
            }
            buf
        })
    };
    let out = read(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = read(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() >= deadline => {
                // The shell and whatever it started.
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "`{}` did not finish within {} s (password_command_timeout)",
                    crate::text::sanitize::sanitize_line(cmd),
                    limit.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(fail(format!("cannot wait for it: {e}"))),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&stderr);
        let first = crate::text::sanitize::sanitize_line(err.lines().next().unwrap_or("").trim());
        return Err(fail(format!(
            "{}{}",
            status,
            if first.is_empty() {
                String::new()
            } else {
                format!(": {first}")
            }
        )));
    }
    let text = String::from_utf8(stdout).map_err(|_| fail("its output is not UTF-8".into()))?;
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(fail("it printed nothing".into()));
    }
    Ok(Secret::new(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leave_policies_sizes_and_expire() {
        assert_eq!(LeavePolicy::parse("14d"), Ok(LeavePolicy::Days(14)));
        assert_eq!(LeavePolicy::parse("Never"), Ok(LeavePolicy::Never));
        assert_eq!(
            LeavePolicy::parse("until-deleted"),
            Ok(LeavePolicy::UntilDeleted)
        );
        assert!(LeavePolicy::parse("sometimes").is_err());
        assert!(LeavePolicy::parse("d").is_err());
        assert_eq!(parse_size("10M"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("500k"), Some(500 * 1024));
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("10 MB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("lots"), None);
        assert!(LeavePolicy::Always.expire_note("30").is_some());
        assert!(LeavePolicy::Always.expire_note("NEVER").is_none());
        assert!(LeavePolicy::Days(14).expire_note("30 USER").is_none());
        assert!(LeavePolicy::Days(60)
            .expire_note("30")
            .unwrap()
            .contains("30 days"));
        assert!(LeavePolicy::Never.expire_note("0").is_none());
        assert!(LeavePolicy::UntilDeleted
            .expire_note("0")
            .unwrap()
            .contains("EXPIRE 0"));
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/x/config.toml"))
    }

    #[test]
    fn a_password_command_that_hangs_is_stopped_and_named() {
        let start = std::time::Instant::now();
        let e = run_password_command("a", "sleep 30; echo pw", Duration::from_millis(300))
            .unwrap_err()
            .to_string();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert!(
            e.contains("`sleep 30; echo pw` did not finish within 0 s"),
            "{e}"
        );
        // A talkative one is read without stalling.
        let p = run_password_command(
            "a",
            "echo first; yes | head -c 300000",
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(p.expose(), "first");
    }

    #[test]
    fn parse_errors_never_quote_a_secret() {
        for (text, want) in [
            ("password = \"Secret123\n", "line 1"),
            ("[accounts.a]\nhost='h'\nuser='u'\npasword = \"Secret123\"\n", "pasword"),
            ("[accounts.a]\nhost='h'\nuser='u'\npassword = 12345\n", "key password: invalid type: integer, expected a string"),
            ("[accounts.a]\nhost='h'\nuser='u'\npassword = \"Secret1\"\npassword = \"Secret2\"\n", "duplicate key"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
            for secret in ["Secret", "12345"] {
                assert!(!e.contains(secret), "{e}");
            }
        }
    }

    #[test]
    fn check_interval_and_password_variables() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("soon"), None);
        let c = parse("[accounts.a]\nhost='h'\nuser='u'\ncheck_interval='0'\n").unwrap();
        assert_eq!(c.accounts["a"].check_every(), None);
        let c = parse("[accounts.a]\nhost='h'\nuser='u'\n").unwrap();
        assert_eq!(c.accounts["a"].check_every(), Some(CHECK_INTERVAL));
        let e = parse("[accounts.a]\nhost='h'\nuser='u'\ncheck_interval='often'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("often"), "{e}");
        assert_eq!(password_variable("work-qq"), "POSTIE_PASSWORD_WORK_QQ");
    }

    #[test]
    fn first_account_is_default_and_ports_follow_tls() {
        let c = parse(
            r#"
            [accounts.zeta]
            host = "pop.example.com"
            user = "a"
            [accounts.alpha]
            host = "h"
            user = "b"
            tls = "starttls"
            "#,
        )
        .unwrap();
        let (name, acct) = c.account(None).unwrap();
        assert_eq!(name, "zeta");
        assert_eq!(acct.endpoint().port, 995);
        assert_eq!(c.account(Some("alpha")).unwrap().1.endpoint().port, 110);
        assert!(matches!(
            c.account(Some("nope")),
            Err(ConfigError::UnknownAccount { .. })
        ));
    }

    #[test]
    fn typos_and_bad_values_are_specific_errors() {
        let e = parse("[accounts.a]\nhost='h'\nuser='u'\npasword='x'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pasword"), "{e}");
        let e = parse("[accounts.a]\nhost='h'\nuser='u'\ntls='ssl'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ssl"), "{e}");
        let e = parse("[accounts.a]\nhost='h'\nuser='u'\nfallback_charset='klingon'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("klingon"), "{e}");
        let e = parse("default_account='b'\n[accounts.a]\nhost='h'\nuser='u'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"b\""), "{e}");
        assert!(matches!(parse(""), Err(ConfigError::NoAccounts { .. })));
    }

    #[test]
    fn password_never_shows_in_debug() {
        let c = parse("[accounts.a]\nhost='h'\nuser='u'\npassword='s3cr3t-pw'\n").unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cr3t-pw"));
        let cc = c
            .account(None)
            .unwrap()
            .1
            .client_config(Secret::new("s3cr3t-pw"));
        assert!(!format!("{cc:?}").contains("s3cr3t-pw"));
    }

    #[test]
    fn password_command_first_line() {
        let c = parse(
            "[accounts.a]\nhost='h'\nuser='u'\npassword_command=\"printf 'pw one\\\\nsecond'\"\n",
        )
        .unwrap();
        let acct = c.account(None).unwrap().1;
        // POSTIE_PASSWORD would override; this test process does not set it.
        if std::env::var_os("POSTIE_PASSWORD").is_none() {
            assert_eq!(acct.resolve_password("a").unwrap().expose(), "pw one");
        }
        let c =
            parse("[accounts.a]\nhost='h'\nuser='u'\npassword_command='echo oops >&2; exit 3'\n")
                .unwrap();
        let e = run_password_command(
            "a",
            c.account(None)
                .unwrap()
                .1
                .password_command
                .as_deref()
                .unwrap(),
            PASSWORD_COMMAND_TIMEOUT,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("oops") && e.contains('3'), "{e}");
    }
}
