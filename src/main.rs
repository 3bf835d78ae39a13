//! The binary's edge: arguments, the runtime, and one clear line on failure.

use std::process::ExitCode;

use clap::FromArgMatches;
use postie::accounts::SourceArgs;
use postie::cli::args::{Args, Command, Which};
use postie::cli::{self, Selector};

fn selector(w: Which) -> Selector {
    match (w.number, w.uidl, w.file) {
        (_, _, Some(f)) => Selector::File(f),
        (_, Some(u), None) => Selector::Uidl(u),
        (Some(n), None, None) => Selector::Number(n),
        (None, None, None) => unreachable!("clap requires a number, --uidl or --file"),
    }
}

/// `--config PATH` or `--config=PATH`, read before clap (which needs the
/// language first); else $POSTIE_CONFIG, as `paths::config_file` says.
fn config_argument(args: impl Iterator<Item = std::ffi::OsString>) -> Option<std::path::PathBuf> {
    let mut args = args.skip(1);
    while let Some(a) = args.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            return args.next().map(Into::into);
        }
        if let Some(p) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some(p.into());
        }
    }
    None
}

fn main() -> ExitCode {
    postie::timings::start();
    // The language first: `--help` and every message after speak it.
    let config = config_argument(std::env::args_os());
    let setting = postie::config::Config::language_setting(config.as_deref());
    postie::i18n::set(postie::i18n::Language::choose(setting));
    let args = match Args::from_arg_matches(&postie::cli::args::command().get_matches()) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let source = SourceArgs {
        config: args.config,
        account: args.account,
        demo: args.demo,
    };
    // `fetch` (cron's command) runs on this one thread: one session's
    // network needs no second worker, and each thread costs memory; the
    // store keeps its own thread either way.
    let mut builder = if matches!(args.command, Some(Command::Fetch { .. })) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "postie: {}",
                postie::i18n::fill("main.no_runtime", &[("error", e.to_string())])
            );
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
                        "postie: {}",
                        postie::i18n::fill(
                            "main.gave_up",
                            &[
                                ("seconds", d.as_secs().to_string()),
                                ("what", what.to_string())
                            ]
                        )
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
        Some(Command::Show { which, raw, html }) => cli::run_show(source, &selector(which), raw, html)
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
        Some(Command::Folder { op }) => {
            use postie::cli::args::FolderCommand as F;
            use postie::cli::folders::FolderOp;
            let op = match op {
                F::List => FolderOp::List,
                F::Create { name } => FolderOp::Create(name),
                F::Rename { old, new } => FolderOp::Rename(old, new),
                F::Delete { name, yes } => FolderOp::Delete { name, yes },
            };
            postie::cli::folders::run_folder(source, op).await
        }
        Some(Command::Move { uidl, search, to, copy }) => {
            use postie::cli::folders::Selection;
            let which = match search {
                Some(p) => Selection::Search(p),
                None => Selection::Uidls(uidl),
            };
            postie::cli::folders::run_move(source, which, &to, copy).await
        }
        Some(Command::Filter { folder, dry_run }) => {
            postie::cli::folders::run_filter(source, folder.as_deref(), dry_run).await
        }
        Some(Command::Import { paths, folder }) => {
            postie::cli::import::run_import(source, &paths, folder.as_deref()).await
        }
        Some(Command::Export {
            folder,
            mbox,
            eml,
            search,
        }) => {
            let target = match (mbox, eml) {
                (Some(f), _) => postie::export::Target::Mbox(f),
                (None, Some(d)) => postie::export::Target::Eml(d),
                // clap requires one of them.
                (None, None) => return Ok(2),
            };
            postie::cli::export::run_export(source, &folder, target, search.as_deref()).await
        }
        Some(Command::Contacts {
            query,
            json,
            mutt,
            limit,
            import,
            export,
        }) => {
            use postie::cli::contacts::ContactsOp;
            let op = if !import.is_empty() {
                ContactsOp::Import(import)
            } else if let Some(path) = export {
                ContactsOp::Export(path)
            } else {
                ContactsOp::Query {
                    query: query.unwrap_or_default(),
                    json,
                    mutt,
                    limit,
                }
            };
            postie::cli::contacts::run_contacts(source, op).await
        }
        Some(Command::Completions { shell }) => {
            cli::args::completions(shell, &mut std::io::stdout())?;
            Ok(0)
        }
        Some(Command::Setup {
            signin: Some(name), ..
        }) => postie::accounts::run_signin(source.config.as_deref(), &name).await,
        Some(Command::Setup { providers, .. }) => {
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
