//! POP3: `codec` and `session` are plain state machines (bytes in, values out);
//! `connection` is the only code that touches a socket; `client` strings them
//! into the operations the rest of postie needs (log in, list, fetch, delete).

pub mod client;
pub mod codec;
pub mod connection;
pub mod error;
pub mod session;

pub use client::{Arrival, Client, ClientConfig, MailboxEntry};
pub use codec::{Command, ResponseCode, Stat, StatusLine};
pub use connection::{Endpoint, Flow, Pop3Error, Timeouts, TlsMode};
pub use session::{AuthMethod, AuthPreference, Capabilities, State};
