//! A POP3 session as a trait: what the worker and the one download path
//! need of it. `Client` carries it out over a socket; the worker's tests use
//! an in-memory mailbox. Code above `pop3` names no socket type.

use std::future::Future;

use tokio::io::AsyncWrite;

use super::codec::ShareUidl;
use super::{Arrival, AuthMethod, Client, ClientConfig, Flow, MailboxEntry, Pop3Error};

/// One logged-in session with a mailbox.
pub trait Mailbox: Sized + Send + 'static {
    /// Logs in and reads the index (UIDL + LIST); UIDLs `share` holds are
    /// taken from it instead of allocated again.
    fn open_sharing(
        cfg: &ClientConfig,
        share: ShareUidl<'_>,
    ) -> impl Future<Output = Result<(Self, Vec<MailboxEntry>), Pop3Error>> + Send;

    /// Logs in with the `early` newest headers, then the index, then the
    /// other headers down the login's own pipeline (see
    /// `Client::open_prefetching`); `on` gets each as it arrives.
    fn open_prefetching<F>(
        cfg: &ClientConfig,
        early: u32,
        on: F,
    ) -> impl Future<Output = Result<Self, Pop3Error>> + Send
    where
        F: FnMut(Arrival) -> Flow + Send;

    /// The server's EXPIRE capability (RFC 2449), if it said one.
    fn expire(&self) -> Option<String>;
    fn auth_method(&self) -> AuthMethod;
    fn is_pipelined(&self) -> bool;
    /// The link failed under an earlier command: the session cannot go on.
    fn is_broken(&self) -> bool;

    /// `TOP n 0` for each number, pipelined; `on` may pause the stream.
    fn headers<F>(
        &mut self,
        numbers: &[u32],
        on: F,
    ) -> impl Future<Output = Result<usize, Pop3Error>> + Send
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow + Send;

    /// RETR for each (number, size), pipelined with at most
    /// `max_in_flight` bytes outstanding; `on` gets each message.
    fn retrieve<F>(
        &mut self,
        items: &[(u32, u64)],
        max_each: usize,
        max_in_flight: u64,
        on: F,
    ) -> impl Future<Output = Result<usize, Pop3Error>> + Send
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow + Send;

    /// RETR into `sink`, refusing a message that grows past `max` bytes.
    fn retrieve_to<W: AsyncWrite + Unpin + Send>(
        &mut self,
        number: u32,
        sink: &mut W,
        max: u64,
    ) -> impl Future<Output = Result<u64, Pop3Error>> + Send;

    /// DELE each number; returns the refusals.
    fn dele(
        &mut self,
        numbers: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, Pop3Error)>, Pop3Error>> + Send;

    /// RSET, then DELE `keep` again; returns the refusals.
    fn reset_marks(
        &mut self,
        keep: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, Pop3Error)>, Pop3Error>> + Send;

    fn noop(&mut self) -> impl Future<Output = Result<(), Pop3Error>> + Send;

    /// Whether the link is still there, without a command (a read that
    /// does not wait).
    fn probe(&mut self) -> impl Future<Output = Result<(), Pop3Error>> + Send;

    /// QUIT: the marks are committed.
    fn quit(self) -> impl Future<Output = Result<(), Pop3Error>> + Send;

    /// RSET + QUIT: nothing is deleted.
    fn quit_discarding(self) -> impl Future<Output = Result<(), Pop3Error>> + Send;
}

impl Mailbox for Client {
    fn open_sharing(
        cfg: &ClientConfig,
        share: ShareUidl<'_>,
    ) -> impl Future<Output = Result<(Self, Vec<MailboxEntry>), Pop3Error>> + Send {
        Client::open_sharing(cfg, share)
    }

    fn open_prefetching<F>(
        cfg: &ClientConfig,
        early: u32,
        on: F,
    ) -> impl Future<Output = Result<Self, Pop3Error>> + Send
    where
        F: FnMut(Arrival) -> Flow + Send,
    {
        Client::open_prefetching(cfg, early, on)
    }

    fn expire(&self) -> Option<String> {
        self.capabilities().expire.clone()
    }

    fn auth_method(&self) -> AuthMethod {
        Client::auth_method(self)
    }

    fn is_pipelined(&self) -> bool {
        Client::is_pipelined(self)
    }

    fn is_broken(&self) -> bool {
        self.connection_ref().is_broken()
    }

    fn headers<F>(
        &mut self,
        numbers: &[u32],
        on: F,
    ) -> impl Future<Output = Result<usize, Pop3Error>> + Send
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow + Send,
    {
        Client::headers(self, numbers, on)
    }

    fn retrieve<F>(
        &mut self,
        items: &[(u32, u64)],
        max_each: usize,
        max_in_flight: u64,
        on: F,
    ) -> impl Future<Output = Result<usize, Pop3Error>> + Send
    where
        F: FnMut(u32, Result<Vec<u8>, Pop3Error>) -> Flow + Send,
    {
        Client::retrieve_sized(self, items, max_each, max_in_flight, on)
    }

    fn retrieve_to<W: AsyncWrite + Unpin + Send>(
        &mut self,
        number: u32,
        sink: &mut W,
        max: u64,
    ) -> impl Future<Output = Result<u64, Pop3Error>> + Send {
        Client::retr_to_capped(self, number, sink, max)
    }

    fn dele(
        &mut self,
        numbers: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, Pop3Error)>, Pop3Error>> + Send {
        Client::dele(self, numbers)
    }

    fn reset_marks(
        &mut self,
        keep: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, Pop3Error)>, Pop3Error>> + Send {
        Client::reset_marks(self, keep)
    }

    fn noop(&mut self) -> impl Future<Output = Result<(), Pop3Error>> + Send {
        Client::noop(self)
    }

    fn probe(&mut self) -> impl Future<Output = Result<(), Pop3Error>> + Send {
        self.connection().probe()
    }

    fn quit(self) -> impl Future<Output = Result<(), Pop3Error>> + Send {
        Client::quit(self)
    }

    fn quit_discarding(self) -> impl Future<Output = Result<(), Pop3Error>> + Send {
        Client::quit_discarding(self)
    }
}
