//! `postie contacts` with the real binary: vCard 2.1/3.0/4.0 and CSV files
//! written by Python's codecs in UTF-8, UTF-8 with a BOM, UTF-16LE with a
//! BOM and GBK give the same contacts; `--mutt zw` finds 张伟 in mutt's
//! query_command format; mail in Sent makes its recipient rank first; an
//! export read back into an empty book gives the same contacts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Command;

use common::postie_in;

const CFG: &str = "[accounts.test]\nhost = \"127.0.0.1\"\nuser = \"book\"\n";

/// Writes the fixtures into argv[1], each encoding of the same people.
const FIXTURES: &str = r#"
import codecs, os, sys
d = sys.argv[1]
def qp(s, enc):
    return ''.join('=%02X' % b for b in s.encode(enc))
v21 = ('BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:%s;%s\r\n'
       'EMAIL;PREF;INTERNET:zhang.wei@corp.cn\r\nEMAIL;INTERNET:zw@home.cn\r\nEND:VCARD\r\n'
       'BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:%s;%s\r\n'
       'EMAIL;INTERNET:li.na@corp.cn\r\nEND:VCARD\r\n') % (qp('张', 'gb2312'), qp('伟', 'gb2312'), qp('李', 'gb2312'), qp('娜', 'gb2312'))
open(os.path.join(d, 'foxmail21.vcf'), 'w', newline='').write(v21)
v30 = ('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张伟\r\nN:张;伟;;;\r\nEMAIL;TYPE=INTERNET,PREF:zhang.wei@corp.cn\r\n'
       'EMAIL;TYPE=INTERNET:zw@home.cn\r\nCATEGORIES:项目组\r\nEND:VCARD\r\n'
       'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nEMAIL;TYPE=INTERNET:li.na@corp.cn\r\nCATEGORIES:项目组\r\nEND:VCARD\r\n')
open(os.path.join(d, 'thunderbird30.vcf'), 'w', encoding='utf-8', newline='').write(v30)
v40 = v30.replace('VERSION:3.0', 'VERSION:4.0')
open(os.path.join(d, 'apple40.vcf'), 'w', encoding='utf-8', newline='').write(v40)
foxmail_csv = '姓名,电子邮件地址,手机,分组\r\n张伟,zhang.wei@corp.cn;zw@home.cn,13800000000,项目组\r\n李娜,li.na@corp.cn,,项目组\r\n'
for name, enc in [('utf8.csv', 'utf-8'), ('utf8bom.csv', 'utf-8-sig'), ('gbk.csv', 'gbk'), ('utf16.csv', 'utf-16')]:
    with open(os.path.join(d, name), 'wb') as f:
        f.write(foxmail_csv.encode(enc))
outlook = 'First Name,Last Name,E-mail Address,E-mail Type,E-mail 2 Address,Categories\r\n伟,张,zhang.wei@corp.cn,SMTP,zw@home.cn,项目组\r\n娜,李,li.na@corp.cn,SMTP,,项目组\r\n'
with open(os.path.join(d, 'outlook.csv'), 'wb') as f:
    f.write(outlook.encode('utf-16'))
"#;

fn contacts_json(home: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["contacts", "--json", "--limit", "0"];
    all.extend(args);
    let run = postie_in(home, CFG, None, &all);
    assert!(run.status == 0 || run.status == 1, "{}", run.stderr);
    serde_json::from_slice(&run.stdout).unwrap()
}

/// (name, email) pairs, or (group, members).
type Pairs = Vec<(String, String)>;

/// (name, email) of the people, sorted; groups as (name, members).
fn people(home: &Path) -> (Pairs, Pairs) {
    let mut people = Vec::new();
    let mut groups = Vec::new();
    for v in contacts_json(home, &[]) {
        let name = v["name"].as_str().unwrap().to_string();
        if v["group"].as_bool().unwrap() {
            groups.push((name, v["address"].as_str().unwrap().to_string()));
        } else {
            people.push((name, v["email"].as_str().unwrap().to_string()));
        }
    }
    people.sort();
    groups.sort();
    (people, groups)
}

