//! Hostile sizes for the decoder: each must decode without panicking, in
//! bounded time and memory (the times are printed by `cargo bench --bench decode`).

pub fn huge_header() -> Vec<u8> {
    let mut raw = b"From: a@b.c\r\nSubject: ".to_vec();
    for i in 0..20_000 {
        raw.extend_from_slice(if i % 2 == 0 {
            b"=?x "
        } else {
            b"=?utf-8?B?5Lit?= "
        });
    }
    raw.extend_from_slice(b"\r\n\r\nbody\r\n");
    raw
}

pub fn many_received() -> Vec<u8> {
    let mut raw = Vec::new();
    for i in 0..10_000 {
        raw.extend_from_slice(format!("Received: from relay{i}.example.net by mx.example.net; Tue, 4 Jun 2024 10:15:00 +0800\r\n").as_bytes());
    }
    raw.extend_from_slice(b"From: a@b.c\r\nSubject: many hops\r\n\r\nbody\r\n");
    raw
}

pub fn big_attachment() -> Vec<u8> {
    let data: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut raw = b"From: a@b.c\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n".to_vec();
    for line in b64.as_bytes().chunks(76) {
        raw.extend_from_slice(line);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"--b--\r\n");
    raw
}

pub fn deeply_nested() -> Vec<u8> {
    let mut raw = b"From: a@b.c\r\nSubject: deep\r\n".to_vec();
    for i in 0..1000 {
        raw.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
                .as_bytes(),
        );
    }
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\nthe bottom\r\n");
    raw
}
