//! A leaf: the one classification every error answers. Exit codes, the
//! reader's pop-ups and retries, the wizard's advice and sending's outcome
//! are chosen from an error's class, never from its text.

/// What kind of trouble an error is, as the user and the program must treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Likely to pass by itself: the server is away, busy (`[IN-USE]`),
    /// throttling (`[LOGIN-DELAY]`, `[SYS/TEMP]`, SMTP 4xx) or the link
    /// dropped. Retried with backoff; exit 75 so cron tries again.
    Temporary,
    /// The server refused the login: the user must change something.
    Login,
    /// The secure connection failed (certificate, host name, handshake,
    /// `ca_file`, no STLS where it is required): the user must act.
    Tls,
    /// The server refused one command or said something postie cannot use;
    /// the session may go on.
    Server,
    /// This machine: the disk, the store, a file, the config.
    Local,
    /// The user (or postie on their behalf) stopped the work: not an error
    /// to show.
    Cancelled,
    /// postie broke its own rules (a command in the wrong state, a task
    /// that panicked).
    Bug,
}

impl ErrorClass {
    /// The exit status of a command that failed this way: 75 (EX_TEMPFAIL,
    /// try again later) for temporary trouble, else 1.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorClass::Temporary => 75,
            _ => 1,
        }
    }

    /// Whether the user must change a setting before trying again.
    pub fn needs_the_user(self) -> bool {
        matches!(self, ErrorClass::Login | ErrorClass::Tls)
    }
}

/// An error that knows its class.
pub trait Classify {
    fn class(&self) -> ErrorClass;
}

/// A failure as the tasks report it to the UI: its class, one line for the
/// status line, and (when there is more the user can use) the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub class: ErrorClass,
    pub summary: String,
    pub detail: Option<String>,
}

impl Failure {
    pub fn new(class: ErrorClass, summary: impl Into<String>) -> Failure {
        Failure {
            class,
            summary: summary.into(),
            detail: None,
        }
    }

    /// A classified error, as one line.
    pub fn of<E: Classify + std::fmt::Display + ?Sized>(e: &E) -> Failure {
        Failure::new(e.class(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_temporary_trouble_tells_cron_to_retry() {
        use ErrorClass::*;
        for class in [Temporary, Login, Tls, Server, Local, Cancelled, Bug] {
            assert_eq!(class.exit_code() == 75, class == Temporary, "{class:?}");
            assert_eq!(
                class.needs_the_user(),
                matches!(class, Login | Tls),
                "{class:?}"
            );
        }
    }
}
