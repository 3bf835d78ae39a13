//! POP3: `codec` and `session` are plain state machines (bytes in, values out);
//! `connection` is the only code that touches a socket; `client` strings them
//! into the operations the rest of postie needs (log in, list, fetch, delete).

pub mod client;
pub mod codec;
pub mod connection;
pub mod endpoint;
pub mod error;
mod first_flight;
mod login;
mod mailbox;
pub mod pipeline;
pub mod sasl;
pub mod session;
mod tls;

pub use client::{Arrival, Client, ClientConfig, MailboxEntry};
pub use codec::{Command, ResponseCode, Stat, StatusLine};
pub use connection::Pop3Error;
pub use endpoint::{Endpoint, Timeouts, TlsMode};
pub use mailbox::Mailbox;
pub use pipeline::{Flow, Queued};
pub use session::{AuthMethod, AuthPreference, Capabilities, State};
