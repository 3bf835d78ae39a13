//! The command line as clap defines it: one definition for the binary, the
//! completion scripts and the man page (so neither can drift from it).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "postie",
    version,
    about = "A fast, safe terminal mail reader for POP3"
)]
pub struct Args {
    /// Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Account to use (default: default_account, else the first in the config)
    #[arg(long, global = true, value_name = "NAME")]
    pub account: Option<String>,
    /// Use the built-in demo mailbox, whatever the config says
    #[arg(long, global = true)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// Print the HTML part as text (numbered links) instead of the text part
        #[arg(long, conflicts_with = "raw")]
        html: bool,
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
        /// Sign an OAuth account in again (its grant was revoked or expired)
        #[arg(long, value_name = "ACCOUNT", conflicts_with = "providers")]
        signin: Option<String>,
    },
    /// Your own folders: list them, create, rename or delete one (its mail goes to Trash)
    Folder {
        #[command(subcommand)]
        op: FolderCommand,
    },
    /// Move (or copy) stored messages to a folder, by UIDL or by a pattern
    Move {
        /// The message to move, by UIDL (repeatable)
        #[arg(long, value_name = "UIDL", num_args = 1.., required_unless_present = "search", conflicts_with = "search")]
        uidl: Vec<String>,
        /// Every stored message (of any other folder) this pattern matches, as in rules: 'from:boss@ subject:合同'
        #[arg(long, value_name = "PATTERN", allow_hyphen_values = true)]
        search: Option<String>,
        /// The folder to move to (created when missing; / between levels)
        #[arg(long, value_name = "FOLDER")]
        to: String,
        /// Copy instead of moving
        #[arg(long)]
        copy: bool,
    },
    /// Run the account's filter rules over a folder (default INBOX)
    Filter {
        /// The folder to run the rules over
        #[arg(long, value_name = "FOLDER")]
        folder: Option<String>,
        /// Print what would move where, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Bring in mail from other programs: .eml files, directories of them, mbox files, Maildirs, Thunderbird's Mail/
    Import {
        /// .eml files, directories of them (any depth), mbox files, Maildirs, a Thunderbird profile's Mail/ or ImapMail/
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The folder to import into (default: one named after each PATH, e.g. "Foxmail import"); sub-folders are kept below it
        #[arg(long, value_name = "FOLDER")]
        folder: Option<String>,
    },
    /// Write a folder out as a backup any mail program reads: one mbox file, or one .eml file a message
    Export {
        /// The folder to export (INBOX, Sent, 客户/二期 …)
        folder: String,
        /// One mboxrd file, flags in mutt's Status/X-Status headers (must not exist yet)
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "eml",
            conflicts_with = "eml"
        )]
        mbox: Option<PathBuf>,
        /// One .eml file a message in DIR (made if missing), named like "2024-06-08 周杰 会议纪要.eml"
        #[arg(long, value_name = "DIR")]
        eml: Option<PathBuf>,
        /// Only the messages this pattern matches, as in rules: 'from:boss@ subject:合同'
        #[arg(long, value_name = "PATTERN", allow_hyphen_values = true)]
        search: Option<String>,
    },
    /// Your address book: find someone (pinyin and initials too), import vCard or CSV, export vCard
    Contacts {
        /// A name, address, pinyin or initials: zw, zhangwei, 张, wei@ (none: everyone, best first)
        #[arg(allow_hyphen_values = true)]
        query: Option<String>,
        /// One JSON array: name, email, address, group, members, score
        #[arg(long, conflicts_with = "mutt")]
        json: bool,
        /// mutt's query_command format (a line, then address TAB name TAB other), for mutt, neomutt and aerc
        #[arg(long)]
        mutt: bool,
        /// At most N matches (0: all)
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: usize,
        /// Add the contacts of vCard (.vcf) or CSV files from Foxmail, Outlook, Thunderbird, Google or Apple
        #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["query", "export", "json", "mutt"])]
        import: Vec<PathBuf>,
        /// Write every contact and group to FILE as vCard 4.0 (must not exist yet)
        #[arg(long, value_name = "FILE", conflicts_with_all = ["query", "json", "mutt"])]
        export: Option<PathBuf>,
    },
    /// Print a completion script for a shell (bash, zsh, fish) on stdout
    Completions {
        /// The shell
        shell: Shell,
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

/// What `postie folder` does.
#[derive(Subcommand)]
pub enum FolderCommand {
    /// Every folder, with how many messages and how many unread
    List,
    /// Make a folder (levels with /: 项目/二期)
    Create {
        /// The folder's name
        name: String,
    },
    /// Rename a folder (its sub-folders go along)
    Rename {
        /// The folder's name now
        old: String,
        /// Its new name
        new: String,
    },
    /// Delete a folder and its sub-folders; their mail goes to Trash
    Delete {
        /// The folder's name
        name: String,
        /// Delete it even when it holds mail (the mail goes to Trash)
        #[arg(long)]
        yes: bool,
    },
}

/// What `send` is given.
#[derive(clap::Args)]
pub struct SendOpts {
    /// Recipient (repeatable; `Name <addr>` or addr)
    #[arg(long, value_name = "ADDR", required_unless_present_any = ["draft", "in_reply_to"])]
    pub to: Vec<String>,
    /// Copy to (repeatable; `Name <addr>` or addr)
    #[arg(long, value_name = "ADDR")]
    pub cc: Vec<String>,
    /// Blind copy: in the envelope only, never in the message or its Sent copy
    #[arg(long, value_name = "ADDR")]
    pub bcc: Vec<String>,
    /// The subject (UTF-8; Chinese is encoded for you)
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["draft", "in_reply_to"])]
    pub subject: Option<String>,
    /// A file to attach (repeatable)
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Answer this message (by UIDL): threading headers, `Re:` subject, its sender as To by default
    #[arg(long, value_name = "UIDL")]
    pub in_reply_to: Option<String>,
    /// Send a prepared message file (header lines, a blank line, the body) instead of stdin
    #[arg(long, value_name = "FILE", conflicts_with_all = ["to", "cc", "bcc", "subject"])]
    pub draft: Option<PathBuf>,
}

