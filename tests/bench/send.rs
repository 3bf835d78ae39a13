//! `cargo bench --bench send`: the time from "send" to the server's 250 on
//! loopback, for `postie send` (process start, config, store, draft, build,
//! STARTTLS, AUTH, DATA, Sent copy) and, as a reference in the same run,
//! Python's smtplib handing the same server the bytes postie built (connect,
//! a new TLS context with the system roots plus the test CA, as postie
//! builds, then STARTTLS, AUTH, DATA). The server is the tests' aiosmtpd delivering
//! into the private Dovecot with dovecot-lda, which is inside both figures.
//! A measurement, not a test. Knob: `POSTIE_BENCH_N` (20 runs of each).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use common::{dovecot, postie_with_stdin, smtp, User};

fn median(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let m = v[v.len() / 2];
    let p90 = v[(v.len() * 9 / 10).min(v.len() - 1)];
    (m, p90)
}

fn main() {
    let n: usize = std::env::var("POSTIE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let Some(d) = dovecot::own(vec![User::new("li", vec![])], "") else {
        eprintln!("no Dovecot: nothing measured");
        return;
    };
    let Some(s) = smtp::own(&d, "li", &d.password("li"), "li") else {
        eprintln!("no aiosmtpd: nothing measured");
        return;
    };
    println!("machine: {}", common::machine());
    let config = smtp::account_toml(
        &d,
        "none",
        "",
        &s.toml("starttls", "auto", Some(&d.ca_file)),
    );
    let body = "第一季度销售报告已经完成，请查收附件。\n".repeat(60);
    let home = tempfile::tempdir().expect("temp dir");
    let attachment = home.path().join("销售报告.pdf");
    let pdf: Vec<u8> = (0..1_048_576u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&attachment, &pdf).expect("write the attachment");
    let att = attachment.display().to_string();
    for (label, with_attachment) in [
        ("2 KB of Chinese text", false),
        ("with a 1 MB attachment", true),
    ] {
        let mut wall = Vec::new();
        let mut inner = Vec::new();
        for _ in 0..n {
            let mut args = vec!["send", "--to", "li@example.cn", "--subject", "季度报告"];
            if with_attachment {
                args.extend(["--attach", att.as_str()]);
            }
            let t = Instant::now();
            let run = postie_with_stdin(
                home.path(),
                &config,
                Some(&d.password("li")),
                &args,
                Some(body.as_bytes()),
            );
            wall.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(run.status, 0, "{}", run.stderr);
            let text = run.stdout_text();
            if let Some(ms) = text
                .split(" in ")
                .nth(1)
                .and_then(|r| r.split(" ms").next())
                .and_then(|v| v.parse::<f64>().ok())
            {
                inner.push(ms);
            }
        }
        // The reference: smtplib sending the last message postie sent, byte for byte.
        let received = s.received();
        let last = home.path().join("last.eml");
        std::fs::write(&last, &received.last().expect("a message").bytes).expect("write");
        let script = r#"
import smtplib, ssl, sys, time
port, ca, user, pw, path, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
data = open(path, 'rb').read()
for _ in range(n):
    t = time.monotonic()
    # As postie does for each `postie send`: the system roots plus ca_file.
    ctx = ssl.create_default_context()
    ctx.load_verify_locations(ca)
    with smtplib.SMTP('127.0.0.1', port) as c:
        c.starttls(context=ctx)
        c.login(user, pw)
        c.sendmail('li@example.cn', ['li@example.cn'], data)
    print((time.monotonic() - t) * 1000)
"#;
        let out = Command::new("/usr/bin/python3")
            .args(["-c", script])
            .arg(s.starttls_port.to_string())
            .arg(&d.ca_file)
            .args(["li", &d.password("li")])
            .arg(&last)
            .arg(n.to_string())
            .output()
            .expect("python");
        let mut reference: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        let (wm, wp) = median(&mut wall);
        let (rm, rp) = if reference.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            median(&mut reference)
        };
        println!("{label}, {n} sends, STARTTLS + AUTH PLAIN to aiosmtpd on 127.0.0.1:");
        println!("  postie send, whole process: median {wm:.0} ms, p90 {wp:.0} ms");
        if !inner.is_empty() {
            let (im, ip) = median(&mut inner);
            println!("  postie, from send to the 250 (draft, build, SMTP, Sent copy): median {im:.0} ms, p90 {ip:.0} ms");
        }
        println!("  reference, Python smtplib, the same bytes (TLS context + SMTP): median {rm:.0} ms, p90 {rp:.0} ms");
        println!("  ratio postie process / reference: {:.2}", wm / rm);
    }
}
