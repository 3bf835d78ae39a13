//! The one download-and-store path for a whole message (`fetch`'s large
//! messages, `show`, `save`; the reader keeps what it retrieved the same way,
//! through `deliver_tmp`): RETR streamed into a private file in INBOX's
//! `tmp/` (never whole in memory, cut at `max_message_size`), flushed, then
//! delivered on the store's thread — fsync, rename, directory sync, index —
//! so nothing is recorded, and nothing can be deleted on the server, before
//! it is durable.

use rust_i18n::t;
use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use super::{maildir, Flags, StoreError, StoreGone, StoreHandle};
use crate::error::{Classify, ErrorClass};
use crate::pop3::{Mailbox, Pop3Error};
use crate::uidl::Uidl;

/// Where a downloaded message ended up.
#[derive(Debug)]
pub enum Downloaded {
    /// In the store, at this path.
    Stored { path: PathBuf, bytes: u64 },
    /// Downloaded whole, but the store could not keep it: the bytes are in
    /// this private temp file (removed when it is dropped).
    NotKept {
        file: tempfile::TempPath,
        bytes: u64,
        why: StoreError,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(transparent)]
    Pop3(#[from] Pop3Error),
    #[error("{}", t!("store.write_tmp", error = _0))]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Gone(#[from] StoreGone),
}

impl Classify for DownloadError {
    fn class(&self) -> ErrorClass {
        match self {
            DownloadError::Pop3(e) => e.class(),
            DownloadError::Write(_) => ErrorClass::Local,
            DownloadError::Gone(_) => ErrorClass::Bug,
        }
    }
}

/// RETR message `number` streamed into a new private file in `dir` (named
/// `prefix…`), cut at `max` bytes, flushed. The first half of `download`;
/// alone, for a message that is not to be kept.
pub async fn to_temp_file<M: Mailbox>(
    client: &mut M,
    number: u32,
    dir: PathBuf,
    prefix: String,
    max: u64,
) -> Result<(tempfile::NamedTempFile, u64), DownloadError> {
    let tmp = tokio::task::spawn_blocking(move || {
        tempfile::Builder::new().prefix(&prefix).tempfile_in(&dir)
    })
    .await
    .map_err(std::io::Error::other)??;
    let mut out = tokio::fs::File::from_std(tmp.reopen()?);
    let bytes = client.retrieve_to(number, &mut out, max).await?;
    out.flush().await?;
    Ok((tmp, bytes))
}

impl StoreHandle {
    /// RETR message `number` of `client`'s session into the store under
    /// `uidl` (see the module's comment for the order that keeps it safe).
    pub async fn download<M: Mailbox>(
        &self,
        client: &mut M,
        number: u32,
        uidl: &Uidl,
        max: u64,
    ) -> Result<Downloaded, DownloadError> {
        let dir = self.run(|s| s.tmp_dir()).await?;
        let (tmp, bytes) = to_temp_file(client, number, dir, maildir::retr_prefix(), max).await?;
        let u = uidl.clone();
        let (kept, tmp) = self
            .run(move |s| {
                let r = s.deliver_tmp(&u, &tmp, Flags::default());
                (r, tmp)
            })
            .await?;
        Ok(match kept {
            Ok(path) => Downloaded::Stored { path, bytes },
            Err(why) => Downloaded::NotKept {
                file: tmp.into_temp_path(),
                bytes,
                why,
            },
        })
    }
}
