//! `postie import` and `postie export` against independent writers and
//! readers: Python's `mailbox` writes an mbox with mutt's flags and a
//! Maildir with a Maildir++ folder, the test writes a Thunderbird mbox tree
//! (`X-Mozilla-Status` from its documented bits, `.sbd` sub-folders) and a
//! Foxmail-style export (`.eml` files with GBK file names); the real binary
//! imports them; Python's `mailbox.Maildir` then finds every message once,
//! byte for byte, in its folder with its flags. A second import adds
//! nothing; 5,000-message imports killed 20 times and run again store each
//! message exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::postie_in;

const CFG: &str = "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"mover\"\n";

fn python(script: &str, args: &[&Path]) -> Vec<u8> {
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Writes the sources under `dir` and prints, as JSON, what each message
/// must become: [folder, md5 of the bytes postie must store, flags].
const MAKE_SOURCES: &str = r#"
import email.message, hashlib, json, mailbox, os, re, sys
d = sys.argv[1]
expect = []
def md5(b): return hashlib.md5(b).hexdigest()
def strip_status(raw):
    head, sep, body = raw.partition(b'\n\n')
    lines = head.split(b'\n')
    keep = [l for l in lines if not re.match(rb'(?i)(x-)?(mozilla-)?status2?:', l)]
    return b'\n'.join(keep) + sep + body
def unquote(raw):
    return re.sub(rb'(?m)^>(>*From )', rb'\1', raw)

# 1. Python's mbox with mutt's Status/X-Status flags.
mb = mailbox.mbox(os.path.join(d, 'python.mbox'))
flags = ['', 'R', 'RO', 'RA', 'RF', 'D', 'RAF']
for i, f in enumerate(flags):
    m = mailbox.mboxMessage()
    m['From'] = '=?UTF-8?B?5byg5Lyf?= <zhang%d@corp.cn>' % i
    m['Subject'] = '=?UTF-8?B?5Lya6K6u?= %d' % i
    m['Message-ID'] = '<py%d@corp.cn>' % i
    m.set_payload('From the start of a line\n>From quoted\n会议 %d\n' % i, 'utf-8')
    m.set_flags(f)
    mb.add(m)
mb.flush()
for key in mb.keys():
    m = mb.get_message(key)
    raw = unquote(strip_status(mb.get_bytes(key)))
    f = m.get_flags()
    maildir = ''.join(sorted(('S' if 'R' in f else '') + ('R' if 'A' in f else '') + ('F' if 'F' in f else '')))
    expect.append(['Trash' if 'D' in f else 'python import', md5(raw), maildir])
mb.close()

# 2. A Thunderbird profile: Local Folders/Inbox and Inbox.sbd/客户, with .msf files.
lf = os.path.join(d, 'thunderbird', 'Local Folders')
os.makedirs(os.path.join(lf, 'Inbox.sbd'))
open(os.path.join(lf, 'Inbox.msf'), 'w').write('// <!-- <mdb:mork:z v="1.4"/> -->')
def tb(path, folder, msgs):
    with open(path, 'wb') as out:
        for i, (status, status2) in enumerate(msgs):
            body = ('Subject: tb %s %d\r\nDate: Sat, 08 Jun 2024 10:00:00 +0800\r\nFrom: li@corp.cn\r\nMessage-ID: <tb%d@%s>\r\n\r\nline\r\n' % (folder, i, i, 'x')).encode()
            out.write(b'From - Sat Jun  8 10:00:00 2024\r\n')
            out.write(('X-Mozilla-Status: %04x\r\nX-Mozilla-Status2: %08x\r\n' % (status, status2)).encode())
            out.write(body + b'\r\n')
            f = ''
            if status & 0x1: f += 'S'
            if status & 0x2: f += 'R'
            if status & 0x4: f += 'F'
            if status & 0x1000: f += 'P'
            gone = bool(status & 0x8)
            expect.append(['Trash' if gone else 'thunderbird import/Local Folders/' + folder, md5(body), ''.join(sorted(f))])
# read, read+replied, read+marked, expunged, unread, forwarded
tb(os.path.join(lf, 'Inbox'), 'Inbox', [(0x1, 0), (0x3, 0), (0x5, 0), (0x9, 0), (0x0, 0x10000), (0x1001, 0)])
tb(os.path.join(lf, 'Inbox.sbd', '客户'), 'Inbox/客户', [(0x1, 0), (0x0, 0)])

# 3. A Foxmail export: .eml files, GBK file names, one sub-directory, one broken file, one note.
fx = os.path.join(d, 'foxmail').encode()
sub = os.path.join(fx, '会议纪要'.encode('gbk'))
os.makedirs(sub)
for i, (where, folder) in enumerate([(fx, 'foxmail import'), (sub, 'foxmail import/会议纪要'), (sub, 'foxmail import/会议纪要')]):
    raw = ('From: =?GBK?B?1tzL3A==?= <zhou@corp.cn>\r\nSubject: =?GBK?B?u+HS6bzH0qo=?= %d\r\nMessage-ID: <fx%d@corp.cn>\r\n\r\n' % (i, i)).encode() + '会议纪要正文\r\n'.encode('gbk')
    open(os.path.join(where, ('周杰 会议纪要 %d.eml' % i).encode('gbk')), 'wb').write(raw)
    expect.append([folder, md5(raw), 'S'])
open(os.path.join(fx, b'broken.eml'), 'wb').write(b'\x00\x01 not mail at all\n')
open(os.path.join(fx, b'readme.txt'), 'wb').write(b'exported by Foxmail\n')

# 4. A Maildir with flags and a Maildir++ folder, by Python.
md = mailbox.Maildir(os.path.join(d, 'maildir'))
sub = md.add_folder('项目')
for i, (box, f, folder) in enumerate([(md, 'S', 'maildir import'), (md, 'FS', 'maildir import'), (md, '', 'maildir import'), (sub, 'RS', 'maildir import/项目'), (md, 'ST', 'Trash')]):
    m = mailbox.MaildirMessage(('Subject: md %d\nFrom: wang@corp.cn\nMessage-ID: <md%d@corp.cn>\n\nbody %d\n' % (i, i, i)).encode())
    m.set_flags(f)
    if f:
        m.set_subdir('cur')
    key = box.add(m)
    expect.append([folder, md5(box.get_bytes(key)), ''.join(sorted(f))])
# 5. Foxmail 6's own mail-folder files (mail/ACCOUNT/in.box, sent.box): a mark line before each message.
acct = os.path.join(d, 'foxmail6', 'zhang')
os.makedirs(acct)
mark = b'\x10' * 7 + b'\x11' * 6 + b'S\r\n'
for name, n in [('in', 2), ('sent', 1)]:
    with open(os.path.join(acct, name + '.box'), 'wb') as out:
        for i in range(n):
            raw = ('Return-Path: <a@corp.cn>\r\nSubject: box %s %d\r\nMessage-ID: <box%s%d@corp.cn>\r\n\r\n' % (name, i, name, i)).encode() + '正文\r\n'.encode('gbk')
            out.write(mark + raw)
            expect.append(['foxmail6 import/zhang/' + name, md5(raw), 'S'])
open(os.path.join(acct, 'in.ind'), 'wb').write(b'\x00' * 64)
print(json.dumps(expect))
"#;

/// Every message in postie's store for `root`, by Python's mailbox.Maildir:
/// [folder, md5, flags].
const READ_STORE: &str = r#"
import hashlib, json, mailbox, os, sys
root = sys.argv[1]
out = []
def take(name, md):
    for key in md.keys():
        out.append([name, hashlib.md5(md.get_bytes(key)).hexdigest(), ''.join(sorted(md.get_message(key).get_flags()))])
inbox = mailbox.Maildir(os.path.join(root, 'INBOX'), factory=None, create=False)
take('INBOX', inbox)
for f in inbox.list_folders():
    take(f.replace('.', '/'), inbox.get_folder(f))
for name in ['Junk', 'Trash', 'Sent', 'Drafts']:
    p = os.path.join(root, name)
    if os.path.isdir(p):
        take(name, mailbox.Maildir(p, factory=None, create=False))
print(json.dumps(out))
"#;

type Entry = (String, String, String);

fn read_store(root: &Path) -> Vec<Entry> {
    let mut got: Vec<Entry> = serde_json::from_slice(&python(READ_STORE, &[root])).unwrap();
    got.sort();
    got
}

/// The index's (folder, count) of stored messages, read by Python's sqlite3
/// (none when a run was killed before it created the index's tables).
fn index_counts(root: &Path) -> BTreeMap<String, usize> {
    let out = python(
        "import json, sqlite3, sys\n\
         c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
         made = c.execute(\"SELECT 1 FROM sqlite_master WHERE name = 'messages'\").fetchall()\n\
         print(json.dumps(c.execute('SELECT folder, count(*) FROM messages WHERE file IS NOT NULL GROUP BY folder').fetchall() if made else []))",
        &[&root.join("index.sqlite")],
    );
    let rows: Vec<(String, usize)> = serde_json::from_slice(&out).unwrap();
    rows.into_iter().collect()
}

#[test]
fn mbox_thunderbird_foxmail_and_maildir_sources_arrive_byte_for_byte_once() {
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut expect: Vec<Entry> = serde_json::from_slice(&python(MAKE_SOURCES, &[&src])).unwrap();
    expect.sort();
    let paths: Vec<String> = [
        "python.mbox",
        "thunderbird",
        "foxmail",
        "maildir",
        "foxmail6",
    ]
    .iter()
    .map(|p| src.join(p).display().to_string())
    .collect();
    let mut args = vec!["import"];
    args.extend(paths.iter().map(String::as_str));
    let run = postie_in(home.path(), CFG, None, &args);
    let out = run.stdout_text();
    // One unreadable file: exit 1, named with its reason; the note is not mail.
    assert_eq!(run.status, 1, "{out}\n{}", run.stderr);
    assert!(
        out.starts_with(&format!(
            "{} imported, 0 already here, 1 unreadable",
            expect.len()
        )),
        "{out}"
    );
    assert!(out.contains("broken.eml: not a mail message"), "{out}");
    assert!(out.contains("readme.txt"), "{out}");
    assert!(!out.contains(".msf"), "{out}");
    let root = home.path().join("data/postie/test");
    assert_eq!(read_store(&root), expect);
    // The index agrees with the files, folder by folder.
    let mut by_folder: BTreeMap<String, usize> = BTreeMap::new();
    for (f, _, _) in &expect {
        *by_folder.entry(f.clone()).or_default() += 1;
    }
    assert_eq!(index_counts(&root), by_folder);

    // Again: nothing added, the same store.
    let again = postie_in(home.path(), CFG, None, &args);
    assert!(
        again.stdout_text().starts_with(&format!(
            "0 imported, {} already here, 1 unreadable",
            expect.len()
        )),
        "{}",
        again.stdout_text()
    );
    assert_eq!(read_store(&root), expect);

    // A named folder takes the mail of a new source; sub-folders below it.
    let more = home.path().join("more");
    std::fs::create_dir_all(more.join("二级")).unwrap();
    std::fs::write(more.join("二级/a.eml"), b"Subject: new one\n\nx\n").unwrap();
    let run = postie_in(
        home.path(),
        CFG,
        None,
        &[
            "import",
            "--folder",
            "归档/2024",
            &more.display().to_string(),
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stdout_text());
    assert!(read_store(&root)
        .iter()
        .any(|(f, _, flags)| f == "归档/2024/二级" && flags == "S"));
}

/// A 5,000-message mbox, written by Python.
const BIG_MBOX: &str = r#"
import sys
with open(sys.argv[1], 'wb') as out:
    for i in range(5000):
        out.write(b'From sender@corp.cn Sat Jun  8 10:00:00 2024\n')
        out.write(('Message-ID: <big%d@corp.cn>\nSubject: =?UTF-8?B?5Lya6K6u?= %d\nStatus: %s\n\n' % (i, i, 'RO' if i % 3 else 'O')).encode())
        out.write(('第 %d 封，' % i).encode() * (20 + i % 200) + b'\n\n')
"#;

#[test]
fn imports_killed_twenty_times_then_run_again_store_each_message_once() {
    let home = tempfile::tempdir().unwrap();
    let mbox = home.path().join("big.mbox");
    python(BIG_MBOX, &[&mbox]);
    let cfg_path = home.path().join("config.toml");
    std::fs::write(&cfg_path, CFG).unwrap();
    let bin = env!("CARGO_BIN_EXE_postie");
    let start = |data: &Path, out: std::process::Stdio| {
        Command::new(bin)
            .env("POSTIE_CONFIG", &cfg_path)
            .env("XDG_DATA_HOME", data)
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .arg("import")
            .arg(&mbox)
            .stdout(out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // One whole import in a scratch store, to know how long one takes.
    let scratch = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let whole = Command::new(bin)
        .env("POSTIE_CONFIG", &cfg_path)
        .env("XDG_DATA_HOME", scratch.path().join("data"))
        .env("XDG_STATE_HOME", scratch.path().join("state"))
        .arg("import")
        .arg(&mbox)
        .output()
        .unwrap();
    assert_eq!(whole.status.code(), Some(0));
    let whole = t.elapsed().as_micros().max(1000) as u64;
    // Fresh stores, runs killed at random points in the first half of an
    // import's time (storing, then indexing the text; a resumed run skips
    // what is stored and gets further) until a run ends by itself or five
    // kills landed; then a run to the end and the check: each message once.
    // Until 20 kills have landed.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut kills = 0;
    let mut partial = 0;
    let mut cycle = 0;
    while kills < 20 {
        assert!(
            cycle < 20,
            "only {kills} runs were killed before they ended"
        );
        let data = home.path().join(format!("data{cycle}"));
        cycle += 1;
        let root = data.join("postie/test");
        for _ in 0..5 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut child = start(&data, std::process::Stdio::null());
            std::thread::sleep(std::time::Duration::from_micros(seed % (whole / 2)));
            let killed = child.try_wait().unwrap().is_none();
            if killed {
                child.kill().unwrap();
                kills += 1;
            }
            child.wait().unwrap();
            let stored = if root.join("index.sqlite").exists() {
                index_counts(&root).values().sum::<usize>()
            } else {
                0
            };
            if stored > 0 && stored < 5000 {
                partial += 1;
            }
            // A run that ended by itself finished everything (the full
            // text too): nothing left to cut short in this store.
            if !killed {
                break;
            }
        }
        let last = start(&data, std::process::Stdio::piped())
            .wait_with_output()
            .unwrap();
        let text = String::from_utf8_lossy(&last.stdout).into_owned();
        assert_eq!(last.status.code(), Some(0), "{text}");
        let got = read_store(&root);
        assert_eq!(got.len(), 5000, "{text}");
        let distinct: std::collections::BTreeSet<&String> = got.iter().map(|(_, h, _)| h).collect();
        assert_eq!(distinct.len(), 5000);
        assert!(got.iter().all(|(f, _, _)| f == "big import"));
        assert_eq!(
            got.iter().filter(|(_, _, fl)| fl == "S").count(),
            5000 - 5000usize.div_ceil(3)
        );
        assert_eq!(index_counts(&root).get("big import"), Some(&5000));
    }
    assert!(
        kills >= 20,
        "only {kills} runs were killed before they ended"
    );
    assert!(partial > 0, "no kill landed half-way through an import");
}

/// Python's reading of an exported mbox: [md5 of the message without its
/// status headers, mutt's flags as Python's mboxMessage sees them].
const READ_MBOX: &str = r#"
import hashlib, json, mailbox, re, sys
mb = mailbox.mbox(sys.argv[1], create=False)
out = []
for key in mb.keys():
    raw = mb.get_bytes(key)
    ends = [i + 1 for i in (raw.find(b'\n\n'), raw.find(b'\n\r\n')) if i >= 0]
    cut = min(ends) if ends else len(raw)
    head = re.sub(rb'(?im)^(x-)?(mozilla-)?status2?:[^\n]*\n', b'', raw[:cut])
    raw = head + raw[cut:]
    raw = re.sub(rb'(?m)^>(>*From )', rb'\1', raw)
    out.append([hashlib.md5(raw).hexdigest(), ''.join(sorted(mb.get_message(key).get_flags()))])
print(json.dumps(out))
"#;

#[test]
fn export_then_import_gives_back_the_same_bytes_and_flags() {
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    python(MAKE_SOURCES, &[&src]);
    let sources: Vec<String> = ["python.mbox", "thunderbird", "maildir"]
        .iter()
        .map(|p| src.join(p).display().to_string())
        .collect();
    let mut args = vec!["import"];
    args.extend(sources.iter().map(String::as_str));
    assert_eq!(postie_in(home.path(), CFG, None, &args).status, 0);
    let root = home.path().join("data/postie/test");
    let before = read_store(&root);
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let other = tempfile::tempdir().unwrap();
    for (k, folder) in [
        "python import",
        "thunderbird import/Local Folders/Inbox",
        "maildir import",
    ]
    .into_iter()
    .enumerate()
    {
        let into = format!("back{k}");
        let file = out.join(format!("{}.mbox", folder.replace('/', "-")));
        let run = postie_in(
            home.path(),
            CFG,
            None,
            &["export", folder, "--mbox", &file.display().to_string()],
        );
        let want: Vec<&Entry> = before.iter().filter(|(f, _, _)| f == folder).collect();
        assert_eq!(run.status, 0, "{}{}", run.stdout_text(), run.stderr);
        assert!(
            run.stdout_text()
                .starts_with(&format!("{} messages written to", want.len())),
            "{}",
            run.stdout_text()
        );
        // Python reads the export: the same messages, mutt's flags.
        let mut py: Vec<(String, String)> =
            serde_json::from_slice(&python(READ_MBOX, &[&file])).unwrap();
        py.sort();
        let mutt = |maildir: &str| {
            let mut f: Vec<char> = vec!['O'];
            for (m, c) in [('S', 'R'), ('R', 'A'), ('F', 'F')] {
                if maildir.contains(m) {
                    f.push(c);
                }
            }
            f.sort();
            f.into_iter().collect::<String>()
        };
        let mut expect: Vec<(String, String)> = want
            .iter()
            .map(|(_, h, fl)| (h.clone(), mutt(fl)))
            .collect();
        expect.sort();
        assert_eq!(py, expect, "{folder}");
        // Into a fresh store: the same bytes and flags.
        let run = postie_in(
            other.path(),
            CFG,
            None,
            &["import", "--folder", &into, &file.display().to_string()],
        );
        assert_eq!(run.status, 0, "{}", run.stdout_text());
        let back = read_store(&other.path().join("data/postie/test"));
        let mut got: Vec<(String, String)> = back
            .iter()
            .filter(|(f, _, _)| *f == into)
            .map(|(_, h, fl)| (h.clone(), fl.clone()))
            .collect();
        got.sort();
        let mut want: Vec<(String, String)> = want
            .iter()
            .map(|(_, h, fl)| (h.clone(), fl.clone()))
            .collect();
        want.sort();
        assert_eq!(got, want, "{folder}");
        // An export never writes over a file.
        let again = postie_in(
            home.path(),
            CFG,
            None,
            &["export", folder, "--mbox", &file.display().to_string()],
        );
        assert_eq!(again.status, 1);
        assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    }
    // Nothing else arrived in the fresh store.
    let back = read_store(&other.path().join("data/postie/test"));
    let exported = before
        .iter()
        .filter(|(f, _, _)| f != "Trash" && !f.contains("客户") && !f.contains("项目"))
        .count();
    assert_eq!(back.len(), exported);

    // One .eml a message, readable names, the same bytes.
    let dir = out.join("eml");
    let run = postie_in(
        home.path(),
        CFG,
        None,
        &[
            "export",
            "thunderbird import/Local Folders/Inbox/客户",
            "--eml",
            &dir.display().to_string(),
            "--search",
            "subject:tb",
        ],
    );
    assert_eq!(run.status, 0, "{}{}", run.stdout_text(), run.stderr);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "2024-06-08 li@corp.cn tb Inbox_客户 0.eml".to_string(),
            "2024-06-08 li@corp.cn tb Inbox_客户 1.eml".to_string()
        ]
    );
    // Each file holds the stored bytes exactly.
    for n in &names {
        let bytes = std::fs::read(dir.join(n)).unwrap();
        use md5::Digest;
        let h: String = md5::Md5::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            before
                .iter()
                .any(|(f, d, _)| f.ends_with("客户") && *d == h),
            "{n}"
        );
    }
    // Without an account (the demo) there is no store to import into.
    let demo = postie_in(home.path(), "", None, &["--demo", "import", &sources[0]]);
    assert_eq!(demo.status, 1);
    assert!(demo.stderr.contains("postie setup"), "{}", demo.stderr);
}
