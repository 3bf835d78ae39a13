//! Writing a new account into the config file with `toml_edit`, so the
//! accounts, comments and layout already there are kept byte for byte.
//! The file is replaced atomically (a temp file in the same directory,
//! 0600, fsynced, renamed, the directory fsynced), and only after the result
//! has been read back as a valid postie config. Blocking: call it off the
//! async threads.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{value, DocumentMut, Item, Table};

use super::providers::Server;
use crate::pop3::TlsMode;
use crate::secret::Secret;

/// Where the password will come from.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// Kept in the config file (0600).
    Stored(Secret),
    /// A command that prints it.
    Command(String),
    /// Asked for each time postie starts.
    Ask,
    /// No password: OAuth 2.0 with postie's own client (the token file is
    /// in the store, not here).
    OAuth(Box<OAuthTable>),
}

/// What `[accounts.NAME.oauth]` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthTable {
    pub provider: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub tenant: Option<String>,
    /// Endpoints written out (a provider table other than the shipped one
    /// named them: a company's, or a test's).
    pub explicit: Option<super::providers::OAuthEndpoints>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub display_name: Option<String>,
    pub pop3: Server,
    pub smtp: Option<Server>,
    pub ca_file: Option<PathBuf>,
    pub password: PasswordSource,
}

fn tls_word(t: TlsMode) -> &'static str {
    match t {
        TlsMode::Implicit => "implicit",
        TlsMode::StartTls => "starttls",
        TlsMode::None => "none",
    }
}

/// The config text with `a` added; `existing` is the file as it is (or "").
pub fn with_account(existing: &str, a: &NewAccount) -> Result<String, String> {
    let mut doc: DocumentMut = existing.parse().map_err(|e: toml_edit::TomlError| {
        format!("the config file is not valid TOML: {}", e.message())
    })?;
    let accounts = doc
        .entry("accounts")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or("`accounts` in the config file is not a table")?;
    if accounts.contains_key(&a.name) {
        return Err(format!("there is already an account named {:?}", a.name));
    }
    let mut t = Table::new();
    t.insert("host", value(&a.pop3.host));
    t.insert("port", value(i64::from(a.pop3.pop3_port())));
    t.insert("tls", value(tls_word(a.pop3.tls)));
    t.insert("user", value(&a.email));
    t.insert("email", value(&a.email));
    if let Some(n) = a.display_name.as_deref().filter(|n| !n.trim().is_empty()) {
        t.insert("name", value(n.trim()));
    }
    match &a.password {
        PasswordSource::Stored(s) => {
            t.insert("password", value(s.expose()));
        }
        PasswordSource::Command(c) => {
            t.insert("password_command", value(c));
        }
        PasswordSource::Ask => {}
        PasswordSource::OAuth(o) => {
            let mut table = Table::new();
            table.insert("provider", value(&o.provider));
            table.insert("client_id", value(&o.client_id));
            if let Some(s) = &o.client_secret {
                table.insert("client_secret", value(s.expose()));
            }
            if let Some(tn) = &o.tenant {
                table.insert("tenant", value(tn));
            }
            if let Some(e) = &o.explicit {
                table.insert("authorization_url", value(&e.authorization_url));
                table.insert("token_url", value(&e.token_url));
                if let Some(d) = &e.device_url {
                    table.insert("device_url", value(d));
                }
                let mut scopes = toml_edit::Array::new();
                for sc in &e.scopes {
                    scopes.push(sc.as_str());
                }
                table.insert("scopes", value(scopes));
            }
            t.insert("oauth", Item::Table(table));
        }
    }
    if let Some(ca) = &a.ca_file {
        t.insert("ca_file", value(ca.display().to_string()));
    }
    if let Some(s) = &a.smtp {
        let mut smtp = Table::new();
        smtp.insert("host", value(&s.host));
        smtp.insert("port", value(i64::from(s.smtp_port())));
        smtp.insert("tls", value(tls_word(s.tls)));
        t.insert("smtp", Item::Table(smtp));
    }
    accounts.insert(&a.name, Item::Table(t));
    let text = doc.to_string();
    // What postie itself would read back: a mistake here must not replace a good file.
    crate::config::Config::parse(&text, Path::new("config.toml"))
        .map_err(|e| format!("the new config would not be valid: {e}"))?;
    Ok(text)
}

/// Adds `a` to the config file at `path` (made, with its directory, if
/// missing): 0600, atomic, durable.
pub fn add_account(path: &Path, a: &NewAccount) -> Result<(), String> {
    let shown = path.display();
    let existing = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    let text = with_account(&existing, a)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&dir)
            .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    }
    let write = || -> std::io::Result<()> {
        // tempfile creates it O_EXCL with mode 0600, in the target directory.
        let mut tmp = tempfile::Builder::new()
            .prefix(".config.toml.")
            .tempfile_in(&dir)?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        std::fs::File::open(&dir)?.sync_all()
    };
    write().map_err(|e| format!("cannot write {shown}: {e}"))
}

/// A name for the account: the provider's short name, else the domain's
/// first label, made unique among `taken`.
pub fn suggest_name(email: &str, provider_id: Option<&str>, taken: &[String]) -> String {
    let domain = email.rsplit_once('@').map_or(email, |(_, d)| d);
    let base = match provider_id {
        Some("netease163") => "163".to_string(),
        Some("netease126") => "126".to_string(),
        Some("mail139") => "139".to_string(),
        Some(id) => id.to_string(),
        None => domain.split('.').next().unwrap_or("mail").to_string(),
    };
    let base: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let base = if base.is_empty() { "mail".into() } else { base };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> NewAccount {
        NewAccount {
            name: "163".into(),
            email: "someone@163.com".into(),
            display_name: Some("李明".into()),
            pop3: Server {
                host: "pop.163.com".into(),
                port: Some(995),
                tls: TlsMode::Implicit,
            },
            smtp: Some(Server {
                host: "smtp.163.com".into(),
                port: Some(465),
                tls: TlsMode::Implicit,
            }),
            ca_file: None,
            password: PasswordSource::Command("pass show 163".into()),
        }
    }

    #[test]
    fn keeps_what_was_there_and_adds_the_account() {
        let before = "# my accounts\ndefault_account = \"work\"\n\n[accounts.work]   # the office\nhost = \"pop.work.example\"  # really\nuser = \"me\"\n";
        let after = with_account(before, &account()).unwrap();
        assert!(after.starts_with(before), "{after}");
        let c = crate::config::Config::parse(&after, Path::new("c.toml")).unwrap();
        assert_eq!(c.accounts.len(), 2);
        let a = &c.accounts["163"];
        assert_eq!(a.host, "pop.163.com");
        assert_eq!(a.smtp.as_ref().unwrap().host, "smtp.163.com");
        assert_eq!(a.password_command.as_deref(), Some("pass show 163"));
        assert_eq!(c.default_account.as_deref(), Some("work"));
        let e = with_account(&after, &account()).unwrap_err();
        assert!(e.contains("already"), "{e}");
        assert!(with_account("accounts = 3", &account()).is_err());
    }

    #[test]
    fn names_are_unique() {
        assert_eq!(suggest_name("a@163.com", Some("netease163"), &[]), "163");
        assert_eq!(
            suggest_name("a@163.com", Some("netease163"), &["163".into()]),
            "163-2"
        );
        assert_eq!(suggest_name("a@example.org", None, &[]), "example");
    }

    #[test]
    fn written_0600_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        let mut a = account();
        a.password = PasswordSource::Stored(Secret::new("code-123"));
        add_account(&path, &a).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("password = \"code-123\""));
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
