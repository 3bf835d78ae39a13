//! RETR with progress. A message up to `SPILL_ABOVE` streams into memory; a
//! larger one streams into a temp file (in the store's `tmp/` when there is a
//! store, so keeping it is a rename; removed if it is not kept), and as
//! soon as its first `PREVIEW` bytes are in, they are decoded on a blocking
//! thread and sent to the reader, which shows them while the rest arrives.
//! The UI is told how far the download has come every `STEP` bytes.

use std::io::{Seek, Write};
use std::sync::Arc;

use tokio::io::AsyncWrite;
use tokio::sync::mpsc::UnboundedSender;

use super::Event;
use crate::mime::{DecodeOptions, Rendered, Uidl};
use crate::pop3::{Client, Pop3Error};

/// Messages larger than this go to a temp file instead of memory.
pub const SPILL_ABOVE: u64 = 8 * 1024 * 1024;
/// How much of a large message the reader shows while the rest downloads.
pub const PREVIEW: usize = 512 * 1024;
/// Progress is reported every this many bytes.
const STEP: u64 = 256 * 1024;

/// Where a retrieved message is.
pub enum Retrieved {
    Memory(Vec<u8>),
    /// The whole message, in a temp file.
    File(tempfile::NamedTempFile),
    /// The whole message, kept in the store at this path.
    Stored(std::path::PathBuf),
}

impl Retrieved {
    /// Decodes the message. A file is read back once, for the decoder.
    pub fn render(self, decode: &DecodeOptions) -> std::io::Result<Rendered> {
        use std::io::Read;
        let raw = match self {
            Retrieved::Memory(raw) => raw,
            Retrieved::File(mut tmp) => {
                let file = tmp.as_file_mut();
                file.rewind()?;
                let mut raw = Vec::new();
                file.read_to_end(&mut raw)?;
                raw
            }
            Retrieved::Stored(path) => {
                let mut raw = Vec::new();
                crate::store::maildir::open_regular(&path)?.read_to_end(&mut raw)?;
                raw
            }
        };
        Ok(Rendered::from_message(&raw, decode))
    }
}

/// A temp file for a large message: in `dir` (the store's tmp/) when given.
fn spill_file(dir: Option<&std::path::Path>) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    let b = tempfile::Builder::new()
        .prefix(".postie-retr-")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .to_owned();
    match dir {
        Some(d) => b.tempfile_in(d),
        None => b.tempfile(),
    }
}

enum Store {
    Memory(Vec<u8>),
    File {
        file: tempfile::NamedTempFile,
        /// The first `PREVIEW` bytes, for the preview.
        head: Vec<u8>,
    },
}

struct Sink<'a> {
    store: Store,
    spill_dir: Option<&'a std::path::Path>,
    uidl: &'a Uidl,
    total: u64,
    received: u64,
    last: u64,
    previewed: bool,
    decode: DecodeOptions,
    tx: &'a UnboundedSender<Event>,
}

impl Sink<'_> {
    fn spill(&mut self) -> std::io::Result<()> {
        if let Store::Memory(buf) = &mut self.store {
            let mut file = spill_file(self.spill_dir)?;
            file.write_all(buf)?;
            let head = buf[..buf.len().min(PREVIEW)].to_vec();
            self.store = Store::File { file, head };
        }
        Ok(())
    }

    fn take(&mut self, data: &[u8]) -> std::io::Result<()> {
        match &mut self.store {
            Store::Memory(buf) => buf.extend_from_slice(data),
            Store::File { file, head } => {
                let room = PREVIEW.saturating_sub(head.len()).min(data.len());
                head.extend_from_slice(&data[..room]);
                file.write_all(data)?;
            }
        }
        self.received += data.len() as u64;
        if matches!(self.store, Store::Memory(_)) && self.received > SPILL_ABOVE {
            // The server's LIST size was too small: move to a file now.
            self.spill()?;
        }
        if self.received - self.last >= STEP {
            self.last = self.received;
            let _ = self.tx.send(Event::BodyProgress {
                uidl: self.uidl.clone(),
                received: self.received,
                total: self.total,
            });
        }
        if let Store::File { head, .. } = &self.store {
            if !self.previewed && head.len() >= PREVIEW {
                self.previewed = true;
                self.preview(head.clone());
            }
        }
        Ok(())
    }

    /// Decodes the first part off this task and sends it when ready.
    fn preview(&self, head: Vec<u8>) {
        let tx = self.tx.clone();
        let uidl = self.uidl.clone();
        let decode = self.decode;
        let total = self.total;
        tokio::task::spawn_blocking(move || {
            let rendered = Rendered::from_message(&head, &decode);
            let _ = tx.send(Event::BodyPartial {
                uidl,
                rendered: Arc::new(rendered),
                shown: head.len() as u64,
                total,
            });
        });
    }
}

impl AsyncWrite for Sink<'_> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(self.take(data).map(|()| data.len()))
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
    (number, uidl, total): (u32, &Uidl, u64),
    spill_dir: Option<&std::path::Path>,
    decode: DecodeOptions,
    tx: &UnboundedSender<Event>,
) -> Result<Retrieved, Pop3Error> {
    let store = if total > SPILL_ABOVE {
        let file = spill_file(spill_dir)
            .map_err(|e| Pop3Error::Local(format!("cannot create a temp file: {e}")))?;
        Store::File {
            file,
            head: Vec::with_capacity(PREVIEW),
        }
    } else {
        Store::Memory(Vec::with_capacity(usize::try_from(total).unwrap_or(0)))
    };
    let mut sink = Sink {
        store,
        spill_dir,
        uidl,
        total,
        received: 0,
        last: 0,
        previewed: false,
        decode,
        tx,
    };
    client.retr_to(number, &mut sink).await?;
    Ok(match sink.store {
        Store::Memory(buf) => Retrieved::Memory(buf),
        Store::File { file, .. } => Retrieved::File(file),
    })
}
