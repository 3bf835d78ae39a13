//! RETR with progress. A message up to `SPILL_ABOVE` streams into memory; a
//! larger one streams into a temp file (in the store's `tmp/` when there is a
//! store, so keeping it is a rename; removed if it is not kept), and as
//! soon as its first `PREVIEW` bytes are in, they are decoded on a blocking
//! thread and sent to the reader, which shows them while the rest arrives.
//! The UI is told how far the download has come every `STEP` bytes.

use std::io::Write;
use std::sync::Arc;

use tokio::io::AsyncWrite;
use tokio::sync::mpsc::UnboundedSender;

use super::Event;
use crate::mime::{DecodeOptions, Rendered};
use crate::pop3::Mailbox;
use crate::pop3::Pop3Error;
use crate::uidl::Uidl;

pub use crate::mime::{render_file, SPILL_ABOVE};
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
    /// Decodes the message. A file over `SPILL_ABOVE` is never read whole:
    /// the reader gets the text of its head and every attachment from one
    /// streaming pass (`mime::render_large`).
    pub fn render(self, decode: &DecodeOptions) -> std::io::Result<Rendered> {
        match self {
            Retrieved::Memory(raw) => Ok(Rendered::from_message(&raw, decode)),
            Retrieved::File(mut tmp) => render_file(tmp.as_file_mut(), decode),
            Retrieved::Stored(path) => {
                render_file(&mut crate::store::maildir::open_regular(&path)?, decode)
            }
        }
    }
}

/// A temp file for a large message: in `dir` (the store's tmp/) when given.
fn spill_file(dir: Option<&std::path::Path>) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    let prefix = crate::store::maildir::retr_prefix();
    let b = tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(std::fs::Permissions::from_mode(0o600))
        .to_owned();
    match dir {
        Some(d) => b.tempfile_in(d),
        None => b.tempfile(),
    }
}

/// Bytes in flight to the spill file at most (backpressure beyond).
const SPILL_CHUNK: usize = 1024 * 1024;

/// Waiting for room in the writer's queue.
type Reserve = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<
                    tokio::sync::mpsc::OwnedPermit<Vec<u8>>,
                    tokio::sync::mpsc::error::SendError<()>,
                >,
            > + Send,
    >,
>;

/// Writes a large message to its temp file on a blocking thread: the socket
/// task only hands over 1 MB chunks (and waits when four are queued), so no
/// file I/O happens on it.
struct SpillWriter {
    tx: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    reserve: Option<Reserve>,
    pending: Vec<u8>,
    done: tokio::task::JoinHandle<std::io::Result<tempfile::NamedTempFile>>,
}

impl SpillWriter {
    fn start(dir: Option<&std::path::Path>) -> SpillWriter {
        let dir = dir.map(|d| d.to_path_buf());
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let done = tokio::task::spawn_blocking(move || {
            let mut file = spill_file(dir.as_deref())?;
            while let Some(chunk) = rx.blocking_recv() {
                file.write_all(&chunk)?;
            }
            Ok(file)
        });
        SpillWriter {
            tx: Some(tx),
            reserve: None,
            pending: Vec::new(),
            done,
        }
    }

    /// Hands the pending bytes to the writer once it has room.
    fn poll_hand_over(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let gone = || std::io::Error::other("the temp file's writer stopped");
        if self.reserve.is_none() {
            let Some(tx) = self.tx.clone() else {
                return std::task::Poll::Ready(Err(gone()));
            };
            self.reserve = Some(Box::pin(tx.reserve_owned()));
        }
        let Some(fut) = self.reserve.as_mut() else {
            return std::task::Poll::Ready(Err(gone()));
        };
        match fut.as_mut().poll(cx) {
            std::task::Poll::Pending => std::task::Poll::Pending,
            std::task::Poll::Ready(Ok(permit)) => {
                self.reserve = None;
                permit.send(std::mem::take(&mut self.pending));
                std::task::Poll::Ready(Ok(()))
            }
            std::task::Poll::Ready(Err(_)) => {
                self.reserve = None;
                std::task::Poll::Ready(Err(gone()))
            }
        }
    }

    /// The rest written; the file, or why it could not be written.
    async fn finish(mut self) -> std::io::Result<tempfile::NamedTempFile> {
        if let Some(tx) = self.tx.take() {
            if !self.pending.is_empty() {
                // A writer that stopped says why below.
                let _ = tx.send(std::mem::take(&mut self.pending)).await;
            }
        }
        self.done
            .await
            .map_err(|e| std::io::Error::other(format!("the temp file's writer failed: {e}")))?
    }
}

enum Store {
    Memory(Vec<u8>),
    File {
        writer: SpillWriter,
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
    fn spill(&mut self) {
        if let Store::Memory(buf) = &mut self.store {
            let head = buf[..buf.len().min(PREVIEW)].to_vec();
            let mut writer = SpillWriter::start(self.spill_dir);
            writer.pending = std::mem::take(buf);
            self.store = Store::File { writer, head };
        }
    }

    fn take(&mut self, data: &[u8]) {
        match &mut self.store {
            Store::Memory(buf) => buf.extend_from_slice(data),
            Store::File { writer, head } => {
                let room = PREVIEW.saturating_sub(head.len()).min(data.len());
                head.extend_from_slice(&data[..room]);
                writer.pending.extend_from_slice(data);
            }
        }
        self.received += data.len() as u64;
        if matches!(self.store, Store::Memory(_)) && self.received > SPILL_ABOVE {
            // The server's LIST size was too small: move to a file now.
            self.spill();
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
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if let Store::File { writer, .. } = &mut self.store {
            if writer.pending.len() >= SPILL_CHUNK {
                match writer.poll_hand_over(cx) {
                    std::task::Poll::Ready(Ok(())) => {}
                    std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                    std::task::Poll::Pending => return std::task::Poll::Pending,
                }
            }
        }
        self.take(data);
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

pub async fn retrieve<M: Mailbox>(
    client: &mut M,
    (number, uidl, total): (u32, &Uidl, u64),
    spill_dir: Option<&std::path::Path>,
    decode: DecodeOptions,
    tx: &UnboundedSender<Event>,
    max: u64,
) -> Result<Retrieved, Pop3Error> {
    let store = if total > SPILL_ABOVE {
        Store::File {
            writer: SpillWriter::start(spill_dir),
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
    // More than `max_message_size` is refused, not taken in.
    client.retrieve_to(number, &mut sink, max).await?;
    Ok(match sink.store {
        Store::Memory(buf) => Retrieved::Memory(buf),
        Store::File { writer, .. } => Retrieved::File(writer.finish().await.map_err(|e| {
            Pop3Error::Local(format!("cannot write the message to a temp file: {e}"))
        })?),
    })
}
