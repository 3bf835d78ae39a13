//! Content-Transfer-Encoding, tolerant: base64 that ignores bad line lengths,
//! stray characters and missing padding; quoted-printable whose soft line
//! breaks may split a multibyte character (bytes are joined before charset
//! decoding); 7bit/8bit/binary and unknown encodings passed through.

pub fn decode(body: &[u8], cte: &str) -> Vec<u8> {
    match cte.trim().to_ascii_lowercase().as_str() {
        "base64" => base64(body),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_vec(),
    }
}

/// The decoded size, counted without decoding into memory (an attachment's
/// size on a 100 MB message costs no 75 MB buffer).
pub fn decoded_len(body: &[u8], cte: &str) -> u64 {
    let mut n = 0u64;
    match cte.trim().to_ascii_lowercase().as_str() {
        "base64" => base64_each(body, |_| n += 1),
        "quoted-printable" => quoted_printable_each(body, |_| n += 1),
        _ => n = body.len() as u64,
    }
    n
}

fn b64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes every alphabet character, skipping anything else; stops at padding.
pub fn base64(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    base64_each(body, |b| out.push(b));
    out
}

fn base64_each(body: &[u8], mut out: impl FnMut(u8)) {
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in body {
        if b == b'=' {
            // Padding ends a quantum; a new one may start after it (concatenated base64).
            acc = 0;
            bits = 0;
            continue;
        }
        let Some(v) = b64_value(b) else { continue };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
}

pub fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    quoted_printable_each(body, |b| out.push(b));
    out
}

fn quoted_printable_each(body: &[u8], mut out: impl FnMut(u8)) {
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    while i < body.len() {
        let b = body[i];
        if b != b'=' {
            out(b);
            i += 1;
            continue;
        }
        // Soft line break: '=' then optional trailing whitespace then a line end.
        let mut j = i + 1;
        while j < body.len() && matches!(body[j], b' ' | b'\t') {
            j += 1;
        }
        if j < body.len() && (body[j] == b'\n' || body[j] == b'\r') {
            if body[j] == b'\r' && body.get(j + 1) == Some(&b'\n') {
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if j == body.len() {
            break;
        }
        match (
            body.get(i + 1).copied().and_then(hex),
            body.get(i + 2).copied().and_then(hex),
        ) {
            (Some(h), Some(l)) => {
                out(h << 4 | l);
                i += 3;
            }
            // Not a valid escape: keep the '=' as written.
            _ => {
                out(b'=');
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_tolerates_bad_lines_and_missing_padding() {
        assert_eq!(base64(b"5L2g5aW9"), "你好".as_bytes());
        assert_eq!(base64(b"5L2\r\ng5a\r\nW9"), "你好".as_bytes());
        assert_eq!(base64(b"aGk"), b"hi");
        assert_eq!(base64(b"aGk=\r\n"), b"hi");
        assert_eq!(base64(b"a G*k!"), b"hi");
        assert_eq!(base64(b""), b"");
    }

    #[test]
    fn quoted_printable_soft_breaks_may_split_a_character() {
        // 中 = E4 B8 AD split by a soft break.
        assert_eq!(quoted_printable(b"=E4=B8=\r\n=AD!"), "中!".as_bytes());
        assert_eq!(quoted_printable(b"a=  \nb"), b"ab");
        assert_eq!(quoted_printable(b"a=3db=3D"), b"a=b=");
        assert_eq!(quoted_printable(b"50% =ZZ off="), b"50% =ZZ off");
        assert_eq!(quoted_printable(b"line\r\nnext"), b"line\r\nnext");
    }

    #[test]
    fn decoded_len_counts_what_decode_makes() {
        for (body, cte) in [
            (&b"5L2\r\ng5a\r\nW9"[..], "base64"),
            (b"aGk=\r\n", "BASE64"),
            (b"=E4=B8=\r\n=AD! =ZZ", "quoted-printable"),
            (b"plain bytes", "8bit"),
        ] {
            assert_eq!(decoded_len(body, cte), decode(body, cte).len() as u64);
        }
    }
}
