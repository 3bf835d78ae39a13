//! The binary's edge: arguments, the runtime, and one clear line on failure.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use postie::accounts::SourceArgs;
use postie::cli::{self, Selector};

#[derive(Parser)]
#[command(
    name = "postie",
    version,
    about = "A fast, safe terminal mail reader for POP3"
)]
struct Args {
    /// Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Account to use (default: default_account, else the first in the config)
    #[arg(long, global = true, value_name = "NAME")]
    account: Option<String>,
    /// Use the built-in demo mailbox, whatever the config says
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the mailbox, newest first, then exit
    List {
        /// One JSON array: number, uidl, size, date, from, from_address, subject,
        /// seen, flagged, answered, stored, on_server
        #[arg(long)]
        json: bool,
        /// Print what the local store knows without contacting the server
        #[arg(long)]
        offline: bool,
    },
    /// Print one message decoded for reading (or its raw bytes), then exit
    Show {
        #[command(flatten)]
        which: Which,
        /// Write the message exactly as retrieved (dot-unstuffed)
        #[arg(long)]
        raw: bool,
    },
    /// Download new messages into the local store, then apply leave_on_server
    Fetch {
        /// Every account in the config
        #[arg(long, conflicts_with = "account")]
        all: bool,
        /// One JSON array: an object per account with new, downloaded, bytes, deleted
        #[arg(long)]
        json: bool,
        /// Print nothing on success
        #[arg(long)]
        quiet: bool,
    },
    /// Send a message (body from stdin, UTF-8) over SMTP; a copy goes to Sent
    Send {
        #[command(flatten)]
        opts: SendOpts,
    },
    /// Search the local store: senders, subjects, recipients, stored bodies, attachment names
    Search {
        /// Words (each must match) or "a quoted phrase"; taken literally (may start with -)
        #[arg(allow_hyphen_values = true)]
        query: String,
        /// One JSON array, as `list --json` prints it
        #[arg(long)]
        json: bool,
    },
    /// Add an account: proposes the provider's servers, tests the logins, writes the config
    Setup {
        /// A provider table (the format of assets/providers.toml) merged over the shipped one
        #[arg(long, value_name = "FILE")]
        providers: Option<PathBuf>,
    },
    /// Save a message's attachments (all, or the K-th listed by show); prints each path
    Save {
        #[command(flatten)]
        which: Which,
        /// Save only attachment K (as numbered by `show`); repeatable
        #[arg(long = "part", value_name = "K")]
        parts: Vec<usize>,
        /// Directory to save into (default: download_dir, else $XDG_DOWNLOAD_DIR, else ~/Downloads)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// What `send` is given.
#[derive(clap::Args)]
struct SendOpts {
    /// Recipient (repeatable; `Name <addr>` or addr)
    #[arg(long, value_name = "ADDR", required_unless_present_any = ["draft", "in_reply_to"])]
    to: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    cc: Vec<String>,
    /// Blind copy: in the envelope only, never in the message or its Sent copy
    #[arg(long, value_name = "ADDR")]
    bcc: Vec<String>,
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["draft", "in_reply_to"])]
    subject: Option<String>,
    /// A file to attach (repeatable)
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Answer this message (by UIDL): threading headers, `Re:` subject, its sender as To by default
    #[arg(long, value_name = "UIDL")]
    in_reply_to: Option<String>,
    /// Send a prepared message file (header lines, a blank line, the body) instead of stdin
    #[arg(long, value_name = "FILE", conflicts_with_all = ["to", "cc", "bcc", "subject"])]
    draft: Option<PathBuf>,
}

