//! Answering mail: building messages is pure (`draft`, `reply`, `build`);
//! the SMTP session (`smtp`, with lettre) and the outbox (drafts, Sent) are
//! the edges.

pub mod build;
pub mod command;
pub mod compose;
pub mod draft;
pub mod outbox;
pub mod reply;
pub mod smtp;
