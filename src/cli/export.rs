//! `postie export FOLDER --mbox FILE | --eml DIR [--search PATTERN]`: a
//! folder written out for any mail program; exit 1 when a message could not
//! be written (the rest are).

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use rust_i18n::t;

use super::folders::{matching_in, parse, reconciled};
use super::STORE_CLOSE;
use crate::accounts::{resolve_offline, SourceArgs};
use crate::export::{export, Target};
use crate::sync::pattern::{Pattern, Scope};
use crate::text::sanitize::sanitize_line;

pub async fn run_export(
    args: &SourceArgs,
    folder: &str,
    target: Target,
    search: Option<&str>,
) -> Result<u8> {
    let folder = parse(folder)?;
    // No pattern: the empty one, which every message matches.
    let pattern = Pattern::parse_for(
        search.unwrap_or_default(),
        *chrono::Local::now().offset(),
        Scope::Message,
    )
    .map_err(|e| anyhow!("{}", t!("notice.limit_error", error = e)))?;
    let source = resolve_offline(args).await?;
    let decode = source.decode;
    let store = reconciled(&source).await?;
    let shown = target.clone();
    let result = store
        .run(move |s| -> Result<_> {
            if !s.has_folder(&folder) {
                return Err(anyhow!(
                    "{}",
                    t!("out.no_such_folder", name = sanitize_line(folder.name()))
                ));
            }
            let rows = matching_in(s, &pattern, &decode, std::slice::from_ref(&folder))?;
            Ok(export(s, &rows, &target)?)
        })
        .await;
    store.close(STORE_CLOSE).await;
    let done = result??;
    let path: &PathBuf = match &shown {
        Target::Mbox(p) | Target::Eml(p) => p,
    };
    println!(
        "{}",
        t!(
            "export.done",
            n = done.written,
            path = sanitize_line(&path.display().to_string())
        )
    );
    if done.not_stored > 0 {
        println!("  {}", t!("export.not_stored", n = done.not_stored));
    }
    for e in &done.errors {
        println!("  {}", sanitize_line(e));
    }
    Ok(u8::from(!done.errors.is_empty()))
}
