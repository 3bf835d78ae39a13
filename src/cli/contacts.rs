//! `postie contacts [QUERY] [--json | --mutt]`, `--import FILE…`,
//! `--export FILE`: the address book from the command line. Before a query
//! or an export the book learns what the accounts' stores hold that it has
//! not seen (recipients of sent mail, senders of read mail).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use rust_i18n::t;

use super::STORE_CLOSE;
use crate::accounts::{Source, SourceArgs};
use crate::config::Config;
use crate::contacts::{cards, default_path, Book, Entry};
use crate::secret::Secret;
use crate::text::sanitize::sanitize_line;

/// What `postie contacts` does.
pub enum ContactsOp {
    Query {
        query: String,
        json: bool,
        mutt: bool,
        limit: usize,
    },
    Import(Vec<PathBuf>),
    Export(PathBuf),
}

async fn book() -> Result<Book> {
    Ok(tokio::task::spawn_blocking(|| Book::open(&default_path())).await??)
}

/// Every configured account (or the one named), as sources; and the
/// `query_command`, if any.
async fn sources(args: &SourceArgs) -> Result<(Vec<Source>, Option<String>)> {
    if args.demo {
        return Ok((Vec::new(), None));
    }
    let path = args.config.clone();
    let config = tokio::task::spawn_blocking(move || Config::load(path.as_deref())).await??;
    let Some(config) = config else {
        return Ok((Vec::new(), None));
    };
    let sources = config
        .accounts
        .iter()
        .filter(|(name, _)| args.account.as_ref().is_none_or(|a| a == *name))
        .map(|(name, account)| Source::for_account(name, account, Secret::default()))
        .collect();
    Ok((sources, config.query_command))
}

/// Lets the book learn from each of `sources`' stores; returns it.
async fn learned(sources: Vec<Source>, mut book: Book) -> Result<Book> {
    for source in sources {
        if !source.store_root.join("index.sqlite").exists() {
            continue;
        }
        let Some(store) = source.open_store().await else {
            continue;
        };
        let key = source.store_key.clone();
        let decode = source.decode;
        let result = store
            .run(move |s| {
                let r = book.learn_from_store(s, &key, &decode);
                (book, r)
            })
            .await;
        store.close(STORE_CLOSE).await;
        let (b, r) = result?;
        book = b;
        if let Err(e) = r {
            eprintln!("postie: {}", sanitize_line(&e.to_string()));
        }
    }
    Ok(book)
}

pub async fn run_contacts(args: &SourceArgs, op: ContactsOp) -> Result<u8> {
    let book = book().await?;
    match op {
        ContactsOp::Import(files) => import(book, files).await,
        ContactsOp::Export(path) => {
            let (accounts, _) = sources(args).await?;
            export(learned(accounts, book).await?, path).await
        }
        ContactsOp::Query {
            query,
            json,
            mutt,
            limit,
        } => {
            let (accounts, query_command) = sources(args).await?;
            let book = learned(accounts, book).await?;
            let outside = match query_command {
                Some(cmd) => match crate::contacts::external::query(&cmd, &query).await {
                    Ok(found) => found,
                    Err(e) => {
                        eprintln!(
                            "postie: {}",
                            t!(
                                "contacts.query_failed",
                                error = sanitize_line(&e.to_string())
                            )
                        );
                        Vec::new()
                    }
                },
                None => Vec::new(),
            };
            query_book(book, &query, json, mutt, limit, outside).await
        }
    }
}

async fn import(book: Book, files: Vec<PathBuf>) -> Result<u8> {
    let (lines, bad) = tokio::task::spawn_blocking(move || {
        let mut book = book;
        let mut lines = Vec::new();
        let mut bad = false;
        for f in &files {
            let shown = sanitize_line(&f.display().to_string()).into_owned();
            let read = std::fs::read(f)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    cards::read(&cards::decode_text(&bytes)).map_err(|e| match e {
                        cards::CardsError::Unknown => t!("contacts.unknown_file").into_owned(),
                        cards::CardsError::NoEmailColumn(h) => {
                            t!("contacts.no_email_column", columns = h.join(", ")).into_owned()
                        }
                    })
                });
            match read.and_then(|c| {
                let n = c.len();
                book.add_cards(&c)
                    .map(|r| (n, r))
                    .map_err(|e| e.to_string())
            }) {
                Ok((n, (added, known))) => lines.push(
                    t!(
                        "contacts.imported",
                        file = shown,
                        cards = n,
                        added = added,
                        known = known
                    )
                    .into_owned(),
                ),
                Err(why) => {
                    bad = true;
                    lines.push(format!("{shown}: {}", sanitize_line(&why)));
                }
            }
        }
        (lines, bad)
    })
    .await?;
    for l in lines {
        println!("{l}");
    }
    Ok(u8::from(bad))
}

async fn export(book: Book, path: PathBuf) -> Result<u8> {
    if path.exists() {
        return Err(anyhow!(
            "{}",
            t!(
                "export.exists",
                path = sanitize_line(&path.display().to_string())
            )
        ));
    }
    let n = tokio::task::spawn_blocking(move || -> Result<usize> {
        let all = book.all()?;
        let mut list: Vec<cards::Card> = all
            .iter()
            .map(|c| cards::Card {
                name: c.name.clone(),
                emails: vec![c.email.clone()],
                groups: c.groups.clone(),
                is_group: false,
            })
            .collect();
        list.extend(book.groups()?.into_iter().map(|(g, emails)| cards::Card {
            name: g,
            emails,
            groups: Vec::new(),
            is_group: true,
        }));
        write_new(&path, cards::write_vcards(&list).as_bytes())?;
        Ok(all.len())
    })
    .await??;
    println!("{}", t!("contacts.exported", n = n));
    Ok(0)
}

/// Writes a new file (never over one), synced.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

async fn query_book(
    book: Book,
    query: &str,
    json: bool,
    mutt: bool,
    limit: usize,
    outside: Vec<(String, String)>,
) -> Result<u8> {
    let now = chrono::Utc::now().timestamp();
    let matcher = tokio::task::spawn_blocking(move || book.matcher(now)).await??;
    let limit = if limit == 0 { usize::MAX } else { limit };
    let mut hits: Vec<Entry> = matcher.find(query, limit).into_iter().cloned().collect();
    // The external book's answers after postie's own, each address once.
    for (email, name) in outside {
        if hits.len() >= limit {
            break;
        }
        if !hits.iter().any(|h| h.email.eq_ignore_ascii_case(&email)) {
            hits.push(Entry::contact(&name, &email, 0.0));
        }
    }
    if json {
        let list: Vec<serde_json::Value> = hits
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "email": e.email,
                    "address": e.address(),
                    "group": e.is_group(),
                    "members": e.members,
                    "score": e.score,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else if mutt {
        // mutt's query_command: a line of text first, then one match a line,
        // address TAB name TAB other information.
        println!("{}", t!("contacts.mutt_header", n = hits.len()));
        for e in &hits {
            let address = if e.is_group() {
                e.address()
            } else {
                e.email.clone()
            };
            let other = if e.is_group() {
                t!("contacts.group").into_owned()
            } else {
                String::new()
            };
            println!(
                "{}\t{}\t{}",
                sanitize_line(&address).replace('\t', " "),
                sanitize_line(&e.name).replace('\t', " "),
                other
            );
        }
    } else {
        for e in &hits {
            println!("{}", sanitize_line(&e.address()));
        }
    }
    // As grep and mutt's query expect: 1 when nothing matched.
    Ok(u8::from(hits.is_empty()))
}
