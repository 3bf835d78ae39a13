//! A password or other credential: carried from the config to the POP3 session
//! and never printed. Debug and Display both show `***`, so a secret that ends
//! up in a log line, an error or a panic message reveals nothing.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: call only where the bytes go on the wire or into a digest.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Overwrite the bytes we own before the allocation is freed; a best effort,
        // since copies made by the OS or the TLS library are out of our hands.
        let bytes = zero_out(&mut self.0);
        std::hint::black_box(bytes);
    }
}

fn zero_out(s: &mut String) -> usize {
    let taken = std::mem::take(s);
    let mut bytes = taken.into_bytes();
    for b in bytes.iter_mut() {
        *b = 0;
    }
    bytes.len()
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }
}