/// Which message `show` and `save` act on.
#[derive(clap::Args)]
struct Which {
    /// Message number, as `postie list` shows it
    #[arg(required_unless_present_any = ["uidl", "file"], conflicts_with_all = ["uidl", "file"])]
    number: Option<u32>,
    /// Select the message by its UIDL instead
    #[arg(long, value_name = "UIDL", conflicts_with = "file")]
    uidl: Option<String>,
    /// A saved message file (.eml), decoded exactly as a fetched one would be
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

fn selector(w: Which) -> Selector {
    match (w.number, w.uidl, w.file) {
        (_, _, Some(f)) => Selector::File(f),
        (_, Some(u), None) => Selector::Uidl(u),
        (Some(n), None, None) => Selector::Number(n),
        (None, None, None) => unreachable!("clap requires a number, --uidl or --file"),
    }
}

fn main() -> ExitCode {
    postie::timings::start();
    let args = Args::parse();
    let source = SourceArgs {
        config: args.config,
        account: args.account,
        demo: args.demo,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("postie: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // An overall limit for the commands that talk to a POP3 server: each
    // reply is bounded already, but a server can stall within those bounds
    // for ever. A fetch resumes where it stopped, so cron simply retries.
    let limit = match &args.command {
        Some(
            Command::List { offline: false, .. } | Command::Show { .. } | Command::Save { .. },
        ) => Some(("postie list/show/save", LIST_LIMIT)),
        Some(Command::Fetch { .. }) => Some(("postie fetch", FETCH_LIMIT)),
        _ => None,
    }
    .map(|(what, d)| {
        let d = std::env::var("POSTIE_DEADLINE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(d, std::time::Duration::from_secs);
        (what, d)
    });
    let result: anyhow::Result<u8> = runtime.block_on(async {
        let work = run(args.command, &source);
        match limit {
            None => work.await,
            Some((what, d)) => match tokio::time::timeout(d, work).await {
                Ok(r) => r,
                Err(_) => {
                    eprintln!(
                        "postie: gave up after {} s, the overall limit for {what}: the server is stalling or far too slow; nothing unsafe was done, try again later",
                        d.as_secs()
                    );
                    Ok(75)
                }
            },
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "postie: {}",
                postie::text::sanitize::sanitize_line(&postie::cli::error_line(&e))
            );
            // 75 tells cron the server was away or busy; 1 anything else.
            ExitCode::from(postie::cli::class_of(&e).exit_code())
        }
    }
}

/// The overall limit for list, show and save (`POSTIE_DEADLINE_SECS` overrides).
const LIST_LIMIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// The overall limit for fetch; the next run resumes.
const FETCH_LIMIT: std::time::Duration = std::time::Duration::from_secs(2 * 60 * 60);

async fn run(command: Option<Command>, source: &SourceArgs) -> anyhow::Result<u8> {
    match command {
        Some(Command::List { json, offline }) => {
            cli::run_list(source, json, offline).await.map(|()| 0)
        }
        Some(Command::Show { which, raw }) => cli::run_show(source, &selector(which), raw)
            .await
            .map(|()| 0),
        Some(Command::Save { which, parts, dir }) => {
            cli::run_save(source, &selector(which), &parts, dir)
                .await
                .map(|()| 0)
        }
        // Exit 75 (EX_TEMPFAIL) tells cron the server was busy or away.
        Some(Command::Fetch { all, json, quiet }) => {
            Ok(cli::run_fetch(source, all, json, quiet).await)
        }
        Some(Command::Send { opts }) => {
            let a = postie::cli::send::SendArgs {
                to: opts.to,
                cc: opts.cc,
                bcc: opts.bcc,
                subject: opts.subject,
                attach: opts.attach,
                in_reply_to: opts.in_reply_to,
                draft: opts.draft,
            };
            postie::cli::send::run(source, a).await
        }
        Some(Command::Search { query, json }) => {
            cli::run_search(source, &query, json).await.map(|()| 0)
        }
        Some(Command::Setup { providers }) => {
            postie::accounts::run_setup(source.config.as_deref(), providers.as_deref()).await
        }
        #[cfg(feature = "tui")]
        None => postie::tui::run(source).await.map(|()| 0),
        #[cfg(not(feature = "tui"))]
        None => Err(anyhow::anyhow!(
            "this postie was built without the interactive reader (--no-default-features): use postie list, show, fetch or send"
        )),
    }
}
