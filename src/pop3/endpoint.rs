//! Where a POP3 server is and how to reach it: host, port, the kind of
//! TLS, a CA file, and the timeouts. Plain data for the config to build.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum TlsMode {
    /// POP3S: TLS from the first byte (port 995).
    #[default]
    #[serde(rename = "implicit")]
    Implicit,
    /// STLS after the greeting (RFC 2595); refused if the server does not offer it.
    #[serde(rename = "starttls")]
    StartTls,
    #[serde(rename = "none")]
    None,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::Implicit => 995,
            TlsMode::StartTls | TlsMode::None => 110,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect, TLS handshake and greeting together.
    pub connect: Duration,
    /// From sending a command to its status line.
    pub command: Duration,
    /// The longest silence allowed inside a multi-line reply.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(20),
            command: Duration::from_secs(60),
            read: Duration::from_secs(60),
        }
    }
}

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    pub timeouts: Timeouts,
}

impl Endpoint {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
