//! `postie show` and `postie save`: a message from a file, the store, or
//! the server (then kept in the store), decoded or raw; its attachments.

use rust_i18n::t;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use tokio::io::AsyncWriteExt;

use super::{cli_store, quit_read_only, write_stdout, STORE_CLOSE};
use crate::accounts::{file_settings, resolve, Source, SourceArgs};
use crate::mime::{DecodeOptions, Rendered};
use crate::pop3::Client;
use crate::store::download::{to_temp_file, Downloaded};
use crate::store::{Flags, StoreHandle};
use crate::sync;
use crate::uidl::Uidl;

/// Which message `show` prints.
#[derive(Debug, Clone)]
pub enum Selector {
    Number(u32),
    Uidl(String),
    /// A saved message file, decoded exactly as a fetched one would be.
    File(PathBuf),
}

/// A message's bytes, from a file, the store, or the server (then kept).
enum Bytes {
    File(PathBuf),
    /// Downloaded into a private temp file that nothing keeps (removed on drop).
    Temp(tempfile::TempPath),
}

/// A message file to read: a regular file (not a device, a FIFO or a
/// directory, which could be endless), opened.
fn open_message_file(p: &std::path::Path) -> Result<std::fs::File> {
    let f = std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("cannot read {}", p.display()))?;
    if !meta.is_file() {
        return Err(anyhow!("{} is not a regular file", p.display()));
    }
    Ok(f)
}

