//! The store's index file as found on disk: a real index (three messages,
//! their summaries and full text) with fuzz bytes written over it — or, when
//! the first byte is 0xFF, the fuzz bytes as the whole file. Checked: opening
//! the store never panics; if the file cannot be trusted it is moved aside
//! and rebuilt, so the store opens again cleanly right after, and every
//! message file in the Maildir is still there.
#![no_main]
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use postie::mime::charset::DecodeOptions;
use postie::store::index::TextQuery;
use postie::store::{Flags, Store};
use postie::uidl::Uidl;

const KEY: &str = "fuzz@127.0.0.1:110";

struct Template {
    index: Vec<u8>,
    files: Vec<(PathBuf, Vec<u8>)>,
    work: PathBuf,
}

fn files_under(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn template() -> &'static Template {
    static T: std::sync::OnceLock<Template> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("postie-fuzz-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("template");
        {
            let mut store = Store::open(&root, KEY, DecodeOptions::default()).expect("a store");
            for (i, m) in [
                &b"From: =?GB2312?B?wO7D9w==?= <li@example.cn>\r\nSubject: =?GB2312?B?u+HS6Q==?=\r\nDate: Tue, 1 Dec 2026 10:00:00 +0800\r\nMessage-ID: <a@x>\r\n\r\nhello body\r\n"[..],
                &b"From: b@example.org\r\nSubject: Re: plans\r\nIn-Reply-To: <a@x>\r\nReferences: <a@x>\r\nMessage-ID: <b@x>\r\n\r\nsecond\r\n"[..],
                &b"From: c@example.org\r\nSubject: report\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--zz\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--zz--\r\n"[..],
            ]
            .iter()
            .enumerate()
            {
                store
                    .deliver(&Uidl::new(&format!("uid-{i}")), m, Flags::default(), None)
                    .expect("delivered");
            }
            store
                .search_text(&TextQuery {
                    any: vec!["hello".into()],
                    ..Default::default()
                })
                .expect("indexed");
        }
        let index = std::fs::read(root.join("index.sqlite")).expect("the index");
        let mut paths = Vec::new();
        files_under(&root, &mut paths);
        let files = paths
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("index.sqlite"))
            .filter_map(|p| {
                let rel = p.strip_prefix(&root).ok()?.to_path_buf();
                Some((rel, std::fs::read(&p).ok()?))
            })
            .collect();
        Template {
            index,
            files,
            work: base.join("run"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let t = template();
    let bytes = if data.first() == Some(&0xFF) {
        data[1..].to_vec()
    } else {
        // Patches: 3 bytes of offset, 1 byte of value, repeated.
        let mut b = t.index.clone();
        for p in data.chunks_exact(4) {
            let off = (p[0] as usize) << 16 | (p[1] as usize) << 8 | p[2] as usize;
            let len = b.len();
            b[off % len] = p[3];
        }
        b
    };
    let root = &t.work;
    let _ = std::fs::remove_dir_all(root);
    for (rel, content) in &t.files {
        let p = root.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("work dir");
        }
        std::fs::write(&p, content).expect("a message file");
    }
    std::fs::write(root.join("index.sqlite"), &bytes).expect("the index file");
    if let Ok(mut store) = Store::open(root, KEY, DecodeOptions::default()) {
        for f in store.folders() {
            let _ = store.load(&f);
        }
        let _ = store.search_text(&TextQuery {
            any: vec!["body".into()],
            body: vec!["see".into()],
            to: vec![],
        });
    }
    // Whatever the file held, the next start is clean and no mail was lost.
    let mut store =
        Store::open(root, KEY, DecodeOptions::default()).expect("the store opens after a rebuild");
    // What the worker does at every start: the Maildir is the truth.
    if let Err(e) = store.reconcile() {
        panic!("reconcile after a rebuild: {e}");
    }
    let rows: usize = store
        .folders()
        .iter()
        .map(|f| store.load(f).map(|r| r.len()).unwrap_or(0))
        .sum();
    if rows < 3 {
        let check = store.index().quick_check();
        panic!(
            "messages lost from the index: {rows} rows; notes {:?}; integrity {check:?}",
            store.notes
        );
    }
    let mut after = Vec::new();
    files_under(&root.join("INBOX"), &mut after);
    let mail = after
        .iter()
        .filter(|p| p.parent().and_then(|d| d.file_name()) != Some("tmp".as_ref()))
        .count();
    assert!(mail >= 3, "message files lost: {after:?}");
});
