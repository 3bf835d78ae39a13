//! postie: a terminal mail reader for POP3.
//!
//! Data flow: `config` says where the mailbox is; `pop3` (a sans-I/O `codec`
//! and `session`, plus the one socket module `connection`) talks to the server;
//! `mime` turns the bytes into sanitised text; `cli` prints it. `demo` is a
//! small POP3 server over the messages in `assets/demo/`, used when no account
//! is configured.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod fetch;
pub mod mime;
pub mod paths;
pub mod pop3;
pub mod secret;
pub mod send;
pub mod store;
pub mod sync;
pub mod text;
pub mod timings;
pub mod tui;
pub mod ui;
pub mod uidl;
pub mod worker;