impl Bytes {
    /// The whole message in memory (for saving attachments), at most
    /// `MAX_MESSAGE_IN_MEMORY`.
    fn read(self) -> Result<Vec<u8>> {
        use std::io::Read;
        let p = self.path();
        let f = open_message_file(p)?;
        let limit = crate::pop3::client::MAX_MESSAGE_IN_MEMORY as u64;
        let mut buf = Vec::new();
        f.take(limit + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read {}", p.display()))?;
        if buf.len() as u64 > limit {
            return Err(anyhow!(
                "{} is larger than {} MB: too large to read whole",
                p.display(),
                limit >> 20
            ));
        }
        Ok(buf)
    }

    /// The message decoded for reading; a large file is never read whole.
    fn render(self, decode: &DecodeOptions) -> Result<Rendered> {
        let p = self.path();
        let mut f = open_message_file(p)?;
        crate::mime::render_file(&mut f, decode)
            .with_context(|| format!("cannot read {}", p.display()))
    }

    fn path(&self) -> &Path {
        match self {
            Bytes::File(p) => p,
            Bytes::Temp(t) => t,
        }
    }
}

/// Finds the message `which` names: the stored copy when there is one (a
/// UIDL that is stored needs no network at all), else RETR — the message is
/// then kept in the store. Marks it seen when `seen`.
async fn message_bytes(source: &Source, which: &Selector, seen: bool) -> Result<Bytes> {
    if let Selector::File(path) = which {
        return Ok(Bytes::File(path.clone()));
    }
    let store = cli_store(source).await;
    let found = message_bytes_with(source, store.clone(), which, seen).await;
    if let Some(s) = &store {
        s.close(STORE_CLOSE).await;
    }
    found
}

/// Retrieves a message into `store` (if it is not there already).
pub async fn fetch_into(source: &Source, store: StoreHandle, uidl: &Uidl) -> Result<()> {
    message_bytes_with(
        source,
        Some(store),
        &Selector::Uidl(uidl.to_string()),
        false,
    )
    .await
    .map(|_| ())
}

async fn message_bytes_with(
    source: &Source,
    store: Option<StoreHandle>,
    which: &Selector,
    seen: bool,
) -> Result<Bytes> {
    let stored_path = |u: Uidl| {
        let store = store.clone();
        async move {
            match store {
                Some(s) => s
                    .run(move |s| s.path(&u))
                    .await
                    .ok()
                    .and_then(|r| r.ok())
                    .flatten(),
                None => None,
            }
        }
    };
    // Marking seen renames the stored file (its flags are in its name), so
    // the path is asked for again afterwards.
    let mark_seen = |u: Uidl| {
        let store = store.clone();
        async move {
            let s = store?;
            if seen {
                let v = u.clone();
                let marked = s.run(move |s| s.add_flag(&v, Flags::SEEN)).await;
                if let Ok(Err(e)) = marked {
                    eprintln!("postie: {}", t!("out.warn.mark_seen", error = e));
                }
            }
            s.run(move |s| s.path(&u))
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten()
        }
    };
    if let Selector::Uidl(u) = which {
        if stored_path(Uidl::from(u.as_str())).await.is_some() {
            if let Some(path) = mark_seen(Uidl::from(u.as_str())).await {
                return Ok(Bytes::File(path));
            }
        }
    }
    let (mut client, index) = match Client::open(&source.client).await {
        Ok(opened) => opened,
        // The server cannot be reached: a number `list` printed is still a
        // way to the stored copy of that message.
        Err(e) if crate::error::Classify::class(&e) == crate::error::ErrorClass::Temporary => {
            let Selector::Number(n) = which else {
                return Err(e.into());
            };
            let label = source.label.clone();
            let numbers = tokio::task::spawn_blocking(move || super::numbers::load(&label))
                .await
                .unwrap_or_default();
            let Some(u) = numbers.get(n).cloned() else {
                return Err(e.into());
            };
            if stored_path(Uidl::from(u.as_str())).await.is_some() {
                if let Some(path) = mark_seen(Uidl::from(u.as_str())).await {
                    let why = crate::text::sanitize::sanitize_line(&e.to_string()).into_owned();
                    eprintln!("postie: {}", t!("out.offline_number", n = n, why = why));
                    return Ok(Bytes::File(path));
                }
            }
            let said = t!("out.number_not_stored", n = n).into_owned();
            return Err(anyhow::Error::new(e).context(said));
        }
        Err(e) => return Err(e.into()),
    };
    let id = sync::identify(index);
    let count = id.messages.len();
    let message = match which {
        Selector::Number(n) => id
            .messages
            .iter()
            .find(|m| m.number == *n)
            .ok_or_else(|| anyhow!("no message {n} (mailbox has {count})"))?,
        Selector::File(_) => return Err(anyhow!("internal: a file is not in the mailbox")),
        Selector::Uidl(u) => match id.messages.iter().find(|m| m.uidl == u.as_str()) {
            Some(m) => m,
            None if !id.has_uidl => {
                return Err(anyhow!(
                    "the server does not support UIDL; select the message by number"
                ))
            }
            None => {
                return Err(anyhow!(
                    "no message with UIDL {:?}{}",
                    crate::text::sanitize::sanitize_line(u),
                    if id.duplicated > 0 {
                        " (or the server gave that UIDL to several messages: select by number)"
                    } else {
                        ""
                    }
                ))
            }
        },
    }
    .clone();
    if stored_path(message.uidl.clone()).await.is_some() {
        quit_read_only(client).await;
        return mark_seen(message.uidl.clone())
            .await
            .map(Bytes::File)
            .ok_or_else(|| anyhow!("the stored copy of the message has just gone; try again"));
    }
    let keep = store.as_ref().filter(|_| !message.uidl.is_session());
    let max = source.max_message();
    if message.size > max {
        quit_read_only(client).await;
        return Err(anyhow!(
            "message {} is {}: {}",
            message.number,
            crate::text::human_size(message.size),
            crate::pop3::client::too_large(max)
        ));
    }
    // Streamed into a file (the store's tmp/ when it is kept: the one
    // download path, `StoreHandle::download`; else a private temp file),
    // never whole in memory whatever LIST said, and cut at
    // `max_message_size`; read back (a large one only in part) to be shown.
    let Some(store) = keep else {
        let (tmp, _) = to_temp_file(
            &mut client,
            message.number,
            std::env::temp_dir(),
            "postie-retr-".into(),
            max,
        )
        .await
        .with_context(|| t!("out.cannot_download", n = message.number).into_owned())?;
        quit_read_only(client).await;
        return Ok(Bytes::Temp(tmp.into_temp_path()));
    };
    let downloaded = store
        .download(&mut client, message.number, &message.uidl, max)
        .await
        .with_context(|| t!("out.cannot_download", n = message.number).into_owned())?;
    quit_read_only(client).await;
    if let Downloaded::NotKept { file, why, .. } = downloaded {
        eprintln!("postie: {}", t!("out.warn.not_kept", why = why));
        return Ok(Bytes::Temp(file));
    }
    mark_seen(message.uidl.clone())
        .await
        .map(Bytes::File)
        .ok_or_else(|| anyhow!("the stored message has gone"))
}

pub async fn run_show(args: &SourceArgs, which: &Selector, raw: bool, html: bool) -> Result<()> {
    let decode = match which {
        Selector::File(_) => file_settings(args).await?.0,
        _ => DecodeOptions::default(),
    };
    let (source, decode) = match which {
        Selector::File(_) => (None, decode),
        _ => {
            let s = resolve(args).await?;
            let d = s.decode;
            (Some(s), d)
        }
    };
    let bytes = match &source {
        Some(s) => message_bytes(s, which, true).await?,
        None => message_bytes_file(which)?,
    };
    if raw {
        let p = bytes.path();
        let mut f = tokio::fs::File::open(p)
            .await
            .with_context(|| format!("cannot read {}", p.display()))?;
        let meta = f
            .metadata()
            .await
            .with_context(|| format!("cannot read {}", p.display()))?;
        if !meta.is_file() {
            return Err(anyhow!("{} is not a regular file", p.display()));
        }
        let mut stdout = tokio::io::stdout();
        match tokio::io::copy(&mut f, &mut stdout).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(anyhow!("cannot write to stdout: {e}")),
        }
        stdout.flush().await.context("cannot write to stdout")?;
        return Ok(());
    }
    let mut rendered = tokio::task::spawn_blocking(move || bytes.render(&decode)).await??;
    if html {
        // The HTML part as text (numbered links) in place of the text part;
        // an HTML-only message shows it already.
        match rendered.html.take() {
            Some(h) => rendered.body = h,
            None if rendered.html_source.is_some() => {}
            None => return Err(anyhow!("{}", t!("notice.no_html_part"))),
        }
    }
    write_stdout(rendered.to_text().as_bytes())
}

