//! The header cache: one file per account under `$XDG_CACHE_HOME/postie/`,
//! holding the `Summary` of every message seen, keyed by UIDL. The format is a
//! small versioned binary with a checksum; a file that is corrupt, from another
//! version, another account or other decoding settings is discarded and
//! rebuilt, never trusted and never fatal. Writes are atomic (temp + rename).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::mime::{DecodeOptions, Summary, Uidl};

const MAGIC: &[u8; 8] = b"POSTIEHC";
/// Bump when the layout or the meaning of a Summary changes.
const VERSION: u32 = 2;
/// A file larger than this is not read (a 1,000,000-message mailbox is ~200 MB).
const MAX_FILE: u64 = 512 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct HeaderCache {
    path: Option<PathBuf>,
    /// Identifies the account and decoding settings the summaries belong to.
    key: String,
    /// Shared with the list on screen: one copy of each summary in memory.
    entries: HashMap<Uidl, Arc<Summary>>,
    dirty: bool,
    /// Why an existing file was not used, for the log.
    pub discarded: Option<String>,
}

/// FNV-1a, 64-bit: enough to notice a torn or damaged file.
const FNV_OFFSET: u64 = 0xcbf29ce484222325;

fn checksum(data: &[u8]) -> u64 {
    fnv(FNV_OFFSET, data)
}

