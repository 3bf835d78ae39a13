//! `oauth_token_command`: an external program prints the access token
//! (its first line); asked again when the server refuses the last one, so
//! the program's own refresh does the rest.

use std::time::Duration;

use rust_i18n::t;

use crate::pop3::sasl::{TokenError, TokenErrorKind, TokenFuture, TokenSource};
use crate::secret::Secret;

/// How long the command may take (it may refresh over the network).
pub const TOKEN_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of its output read (a token is a few KB).
const MAX_OUTPUT: usize = 64 * 1024;

/// Tokens from a shell command.
pub struct CommandTokens {
    command: String,
    timeout: Duration,
}

impl CommandTokens {
    pub fn new(command: &str) -> CommandTokens {
        CommandTokens {
            command: command.to_string(),
            timeout: TOKEN_COMMAND_TIMEOUT,
        }
    }

    async fn run(&self) -> Result<Secret, TokenError> {
        let local = |text: String| TokenError {
            kind: TokenErrorKind::Local,
            text,
        };
        let child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| local(t!("oauth.command_failed", error = e).into_owned()))?;
        let out = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                local(t!("oauth.command_timeout", secs = self.timeout.as_secs()).into_owned())
            })?
            .map_err(|e| local(t!("oauth.command_failed", error = e).into_owned()))?;
        if !out.status.success() {
            // Its error output may say why (never the token: it failed).
            let why = String::from_utf8_lossy(&out.stderr[..out.stderr.len().min(400)]);
            let why = crate::text::sanitize::sanitize_line(why.trim()).into_owned();
            return Err(local(
                t!("oauth.command_status", status = out.status, error = why).into_owned(),
            ));
        }
        let mut stdout = out.stdout;
        stdout.truncate(MAX_OUTPUT);
        let token = String::from_utf8_lossy(&stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        stdout.fill(0);
        if token.is_empty() || token.contains(|c: char| c.is_control()) {
            return Err(local(t!("oauth.command_empty").into_owned()));
        }
        Ok(Secret::new(token))
    }
}

impl TokenSource for CommandTokens {
    fn token(&self, _refused: bool) -> TokenFuture<'_> {
        Box::pin(self.run())
    }
}
