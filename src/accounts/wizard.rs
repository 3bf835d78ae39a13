//! `postie setup` (and `A` in the reader): an interactive, line-by-line
//! wizard. It asks for the address, proposes the provider's servers (or the
//! usual guesses for an unknown domain), asks for the password without echo,
//! tests the POP3 and SMTP logins, and writes the account into the config
//! file. Blocking (it reads the terminal): run it on a blocking thread; the
//! network tests run on the async runtime through `rt`.

use rust_i18n::t;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::probe::{self, Failure, Probe, Trouble};
use super::providers::{self, PasswordKind, Provider, Server, Table};
use super::write::{self, NewAccount, PasswordSource};
use crate::pop3::TlsMode;
use crate::secret::Secret;

/// The wizard's terminal: lines out, answers in.
pub trait Io {
    fn say(&mut self, text: &str);
    /// One line typed by the user; None when input ended (Ctrl-D).
    fn ask(&mut self, prompt: &str) -> Option<String>;
    /// Like `ask`, without echo.
    fn ask_secret(&mut self, prompt: &str) -> Option<String>;
}

/// The real terminal: stdout, stdin, and a no-echo prompt on the tty.
pub struct Terminal;

impl Io for Terminal {
    fn say(&mut self, text: &str) {
        for line in text.lines() {
            println!("{}", crate::text::sanitize::sanitize_line(line));
        }
        if text.is_empty() {
            println!();
        }
    }

    fn ask(&mut self, prompt: &str) -> Option<String> {
        use std::io::Write;
        print!("{prompt}");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_string()),
        }
    }

    fn ask_secret(&mut self, prompt: &str) -> Option<String> {
        rpassword::prompt_password(prompt).ok()
    }
}

#[path = "wizard_oauth.rs"]
mod oauth;
pub use oauth::sign_in_again;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The account was written into the config file.
    Added { name: String, path: PathBuf },
    /// This address cannot be read with postie (no POP3, OAuth2 only): why.
    NotPossible(String),
    /// The user stopped.
    Cancelled,
}

struct Wizard<'a> {
    io: &'a mut dyn Io,
    table: &'a Table,
    rt: tokio::runtime::Handle,
}

/// Runs the wizard; the account goes into the config file at `config_path`.
pub fn run(
    io: &mut dyn Io,
    table: &Table,
    rt: tokio::runtime::Handle,
    config_path: &Path,
) -> Outcome {
    let mut w = Wizard { io, table, rt };
    w.run(config_path).unwrap_or(Outcome::Cancelled)
}

fn yes(answer: &str, default: bool) -> bool {
    match answer.trim().to_lowercase().as_str() {
        "" => default,
        a => a.starts_with('y'),
    }
}

/// `host`, `host:port`, optionally followed by `tls`, `starttls` or `none`.
fn parse_server(text: &str, default_tls: TlsMode, smtp: bool) -> Option<Server> {
    let mut words = text.split_whitespace();
    let hostport = words.next()?;
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?)),
        None => (hostport, None),
    };
    let tls = match words.next().map(str::to_lowercase).as_deref() {
        None => match (port, smtp) {
            (Some(110), false) | (Some(587), true) => TlsMode::StartTls,
            (Some(995), false) | (Some(465), true) => TlsMode::Implicit,
            _ => default_tls,
        },
        Some("tls" | "ssl" | "implicit") => TlsMode::Implicit,
        Some("starttls" | "stls") => TlsMode::StartTls,
        Some("none" | "plain") => TlsMode::None,
        Some(_) => return None,
    };
    if host.is_empty() || words.next().is_some() {
        return None;
    }
    let port = port.or(Some(if smtp {
        crate::config::smtp_default_port(tls)
    } else {
        tls.default_port()
    }));
    Some(Server {
        host: host.to_string(),
        port,
        tls,
    })
}