/// FNV-1a from state `h` over `data`: the checksum can be run in pieces.
fn fnv(mut h: u64, data: &[u8]) -> u64 {
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The cache key: server, user and how mail is decoded (a change of
/// `fallback_charset` or `decoding` makes old summaries wrong).
pub fn account_key(host: &str, port: u16, user: &str, decode: &DecodeOptions) -> String {
    format!(
        "{host}:{port}/{user}/fallback={}/strict={}",
        decode.fallback.map(|e| e.name()).unwrap_or("-"),
        decode.strict
    )
}

/// `$XDG_CACHE_HOME/postie/headers-<hash of key>.bin`.
pub fn default_path(key: &str) -> PathBuf {
    crate::config::xdg_dir("XDG_CACHE_HOME", ".cache")
        .join("postie")
        .join(format!("headers-{:016x}.bin", checksum(key.as_bytes())))
}

/// Writes through to a file, keeping the running checksum: the cache is
/// never built whole in memory (10 MB at 100,000 messages).
struct Writer<W: Write> {
    out: W,
    sum: u64,
}

impl<W: Write> Writer<W> {
    fn bytes(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.sum = fnv(self.sum, data);
        self.out.write_all(data)
    }
    fn str(&mut self, s: &str) -> std::io::Result<()> {
        self.bytes(&(s.len() as u32).to_le_bytes())?;
        self.bytes(s.as_bytes())
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

fn encode<W: Write>(
    out: W,
    key: &str,
    entries: &HashMap<Uidl, Arc<Summary>>,
) -> std::io::Result<W> {
    let mut w = Writer {
        out,
        sum: FNV_OFFSET,
    };
    w.bytes(MAGIC)?;
    w.bytes(&VERSION.to_le_bytes())?;
    w.str(key)?;
    w.bytes(&(entries.len() as u32).to_le_bytes())?;
    for (uidl, s) in entries {
        w.str(uidl)?;
        w.str(s.subject())?;
        w.str(s.from())?;
        w.str(s.from_address())?;
        w.str(s.date_raw())?;
        w.bytes(&s.timestamp.unwrap_or(i64::MIN).to_le_bytes())?;
        w.bytes(&s.offset_minutes().to_le_bytes())?;
        w.bytes(&[s.maybe_attachment as u8 | (s.timestamp.is_some() as u8) << 1])?;
    }
    let sum = w.sum;
    w.out.write_all(&sum.to_le_bytes())?;
    Ok(w.out)
}

fn decode(data: &[u8], key: &str) -> Result<HashMap<Uidl, Arc<Summary>>, String> {
    if data.len() < MAGIC.len() + 12 {
        return Err("too short".into());
    }
    let (body, sum) = data.split_at(data.len() - 8);
    let sum = u64::from_le_bytes(sum.try_into().map_err(|_| "no checksum")?);
    if checksum(body) != sum {
        return Err("checksum mismatch (damaged or torn file)".into());
    }
    let mut r = Reader { data: body, pos: 0 };
    if r.take(8) != Some(MAGIC.as_slice()) {
        return Err("not a postie header cache".into());
    }
    match r.u32() {
        Some(VERSION) => {}
        Some(v) => return Err(format!("format version {v}, this postie reads {VERSION}")),
        None => return Err("truncated".into()),
    }
    if r.str().as_deref() != Some(key) {
        return Err("written for another account or other decoding settings".into());
    }
    let count = r.u32().ok_or("truncated")? as usize;
    let mut entries = HashMap::with_capacity(count.min(2_000_000));
    for _ in 0..count {
        let mut field = || r.str().ok_or("truncated entry");
        let uidl = field()?;
        let subject = field()?;
        let from = field()?;
        let from_address = field()?;
        let date_raw = field()?;
        let ts = r.i64().ok_or("truncated entry")?;
        let offset = r.i16().ok_or("truncated entry")?;
        let flags = r.u8().ok_or("truncated entry")?;
        let summary = Summary::new(
            &subject,
            &from,
            &from_address,
            &date_raw,
            (flags & 2 != 0).then_some((ts, offset)),
            flags & 1 != 0,
        );
        entries.insert(Uidl::from(uidl), Arc::new(summary));
    }
    if r.pos != body.len() {
        return Err("trailing bytes".into());
    }
    Ok(entries)
}

impl HeaderCache {
    /// A cache that is never read or written (no UIDL on the server, or no cache dir).
    pub fn disabled() -> HeaderCache {
        HeaderCache::default()
    }

    /// Loads the cache at `path` for `key`; anything wrong means an empty cache.
    pub fn open(path: PathBuf, key: String) -> HeaderCache {
        let mut cache = HeaderCache {
            path: Some(path.clone()),
            key,
            ..Default::default()
        };
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(_) => return cache,
        };
        if meta.len() > MAX_FILE {
            cache.discarded = Some(format!(
                "{} is larger than {MAX_FILE} bytes",
                path.display()
            ));
            return cache;
        }
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|d| decode(&d, &cache.key))
        {
            Ok(entries) => cache.entries = entries,
            Err(why) => {
                cache.discarded = Some(format!("{}: {why}; rebuilding it", path.display()));
                cache.dirty = true;
            }
        }
        cache
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, uidl: &str) -> Option<&Arc<Summary>> {
        self.entries.get(uidl)
    }

    /// The cache's own copy of this UIDL, so the index can share it.
    pub fn shared_uidl(&self, uidl: &str) -> Option<Uidl> {
        self.entries.get_key_value(uidl).map(|(k, _)| k.clone())
    }

    pub fn insert(&mut self, uidl: Uidl, summary: Arc<Summary>) {
        if self.path.is_some() {
            self.entries.insert(uidl, summary);
            self.dirty = true;
        }
    }

    /// Forgets every message not in `present` (gone from the server).
    pub fn retain(&mut self, present: &dyn Fn(&str) -> bool) {
        let before = self.entries.len();
        self.entries.retain(|u, _| present(u));
        self.dirty |= self.entries.len() != before;
    }

    /// Writes the cache if it changed: to a temp file, synced, then renamed over
    /// the old one, so a crash leaves either the old file or the new one.
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.dirty {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(
            ".{}.tmp{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("headers"),
            std::process::id()
        ));
        let result = (|| {
            let f = std::fs::File::create(&tmp)?;
            let buffered = encode(std::io::BufWriter::new(f), &self.key, &self.entries)?;
            let f = buffered.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(i: usize) -> Arc<Summary> {
        Arc::new(Summary::new(
            &format!("第{i}号"),
            "张伟",
            "zw@example.cn",
            "Tue, 14 Nov 2023 22:13:20 +0800",
            (i % 2 == 0).then_some((1_700_000_000 + i as i64, 480)),
            i % 3 == 0,
        ))
    }

    #[test]
    fn round_trip_and_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/headers.bin");
        let mut c = HeaderCache::open(path.clone(), "k".into());
        assert!(c.is_empty() && c.discarded.is_none());
        for i in 0..100 {
            c.insert(format!("u{i}").into(), summary(i));
        }
        c.save().unwrap();
        let mut c = HeaderCache::open(path.clone(), "k".into());
        assert_eq!(c.len(), 100);
        assert_eq!(c.get("u42"), Some(&summary(42)));
        assert_eq!(c.get("u43"), Some(&summary(43)));
        c.retain(&|u| u != "u7");
        c.save().unwrap();
        assert_eq!(HeaderCache::open(path, "k".into()).len(), 99);
    }

    #[test]
    fn damaged_foreign_or_old_files_are_discarded_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("headers.bin");
        let mut c = HeaderCache::open(path.clone(), "k".into());
        c.insert("u1".into(), summary(1));
        c.save().unwrap();
        let good = std::fs::read(&path).unwrap();

        assert_eq!(
            HeaderCache::open(path.clone(), "other account".into()).len(),
            0
        );
        let mut flipped = good.clone();
        flipped[20] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        let c = HeaderCache::open(path.clone(), "k".into());
        assert!(c.is_empty());
        assert!(
            c.discarded.as_deref().unwrap().contains("checksum"),
            "{:?}",
            c.discarded
        );
        std::fs::write(&path, &good[..good.len() / 2]).unwrap();
        assert!(HeaderCache::open(path.clone(), "k".into()).is_empty());
        std::fs::write(&path, b"garbage").unwrap();
        assert!(HeaderCache::open(path.clone(), "k".into()).is_empty());
        // A newer format version, checksummed correctly, is still refused.
        let mut newer = good[..good.len() - 8].to_vec();
        newer[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
        let sum = checksum(&newer);
        newer.extend_from_slice(&sum.to_le_bytes());
        std::fs::write(&path, &newer).unwrap();
        let c = HeaderCache::open(path.clone(), "k".into());
        assert!(
            c.is_empty()
                && c.discarded
                    .as_deref()
                    .unwrap()
                    .contains(&format!("version {}", VERSION + 1))
        );
        // Rebuilt on the next save.
        let mut c = c;
        c.insert("u2".into(), summary(2));
        c.save().unwrap();
        assert_eq!(HeaderCache::open(path, "k".into()).len(), 1);
    }

    #[test]
    fn a_disabled_cache_writes_nothing() {
        let mut c = HeaderCache::disabled();
        c.insert("u".into(), summary(0));
        assert!(c.is_empty());
        c.save().unwrap();
    }
}