fn message_bytes_file(which: &Selector) -> Result<Bytes> {
    match which {
        Selector::File(p) => Ok(Bytes::File(p.clone())),
        _ => Err(anyhow!("internal: not a file")),
    }
}

/// `postie save`: the message's attachments (all, or the `parts` listed by
/// `show`) into `dir` (default: `download_dir`); prints each saved path.
pub async fn run_save(
    args: &SourceArgs,
    which: &Selector,
    parts: &[usize],
    dir: Option<PathBuf>,
) -> Result<()> {
    let (bytes, decode, default_dir) = match which {
        Selector::File(_) => {
            let (decode, dir) = file_settings(args).await?;
            (message_bytes_file(which)?, decode, dir)
        }
        _ => {
            let source = resolve(args).await?;
            let bytes = message_bytes(&source, which, false).await?;
            (bytes, source.decode, source.download_dir.clone())
        }
    };
    let dir = dir.unwrap_or(default_dir);
    let parts = parts.to_vec();
    let saved = tokio::task::spawn_blocking(move || -> Result<Vec<PathBuf>> {
        let raw = bytes.read()?;
        Ok(crate::store::names::save_attachments(
            &raw, &decode, &dir, &parts,
        )?)
    })
    .await??;
    let mut out = String::new();
    for p in saved {
        out.push_str(&crate::text::sanitize::sanitize_line(
            &p.display().to_string(),
        ));
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}
