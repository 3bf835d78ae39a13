//! The provider table (`assets/providers.toml`): which servers an address's
//! domain uses, what goes in the password field, and the provider's own
//! steps. `postie setup --providers FILE` merges a file of the same format
//! over it, field by field. Pure: parsing and lookup, no I/O.

use rust_i18n::t;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::pop3::TlsMode;

/// The shipped table.
pub const SHIPPED: &str = include_str!("../../assets/providers.toml");

/// What a mail client puts in the password field for this provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordKind {
    /// The web password.
    Password,
    /// A code made in the web settings (授权码), not the web password.
    AuthorizationCode,
    /// An app password (behind two-step verification).
    AppPassword,
    /// No password works: OAuth 2.0 sign-in only.
    Oauth2,
}

impl PasswordKind {
    /// What the password prompt calls it.
    pub fn prompt_name(self) -> std::borrow::Cow<'static, str> {
        match self {
            PasswordKind::Password | PasswordKind::Oauth2 => t!("wizard.kind.password"),
            PasswordKind::AuthorizationCode => t!("wizard.kind.authorization_code"),
            PasswordKind::AppPassword => t!("wizard.kind.app_password"),
        }
    }
}

/// One server: where, and how it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
}

impl Server {
    pub fn pop3_port(&self) -> u16 {
        self.port.unwrap_or(self.tls.default_port())
    }

    pub fn smtp_port(&self) -> u16 {
        self.port
            .unwrap_or(crate::config::smtp_default_port(self.tls))
    }

    /// `pop.163.com:995 (TLS)`.
    pub fn describe(&self, port: u16) -> String {
        let how = match self.tls {
            TlsMode::Implicit => "TLS",
            TlsMode::StartTls => "STARTTLS",
            TlsMode::None => "no encryption",
        };
        format!("{}:{port} ({how})", self.host)
    }
}

/// Where a provider signs users in (OAuth 2.0), as the table gives it;
/// `{tenant}` in an address is the account's tenant (Microsoft).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthEndpoints {
    pub authorization_url: String,
    pub token_url: String,
    /// The device authorization endpoint (RFC 8628), when the provider
    /// allows the device flow for mail.
    pub device_url: Option<String>,
    pub scopes: Vec<String>,
    /// The tenant when the account names none (Microsoft: `common`).
    pub tenant: Option<String>,
    /// Whether the provider's client has a secret to paste (Google).
    #[serde(default)]
    pub client_secret: bool,
    /// Where to register the application, in words (and Chinese).
    pub register: String,
    pub register_zh: Option<String>,
}

/// A table entry as written: every field optional, so an override file may
/// give only what it changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Option<String>,
    domains: Option<Vec<String>>,
    pop3: Option<Server>,
    no_pop3: Option<String>,
    no_pop3_zh: Option<String>,
    smtp: Option<Server>,
    no_smtp: Option<String>,
    no_smtp_zh: Option<String>,
    password: Option<PasswordKind>,
    help: Option<String>,
    /// The same steps in Chinese, shown when postie speaks Chinese.
    help_zh: Option<String>,
    source: Option<String>,
    company: Option<bool>,
    ca_file: Option<PathBuf>,
    oauth: Option<OAuthEndpoints>,
}

