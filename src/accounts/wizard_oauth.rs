//! The wizard for a provider that takes no password (Outlook.com, Office
//! 365, Google Workspace): where to register an application and what to
//! paste, then the sign-in — the device flow (a code to type at the
//! provider's address on any device, with a QR code) or, where the
//! provider allows no device flow for mail, a browser sign-in (on this
//! machine, or on another one with the address it ends at pasted back) —
//! then the POP3 and SMTP logins tested with the token, as for passwords.

use std::sync::Arc;

use super::*;
use crate::config::oauth::OAuthConfig;
use crate::oauth::signin::{self, DeviceCode};
use crate::oauth::{Endpoints, OAuthTokens};

/// The address as a QR code for the terminal (two rows of modules a line).
fn qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build(),
    )
}

/// Opens `url` in a browser when this machine has a display.
fn open_browser(url: &str) {
    let display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if display {
        let browser = std::env::var("BROWSER").unwrap_or_else(|_| "xdg-open".into());
        let _ = std::process::Command::new(browser)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

impl Wizard<'_> {
    pub(super) fn run_oauth(
        &mut self,
        config_path: &Path,
        email: &str,
        p: &Provider,
        pop3: Server,
        smtp: Option<Server>,
        taken: &[String],
    ) -> Option<Outcome> {
        let Some(o) = p.oauth.clone() else {
            self.io.say(&p.help);
            return Some(Outcome::NotPossible(p.help.clone()));
        };
        self.show(&pop3, smtp.as_ref());
        if !p.help.is_empty() {
            self.io.say(&format!("\n{}", p.help));
        }
        self.io.say(&format!("\n{}", o.register));
        let client_id = loop {
            let a = self.io.ask(&format!("\n{} ", t!("wizard.client_id")))?;
            if a.is_empty() {
                return None;
            }
            if !a.contains(char::is_whitespace) {
                break a;
            }
            self.io.say(&format!("  {}", t!("wizard.client_id_bad")));
        };
        let client_secret = if o.client_secret {
            Some(Secret::new(
                self.io
                    .ask_secret(&format!("{} ", t!("wizard.client_secret")))?,
            ))
        } else {
            None
        };
        let tenant = match &o.tenant {
            Some(d) => {
                let a = self
                    .io
                    .ask(&format!("{} ", t!("wizard.tenant", tenant = d)))?;
                (!a.is_empty()).then_some(a)
            }
            None => None,
        };
        let name = self.ask_name(email, Some(p), taken)?;
        // Endpoints written out only when they are not the shipped table's.
        let shipped = Table::load(None)
            .ok()
            .and_then(|t| t.get(&p.id).and_then(|s| s.oauth.clone()));
        let explicit = (shipped.as_ref() != Some(&o)).then(|| o.clone());
        let table = write::OAuthTable {
            provider: p.id.clone(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            tenant: tenant.clone(),
            explicit,
        };
        let cfg = OAuthConfig {
            provider: Some(p.id.clone()),
            client_id,
            client_secret,
            tenant,
            ..OAuthConfig::default()
        };
        let endpoints = match crate::accounts::tokens::oauth_endpoints(&cfg, Some(self.table)) {
            Ok(e) => e,
            Err(why) => {
                self.io.say(&format!("postie: {why}"));
                return Some(Outcome::NotPossible(why));
            }
        };
        let file = crate::accounts::tokens::token_file(&name);
        loop {
            match self.sign_in(&endpoints, &file)? {
                Ok(()) => break,
                Err(e) => {
                    self.io
                        .say(&format!("  {}", t!("wizard.signin_failed", error = e)));
                    let again = self.io.ask(&format!("{} ", t!("wizard.try_again")))?;
                    if !yes(&again, true) {
                        return Some(Outcome::NotPossible(e.to_string()));
                    }
                }
            }
        }
        self.io.say(&format!("  {}", t!("wizard.signed_in")));
        let tokens = crate::pop3::sasl::Tokens(Arc::new(OAuthTokens::new(endpoints, file)));
        let none = Secret::default();
        let probe = Probe {
            user: email,
            password: &none,
            ca_file: p.ca_file.clone(),
            kind: PasswordKind::Oauth2,
            help: &p.help,
            token: Some(tokens),
        };
        self.io.say(&format!(
            "\n{}",
            t!(
                "wizard.testing_pop3",
                server = pop3.describe(pop3.pop3_port())
            )
        ));
        match self.rt.block_on(probe.pop3(&pop3)) {
            Ok(n) => self.io.say(&format!(
                "  {}",
                crate::i18n::count("wizard.pop3_ok", n as u64)
            )),
            Err(f) => self.io.say(&format!(
                "  {}",
                t!("wizard.login_failed", what = "POP3", error = f.text)
            )),
        }
        if let Some(s) = &smtp {
            self.io.say(&t!(
                "wizard.testing_smtp",
                server = s.describe(s.smtp_port())
            ));
            match self.rt.block_on(probe.smtp(s)) {
                Ok(()) => self.io.say(&format!("  {}", t!("wizard.smtp_ok"))),
                Err(f) => self.io.say(&format!(
                    "  {}",
                    t!("wizard.login_failed", what = "SMTP", error = f.text)
                )),
            }
        }
        let display_name = self.io.ask(&format!("\n{} ", t!("wizard.display_name")))?;
        let account = NewAccount {
            name: name.clone(),
            email: email.to_string(),
            display_name: Some(display_name),
            pop3,
            smtp,
            ca_file: p.ca_file.clone(),
            password: PasswordSource::OAuth(Box::new(table)),
        };
        self.save(config_path, &account)
    }

    /// One sign-in: the device flow when the provider has one for mail,
    /// else the browser. None: the user stopped.
    fn sign_in(
        &mut self,
        e: &Endpoints,
        file: &Path,
    ) -> Option<Result<(), crate::oauth::OAuthError>> {
        if e.device_url.is_some() {
            let io = &mut *self.io;
            let show = |c: &DeviceCode| {
                io.say(&format!(
                    "\n{}",
                    t!(
                        "wizard.device_code",
                        url = c.verification_uri,
                        code = c.user_code,
                        minutes = c.expires_in.as_secs().div_ceil(60)
                    )
                ));
                let target = c.complete_uri.as_deref().unwrap_or(&c.verification_uri);
                if let Some(q) = qr(target) {
                    io.say(&q);
                }
                io.say(&t!("wizard.device_waiting"));
            };
            return Some(self.rt.block_on(signin::device(e, file, show)));
        }
        let started = match self.rt.block_on(signin::start_browser(e)) {
            Ok(s) => s,
            Err(err) => return Some(Err(err)),
        };
        self.io.say(&format!(
            "\n{}",
            t!("wizard.browser_open", url = started.url())
        ));
        open_browser(started.url());
        let pasted = self.io.ask(&format!("{} ", t!("wizard.browser_paste")))?;
        Some(self.rt.block_on(started.finish(Some(&pasted), file)))
    }
}

/// `postie setup --signin NAME`: one sign-in for an existing account, the
/// token file replaced. True when signed in.
pub fn sign_in_again(
    io: &mut dyn Io,
    rt: tokio::runtime::Handle,
    e: &Endpoints,
    file: &Path,
) -> bool {
    let table = Table {
        providers: Vec::new(),
    };
    let mut w = Wizard {
        io,
        table: &table,
        rt,
    };
    match w.sign_in(e, file) {
        Some(Ok(())) => {
            w.io.say(&format!("  {}", t!("wizard.signed_in")));
            true
        }
        Some(Err(err)) => {
            w.io.say(&format!(
                "postie: {}",
                t!("wizard.signin_failed", error = err)
            ));
            false
        }
        None => false,
    }
}
