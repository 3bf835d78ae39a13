//! Where an account's password comes from: `POSTIE_PASSWORD_<ACCOUNT>`,
//! `POSTIE_PASSWORD`, the config's `password`, or `password_command` (run
//! with a time limit, its process group stopped past it).

use super::*;

impl AccountConfig {
    pub(crate) fn password_command_limit(&self) -> Duration {
        self.password_command_timeout
            .map_or(PASSWORD_COMMAND_TIMEOUT, Duration::from_secs)
    }

    /// The password from its configured source, without asking anyone:
    /// `POSTIE_PASSWORD_<ACCOUNT>`, else `POSTIE_PASSWORD`, else
    /// `password_command`, else `password`; None when there is no source
    /// (the caller asks). An empty variable counts as unset. Blocking: it
    /// may run a command.
    pub fn password_source(&self, name: &str) -> Result<Option<Secret>, ConfigError> {
        if self.uses_oauth() {
            // Tokens instead: there is no password to ask for.
            return Ok(Some(Secret::default()));
        }
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
