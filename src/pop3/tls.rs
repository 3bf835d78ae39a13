//! TLS for POP3: the stream (plain TCP or TLS over it), one connector per
//! CA file per process (built off the async threads), and native-tls's
//! errors sorted into postie's. native-tls says why a certificate was
//! refused only in words (OpenSSL's verify result is not exposed), so this
//! is the one place that reads an error's text — once, at the boundary,
//! into typed variants that every decision above reads instead.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_native_tls::TlsStream;

use super::endpoint::Endpoint;
use super::error::Pop3Error;

pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The TLS settings for `endpoint`, built once per `ca_file` for the whole
/// process, on a blocking thread: building reads the system's CA bundle
/// (about 100 ms with OpenSSL 3) and the `ca_file`, which must not happen on
/// an async task, nor again at every reconnect and new-mail check.
pub(super) async fn cached_tls_connector(
    endpoint: &Endpoint,
) -> Result<tokio_native_tls::TlsConnector, Pop3Error> {
    type Cache = std::sync::Mutex<Vec<(Option<PathBuf>, tokio_native_tls::TlsConnector)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let find = |c: &Cache| -> Option<tokio_native_tls::TlsConnector> {
        let held = c.lock().unwrap_or_else(|p| p.into_inner());
        held.iter()
            .find(|(k, _)| *k == endpoint.ca_file)
            .map(|(_, v)| v.clone())
    };
    if let Some(c) = find(cache) {
        return Ok(c);
    }
    let ep = endpoint.clone();
    let built = tokio::task::spawn_blocking(move || tls_connector(&ep))
        .await
        .map_err(|e| Pop3Error::Local(format!("cannot build the TLS settings: {e}")))??;
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((endpoint.ca_file.clone(), built.clone()));
    Ok(built)
}

pub fn tls_connector(endpoint: &Endpoint) -> Result<tokio_native_tls::TlsConnector, Pop3Error> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = &endpoint.ca_file {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| Pop3Error::CaFile {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        let certs =
            native_tls::Certificate::stack_from_pem(&pem).map_err(|e| Pop3Error::CaFile {
                path: shown.clone(),
                detail: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(Pop3Error::CaFile {
                path: shown,
                detail: "no PEM certificate in the file".into(),
            });
        }
        for cert in certs {
            builder.add_root_certificate(cert);
        }
    }
    let connector = builder.build().map_err(|e| Pop3Error::TlsHandshake {
        host: endpoint.host.clone(),
        detail: e.to_string(),
    })?;
    Ok(tokio_native_tls::TlsConnector::from(connector))
}

pub(super) fn tls_error(host: &str, e: native_tls::Error) -> Pop3Error {
    let detail = e.to_string();
    let lower = detail.to_ascii_lowercase();
    if lower.contains("certificate verify failed")
        || lower.contains("self-signed")
        || lower.contains("self signed")
        || lower.contains("unable to get local issuer")
        || lower.contains("hostname mismatch")
    {
        let reason = detail
            .rsplit_once(": (")
            .map(|(_, r)| r.trim_end_matches(')').to_string())
            .unwrap_or(detail);
        if lower.contains("hostname mismatch") {
            return Pop3Error::TlsWrongHost {
                host: host.to_string(),
                detail: reason,
            };
        }
        Pop3Error::TlsUntrusted {
            host: host.to_string(),
            detail: reason,
        }
    } else {
        Pop3Error::TlsHandshake {
            host: host.to_string(),
            detail,
        }
    }
}
