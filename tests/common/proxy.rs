//! A TCP proxy on 127.0.0.1 that delays every chunk by a fixed one-way time in
//! each direction: the kernel's netem is not available here, so this is how
//! tests and benchmarks put a slow link between postie and the server.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub struct LatencyProxy {
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LatencyProxy {
    /// Listens on a random 127.0.0.1 port and forwards to 127.0.0.1:`upstream`.
    pub async fn start(upstream: u16, one_way: Duration) -> std::io::Result<LatencyProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(pipe(cr, sw, one_way), pipe(sr, cw, one_way));
                });
            }
        });
        Ok(LatencyProxy { port, task })
    }
}

/// Reads chunks as they come and writes each one `delay` after it arrived, in order.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    };
    let writer = async move {
        while let Some((due, data)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&data).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

/// Faults a `ChaosProxy` has injected, by kind.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub drops: std::sync::atomic::AtomicU64,
    pub resets: std::sync::atomic::AtomicU64,
    pub stalls: std::sync::atomic::AtomicU64,
    pub splits: std::sync::atomic::AtomicU64,
    pub delays: std::sync::atomic::AtomicU64,
}

impl FaultCounts {
    pub fn total(&self) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        self.drops.load(Relaxed)
            + self.resets.load(Relaxed)
            + self.stalls.load(Relaxed)
            + self.splits.load(Relaxed)
            + self.delays.load(Relaxed)
    }

    pub fn line(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        format!(
            "{} faults: {} drops, {} resets, {} stalls, {} single-byte splits, {} delays",
            self.total(),
            self.drops.load(Relaxed),
            self.resets.load(Relaxed),
            self.stalls.load(Relaxed),
            self.splits.load(Relaxed),
            self.delays.load(Relaxed)
        )
    }
}

/// A TCP proxy on 127.0.0.1 that, for each chunk it forwards, injects a fault
/// with probability `rate`: it drops the connection, resets it (RST), stalls
/// (1–8 s: some past the client's timeouts), splits the chunk into single
/// bytes, or delays it (50–300 ms).
pub struct ChaosProxy {
    pub port: u16,
    pub faults: std::sync::Arc<FaultCounts>,
    /// Connections still open through the proxy.
    active: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A small, seeded random source (xorshift64*), shared by the proxy's pipes.
#[derive(Clone)]
pub struct Dice(std::sync::Arc<std::sync::Mutex<u64>>);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(std::sync::Arc::new(std::sync::Mutex::new(seed.max(1))))
    }
    pub fn next(&self) -> u64 {
        let mut s = self.0.lock().unwrap();
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        s.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in 0..n.
    pub fn below(&self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

impl ChaosProxy {
    pub async fn start(upstream: u16, rate: f64, dice: Dice) -> std::io::Result<ChaosProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let faults = std::sync::Arc::new(FaultCounts::default());
        let counts = faults.clone();
        let active = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let live = active.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (counts, dice) = (counts.clone(), dice.clone());
                let open = live.clone();
                open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    // Counted down however the connection ends.
                    struct Gone(std::sync::Arc<std::sync::atomic::AtomicUsize>);
                    impl Drop for Gone {
                        fn drop(&mut self) {
                            self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    let _gone = Gone(open);
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let cut = std::sync::Arc::new(tokio::sync::Notify::new());
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let a = chaos_pipe(cr, sw, rate, dice.clone(), counts.clone(), cut.clone());
                    let b = chaos_pipe(sr, cw, rate, dice, counts, cut.clone());
                    tokio::select! {
                        _ = async { tokio::join!(a, b) } => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Ok(ChaosProxy {
            port,
            faults,
            active,
            task,
        })
    }

    /// Waits (at most `limit`) until no connection is open through the
    /// proxy: a command stalled here (a QUIT the client gave up on) reaches
    /// the server, or the link is cut, before the next step looks at it.
    pub fn wait_idle(&self, limit: Duration) -> bool {
        let start = std::time::Instant::now();
        while self.active.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }
}

async fn chaos_pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    rate: f64,
    dice: Dice,
    counts: std::sync::Arc<FaultCounts>,
    cut: std::sync::Arc<tokio::sync::Notify>,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let roll = dice.below(1_000_000) as f64 / 1_000_000.0;
        if roll < rate {
            match dice.below(5) {
                0 => {
                    counts.drops.fetch_add(1, Relaxed);
                    // Half the chunk goes through, then the link is gone.
                    let _ = to.write_all(&buf[..n / 2]).await;
                    cut.notify_waiters();
                    cut.notify_one();
                    return;
                }
                1 => {
                    counts.resets.fetch_add(1, Relaxed);
                    // Closed with linger 0 once both pipes are dropped: an RST.
                    let _ = to.as_ref().set_zero_linger();
                    cut.notify_waiters();
                    cut.notify_one();
                    return;
                }
                2 => {
                    counts.stalls.fetch_add(1, Relaxed);
                    tokio::time::sleep(Duration::from_millis(1000 + dice.below(7000))).await;
                }
                3 => {
                    counts.splits.fetch_add(1, Relaxed);
                    for b in &buf[..n] {
                        if to.write_all(std::slice::from_ref(b)).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                _ => {
                    counts.delays.fetch_add(1, Relaxed);
                    tokio::time::sleep(Duration::from_millis(50 + dice.below(250))).await;
                }
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Which way a chunk went through a `RecordingProxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    ToServer,
    ToClient,
}

/// Chunks in the order they passed, each with its way.
pub type Chunks = std::sync::Arc<std::sync::Mutex<Vec<(Way, Vec<u8>)>>>;

/// A proxy of one connection at a time that records every chunk in the
/// order it passed: what the client sends when it arrives, what the server
/// sends when it is passed on, `hold` after it arrived. A command recorded
/// before a reply was sent in the client's flight, not after that reply.
pub struct RecordingProxy {
    pub port: u16,
    pub chunks: Chunks,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordingProxy {
    pub async fn start(upstream: u16, hold: Duration) -> std::io::Result<RecordingProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let chunks: Chunks = Default::default();
        let log = chunks.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = {
                    let log = log.clone();
                    async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n @ 1..) = cr.read(&mut buf).await {
                            if let Ok(mut l) = log.lock() {
                                l.push((Way::ToServer, buf[..n].to_vec()));
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = sw.shutdown().await;
                    }
                };
                let down = {
                    let log = log.clone();
                    async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n @ 1..) = sr.read(&mut buf).await {
                            tokio::time::sleep(hold).await;
                            if let Ok(mut l) = log.lock() {
                                l.push((Way::ToClient, buf[..n].to_vec()));
                            }
                            if cw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = cw.shutdown().await;
                    }
                };
                tokio::join!(up, down);
            }
        });
        Ok(RecordingProxy { port, chunks, task })
    }
}
