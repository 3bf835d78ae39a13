//! The user's accounts (README.md, "Configuration"): where the config file
//! lives, what it may say (the schema, built from the library's own types),
//! and where a password comes from. `accounts` turns it into what the tasks
//! take; nothing here opens a connection.

pub mod oauth;
mod password;
pub mod rules;
#[cfg(test)]
mod tests;
mod units;

pub(crate) use password::run_password_command;
pub use password::{password_variable, PASSWORD_COMMAND_TIMEOUT};
pub use rules::{JunkConfig, RuleConfig};
pub use units::{parse_duration, parse_size};

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::i18n::Language;
use crate::pop3::{AuthPreference, TlsMode};
use crate::secret::Secret;
use crate::send::smtp::SmtpAuth;
use crate::sync::LeavePolicy;

#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: String,
        reason: String,
    },
    Parse {
        path: String,
        reason: String,
    },
    NoAccounts {
        path: String,
    },
    UnknownAccount {
        name: String,
        path: String,
        known: String,
    },
    Missing {
        path: String,
    },
    Invalid {
        account: String,
        reason: String,
    },
    PasswordCommand {
        account: String,
        reason: String,
    },
    NoPassword {
        account: String,
    },
}

impl std::error::Error for ConfigError {}

/// In the language in use (the catalog's `config.*`).
impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use rust_i18n::t;
        let text = match self {
            ConfigError::Read { path, reason } => t!("config.read", path = path, reason = reason),
            ConfigError::Parse { path, reason } => t!("config.parse", path = path, reason = reason),
            ConfigError::NoAccounts { path } => t!("config.no_accounts", path = path),
            ConfigError::UnknownAccount { name, path, known } => t!(
                "config.unknown_account",
                name = format!("{name:?}"),
                path = path,
                known = known
            ),
            ConfigError::Missing { path } => t!("config.missing", path = path),
            ConfigError::Invalid { account, reason } => {
                t!("config.invalid", account = account, reason = reason)
            }
            ConfigError::PasswordCommand { account, reason } => {
                t!(
                    "config.password_command",
                    account = account,
                    reason = reason
                )
            }
            ConfigError::NoPassword { account } => t!("config.no_password", account = account),
        };
        f.write_str(&text)
    }
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
    /// The line over a quoted original: strftime for its date, `{name}` for
    /// its sender (default: the language's, `张伟 于 2024年12月2日 周一
    /// 10:05 写道：`).
    pub attribution: Option<String>,
    /// A message that asks for a read receipt: "ask" (default), "never", "always".
    pub receipts: Option<String>,
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
    /// Marked messages not stored yet are downloaded into Trash before a
    /// committed DELE, up to this size each ("10M", the default; "0": never).
    pub trash_download_limit: Option<String>,
    /// Filter rules, in order (the shared `[[rules]]` follow them).
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// A spam filter's commands (bogofilter, spamc).
    pub junk: Option<JunkConfig>,
    /// A command that prints an OAuth 2.0 access token (oama,
    /// mutt_oauth2.py): used instead of a password.
    pub oauth_token_command: Option<String>,
    /// postie's own OAuth 2.0 sign-in (instead of a password).
    pub oauth: Option<oauth::OAuthConfig>,
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

pub use crate::worker::TRASH_DOWNLOAD_LIMIT;

/// The default `max_message_size`: 1 GB.
pub const MAX_MESSAGE_SIZE: u64 = crate::pop3::client::MAX_MESSAGE_SIZE;

/// The default `check_interval`.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_account: Option<String>,
    /// `auto` (the locale: LC_ALL, LC_MESSAGES, LANG), `en` or `zh-CN`.
    language: Option<String>,
    /// An external address book asked besides postie's own (mutt's
    /// query_command format; `%s` is the query, shell-quoted).
    query_command: Option<String>,
    #[serde(default)]
    accounts: IndexMap<String, AccountConfig>,
    /// Rules every account runs after its own.
    #[serde(default)]
    rules: Vec<RuleConfig>,
}

