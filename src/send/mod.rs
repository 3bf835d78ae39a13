//! Answering mail (issue 12, in progress): the pure parts first. Building
//! replies needs no I/O: the subject, the recipients and the quoted body are
//! functions of the original and the user's own addresses.

pub mod reply;