impl Wizard<'_> {
    fn run(&mut self, config_path: &Path) -> Option<Outcome> {
        let taken = match existing_accounts(config_path) {
            Ok(t) => t,
            Err(e) => {
                self.io.say(&format!("postie: {e}"));
                return Some(Outcome::NotPossible(e));
            }
        };
        self.io.say(&t!("wizard.intro"));
        let email = self.ask_email()?;
        let domain = email
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase();
        let provider = self.table.lookup(&domain).cloned();
        let (mut pop3, mut smtp, kind, help, ca_file) = match &provider {
            Some(p) => {
                self.io.say(&format!("\n{} — {}", email, p.name));
                if let Err(why) = &p.pop3 {
                    self.io.say(why);
                    return Some(Outcome::NotPossible(why.clone()));
                }
                let pop3 = p.pop3.clone().ok()?;
                let smtp = p.smtp.clone().ok();
                if p.password == PasswordKind::Oauth2 {
                    return self.run_oauth(config_path, &email, p, pop3, smtp, &taken);
                }
                self.show(&pop3, smtp.as_ref());
                if let Err(why) = &p.smtp {
                    self.io
                        .say(&format!("  {}", t!("wizard.sending_note", why = why)));
                }
                if !p.help.is_empty() {
                    self.io.say(&format!("\n{}", p.help));
                }
                let ok = yes(
                    &self.io.ask(&format!("\n{} ", t!("wizard.use_servers")))?,
                    true,
                );
                let (pop3, smtp) = if ok {
                    (pop3, smtp)
                } else {
                    self.ask_servers(&pop3, smtp.as_ref())?
                };
                (pop3, smtp, p.password, p.help.clone(), p.ca_file.clone())
            }
            None => {
                let (pop3, smtp, company) = self.guess(&domain)?;
                if let Some(p) = company
                    .as_ref()
                    .filter(|p| p.password == PasswordKind::Oauth2)
                {
                    return self.run_oauth(config_path, &email, p, pop3, smtp, &taken);
                }
                let (kind, help, ca) = match company {
                    Some(p) => (p.password, p.help.clone(), p.ca_file.clone()),
                    None => (PasswordKind::Password, String::new(), None),
                };
                (pop3, smtp, kind, help, ca)
            }
        };
        let mut ca_file = ca_file;
        let (mut password, mut command) = self.ask_password(&email, kind)?;
        // Test the logins until they pass, or the user keeps them as they are.
        loop {
            let probe = Probe {
                user: &email,
                password: &password,
                ca_file: ca_file.clone(),
                kind,
                help: &help,
                token: None,
            };
            self.io.say(&format!(
                "\n{}",
                t!(
                    "wizard.testing_pop3",
                    server = pop3.describe(pop3.pop3_port())
                )
            ));
            let pop_result = self.rt.block_on(probe.pop3(&pop3));
            let failure = match pop_result {
                Ok(n) => {
                    self.io.say(&format!(
                        "  {}",
                        crate::i18n::count("wizard.pop3_ok", n as u64)
                    ));
                    match &smtp {
                        Some(s) => {
                            self.io.say(&t!(
                                "wizard.testing_smtp",
                                server = s.describe(s.smtp_port())
                            ));
                            match self.rt.block_on(probe.smtp(s)) {
                                Ok(()) => {
                                    self.io.say(&format!("  {}", t!("wizard.smtp_ok")));
                                    None
                                }
                                Err(f) => Some(("SMTP", f)),
                            }
                        }
                        None => None,
                    }
                }
                Err(f) => Some(("POP3", f)),
            };
            let Some((what, f)) = failure else { break };
            self.io.say(&format!(
                "  {}",
                t!("wizard.login_failed", what = what, error = f.text)
            ));
            match self.after_failure(&f)? {
                Next::Password => (password, command) = self.ask_password(&email, kind)?,
                Next::Servers => (pop3, smtp) = self.ask_servers(&pop3, smtp.as_ref())?,
                Next::CaFile(p) => ca_file = Some(p),
                Next::Keep => break,
            }
        }
        let display_name = self.io.ask(&format!("\n{} ", t!("wizard.display_name")))?;
        let password = match command {
            Some(c) => PasswordSource::Command(c),
            None => {
                let keep = self.io.ask(&format!("{} ", t!("wizard.keep_password")))?;
                if yes(&keep, true) {
                    PasswordSource::Stored(password)
                } else {
                    PasswordSource::Ask
                }
            }
        };
        let name = self.ask_name(&email, provider.as_ref(), &taken)?;
        let account = NewAccount {
            name: name.clone(),
            email,
            display_name: Some(display_name),
            pop3,
            smtp,
            ca_file,
            password,
        };
        self.save(config_path, &account)
    }

    /// Writes the account into the config file and says so.
    fn save(&mut self, config_path: &Path, account: &NewAccount) -> Option<Outcome> {
        match write::add_account(config_path, account) {
            Ok(()) => {
                self.io.say(&format!(
                    "\n{}",
                    t!(
                        "wizard.saved",
                        name = account.name,
                        path = config_path.display()
                    )
                ));
                Some(Outcome::Added {
                    name: account.name.clone(),
                    path: config_path.to_path_buf(),
                })
            }
            Err(e) => {
                self.io.say(&format!("postie: {e}"));
                Some(Outcome::NotPossible(e))
            }
        }
    }

    /// The account's name in the config (a suggestion, not one taken).
    fn ask_name(
        &mut self,
        email: &str,
        provider: Option<&Provider>,
        taken: &[String],
    ) -> Option<String> {
        let suggested = write::suggest_name(email, provider.map(|p| p.id.as_str()), taken);
        loop {
            let n = self
                .io
                .ask(&format!("{} ", t!("wizard.account_name", name = suggested)))?;
            let n = if n.is_empty() { suggested.clone() } else { n };
            if taken.contains(&n) {
                self.io.say(&format!(
                    "  {}",
                    t!("wizard.name_taken", name = format!("{n:?}"))
                ));
            } else if n
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return Some(n);
            } else {
                self.io.say(&format!("  {}", t!("wizard.name_chars")));
            }
        }
    }

    fn show(&mut self, pop3: &Server, smtp: Option<&Server>) {
        let receiving = t!("wizard.receiving");
        let sending = t!("wizard.sending");
        let w = crate::text::width(&receiving).max(crate::text::width(&sending));
        self.io.say(&format!(
            "  {}  {}",
            crate::text::fit(&receiving, w),
            pop3.describe(pop3.pop3_port())
        ));
        if let Some(s) = smtp {
            self.io.say(&format!(
                "  {}  {}",
                crate::text::fit(&sending, w),
                s.describe(s.smtp_port())
            ));
        }
    }

    fn ask_email(&mut self) -> Option<String> {
        loop {
            let a = self.io.ask(&format!("{} ", t!("wizard.email")))?;
            if a.is_empty() {
                return None;
            }
            let ok = a
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                && crate::mime::address::parse_mailbox(&a).is_ok();
            if ok {
                return Some(a);
            }
            self.io.say(&format!(
                "  {}",
                t!("wizard.not_an_address", address = format!("{a:?}"))
            ));
        }
    }

    /// The password (or code); `!command` means a password_command.
    fn ask_password(
        &mut self,
        email: &str,
        kind: PasswordKind,
    ) -> Option<(Secret, Option<String>)> {
        loop {
            let typed = self.io.ask_secret(&format!(
                "{} ",
                t!("wizard.password", kind = kind.prompt_name(), email = email)
            ))?;
            if typed.is_empty() {
                return None;
            }
            let Some(cmd) = typed.strip_prefix('!') else {
                return Some((Secret::new(typed), None));
            };
            match crate::config::run_password_command(
                "setup",
                cmd.trim(),
                crate::config::PASSWORD_COMMAND_TIMEOUT,
            ) {
                Ok(p) => return Some((p, Some(cmd.trim().to_string()))),
                Err(e) => self.io.say(&format!("  {e}")),
            }
        }
    }

    fn ask_servers(
        &mut self,
        pop3: &Server,
        smtp: Option<&Server>,
    ) -> Option<(Server, Option<Server>)> {
        self.io.say(&t!("wizard.server_help"));
        let pop3 = loop {
            let a = self.io.ask(&format!(
                "{} ",
                t!(
                    "wizard.pop3_server",
                    server = pop3.describe(pop3.pop3_port())
                )
            ))?;
            if a.is_empty() {
                break pop3.clone();
            }
            match parse_server(&a, TlsMode::Implicit, false) {
                Some(s) => break s,
                None => self.io.say(&format!(
                    "  {}",
                    t!("wizard.not_a_server", example = "pop.example.com:995")
                )),
            }
        };
        let default_smtp = smtp
            .cloned()
            .unwrap_or_else(|| providers::smtp_candidate(&pop3.host));
        let smtp = loop {
            let a = self.io.ask(&format!(
                "{} ",
                t!(
                    "wizard.smtp_server",
                    server = default_smtp.describe(default_smtp.smtp_port())
                )
            ))?;
            if a.is_empty() {
                break Some(default_smtp);
            }
            if a == "-" {
                break None;
            }
            match parse_server(&a, TlsMode::Implicit, true) {
                Some(s) => break Some(s),
                None => self.io.say(&format!(
                    "  {}",
                    t!("wizard.not_a_server", example = "smtp.example.com:465")
                )),
            }
        };
        Some((pop3, smtp))
    }

    /// A domain not in the table: the usual names (those that answer first),
    /// the company mail hosts, or the user's own.
    fn guess(&mut self, domain: &str) -> Option<(Server, Option<Server>, Option<Provider>)> {
        self.io.say(&format!(
            "\n{}",
            t!("wizard.unknown_domain", domain = domain)
        ));
        let guesses = providers::candidates(domain);
        let limit = Duration::from_secs(4);
        let answering: Vec<bool> = self.rt.block_on(async {
            let checks = guesses.iter().map(|s| probe::answers(s, limit));
            futures_util::future::join_all(checks).await
        });
        let companies: Vec<Provider> = self.table.companies().cloned().collect();
        let mut default = None;
        for (i, (s, up)) in guesses.iter().zip(&answering).enumerate() {
            if *up && default.is_none() {
                default = Some(i + 1);
            }
            self.io.say(&format!(
                "  {}. {}{}",
                i + 1,
                s.describe(s.pop3_port()),
                if *up {
                    format!("  {}", t!("wizard.answers"))
                } else {
                    format!("  {}", t!("wizard.no_answer"))
                }
            ));
        }
        for (j, p) in companies.iter().enumerate() {
            if let Ok(s) = &p.pop3 {
                self.io.say(&format!(
                    "  {}. {} — {}",
                    guesses.len() + j + 1,
                    p.name,
                    s.describe(s.pop3_port())
                ));
            }
        }
        self.io.say(&format!("  {}", t!("wizard.type_yourself")));
        let default = default.map_or("t".to_string(), |d| d.to_string());
        loop {
            let a = self
                .io
                .ask(&format!("{} ", t!("wizard.which", default = default)))?;
            let a = if a.is_empty() { default.clone() } else { a };
            if a == "t" {
                let blank = Server {
                    host: format!("pop.{domain}"),
                    port: Some(995),
                    tls: TlsMode::Implicit,
                };
                let (p, s) = self.ask_servers(&blank, None)?;
                return Some((p, s, None));
            }
            match a.parse::<usize>() {
                Ok(n) if (1..=guesses.len()).contains(&n) => {
                    let pop3 = guesses[n - 1].clone();
                    let smtp = providers::smtp_candidate(&pop3.host);
                    self.io.say(&format!(
                        "  {}",
                        t!(
                            "wizard.smtp_guess",
                            server = smtp.describe(smtp.smtp_port())
                        )
                    ));
                    let (pop3, smtp) =
                        if yes(&self.io.ask(&format!("{} ", t!("wizard.use_it")))?, true) {
                            (pop3, Some(smtp))
                        } else {
                            self.ask_servers(&pop3, Some(&smtp))?
                        };
                    return Some((pop3, smtp, None));
                }
                Ok(n) if n > guesses.len() && n <= guesses.len() + companies.len() => {
                    let p = companies[n - guesses.len() - 1].clone();
                    if !p.help.is_empty() {
                        self.io.say(&p.help);
                    }
                    let pop3 = p.pop3.clone().ok()?;
                    return Some((pop3, p.smtp.clone().ok(), Some(p)));
                }
                _ => self.io.say(&format!("  {}", t!("wizard.type_number"))),
            }
        }
    }

    fn after_failure(&mut self, f: &Failure) -> Option<Next> {
        if f.trouble == Trouble::Untrusted {
            self.io.say(&format!("  {}", t!("wizard.ca_hint")));
            let a = self.io.ask(&format!("  {} ", t!("wizard.ca_file")))?;
            if !a.is_empty() {
                return Some(Next::CaFile(crate::paths::expand_tilde(Path::new(&a))));
            }
        }
        let default = match f.trouble {
            Trouble::Credentials => "p",
            Trouble::NotEnabled => "p",
            Trouble::Network | Trouble::Untrusted | Trouble::Tls | Trouble::Other => "s",
        };
        loop {
            let a = self.io.ask(&format!(
                "  {} ",
                t!("wizard.after_failure", default = default)
            ))?;
            let a = if a.is_empty() {
                default.to_string()
            } else {
                a.to_lowercase()
            };
            match a.as_str() {
                "p" => return Some(Next::Password),
                "s" => return Some(Next::Servers),
                "k" => return Some(Next::Keep),
                "q" => return None,
                _ => {}
            }
        }
    }
}

