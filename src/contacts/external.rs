//! `query_command`: an external address book (khard, abook, a CardDAV
//! tool) asked as mutt asks it, for `postie contacts` and the reader's
//! completion alike. Async: a child process with a time limit.

use std::time::Duration;

/// How long an external address book may take to answer.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the external address book gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{}", rust_i18n::t!("contacts.query_timeout", secs = QUERY_TIMEOUT.as_secs()))]
    Timeout,
    #[error("{0}")]
    Run(std::io::Error),
}

/// How many answers are read at most.
const MAX_ANSWERS: usize = 1000;

/// `cmd`'s answer for `query` (`%s` replaced by the query, shell-quoted):
/// (address, name) pairs, from mutt's format (a first line, then address
/// TAB name TAB other).
pub async fn query(cmd: &str, query: &str) -> Result<Vec<(String, String)>, QueryError> {
    let quoted = format!("'{}'", query.replace('\'', "'\\''"));
    let line = cmd.replace("%s", &quoted);
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(QueryError::Run)?;
    let out = tokio::time::timeout(QUERY_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| QueryError::Timeout)?
        .map_err(QueryError::Run)?;
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// mutt's `query_command` format: the first line is a message, then one
/// address a line (address TAB name TAB anything).
fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            let email = f.next()?.trim();
            let name = f.next().unwrap_or_default().trim();
            email
                .contains('@')
                .then(|| (email.to_string(), name.to_string()))
        })
        .take(MAX_ANSWERS)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn mutts_format_skips_the_first_line_and_lines_without_an_address() {
        let text =
            "Searching... 2 found\nzhang.wei@corp.cn\t张伟\tcolleague\nnot an address\nli@x.cn\n";
        assert_eq!(
            super::parse(text),
            vec![
                ("zhang.wei@corp.cn".to_string(), "张伟".to_string()),
                ("li@x.cn".to_string(), String::new())
            ]
        );
    }
}