#[test]
fn every_format_and_encoding_gives_the_same_contacts() {
    let fixtures = tempfile::tempdir().unwrap();
    let out = Command::new("/usr/bin/python3")
        .args(["-c", FIXTURES])
        .arg(fixtures.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected_people = vec![
        ("张伟".to_string(), "zhang.wei@corp.cn".to_string()),
        ("张伟".to_string(), "zw@home.cn".to_string()),
        ("李娜".to_string(), "li.na@corp.cn".to_string()),
    ];
    for file in [
        "foxmail21.vcf",
        "thunderbird30.vcf",
        "apple40.vcf",
        "utf8.csv",
        "utf8bom.csv",
        "gbk.csv",
        "utf16.csv",
        "outlook.csv",
    ] {
        let home = tempfile::tempdir().unwrap();
        let path = fixtures.path().join(file).display().to_string();
        let run = postie_in(home.path(), CFG, None, &["contacts", "--import", &path]);
        assert_eq!(run.status, 0, "{file}: {}{}", run.stdout_text(), run.stderr);
        assert!(
            run.stdout_text().contains("3 addresses added"),
            "{file}: {}",
            run.stdout_text()
        );
        let (people, groups) = people(home.path());
        assert_eq!(people, expected_people, "{file}");
        if file != "foxmail21.vcf" {
            assert_eq!(
                groups,
                vec![(
                    "项目组".to_string(),
                    "li.na@corp.cn, zhang.wei@corp.cn".to_string()
                )],
                "{file}"
            );
        }
        // mutt's query_command: a first line, then address TAB name TAB other.
        let run = postie_in(home.path(), CFG, None, &["contacts", "--mutt", "zw"]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        let text = run.stdout_text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 2, "{text}");
        assert!(!lines[0].contains('\t'), "{text}");
        let fields: Vec<&str> = lines[1].split('\t').collect();
        assert_eq!(fields.len(), 3, "{text}");
        assert_eq!(fields[1], "张伟", "{text}");
        assert!(
            fields[0].ends_with("@corp.cn") || fields[0] == "zw@home.cn",
            "{text}"
        );
    }
    // Nothing matches: exit 1, as mutt expects of a query that found no one.
    let home = tempfile::tempdir().unwrap();
    let run = postie_in(home.path(), CFG, None, &["contacts", "--mutt", "nobody"]);
    assert_eq!(run.status, 1);
    // A file that is no address book: a clear error, exit 1.
    let bad = fixtures.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n").unwrap();
    let run = postie_in(
        home.path(),
        CFG,
        None,
        &["contacts", "--import", &bad.display().to_string()],
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stdout_text().contains("no e-mail column"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn mail_you_sent_ranks_its_recipient_first_and_an_export_reads_back() {
    let home = tempfile::tempdir().unwrap();
    let vcf = home.path().join("people.vcf");
    std::fs::write(
        &vcf,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张卫国\r\nEMAIL:weiguo@corp.cn\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张伟\r\nEMAIL:zhang.wei@corp.cn\r\nEND:VCARD\r\n",
    )
    .unwrap();
    let run = postie_in(
        home.path(),
        CFG,
        None,
        &["contacts", "--import", &vcf.display().to_string()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    // A message in Sent to 张卫国 (name in GBK, RFC 2047) and a new address.
    {
        let root = home.path().join("data/postie/test");
        let mut s = postie::store::Store::open(
            &root,
            &postie::store::account_key("127.0.0.1", "book"),
            Default::default(),
        )
        .unwrap();
        let to = format!(
            "{} <weiguo@corp.cn>, 王芳 <wang.fang@corp.cn>",
            common::encoded_word("张卫国", encoding_rs::GBK)
        );
        let msg = format!(
            "From: me@corp.cn\r\nTo: {to}\r\nSubject: hi\r\nDate: Mon, 2 Dec 2024 10:00:00 +0800\r\n\r\nx\r\n"
        );
        s.put_local(
            postie::store::Folder::Sent,
            msg.as_bytes(),
            postie::store::Flags::SEEN,
        )
        .unwrap();
    }
    let order: Vec<String> = contacts_json(home.path(), &["zh"])
        .iter()
        .map(|v| v["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, vec!["weiguo@corp.cn", "zhang.wei@corp.cn"]);
    // Learned once: asking again does not count the same mail twice.
    let again = contacts_json(home.path(), &["wang"]);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["name"], "王芳");
    let score = again[0]["score"].as_f64().unwrap();
    // The score fades with the clock (a second between runs moves it by
    // about 1e-8); counted twice it would double.
    let third = contacts_json(home.path(), &["wang"]);
    let again_score = third[0]["score"].as_f64().unwrap();
    assert!(
        (again_score - score).abs() < score * 1e-4,
        "{again_score} vs {score}"
    );

    // Export, then into an empty book: the same people.
    let file = home.path().join("out.vcf");
    let run = postie_in(
        home.path(),
        CFG,
        None,
        &["contacts", "--export", &file.display().to_string()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let other = tempfile::tempdir().unwrap();
    let run = postie_in(
        other.path(),
        CFG,
        None,
        &["contacts", "--import", &file.display().to_string()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(people(other.path()).0, people(home.path()).0);
    // Never over an existing file.
    let run = postie_in(
        home.path(),
        CFG,
        None,
        &["contacts", "--export", &file.display().to_string()],
    );
    assert_eq!(run.status, 1);
}

#[test]
fn query_command_answers_follow_our_own_with_the_query_quoted() {
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("book.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"searching...\"\nprintf '%s@ext.cn\\tExt %s\\tkhard\\n' \"$1\" \"$1\"\nprintf 'zhang.wei@corp.cn\\tZhang Dup\\t\\n'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = format!("query_command = \"{} %s\"\n{CFG}", script.display());
    let vcf = home.path().join("p.vcf");
    std::fs::write(
        &vcf,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张伟\r\nEMAIL:zhang.wei@corp.cn\r\nEND:VCARD\r\n",
    )
    .unwrap();
    let run = postie_in(
        home.path(),
        &cfg,
        None,
        &["contacts", "--import", &vcf.display().to_string()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = postie_in(home.path(), &cfg, None, &["contacts", "zw"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout_text(),
        "张伟 <zhang.wei@corp.cn>\nExt zw <zw@ext.cn>\n",
        "{}",
        run.stderr
    );
    // A quote in the query reaches the command intact, not as shell syntax.
    let run = postie_in(
        home.path(),
        &cfg,
        None,
        &["contacts", "o'brien; touch /tmp/x"],
    );
    assert!(
        run.stdout_text().contains("<o'brien; touch /tmp/x@ext.cn>"),
        "{}",
        run.stdout_text()
    );
}