impl Entry {
    fn merge(&mut self, over: Entry) {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        // A server given replaces "not offered", and the other way round.
        if over.pop3.is_some() {
            self.no_pop3 = None;
            self.no_pop3_zh = None;
        }
        if over.no_pop3.is_some() {
            self.pop3 = None;
        }
        if over.smtp.is_some() {
            self.no_smtp = None;
            self.no_smtp_zh = None;
        }
        if over.no_smtp.is_some() {
            self.smtp = None;
        }
        take!(
            name, domains, pop3, no_pop3, no_pop3_zh, smtp, no_smtp, no_smtp_zh, password, help,
            help_zh, source, company, ca_file, oauth
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    providers: IndexMap<String, Entry>,
}

/// A provider, checked: every field a user needs is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    /// The POP3 server, or why there is none.
    pub pop3: Result<Server, String>,
    /// The SMTP server, or why there is none.
    pub smtp: Result<Server, String>,
    pub password: PasswordKind,
    pub help: String,
    pub source: String,
    /// Serves companies' own domains (offered for an unknown domain).
    pub company: bool,
    /// A certificate authority to trust for its servers (a company's own).
    pub ca_file: Option<PathBuf>,
    /// Where it signs users in with OAuth 2.0, when it does.
    pub oauth: Option<OAuthEndpoints>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub providers: Vec<Provider>,
}

fn parse(text: &str, what: &str) -> Result<IndexMap<String, Entry>, String> {
    let file: File = toml::from_str(text).map_err(|e| {
        // The message names the line and the key; the table holds no secrets.
        format!("{what}: {}", e.to_string().trim().replace('\n', " "))
    })?;
    Ok(file.providers)
}

fn check(id: &str, e: Entry) -> Result<Provider, String> {
    let bad = |why: &str| format!("provider {id}: {why}");
    // The words in the language in use: the Chinese ones when there are any.
    let chinese = crate::i18n::current() == crate::i18n::Language::ZhCn;
    let words = |en: Option<String>, zh: Option<String>| match zh {
        Some(z) if chinese && !z.trim().is_empty() && en.is_some() => Some(z),
        _ => en,
    };
    let no_pop3 = words(e.no_pop3, e.no_pop3_zh);
    let no_smtp = words(e.no_smtp, e.no_smtp_zh);
    let help = words(e.help, e.help_zh);
    let server = |s: Option<Server>, none: Option<String>, what: &str| match (s, none) {
        (Some(s), None) => {
            if s.host.trim().is_empty() || s.host.contains(char::is_whitespace) {
                return Err(bad(&format!("{what}.host {:?} is not a host name", s.host)));
            }
            if s.port == Some(0) {
                return Err(bad(&format!("{what}.port 0 is not a port")));
            }
            Ok(Ok(s))
        }
        (None, Some(why)) if !why.trim().is_empty() => Ok(Err(why)),
        _ => Err(bad(&format!(
            "needs either {what} = {{ host, port, tls }} or no_{what} = \"why it is not offered\""
        ))),
    };
    let pop3 = server(e.pop3, no_pop3, "pop3")?;
    let smtp = server(e.smtp, no_smtp, "smtp")?;
    let name = e
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("no name"))?;
    let domains: Vec<String> = e
        .domains
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if domains.is_empty() || domains.iter().any(|d| d.is_empty() || !d.contains('.')) {
        return Err(bad("domains must list the address domains it serves"));
    }
    let source = e
        .source
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("no source: say where these facts come from"))?;
    Ok(Provider {
        id: id.to_string(),
        name,
        domains,
        pop3,
        smtp,
        password: e.password.ok_or_else(|| bad("no password kind"))?,
        help: help.unwrap_or_default().trim().to_string(),
        source,
        company: e.company.unwrap_or(false),
        ca_file: e.ca_file.map(|p| crate::paths::expand_tilde(&p)),
        oauth: e.oauth.map(|mut o| {
            if chinese {
                if let Some(z) = o.register_zh.take().filter(|z| !z.trim().is_empty()) {
                    o.register = z;
                }
            }
            o
        }),
    })
}

