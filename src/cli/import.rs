//! `postie import PATH…`: mail from other programs into the local store,
//! with a progress bar on a terminal and a summary; exit 1 when anything
//! could not be read (everything else is imported all the same).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use rust_i18n::t;

use super::STORE_CLOSE;
use crate::accounts::SourceArgs;
use crate::import::{discover, Found, Importer, Progress, Report};
use crate::store::Folder;
use crate::text::sanitize::sanitize_line;

/// The folder mail from `path` goes to when none is named: one named after
/// the source (`Foxmail import`; a single `.eml` file: after its directory).
fn default_folder(path: &Path) -> Folder {
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let is_eml = full
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
        && full.is_file();
    // A file is named without its extension (`Inbox.mbox`: `Inbox import`).
    let base = if is_eml {
        full.parent().and_then(|p| p.file_name())
    } else if full.is_file() {
        full.file_stem()
    } else {
        full.file_name()
    }
    .map(crate::import::sources::name_text)
    .unwrap_or_default();
    let base = crate::import::sources::folder_part(&base);
    Folder::own(&t!("import.folder_for", name = base))
        .or_else(|_| Folder::own(&base))
        .unwrap_or_else(|_| Folder::own("import").unwrap_or(Folder::Inbox))
}

pub async fn run_import(args: &SourceArgs, paths: &[PathBuf], folder: Option<&str>) -> Result<u8> {
    let named = match folder {
        Some(f) => Some(Folder::own(f).map_err(|e| {
            anyhow!(
                "{}",
                t!("out.bad_folder", name = sanitize_line(f), error = e)
            )
        })?),
        None => None,
    };
    // Walking the sources reads directories: off the async threads.
    let plan: Vec<(PathBuf, Folder)> = paths
        .iter()
        .map(|p| {
            (
                p.clone(),
                named.clone().unwrap_or_else(|| default_folder(p)),
            )
        })
        .collect();
    let found = tokio::task::spawn_blocking(move || {
        let mut all = Found::default();
        for (p, f) in &plan {
            let one = discover(p, f);
            all.units.extend(one.units);
            all.bytes += one.bytes;
            all.not_mail.extend(one.not_mail);
            all.unreadable.extend(one.unreadable);
        }
        all
    })
    .await?;
    let store = super::folders::open(args).await?;
    let bar = indicatif::ProgressBar::new(found.bytes);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let units = found.units;
    let shown = bar.clone();
    let result = store
        .run(move |s| {
            let mut last = std::time::Instant::now();
            let mut indexing = false;
            let mut on_progress = |p: Progress| {
                // The bar redraws itself at its own rate; this only feeds it.
                match p {
                    Progress::Read { messages, bytes } => {
                        if last.elapsed().as_millis() >= 100 {
                            last = std::time::Instant::now();
                            shown.set_position(bytes);
                            shown.set_message(t!("import.progress", n = messages).into_owned());
                        }
                    }
                    Progress::Text { done, total } => {
                        if !indexing {
                            indexing = true;
                            shown.set_style(
                                indicatif::ProgressStyle::with_template(
                                    "{bar:30} {pos}/{len} ETA {eta} {msg}",
                                )
                                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                            );
                            shown.set_length(total);
                            shown.set_message(t!("import.indexing").into_owned());
                        }
                        shown.set_position(done);
                    }
                }
            };
            Importer::new(s, &mut on_progress)?.run(&units)
        })
        .await;
    bar.finish_and_clear();
    store.close(STORE_CLOSE).await;
    let report = result??;
    Ok(summary(&report, &found.unreadable, &found.not_mail))
}

/// Prints what happened; 1 when anything could not be read.
fn summary(report: &Report, walk_errors: &[(PathBuf, String)], not_mail: &[PathBuf]) -> u8 {
    let bad = report.unreadable.len() + walk_errors.len();
    println!(
        "{}",
        t!(
            "import.summary",
            imported = report.imported,
            already = report.already,
            bad = bad
        )
    );
    for (folder, n) in &report.folders {
        println!("  → {}: {n}", sanitize_line(folder.name()));
    }
    if report.trashed > 0 {
        println!("  {}", t!("import.trashed", n = report.trashed));
    }
    for (place, why) in &report.unreadable {
        println!("  {}: {}", sanitize_line(place), sanitize_line(why));
    }
    for (path, why) in walk_errors {
        println!(
            "  {}: {}",
            sanitize_line(&crate::import::sources::path_text(path)),
            sanitize_line(why)
        );
    }
    if !not_mail.is_empty() {
        println!("  {}", t!("import.not_mail", n = not_mail.len()));
        for p in not_mail.iter().take(10) {
            println!(
                "    {}",
                sanitize_line(&crate::import::sources::path_text(p))
            );
        }
    }
    u8::from(bad > 0)
}