/// Which message `show` and `save` act on.
#[derive(clap::Args)]
pub struct Which {
    /// Message number, as `postie list` shows it
    #[arg(required_unless_present_any = ["uidl", "file"], conflicts_with_all = ["uidl", "file"])]
    pub number: Option<u32>,
    /// Select the message by its UIDL instead
    #[arg(long, value_name = "UIDL", conflicts_with = "file")]
    pub uidl: Option<String>,
    /// A saved message file (.eml), decoded exactly as a fetched one would be
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// The shells `postie completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `postie completions SHELL`: the script, on `out`. The scripts are
/// clap_complete's, made from this definition and shipped in
/// `assets/completions/` (tests/man.rs fails when they are stale), so the
/// binary does not carry the generator.
pub fn completions(shell: Shell, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let script: &str = match shell {
        Shell::Bash => include_str!("../../assets/completions/postie.bash"),
        Shell::Zsh => include_str!("../../assets/completions/_postie"),
        Shell::Fish => include_str!("../../assets/completions/postie.fish"),
    };
    out.write_all(script.as_bytes())
}

/// The command line in the language in use: English as the definition above
/// says it (doc comments: `--help` and the man pages), Chinese from the
/// catalog's `cli.*` entries (`cli.about`, `cli.SUB.about`, `cli.SUB.ARG`,
/// `cli.ARG` for the global options), with clap's own headings and the help
/// and version flags in Chinese too. `tests/i18n.rs` fails when an option
/// has no Chinese entry.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let cmd = Args::command();
    match crate::i18n::current() {
        crate::i18n::Language::En => cmd,
        lang => localize(cmd, lang, ""),
    }
}

/// Every catalog key `command` looks up for Chinese, with where it belongs.
pub fn help_keys() -> Vec<String> {
    use clap::CommandFactory;
    let mut keys = Vec::new();
    collect_keys(&Args::command(), "", &mut keys);
    keys
}

fn key_of(prefix: &str, id: &str) -> String {
    if prefix.is_empty() {
        format!("cli.{id}")
    } else {
        format!("cli.{prefix}.{id}")
    }
}

fn user_args(cmd: &clap::Command) -> impl Iterator<Item = &clap::Arg> {
    cmd.get_arguments()
        .filter(|a| !a.is_global_set() || cmd.get_name() == "postie")
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
}

fn collect_keys(cmd: &clap::Command, prefix: &str, keys: &mut Vec<String>) {
    keys.push(key_of(prefix, "about"));
    for a in user_args(cmd) {
        keys.push(key_of(prefix, a.get_id().as_str()));
    }
    for sub in cmd.get_subcommands() {
        collect_keys(sub, sub.get_name(), keys);
    }
}

fn localize(cmd: clap::Command, lang: crate::i18n::Language, prefix: &str) -> clap::Command {
    use crate::i18n::text_in;
    let heading_options = text_in(lang, "cli.heading.options").into_owned();
    let heading_arguments = text_in(lang, "cli.heading.arguments").into_owned();
    let ids: Vec<(String, bool)> = user_args(&cmd)
        .map(|a| (a.get_id().to_string(), a.is_positional()))
        .collect();
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let is_root = prefix.is_empty();
    let mut cmd = cmd
        .about(text_in(lang, &key_of(prefix, "about")).into_owned())
        .help_template(format!(
            "{{about-with-newline}}\n{}{{usage}}\n\n{{all-args}}{{after-help}}",
            text_in(lang, "cli.heading.usage")
        ))
        .subcommand_help_heading(text_in(lang, "cli.heading.commands").into_owned())
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help(text_in(lang, "cli.flag.help").into_owned())
                .help_heading(heading_options.clone()),
        );
    if is_root {
        cmd = cmd
            .disable_version_flag(true)
            .disable_help_subcommand(true)
            .arg(
                clap::Arg::new("version")
                    .short('V')
                    .long("version")
                    .action(clap::ArgAction::Version)
                    .help(text_in(lang, "cli.flag.version").into_owned())
                    .help_heading(heading_options.clone()),
            );
    }
    for (id, positional) in ids {
        let help = text_in(lang, &key_of(prefix, &id)).into_owned();
        let heading = if positional {
            heading_arguments.clone()
        } else {
            heading_options.clone()
        };
        cmd = cmd.mut_arg(id, |a| a.help(help).help_heading(heading));
    }
    for name in subs {
        cmd = cmd.mut_subcommand(name.clone(), |s| localize(s, lang, &name));
    }
    cmd
}