#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub default_account: Option<String>,
    /// The `language` setting; None is `auto`.
    pub language: Option<Language>,
    /// `query_command`: an external address book (khard, abook, a CardDAV tool).
    pub query_command: Option<String>,
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

    /// `load` on a blocking thread, for async code: no task waits on the
    /// file system (a config on a slow or hung network mount included).
    pub async fn load_async(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
        let named = explicit.map(Path::to_path_buf);
        let shown = named
            .clone()
            .unwrap_or_else(crate::paths::config_file)
            .display()
            .to_string();
        match tokio::task::spawn_blocking(move || Config::load(named.as_deref())).await {
            Ok(loaded) => loaded,
            Err(e) => Err(ConfigError::Read {
                path: shown,
                reason: e.to_string(),
            }),
        }
    }

    /// The `language` setting of the config file postie would read, read on
    /// its own before anything else (the command line's help is in it). A
    /// file that is missing or unreadable says nothing here; loading it
    /// properly reports why.
    pub fn language_setting(explicit: Option<&Path>) -> Option<Language> {
        #[derive(Deserialize)]
        struct Only {
            language: Option<String>,
        }
        let path = explicit.map_or_else(crate::paths::config_file, Path::to_path_buf);
        let text = std::fs::read_to_string(path).ok()?;
        let only: Only = toml::from_str(&text).ok()?;
        Language::from_setting(only.language.as_deref()?).ok()?
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            reason: parse_error(text, &e),
        })?;
        let language = match file.language.as_deref().map(Language::from_setting) {
            None => None,
            Some(Ok(l)) => l,
            Some(Err(reason)) => {
                return Err(ConfigError::Parse {
                    path: shown,
                    reason,
                })
            }
        };
        if file.accounts.is_empty() {
            return Err(ConfigError::NoAccounts { path: shown });
        }
        let mut file = file;
        for (name, acct) in file.accounts.iter_mut() {
            acct.rules.extend(file.rules.iter().cloned());
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
            language,
            query_command: file.query_command.filter(|c| !c.trim().is_empty()),
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
        if let Some(r) = &self.receipts {
            if crate::send::mdn::ReceiptPolicy::parse(r).is_none() {
                return Err(invalid(format!(
                    "receipts {r:?} is not \"ask\", \"never\" or \"always\""
                )));
            }
        }
        if let Some(a) = &self.attribution {
            use chrono::format::{Item, StrftimeItems};
            if StrftimeItems::new(a).any(|i| matches!(i, Item::Error)) {
                return Err(invalid(format!(
                    "attribution {a:?} is not strftime (%a %d %b %Y %H:%M …) with {{name}}"
                )));
            }
        }
        if let Some(m) = &self.trash_download_limit {
            if parse_size(m).is_none() {
                return Err(invalid(format!(
                    "trash_download_limit {m:?} is not a size like \"10M\" (\"0\": no copies)"
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
        rules::compile(&self.rules).map_err(invalid)?;
        self.validate_oauth().map_err(invalid)?;
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

    /// Whether `other` logs in the same way: the server, the user, the
    /// method, the password or its command, the timeouts. `R` in the reader
    /// applies a changed login at once.
    pub fn same_login(&self, other: &AccountConfig) -> bool {
        let password = |a: &AccountConfig| a.password.as_ref().map(|p| p.expose().to_string());
        (&self.host, self.port, self.tls, &self.user, self.auth)
            == (&other.host, other.port, other.tls, &other.user, other.auth)
            && (&self.password_command, password(self), &self.ca_file)
                == (&other.password_command, password(other), &other.ca_file)
            && (self.allow_insecure_auth, self.pipelining)
                == (other.allow_insecure_auth, other.pipelining)
            && (
                self.connect_timeout,
                self.command_timeout,
                self.read_timeout,
            ) == (
                other.connect_timeout,
                other.command_timeout,
                other.read_timeout,
            )
    }

    /// `receipts` (checked by `validate`), else ask.
    pub fn receipt_policy(&self) -> crate::send::mdn::ReceiptPolicy {
        self.receipts
            .as_deref()
            .and_then(crate::send::mdn::ReceiptPolicy::parse)
            .unwrap_or_default()
    }

    /// `trash_download_limit` (checked by `validate`), else 10 MB.
    pub fn trash_download(&self) -> u64 {
        self.trash_download_limit
            .as_deref()
            .and_then(parse_size)
            .unwrap_or(TRASH_DOWNLOAD_LIMIT)
    }

    /// The account's `leave_on_server` (checked by `validate`).
    pub fn leave_policy(&self) -> LeavePolicy {
        self.leave_on_server
            .as_deref()
            .and_then(|p| LeavePolicy::parse(p).ok())
            .unwrap_or_default()
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

    /// The From address: `email`, else `user` when it is an address.
    pub fn from_address(&self) -> Option<String> {
        self.email
            .clone()
            .or_else(|| self.user.contains('@').then(|| self.user.clone()))
            .map(|a| a.trim().to_string())
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
