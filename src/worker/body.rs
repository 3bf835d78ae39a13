//! RETR with progress: the message streams into memory while the UI is told
//! how far it has come, so a slow 50 MB download shows a moving figure.

use tokio::io::AsyncWrite;
use tokio::sync::mpsc::UnboundedSender;

use super::Event;
use crate::pop3::{Client, Pop3Error};

/// Progress is reported every this many bytes.
const STEP: u64 = 256 * 1024;

struct Progress<'a> {
    buf: Vec<u8>,
    uidl: &'a str,
    total: u64,
    last: u64,
    tx: &'a UnboundedSender<Event>,
}

impl AsyncWrite for Progress<'_> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.buf.extend_from_slice(data);
        let received = self.buf.len() as u64;
        if received - self.last >= STEP {
            self.last = received;
            let e = Event::BodyProgress {
                uidl: self.uidl.to_string(),
                received,
                total: self.total,
            };
            let _ = self.tx.send(e);
        }
        std::task::Poll::Ready(Ok(data.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

pub async fn retrieve(
    client: &mut Client,
    number: u32,
    uidl: &str,
    total: u64,
    tx: &UnboundedSender<Event>,
) -> Result<Vec<u8>, Pop3Error> {
    let capacity = usize::try_from(total).unwrap_or(0).min(64 * 1024 * 1024);
    let mut sink = Progress {
        buf: Vec::with_capacity(capacity),
        uidl,
        total,
        last: 0,
        tx,
    };
    client.retr_to(number, &mut sink).await?;
    Ok(sink.buf)
}
