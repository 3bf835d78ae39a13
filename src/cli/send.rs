//! `postie send`: a message from the command line (body on stdin) or a
//! prepared draft file, through the same builder, Drafts and Sent as the
//! reader. Exit 0 only after the server's 250; on failure the message is
//! in Drafts and the error says where.

use rust_i18n::t;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};

use crate::accounts::SourceArgs;
use crate::config::Config;
use crate::mime::DecodeOptions;
use crate::send::compose::{ComposeKind, Identity};
use crate::send::draft::Draft;
use crate::send::outbox;
use crate::store::{Flags, Folder, Store, StoreHandle};
use crate::uidl::Uidl;

/// What `postie send` was given.
#[derive(Debug, Clone, Default)]
pub struct SendArgs {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: Option<String>,
    pub attach: Vec<PathBuf>,
    pub in_reply_to: Option<String>,
    pub draft: Option<PathBuf>,
}

/// Largest body read from stdin.
const MAX_BODY: u64 = 32 * 1024 * 1024;

fn read_body() -> Result<String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(MAX_BODY + 1)
        .read_to_end(&mut buf)
        .context("cannot read the message body from standard input")?;
    if buf.len() as u64 > MAX_BODY {
        return Err(anyhow!("the body on standard input is larger than 32 MB"));
    }
    String::from_utf8(buf).map_err(|e| {
        anyhow!(
            "the body on standard input is not UTF-8 (invalid byte at offset {}); convert it first, e.g. with iconv -f GBK -t UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

fn absolute(p: &std::path::Path) -> PathBuf {
    let p = crate::paths::expand_tilde(p);
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
    }
}

/// The message as a draft, before any store or server is involved.
fn draft_from_args(a: &SendArgs, identity: &Identity) -> Result<Draft> {
    if let Some(file) = &a.draft {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow!("{} is not UTF-8 text", file.display()))?;
        let mut d = Draft::parse(&text);
        if d.from.trim().is_empty() {
            d.from = identity.from.clone();
        }
        d.attach.extend(a.attach.iter().map(|p| absolute(p)));
        return Ok(d);
    }
    let body = read_body()?;
    Ok(Draft {
        from: identity.from.clone(),
        to: a.to.join(", "),
        cc: a.cc.join(", "),
        bcc: a.bcc.join(", "),
        subject: a.subject.clone().unwrap_or_default(),
        attach: a.attach.iter().map(|p| absolute(p)).collect(),
        body: crate::send::build::with_signature(&body, identity.signature.as_deref()),
        ..Draft::default()
    })
}

pub async fn run(args: &SourceArgs, a: SendArgs) -> Result<u8> {
    let explicit = args.config.clone();
    let wanted = args.account.clone();
    let setup = tokio::task::spawn_blocking(move || -> Result<_> {
        let config = Config::load(explicit.as_deref())?.ok_or_else(|| {
            anyhow!(
                "{}",
                t!(
                    "send.needs_account",
                    path = crate::paths::config_file().display()
                )
            )
        })?;
        for w in &config.warnings {
            eprintln!("postie: {}", t!("out.warning", text = w));
        }
        let (name, account) = config.account(wanted.as_deref())?;
        let identity = crate::accounts::identity(account, name)?;
        if account.smtp.is_none() {
            // Said before anything is read or stored.
            crate::accounts::smtp_settings(account, name, None)?;
        }
        Ok((name.to_string(), account.clone(), identity))
    })
    .await
    .context("the config reader stopped")??;
    let (name, account, identity) = setup;
    if args.demo {
        return Err(anyhow!("the demo mailbox cannot send mail"));
    }
    let decode = crate::accounts::decode_options(&account);
    let root = crate::store::default_root(&name);
    let key = crate::store::account_key(account.host.trim(), &account.user);
    let store = tokio::task::spawn_blocking(move || Store::open(&root, &key, decode))
        .await
        .context("the store stopped")??;
    let store = StoreHandle::start(store);
    let result = send_with(args, &a, &name, &account, &identity, &store, decode).await;
    store.close(std::time::Duration::from_secs(10)).await;
    result
}

async fn send_with(
    args: &SourceArgs,
    a: &SendArgs,
    name: &str,
    account: &crate::config::AccountConfig,
    identity: &Identity,
    store: &StoreHandle,
    decode: DecodeOptions,
) -> Result<u8> {
    let id2 = identity.clone();
    let a2 = a.clone();
    let mut draft = tokio::task::spawn_blocking(move || draft_from_args(&a2, &id2))
        .await
        .context("reading the message stopped")??;
    if let Some(u) = &a.in_reply_to {
        let original = answered(args, store, u, decode).await?;
        let reply =
            crate::send::compose::new_draft(ComposeKind::Reply, identity, Some(&original), vec![]);
        if draft.to.trim().is_empty() {
            draft.to = reply.to;
        }
        if draft.subject.trim().is_empty() {
            draft.subject = reply.subject;
        }
        draft.in_reply_to = reply.in_reply_to;
        draft.references = reply.references;
        draft.answers = reply.answers;
    }
    if draft.subject.trim().is_empty() && a.draft.is_none() {
        return Err(anyhow!("give --subject (or --in-reply-to UIDL)"));
    }
    // Addresses that cannot be sent to are refused before anything is
    // written: a draft of them would only have to be thrown away.
    crate::send::build::check(&draft).map_err(|e| anyhow!("{e}"))?;
    // In Drafts before anything goes out: a failure or a crash loses nothing.
    let text = draft.render();
    let (id, path) = store
        .run(move |s| {
            s.put_local(
                Folder::Drafts,
                text.as_bytes(),
                Flags::DRAFT.with(Flags::SEEN),
            )
        })
        .await
        .map_err(|_| anyhow!("the local store stopped"))??;
    let (n, acct) = (name.to_string(), account.clone());
    let smtp = tokio::task::spawn_blocking(move || crate::accounts::smtp_settings(&acct, &n, None))
        .await
        .context("the password reader stopped")?;
    let smtp = match smtp {
        Ok(s) => s,
        Err(e) => {
            return Err(anyhow!(
                "{e}; the message is kept in Drafts: {}",
                path.display()
            ));
        }
    };
    match outbox::send_draft(store, &smtp, None, &id).await {
        Ok(sent) => {
            println!(
                "{}",
                t!(
                    "out.sent",
                    recipients = sent.recipients.join(", "),
                    ms = sent.elapsed.as_millis(),
                    path = sent.path.display()
                )
            );
            Ok(0)
        }
        Err(f) => {
            let sanitized = crate::text::sanitize::sanitize_line(&f.reason).into_owned();
            let kept = t!("out.not_sent", error = sanitized, path = path.display());
            if f.may_have_been_sent {
                eprintln!("postie: {kept} {}", t!("out.may_have_been_sent"));
            } else {
                eprintln!("postie: {kept}");
            }
            Ok(f.class.exit_code())
        }
    }
}

/// The message being answered: from the store, else retrieved (and kept).
async fn answered(
    args: &SourceArgs,
    store: &StoreHandle,
    uidl: &str,
    decode: DecodeOptions,
) -> Result<crate::send::compose::Original> {
    let u = uidl.to_string();
    let stored = store
        .run(move |s| s.path(&u).ok().flatten().is_some())
        .await
        .unwrap_or(false);
    if !stored {
        let source = crate::accounts::resolve(args).await?;
        super::fetch_into(&source, store.clone(), &Uidl::from(uidl)).await?;
    }
    let u = uidl.to_string();
    store
        .run(move |s| outbox::original(s, &u, &decode).map(|(o, _)| o))
        .await
        .map_err(|_| anyhow!("the local store stopped"))?
        .map_err(|e| anyhow!("--in-reply-to {uidl}: {e}"))
}
