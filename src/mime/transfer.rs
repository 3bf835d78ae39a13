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
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

pub fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    while i < body.len() {
        let b = body[i];
        if b != b'=' {
            out.push(b);
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
                out.push(h << 4 | l);
                i += 3;
            }
            // Not a valid escape: keep the '=' as written.
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
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
}
