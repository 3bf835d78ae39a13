//! `postie folder list|create|rename|delete`, `postie move` and `postie
//! filter`: the user's folders and filing from the command line, on the
//! local store alone (nothing goes to the server).

use anyhow::{anyhow, Result};
use rust_i18n::t;

use super::{cli_store, STORE_CLOSE};
use crate::accounts::{resolve_offline, SourceArgs};
use crate::store::{Folder, Row, StoreHandle};
use crate::sync::pattern::{Pattern, Scope};
use crate::text::sanitize::sanitize_line;

/// What `postie folder` does.
pub enum FolderOp {
    List,
    Create(String),
    Rename(String, String),
    Delete { name: String, yes: bool },
}

pub(super) fn parse(name: &str) -> Result<Folder> {
    Folder::parse(name).map_err(|e| {
        anyhow!(
            "{}",
            t!("out.bad_folder", name = sanitize_line(name), error = e)
        )
    })
}

pub(super) async fn open(args: &SourceArgs) -> Result<StoreHandle> {
    let source = resolve_offline(args).await?;
    reconciled(&source).await
}

/// The store, made to agree with its files first (a move killed half-way,
/// mutt's renames): what is filed must be where the index says.
pub(super) async fn reconciled(source: &crate::accounts::Source) -> Result<StoreHandle> {
    // The demo's store is thrown away at exit: filing, importing or
    // exporting there would lose what it did.
    if source.demo.is_some() {
        return Err(anyhow!("{}", t!("out.needs_account")));
    }
    let store = cli_store(source)
        .await
        .ok_or_else(|| anyhow!("{}", t!("out.no_store_to_search")))?;
    store.run(|s| s.reconcile()).await??;
    Ok(store)
}

pub async fn run_folder(args: &SourceArgs, op: FolderOp) -> Result<u8> {
    let store = open(args).await?;
    let result = folder_op(&store, op).await;
    store.close(STORE_CLOSE).await;
    result
}

async fn folder_op(store: &StoreHandle, op: FolderOp) -> Result<u8> {
    match op {
        FolderOp::List => {
            let rows = store
                .run(
                    |s| -> Result<Vec<(Folder, usize, usize)>, crate::store::StoreError> {
                        let mut out = Vec::new();
                        for f in s.folders() {
                            let rows = s.load(&f)?;
                            let unread = rows
                                .iter()
                                .filter(|r| !r.flags.contains(crate::store::Flags::SEEN))
                                .count();
                            out.push((f, rows.len(), unread));
                        }
                        Ok(out)
                    },
                )
                .await??;
            for (f, total, unread) in rows {
                let indent = "  ".repeat(f.depth());
                let name = f.name().rsplit('/').next().unwrap_or(f.name()).to_string();
                let label = if f.is_own() || f.label() == f.name() {
                    name
                } else {
                    format!("{} ({})", f.name(), f.label())
                };
                println!(
                    "{indent}{}  {}",
                    sanitize_line(&label),
                    t!("out.folder_counts", total = total, unread = unread)
                );
            }
            Ok(0)
        }
        FolderOp::Create(name) => {
            let f = parse(&name)?;
            if !f.is_own() {
                return Err(anyhow!("{}", t!("folder.exists", name = f.name())));
            }
            let made = {
                let f = f.clone();
                store.run(move |s| s.create_folder(&f)).await??
            };
            if !made {
                return Err(anyhow!(
                    "{}",
                    t!("folder.exists", name = sanitize_line(f.name()))
                ));
            }
            println!(
                "{}",
                t!(
                    "out.folder_created",
                    name = sanitize_line(f.name()),
                    dir = f.dir_name()
                )
            );
            Ok(0)
        }
        FolderOp::Rename(old, new) => {
            let (a, b) = (parse(&old)?, parse(&new)?);
            let shown = (a.name().to_string(), b.name().to_string());
            store.run(move |s| s.rename_folder(&a, &b)).await??;
            println!(
                "{}",
                t!(
                    "out.folder_renamed",
                    from = sanitize_line(&shown.0),
                    to = sanitize_line(&shown.1)
                )
            );
            Ok(0)
        }
        FolderOp::Delete { name, yes } => {
            let f = parse(&name)?;
            let count = {
                let f = f.clone();
                store.run(move |s| s.count_in(&f)).await??
            };
            if count > 0 && !yes {
                return Err(anyhow!(
                    "{}",
                    t!(
                        "out.folder_not_empty",
                        name = sanitize_line(f.name()),
                        n = count
                    )
                ));
            }
            let shown = f.name().to_string();
            let n = store.run(move |s| s.delete_folder(&f)).await??;
            println!(
                "{}",
                t!("out.folder_deleted", name = sanitize_line(&shown), n = n)
            );
            Ok(0)
        }
    }
}

/// Which messages `postie move` acts on.
pub enum Selection {
    Uidls(Vec<String>),
    Search(String),
}

/// The rows of every folder (but `to`) that `pattern` matches, reading each
/// stored message's header block when the pattern needs it.
fn matching(
    s: &mut crate::store::Store,
    pattern: &Pattern,
    decode: &crate::mime::DecodeOptions,
    skip: &Folder,
) -> Result<Vec<Row>, crate::store::StoreError> {
    let folders: Vec<Folder> = s.folders().into_iter().filter(|f| f != skip).collect();
    matching_in(s, pattern, decode, &folders)
}

