//! postie: a terminal mail reader for POP3.
//!
//! Data flow: key -> keymap -> `app::Msg` -> `app::update` -> `app::Effect`
//! -> the worker (the POP3 session), the store thread or the compose task ->
//! `worker::Event` (or an app message for work the edge ran itself) ->
//! `Msg` -> `update` -> `ui::draw`. The command line goes `cli` ->
//! `accounts::resolve` -> the same tasks, printing instead of drawing.
//!
//! ## Layers
//! Imports point down only: a module may use the layers below its own and
//! nothing in its own layer or above (`tests/architecture.rs` reads this list
//! and every `crate::` path in `src/`, and fails on an import against it).
//! Bottom to top:
//!
//! 1. `text`, `paths`, `uidl`, `secret`, `error`, `timings`, `i18n` — leaves:
//!    the message catalog (every word shown, English and Chinese),
//!    sanitising and display width, XDG paths, message identity,
//!    credentials, the one error classification, benchmark milestones. They
//!    import nothing of postie.
//! 2. `mime`, `pop3` — bytes to text and text to messages; the POP3 codec,
//!    session state machine and the one socket/TLS module. Neither knows the
//!    other: a message is bytes to the protocol.
//! 3. `store` — Maildir folders (the durable truth), the SQLite index and the
//!    full text; blocking, run on its own thread behind a handle.
//! 4. `sync`, `contacts` — pure planning over the server's index and the
//!    store: what to fetch, show and download, what `leave_on_server`
//!    deletes; the address book (filled from the store and from vCard/CSV
//!    files) and completion over it, pinyin included.
//! 5. `filing` — filter rules and the spam filter carried out on the store
//!    (blocking, on the store's thread): new mail filed as it is stored, a
//!    folder filed on demand, a message judged or taught.
//! 6. `demo`, `worker`, `send`, `fetch`, `import`, `export`, `oauth` — tasks
//!    that carry out plans: the demo's POP3 server, the reader's POP3
//!    session, SMTP and the outbox, the cron fetch, mail brought in from
//!    other programs and written out for them, OAuth 2.0 tokens (sign-in,
//!    refresh, `oauth_token_command`). Siblings, so none waits on another.
//! 7. `config` — the TOML schema, built from the library's own types
//!    (`pop3::TlsMode`, `sync::LeavePolicy`, `send::smtp::SmtpAuth`), so that
//!    nothing below reads the config file's shape (himalaya's rule: the
//!    library never imports the schema; everything below takes plain values).
//! 8. `accounts` — config to resolved accounts (servers, identity, password,
//!    decoding, the store's place), the demo account, the provider table and
//!    the setup wizard.
//! 9. `app` — the reader's state, messages, keys and `update`; pure (no
//!    tokio, no terminal, no disk).
//! 10. `ui` — `draw(frame, &App)`: reads state, paints.
//! 11. `cli`, `tui` — the edges: printing and exit codes; the terminal, the
//!     event loop and the tasks' channels. `main` (the binary) sits on top.
#![forbid(unsafe_code)]

// The message catalog (see `i18n`): English is the fallback for a missing
// Chinese entry, which tests/i18n.rs forbids anyway.
rust_i18n::i18n!("assets/locales", fallback = "en");

pub mod accounts;
pub mod app;
pub mod cli;
pub mod config;
pub mod contacts;
pub mod demo;
pub mod error;
pub mod export;
pub mod fetch;
pub mod filing;
pub mod i18n;
pub mod import;
pub mod mime;
pub mod oauth;
pub mod paths;
pub mod pop3;
pub mod secret;
pub mod send;
pub mod store;
pub mod sync;
pub mod text;
pub mod timings;
#[cfg(feature = "tui")]
pub mod tui;
#[cfg(feature = "tui")]
pub mod ui;
pub mod uidl;
pub mod worker;
