//! `postie fetch [--all]`: each account resolved and fetched (side by side
//! unless a progress line is on the terminal), one line or JSON object per
//! account, and the exit status cron reads: 0, 75 (try again later) or 1.

use std::io::IsTerminal;

use anyhow::anyhow;

use crate::accounts::{resolve, SourceArgs};
use crate::config::Config;
use crate::fetch::{fetch_into, Failure, Report, Target};

/// The exit status of a run: 0, 75 (temporary: try again later), or 1.
pub async fn run(args: &SourceArgs, all: bool, json: bool, quiet: bool) -> u8 {
    let names: Vec<Option<String>> = if all {
        match Config::load_async(args.config.as_deref()).await {
            Ok(Some(c)) => c.accounts.keys().cloned().map(Some).collect(),
            Ok(None) => vec![None],
            Err(e) => {
                eprintln!("postie: {e}");
                return 1;
            }
        }
    } else {
        vec![args.account.clone()]
    };
    let mut status = 0;
    let mut reports = Vec::new();
    let progress = progress_wanted(json, quiet);
    let each: Vec<SourceArgs> = names
        .into_iter()
        .map(|name| SourceArgs {
            account: name,
            ..args.clone()
        })
        .collect();
    // Each account has its own server and store: fetched side by side, unless
    // a progress line is on the terminal (one at a time, so lines do not mix).
    let results = if progress {
        let mut out = Vec::new();
        for one in &each {
            out.push(fetch_account(one, true).await);
        }
        out
    } else {
        futures_util::future::join_all(each.iter().map(|one| fetch_account(one, false))).await
    };
    for (result, one) in results.into_iter().zip(&each) {
        match result {
            Ok(r) => {
                if !json && !quiet && r.something_happened() {
                    println!("{}", crate::text::sanitize::sanitize_line(&r.line()));
                }
                reports.push(serde_json::to_value(&r).unwrap_or_default());
            }
            Err(f) => {
                let msg = format!("{:#}", f.error);
                eprintln!("postie: {}", crate::text::sanitize::sanitize_line(&msg));
                let code = f.class.exit_code();
                // A failed account is in the JSON too, with why and how it
                // failed (a script sees it, not an empty array).
                reports.push(serde_json::json!({
                    "account": one.account.clone(),
                    "error": crate::text::sanitize::sanitize_line(&msg),
                    "temporary": code == 75,
                }));
                // The worst outcome decides: 1 over 75 over 0.
                status = match (status, code) {
                    (1, _) | (_, 1) => 1,
                    _ => 75,
                };
            }
        }
    }
    if json {
        match serde_json::to_string_pretty(&reports) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("postie: {e}");
                return 1;
            }
        }
    }
    status
}

fn progress_wanted(json: bool, quiet: bool) -> bool {
    !json && !quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// Fetches one account (or the demo).
pub async fn fetch_account(args: &SourceArgs, progress: bool) -> Result<Report, Failure> {
    let source = resolve(args).await?;
    let login = crate::fetch::start_login(&source.client);
    let Some(store) = source.open_store().await else {
        login.abort();
        return Err(
            anyhow!("there is no local store to fetch into (see the warning above)").into(),
        );
    };
    let target = Target {
        label: &source.label,
        client: &source.client,
        max_message: source.max_message(),
        policy: source.policy,
        filer: std::sync::Arc::new(source.filer()),
    };
    let result = fetch_into(&target, &store, login, progress).await;
    store.close(std::time::Duration::from_secs(30)).await;
    result
}