enum Next {
    Password,
    Servers,
    CaFile(PathBuf),
    Keep,
}

/// The names of the accounts already in the config file.
fn existing_accounts(path: &Path) -> Result<Vec<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Vec::new()),
        Ok(text) => match crate::config::Config::parse(&text, path) {
            Ok(c) => Ok(c.accounts.keys().cloned().collect()),
            Err(crate::config::ConfigError::NoAccounts { .. }) => Ok(Vec::new()),
            Err(e) => Err(format!(
                "{e}; fix the file first, then run postie setup again"
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_as_typed() {
        let s = parse_server("pop.x.org:110", TlsMode::Implicit, false).unwrap();
        assert_eq!((s.port, s.tls), (Some(110), TlsMode::StartTls));
        let s = parse_server("pop.x.org", TlsMode::Implicit, false).unwrap();
        assert_eq!((s.port, s.tls), (Some(995), TlsMode::Implicit));
        let s = parse_server("smtp.x.org:587", TlsMode::Implicit, true).unwrap();
        assert_eq!(s.tls, TlsMode::StartTls);
        let s = parse_server("127.0.0.1:2525 none", TlsMode::Implicit, true).unwrap();
        assert_eq!((s.port, s.tls), (Some(2525), TlsMode::None));
        assert!(parse_server("pop.x.org:0", TlsMode::Implicit, false).is_none());
        assert!(parse_server("pop.x.org:995 maybe", TlsMode::Implicit, false).is_none());
        assert!(parse_server("", TlsMode::Implicit, false).is_none());
    }
}