impl Table {
    /// The shipped table, with `extra` (an override file's text) merged over it.
    pub fn load(extra: Option<(&str, &str)>) -> Result<Table, String> {
        let mut entries = parse(SHIPPED, "the shipped provider table")?;
        if let Some((text, what)) = extra {
            for (id, over) in parse(text, what)? {
                entries.entry(id).or_default().merge(over);
            }
        }
        let providers = entries
            .into_iter()
            .map(|(id, e)| check(&id, e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Table { providers })
    }

    /// The provider serving `domain`; a later entry (an override) wins.
    pub fn lookup(&self, domain: &str) -> Option<&Provider> {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        self.providers.iter().rev().find(|p| p.domains.contains(&d))
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().rev().find(|p| p.id == id)
    }

    /// Providers that host companies' own domains (offered for an unknown domain).
    pub fn companies(&self) -> impl Iterator<Item = &Provider> {
        self.providers.iter().filter(|p| p.company)
    }
}

/// The usual server names for a domain postie does not know, in the order
/// to try them: POP3S on 995 first, then STARTTLS on 110.
pub fn candidates(domain: &str) -> Vec<Server> {
    let mut out = Vec::new();
    for (tls, port) in [(TlsMode::Implicit, 995), (TlsMode::StartTls, 110)] {
        for prefix in ["pop", "pop3", "mail"] {
            out.push(Server {
                host: format!("{prefix}.{domain}"),
                port: Some(port),
                tls,
            });
        }
    }
    out
}

/// The SMTP server that usually goes with a POP3 host: `pop.D` → `smtp.D`
/// on 465 (implicit TLS), `mail.D` stays `mail.D`.
pub fn smtp_candidate(pop3_host: &str) -> Server {
    let host = match pop3_host.split_once('.') {
        Some(("pop" | "pop3", rest)) => format!("smtp.{rest}"),
        _ => pop3_host.to_string(),
    };
    Server {
        host,
        port: Some(465),
        tls: TlsMode::Implicit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_explanation_is_also_in_chinese() {
        let file = parse(SHIPPED, "assets/providers.toml").unwrap();
        for (id, e) in &file {
            for (en, zh, what) in [
                (&e.help, &e.help_zh, "help"),
                (&e.no_pop3, &e.no_pop3_zh, "no_pop3"),
                (&e.no_smtp, &e.no_smtp_zh, "no_smtp"),
            ] {
                if en.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                    let z = zh.as_deref().unwrap_or_default();
                    assert!(
                        z.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                        "{id}: {what} has no Chinese ({what}_zh)"
                    );
                }
            }
        }
    }

    #[test]
    fn every_shipped_entry_is_complete_and_valid() {
        let t = Table::load(None).unwrap();
        assert!(t.providers.len() >= 15, "{}", t.providers.len());
        let mut seen = std::collections::HashSet::new();
        for p in &t.providers {
            assert!(!p.source.is_empty() && !p.name.is_empty(), "{}", p.id);
            for d in &p.domains {
                assert!(seen.insert(d.clone()), "{d} listed twice");
            }
            for s in [&p.pop3, &p.smtp].into_iter().flatten() {
                assert!(s.port.is_some_and(|p| p > 0), "{}: give the port", p.id);
            }
            if let Ok(s) = &p.pop3 {
                // Cleartext POP3 to a public provider would send the password in the clear.
                assert_ne!(s.tls, TlsMode::None, "{}", p.id);
            }
            if p.password != PasswordKind::Password && p.password != PasswordKind::Oauth2 {
                assert!(
                    !p.help.is_empty(),
                    "{}: say where the code comes from",
                    p.id
                );
            }
        }
        for (domain, host) in [
            ("qq.com", "pop.qq.com"),
            ("foxmail.com", "pop.qq.com"),
            ("163.com", "pop.163.com"),
            ("126.com", "pop.126.com"),
            ("yeah.net", "pop.yeah.net"),
            ("sina.com", "pop.sina.com"),
            ("sohu.com", "pop3.sohu.com"),
            ("aliyun.com", "pop.aliyun.com"),
            ("139.com", "pop.139.com"),
            ("gmail.com", "pop.gmail.com"),
            ("yahoo.com", "pop.mail.yahoo.com"),
            ("HOTMAIL.com", "outlook.office365.com"),
        ] {
            let p = t.lookup(domain).unwrap_or_else(|| panic!("{domain}"));
            assert_eq!(p.pop3.as_ref().unwrap().host, host);
        }
        assert!(t.lookup("icloud.com").unwrap().pop3.is_err());
        assert_eq!(
            t.lookup("outlook.com").unwrap().password,
            PasswordKind::Oauth2
        );
        assert_eq!(
            t.lookup("163.com").unwrap().password,
            PasswordKind::AuthorizationCode
        );
        let companies: Vec<&str> = t.companies().map(|p| p.id.as_str()).collect();
        assert!(companies.contains(&"exmail") && companies.contains(&"aliyun_enterprise"));
        assert!(t.lookup("example.org").is_none());
    }

    #[test]
    fn an_override_merges_field_by_field_and_is_checked() {
        let t = Table::load(Some((
            "[providers.netease163]\npop3 = { host = \"127.0.0.1\", port = 1110, tls = \"none\" }\n\
             [providers.acme]\nname = \"Acme\"\ndomains = [\"acme.test\"]\npassword = \"password\"\n\
             source = \"our IT\"\npop3 = { host = \"pop.acme.test\", port = 995 }\nno_smtp = \"no sending\"\n\
             ca_file = \"/etc/acme-ca.pem\"\n",
            "over.toml",
        )))
        .unwrap();
        let p = t.lookup("163.com").unwrap();
        assert_eq!(p.pop3.as_ref().unwrap().host, "127.0.0.1");
        // What the override did not say is kept.
        assert_eq!(p.smtp.as_ref().unwrap().host, "smtp.163.com");
        assert_eq!(p.password, PasswordKind::AuthorizationCode);
        let acme = t.lookup("acme.test").unwrap();
        assert!(acme.smtp.is_err());
        assert_eq!(
            acme.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/acme-ca.pem"))
        );
        let e = Table::load(Some(("[providers.x]\nname = \"X\"\n", "bad.toml"))).unwrap_err();
        assert!(e.contains("provider x"), "{e}");
        let e = Table::load(Some(("[providers.x]\nhots = 1\n", "bad.toml"))).unwrap_err();
        assert!(e.contains("bad.toml") && e.contains("hots"), "{e}");
    }

    #[test]
    fn candidates_for_an_unknown_domain() {
        let c = candidates("example.org");
        assert_eq!(c[0].host, "pop.example.org");
        assert_eq!(c[0].pop3_port(), 995);
        assert_eq!(c[3].tls, TlsMode::StartTls);
        assert_eq!(c[3].pop3_port(), 110);
        assert_eq!(c.len(), 6);
        assert_eq!(smtp_candidate("pop3.example.org").host, "smtp.example.org");
        assert_eq!(smtp_candidate("mail.example.org").host, "mail.example.org");
    }
}
