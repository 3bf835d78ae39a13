//! Limit patterns (`l`, as in mutt): which rows a folder shows. The language
//! is `sync::pattern`'s, shared with `postie move --search` and filter
//! rules; here the list's rows are what it matches.

pub use crate::sync::pattern::{words, Pattern};

use super::list::Entry;
use crate::mime::Summary;
use crate::store::Flags;
use crate::sync::pattern::Candidate;
use crate::uidl::Uidl;

impl Candidate for Entry {
    fn uidl(&self) -> &Uidl {
        &self.uidl
    }
    fn summary(&self) -> Option<&Summary> {
        self.summary.as_deref()
    }
    fn flags(&self) -> Flags {
        self.flags
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn local_only(&self) -> bool {
        Entry::local_only(self)
    }
}
