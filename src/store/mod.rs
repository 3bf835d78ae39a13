//! What postie keeps on disk between sessions, keyed by UIDL. For now the
//! header cache: summaries of messages already seen, so a reopened mailbox
//! costs one TOP per *new* message only.

pub mod cache;

pub use cache::HeaderCache;
