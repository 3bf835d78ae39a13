# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_postie_global_optspecs
    string join \n config= account= demo h/help V/version
end

function __fish_postie_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_postie_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_postie_using_subcommand
    set -l cmd (__fish_postie_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c postie -n "__fish_postie_needs_command" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_needs_command" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_needs_command" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_needs_command" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_needs_command" -s V -l version -d 'Print version'
complete -c postie -n "__fish_postie_needs_command" -f -a "list" -d 'Print the mailbox, newest first, then exit'
complete -c postie -n "__fish_postie_needs_command" -f -a "show" -d 'Print one message decoded for reading (or its raw bytes), then exit'
complete -c postie -n "__fish_postie_needs_command" -f -a "fetch" -d 'Download new messages into the local store, then apply leave_on_server'
complete -c postie -n "__fish_postie_needs_command" -f -a "send" -d 'Send a message (body from stdin, UTF-8) over SMTP; a copy goes to Sent'
complete -c postie -n "__fish_postie_needs_command" -f -a "search" -d 'Search the local store: senders, subjects, recipients, stored bodies, attachment names'
complete -c postie -n "__fish_postie_needs_command" -f -a "setup" -d 'Add an account: proposes the provider\'s servers, tests the logins, writes the config'
complete -c postie -n "__fish_postie_needs_command" -f -a "folder" -d 'Your own folders: list them, create, rename or delete one (its mail goes to Trash)'
complete -c postie -n "__fish_postie_needs_command" -f -a "move" -d 'Move (or copy) stored messages to a folder, by UIDL or by a pattern'
complete -c postie -n "__fish_postie_needs_command" -f -a "filter" -d 'Run the account\'s filter rules over a folder (default INBOX)'
complete -c postie -n "__fish_postie_needs_command" -f -a "import" -d 'Bring in mail from other programs: .eml files, directories of them, mbox files, Maildirs, Thunderbird\'s Mail/'
complete -c postie -n "__fish_postie_needs_command" -f -a "export" -d 'Write a folder out as a backup any mail program reads: one mbox file, or one .eml file a message'
complete -c postie -n "__fish_postie_needs_command" -f -a "contacts" -d 'Your address book: find someone (pinyin and initials too), import vCard or CSV, export vCard'
complete -c postie -n "__fish_postie_needs_command" -f -a "completions" -d 'Print a completion script for a shell (bash, zsh, fish) on stdout'
complete -c postie -n "__fish_postie_needs_command" -f -a "save" -d 'Save a message\'s attachments (all, or the K-th listed by show); prints each path'
complete -c postie -n "__fish_postie_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postie -n "__fish_postie_using_subcommand list" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand list" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand list" -l json -d 'One JSON array: number, uidl, size, date, from, from_address, subject, seen, flagged, answered, stored, on_server'
complete -c postie -n "__fish_postie_using_subcommand list" -l offline -d 'Print what the local store knows without contacting the server'
complete -c postie -n "__fish_postie_using_subcommand list" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand list" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand show" -l uidl -d 'Select the message by its UIDL instead' -r
complete -c postie -n "__fish_postie_using_subcommand show" -l file -d 'A saved message file (.eml), decoded exactly as a fetched one would be' -r -F
complete -c postie -n "__fish_postie_using_subcommand show" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand show" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand show" -l raw -d 'Write the message exactly as retrieved (dot-unstuffed)'
complete -c postie -n "__fish_postie_using_subcommand show" -l html -d 'Print the HTML part as text (numbered links) instead of the text part'
complete -c postie -n "__fish_postie_using_subcommand show" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand show" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand fetch" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand fetch" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand fetch" -l all -d 'Every account in the config'
complete -c postie -n "__fish_postie_using_subcommand fetch" -l json -d 'One JSON array: an object per account with new, downloaded, bytes, deleted'
complete -c postie -n "__fish_postie_using_subcommand fetch" -l quiet -d 'Print nothing on success'
complete -c postie -n "__fish_postie_using_subcommand fetch" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand fetch" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand send" -l to -d 'Recipient (repeatable; `Name <addr>` or addr)' -r
complete -c postie -n "__fish_postie_using_subcommand send" -l cc -d 'Copy to (repeatable; `Name <addr>` or addr)' -r
complete -c postie -n "__fish_postie_using_subcommand send" -l bcc -d 'Blind copy: in the envelope only, never in the message or its Sent copy' -r
complete -c postie -n "__fish_postie_using_subcommand send" -l subject -d 'The subject (UTF-8; Chinese is encoded for you)' -r
complete -c postie -n "__fish_postie_using_subcommand send" -l attach -d 'A file to attach (repeatable)' -r -F
complete -c postie -n "__fish_postie_using_subcommand send" -l in-reply-to -d 'Answer this message (by UIDL): threading headers, `Re:` subject, its sender as To by default' -r
complete -c postie -n "__fish_postie_using_subcommand send" -l draft -d 'Send a prepared message file (header lines, a blank line, the body) instead of stdin' -r -F
complete -c postie -n "__fish_postie_using_subcommand send" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand send" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand send" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand send" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand search" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand search" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand search" -l json -d 'One JSON array, as `list --json` prints it'
complete -c postie -n "__fish_postie_using_subcommand search" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand search" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand setup" -l providers -d 'A provider table (the format of assets/providers.toml) merged over the shipped one' -r -F
complete -c postie -n "__fish_postie_using_subcommand setup" -l signin -d 'Sign an OAuth account in again (its grant was revoked or expired)' -r
complete -c postie -n "__fish_postie_using_subcommand setup" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand setup" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand setup" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand setup" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -f -a "list" -d 'Every folder, with how many messages and how many unread'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -f -a "create" -d 'Make a folder (levels with /: 项目/二期)'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -f -a "rename" -d 'Rename a folder (its sub-folders go along)'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -f -a "delete" -d 'Delete a folder and its sub-folders; their mail goes to Trash'
complete -c postie -n "__fish_postie_using_subcommand folder; and not __fish_seen_subcommand_from list create rename delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from list" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from list" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from create" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from create" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from create" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from rename" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from rename" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from rename" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from delete" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from delete" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from delete" -l yes -d 'Delete it even when it holds mail (the mail goes to Trash)'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from delete" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every folder, with how many messages and how many unread'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from help" -f -a "create" -d 'Make a folder (levels with /: 项目/二期)'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename a folder (its sub-folders go along)'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a folder and its sub-folders; their mail goes to Trash'
complete -c postie -n "__fish_postie_using_subcommand folder; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postie -n "__fish_postie_using_subcommand move" -l uidl -d 'The message to move, by UIDL (repeatable)' -r
complete -c postie -n "__fish_postie_using_subcommand move" -l search -d 'Every stored message (of any other folder) this pattern matches, as in rules: \'from:boss@ subject:合同\'' -r
complete -c postie -n "__fish_postie_using_subcommand move" -l to -d 'The folder to move to (created when missing; / between levels)' -r
complete -c postie -n "__fish_postie_using_subcommand move" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand move" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand move" -l copy -d 'Copy instead of moving'
complete -c postie -n "__fish_postie_using_subcommand move" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand move" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand filter" -l folder -d 'The folder to run the rules over' -r
complete -c postie -n "__fish_postie_using_subcommand filter" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand filter" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand filter" -l dry-run -d 'Print what would move where, change nothing'
complete -c postie -n "__fish_postie_using_subcommand filter" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand filter" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand import" -l folder -d 'The folder to import into (default: one named after each PATH, e.g. "Foxmail import"); sub-folders are kept below it' -r
complete -c postie -n "__fish_postie_using_subcommand import" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand import" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand import" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand import" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand export" -l mbox -d 'One mboxrd file, flags in mutt\'s Status/X-Status headers (must not exist yet)' -r -F
complete -c postie -n "__fish_postie_using_subcommand export" -l eml -d 'One .eml file a message in DIR (made if missing), named like "2024-06-08 周杰 会议纪要.eml"' -r -F
complete -c postie -n "__fish_postie_using_subcommand export" -l search -d 'Only the messages this pattern matches, as in rules: \'from:boss@ subject:合同\'' -r
complete -c postie -n "__fish_postie_using_subcommand export" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand export" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand export" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand export" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand contacts" -l limit -d 'At most N matches (0: all)' -r
complete -c postie -n "__fish_postie_using_subcommand contacts" -l import -d 'Add the contacts of vCard (.vcf) or CSV files from Foxmail, Outlook, Thunderbird, Google or Apple' -r -F
complete -c postie -n "__fish_postie_using_subcommand contacts" -l export -d 'Write every contact and group to FILE as vCard 4.0 (must not exist yet)' -r -F
complete -c postie -n "__fish_postie_using_subcommand contacts" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand contacts" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand contacts" -l json -d 'One JSON array: name, email, address, group, members, score'
complete -c postie -n "__fish_postie_using_subcommand contacts" -l mutt -d 'mutt\'s query_command format (a line, then address TAB name TAB other), for mutt, neomutt and aerc'
complete -c postie -n "__fish_postie_using_subcommand contacts" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand contacts" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand completions" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand completions" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand completions" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand completions" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand save" -l uidl -d 'Select the message by its UIDL instead' -r
complete -c postie -n "__fish_postie_using_subcommand save" -l file -d 'A saved message file (.eml), decoded exactly as a fetched one would be' -r -F
complete -c postie -n "__fish_postie_using_subcommand save" -l part -d 'Save only attachment K (as numbered by `show`); repeatable' -r
complete -c postie -n "__fish_postie_using_subcommand save" -l dir -d 'Directory to save into (default: download_dir, else $XDG_DOWNLOAD_DIR, else ~/Downloads)' -r -F
complete -c postie -n "__fish_postie_using_subcommand save" -l config -d 'Config file (default: $POSTIE_CONFIG, else $XDG_CONFIG_HOME/postie/config.toml)' -r -F
complete -c postie -n "__fish_postie_using_subcommand save" -l account -d 'Account to use (default: default_account, else the first in the config)' -r
complete -c postie -n "__fish_postie_using_subcommand save" -l demo -d 'Use the built-in demo mailbox, whatever the config says'
complete -c postie -n "__fish_postie_using_subcommand save" -s h -l help -d 'Print help'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "list" -d 'Print the mailbox, newest first, then exit'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "show" -d 'Print one message decoded for reading (or its raw bytes), then exit'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "fetch" -d 'Download new messages into the local store, then apply leave_on_server'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "send" -d 'Send a message (body from stdin, UTF-8) over SMTP; a copy goes to Sent'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "search" -d 'Search the local store: senders, subjects, recipients, stored bodies, attachment names'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "setup" -d 'Add an account: proposes the provider\'s servers, tests the logins, writes the config'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "folder" -d 'Your own folders: list them, create, rename or delete one (its mail goes to Trash)'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "move" -d 'Move (or copy) stored messages to a folder, by UIDL or by a pattern'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "filter" -d 'Run the account\'s filter rules over a folder (default INBOX)'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "import" -d 'Bring in mail from other programs: .eml files, directories of them, mbox files, Maildirs, Thunderbird\'s Mail/'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "export" -d 'Write a folder out as a backup any mail program reads: one mbox file, or one .eml file a message'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "contacts" -d 'Your address book: find someone (pinyin and initials too), import vCard or CSV, export vCard'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "completions" -d 'Print a completion script for a shell (bash, zsh, fish) on stdout'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "save" -d 'Save a message\'s attachments (all, or the K-th listed by show); prints each path'
complete -c postie -n "__fish_postie_using_subcommand help; and not __fish_seen_subcommand_from list show fetch send search setup folder move filter import export contacts completions save help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c postie -n "__fish_postie_using_subcommand help; and __fish_seen_subcommand_from folder" -f -a "list" -d 'Every folder, with how many messages and how many unread'
complete -c postie -n "__fish_postie_using_subcommand help; and __fish_seen_subcommand_from folder" -f -a "create" -d 'Make a folder (levels with /: 项目/二期)'
complete -c postie -n "__fish_postie_using_subcommand help; and __fish_seen_subcommand_from folder" -f -a "rename" -d 'Rename a folder (its sub-folders go along)'
complete -c postie -n "__fish_postie_using_subcommand help; and __fish_seen_subcommand_from folder" -f -a "delete" -d 'Delete a folder and its sub-folders; their mail goes to Trash'
