//! Message identity above the POP3 layer. A `Uidl` names one message for
//! good (the server's unique-id listing), or, for a server without UIDL or a
//! UIDL the server gave to more than one message, names it for this session
//! only: such an id can never equal a real UIDL (RFC 1939 §7: a UIDL is
//! 0x21–0x7E, so it never starts with a space), and it is never stored,
//! carried into a new session, or used to delete.

use arcstr::ArcStr;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// Shared rather than copied between the worker, the store and the list: a
/// 100,000-message mailbox holds one copy of each, each holder a pointer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uidl(ArcStr);

impl Uidl {
    /// The server's own id.
    pub fn new(s: &str) -> Uidl {
        Uidl(ArcStr::from(s))
    }

    /// An id for message `number` of this session only.
    pub fn session(number: u32) -> Uidl {
        Uidl(ArcStr::from(format!(" #{number}")))
    }

    /// True for an id that names a message in this session only.
    pub fn is_session(&self) -> bool {
        self.0.starts_with(' ')
    }

    /// The server's id, if this is one (None for a session-only id).
    pub fn durable(&self) -> Option<&str> {
        (!self.is_session()).then_some(&*self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared string itself (a clone of the pointer, not of the text).
    pub fn shared(&self) -> ArcStr {
        self.0.clone()
    }
}

impl Deref for Uidl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Uidl {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Uidl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Uidl {
    fn from(s: &str) -> Uidl {
        Uidl::new(s)
    }
}

impl From<String> for Uidl {
    fn from(s: String) -> Uidl {
        Uidl(ArcStr::from(s))
    }
}

impl From<ArcStr> for Uidl {
    fn from(s: ArcStr) -> Uidl {
        Uidl(s)
    }
}

impl fmt::Display for Uidl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uidl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for Uidl {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Uidl {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_id_never_equals_a_real_uidl() {
        let s = Uidl::session(5);
        assert!(s.is_session());
        assert_eq!(s.durable(), None);
        assert_ne!(s, Uidl::new("#5"));
        assert_ne!(s, Uidl::new("5"));
        assert_eq!(Uidl::new("#5").durable(), Some("#5"));
    }
}