/// The stored rows of `folders` that `pattern` matches, in each folder's order.
pub(super) fn matching_in(
    s: &mut crate::store::Store,
    pattern: &Pattern,
    decode: &crate::mime::DecodeOptions,
    folders: &[Folder],
) -> Result<Vec<Row>, crate::store::StoreError> {
    let mut out = Vec::new();
    for f in folders {
        let rows = s.load(f)?;
        // Where the files are, in one query rather than one a message.
        let files = if pattern.needs_headers() || rows.iter().any(|r| r.summary.is_none()) {
            s.files_in(f)?
        } else {
            Default::default()
        };
        for row in rows {
            // A row not yet summarised (just stored) is read from its file.
            let hit = if pattern.needs_headers() || row.summary.is_none() {
                let head = files
                    .get(row.uidl.as_str())
                    .and_then(|p| crate::store::maildir::read_head(p).ok())
                    .unwrap_or_default();
                let v = crate::sync::pattern::MessageView::of_row_with_head(&row, &head, decode);
                pattern.matches(&v, None)
            } else {
                pattern.matches(&crate::sync::pattern::MessageView::of_row(&row), None)
            };
            if hit {
                out.push(row);
            }
        }
    }
    Ok(out)
}

pub async fn run_move(args: &SourceArgs, which: Selection, to: &str, copy: bool) -> Result<u8> {
    let target = parse(to)?;
    let source = resolve_offline(args).await?;
    let decode = source.decode;
    let store = reconciled(&source).await?;
    let uidls: Vec<String> = match which {
        Selection::Uidls(u) => u,
        Selection::Search(p) => {
            let zone = *chrono::Local::now().offset();
            let pattern = Pattern::parse_for(&p, zone, Scope::Message)
                .map_err(|e| anyhow!("{}", t!("notice.limit_error", error = e)))?;
            let skip = if copy {
                Folder::Own("\u{0}".into())
            } else {
                target.clone()
            };
            let rows = store
                .run(move |s| matching(s, &pattern, &decode, &skip))
                .await??;
            if rows.is_empty() {
                store.close(STORE_CLOSE).await;
                return Err(anyhow!("{}", t!("out.no_match", query = p)));
            }
            rows.into_iter().map(|r| r.uidl.to_string()).collect()
        }
    };
    let shown = target.name().to_string();
    let filed = store
        .run(move |s| s.file_many(&uidls, &target, copy))
        .await?;
    store.close(STORE_CLOSE).await;
    let filed = filed?;
    for u in &filed.not_stored {
        eprintln!(
            "postie: {}",
            t!("out.move_not_stored", uidl = sanitize_line(u))
        );
    }
    let key = if copy { "out.copied" } else { "out.moved" };
    println!(
        "{}",
        t!(key, n = filed.done.len(), folder = sanitize_line(&shown))
    );
    Ok(if filed.not_stored.is_empty() { 0 } else { 1 })
}

pub async fn run_filter(args: &SourceArgs, folder: Option<&str>, dry_run: bool) -> Result<u8> {
    let folder = parse(folder.unwrap_or("INBOX"))?;
    let source = resolve_offline(args).await?;
    let filer = source.filer();
    if filer.rules.is_empty() {
        return Err(anyhow!(
            "{}",
            t!("out.no_rules", account = sanitize_line(&source.label))
        ));
    }
    // A dry run changes nothing: the index is read as it is (a file moved
    // behind its back only makes its header rules miss).
    let store = if dry_run {
        cli_store(&source)
            .await
            .ok_or_else(|| anyhow!("{}", t!("out.no_store_to_search")))?
    } else {
        reconciled(&source).await?
    };
    let f = folder.clone();
    let result = store
        .run(move |s| -> Result<_, crate::store::StoreError> {
            let planned = filer.plan_folder(s, &f)?;
            let report = (!dry_run).then(|| filer.carry_out_all(s, &planned.plans));
            Ok((planned, report))
        })
        .await;
    store.close(STORE_CLOSE).await;
    let (planned, report) = result??;
    let plans = planned.plans;
    for (row, o) in &plans {
        let subject = row
            .summary
            .as_deref()
            .map(|s| s.subject().to_string())
            .unwrap_or_default();
        let mut what = Vec::new();
        if let Some(f) = &o.folder {
            what.push(format!("→ {}", f.name()));
        }
        for c in &o.copies {
            what.push(format!("+ {}", c.name()));
        }
        if o.flags.contains(crate::store::Flags::SEEN) {
            what.push(t!("out.filter_read").into_owned());
        }
        if o.flags.contains(crate::store::Flags::FLAGGED) {
            what.push(t!("out.filter_flag").into_owned());
        }
        let rules: Vec<String> = o.matched.iter().map(|n| n.to_string()).collect();
        println!(
            "{}",
            sanitize_line(&format!(
                "{}  {}  [{} {}]  {}",
                row.uidl.trim(),
                what.join(" "),
                t!("out.filter_rule"),
                rules.join(","),
                subject
            ))
        );
    }
    if planned.unjudged > 0 {
        eprintln!("postie: {}", t!("filing.unjudged", n = planned.unjudged));
    }
    match report {
        None => println!("{}", t!("out.filter_dry", n = plans.len())),
        Some(r) => {
            for e in &r.errors {
                eprintln!("postie: {}", t!("fetch.rule_failed", error = e));
            }
            println!(
                "{}",
                t!(
                    "out.filter_done",
                    moved = r.moved_count(),
                    copied = r.copied,
                    marked = r.marked
                )
            );
            if !r.errors.is_empty() {
                return Ok(1);
            }
        }
    }
    Ok(u8::from(planned.unjudged > 0))
}
