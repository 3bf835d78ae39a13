//! Threads (`t`): the JWZ algorithm (jwz.org/doc/threading.html) over
//! Message-ID, In-Reply-To and References, with subject grouping for
//! clients that drop References (`Re:`, `回复：`, `转发：`… stripped, as
//! replies strip them). Pure and synchronous: the reader runs it on a
//! blocking thread and keeps the rows by UIDL, so a result that arrives
//! after the list changed still applies.

use std::collections::HashMap;
use std::sync::Arc;

use crate::mime::Summary;
use crate::uidl::Uidl;

/// One message as threading sees it.
pub struct Input {
    pub uidl: Uidl,
    pub summary: Option<Arc<Summary>>,
    /// Its place in arrival order (0 = newest): the tie-break.
    pub arrival: u32,
}

/// A threading job for the blocking pool: the list's messages, shared.
#[derive(Clone)]
pub struct Job {
    pub inputs: Arc<Vec<Input>>,
    /// Which request this answers (a later one replaces it).
    pub generation: u64,
    /// The list's version when the job was made.
    pub version: u64,
}

impl Job {
    pub fn run(&self) -> Layout {
        let mut layout = thread(&self.inputs);
        layout.version = self.version;
        layout
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Job({} messages, #{})",
            self.inputs.len(),
            self.generation
        )
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Job) -> bool {
        Arc::ptr_eq(&self.inputs, &other.inputs) && self.generation == other.generation
    }
}

impl Eq for Job {}

/// One row of the threaded list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub uidl: Uidl,
    /// The message's `Input::arrival` (its place in the list the job saw).
    pub arrival: u32,
    pub depth: u16,
    /// The tree drawn before the subject (`├─>`, `│ └─>`); empty for a root.
    pub prefix: Arc<str>,
    /// Messages in this row's thread (set on roots; 0 on the others).
    pub thread_size: u32,
}

/// The whole layout: threads newest first (by their newest message), each
/// root followed by its replies in date order, depth first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub rows: Vec<Row>,
    /// The list's version the job saw (`MessageList::version`): while it is
    /// unchanged, a row's `arrival` is its place in the list.
    pub version: u64,
}

/// Levels of a tree drawn before the subject; deeper ones start with `…`.
const MAX_DRAWN_DEPTH: usize = 12;

/// Message-IDs in a header (`<a@b> <c@d>`), in order, without the brackets.
fn ids(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let id = rest[open + 1..open + close].trim();
        if !id.is_empty() {
            out.push(id);
        }
        rest = &rest[open + close + 1..];
    }
    out
}

struct Node {
    /// The message (an index into the inputs), or none for an ID only referred to.
    message: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn is_ancestor(&self, maybe: usize, of: usize) -> bool {
        let mut at = Some(of);
        // Bounded: a loop in the links cannot hang (links are only made when
        // they make none, but be sure).
        for _ in 0..=self.nodes.len() {
            match at {
                Some(a) if a == maybe => return true,
                Some(a) => at = self.nodes[a].parent,
                None => return false,
            }
        }
        true
    }

    fn link(&mut self, parent: usize, child: usize) {
        if parent == child || self.is_ancestor(child, parent) {
            return;
        }
        if let Some(old) = self.nodes[child].parent {
            self.nodes[old].children.retain(|&c| c != child);
        }
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
    }
}

/// Threads `inputs`.
pub fn thread(inputs: &[Input]) -> Layout {
    // A date that cannot be read counts as the date of the message that
    // arrived just after it (it stays where it arrived).
    let mut by_arrival: Vec<usize> = (0..inputs.len()).collect();
    by_arrival.sort_by_key(|&i| inputs[i].arrival);
    let inherited = super::order::inherited_dates(
        by_arrival
            .iter()
            .map(|&i| inputs[i].summary.as_deref().and_then(|s| s.timestamp())),
    );
    let mut dates = vec![0i64; inputs.len()];
    for (k, &i) in by_arrival.iter().enumerate() {
        dates[i] = inherited[k];
    }
    let dates = &dates;
    let mut tree = Tree { nodes: Vec::new() };
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut node_of = vec![0usize; inputs.len()];
    let new_node = |tree: &mut Tree, message: Option<usize>| {
        tree.nodes.push(Node {
            message,
            parent: None,
            children: Vec::new(),
        });
        tree.nodes.len() - 1
    };
    // 1. A node per message, by Message-ID (a missing or repeated ID gets a node of its own).
    for (i, m) in inputs.iter().enumerate() {
        let id = m
            .summary
            .as_deref()
            .map(|s| s.message_id().trim())
            .unwrap_or("");
        let id = id.trim_start_matches('<').trim_end_matches('>');
        let n = match by_id.get(id) {
            Some(&n) if !id.is_empty() && tree.nodes[n].message.is_none() => {
                tree.nodes[n].message = Some(i);
                n
            }
            _ => {
                let n = new_node(&mut tree, Some(i));
                if !id.is_empty() {
                    by_id.entry(id).or_insert(n);
                }
                n
            }
        };
        node_of[i] = n;
    }
    // 2. References, then In-Reply-To, as a chain of parents.
    for (i, m) in inputs.iter().enumerate() {
        let Some(s) = m.summary.as_deref() else {
            continue;
        };
        let mut chain: Vec<&str> = ids(s.references());
        let irt = ids(s.in_reply_to());
        if let Some(last) = irt.last() {
            if chain.last() != Some(last) {
                chain.push(last);
            }
        }
        let own = s
            .message_id()
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        chain.retain(|id| *id != own);
        let mut prev: Option<usize> = None;
        for id in chain {
            let n = match by_id.get(id) {
                Some(&n) => n,
                None => {
                    let n = new_node(&mut tree, None);
                    by_id.insert(id, n);
                    n
                }
            };
            if let Some(p) = prev {
                // An earlier link wins (JWZ): only orphans are adopted here.
                if tree.nodes[n].parent.is_none() {
                    tree.link(p, n);
                }
            }
            prev = Some(n);
        }
        if let Some(p) = prev {
            // The message's own parent is its last reference.
            tree.link(p, node_of[i]);
        }
    }
    // 3. Roots; empty containers give way to their children.
    let mut roots: Vec<usize> = (0..tree.nodes.len())
        .filter(|&n| tree.nodes[n].parent.is_none())
        .collect();
    let date = |tree: &Tree, n: usize| -> (i64, u32) {
        let i = tree.nodes[n].message.unwrap_or(0);
        (dates[i], u32::MAX - inputs[i].arrival)
    };
    let mut out_roots = Vec::new();
    while let Some(r) = roots.pop() {
        if tree.nodes[r].message.is_some() {
            out_roots.push(r);
            continue;
        }
        let mut kids = std::mem::take(&mut tree.nodes[r].children);
        for &k in &kids {
            tree.nodes[k].parent = None;
        }
        if kids.is_empty() {
            continue;
        }
        // A missing parent: its oldest reply stands in for it, the others under it.
        kids.sort_by_key(|&k| first_message_date(&tree, inputs, dates, k));
        let head = kids.remove(0);
        for k in kids {
            tree.link(head, k);
        }
        roots.push(head);
    }
    // 4. Subject grouping: a root that is a reply (Re:, 回复：) with no known
    // parent joins the root of the same base subject that is not one.
    let base = |n: usize| -> Option<(String, bool)> {
        let s = inputs[tree.nodes[n].message?].summary.as_deref()?;
        let b = crate::mime::subject::base_subject(s.subject())
            .trim()
            .to_lowercase();
        (!b.is_empty()).then(|| {
            (
                b.clone(),
                b.len() != s.subject().trim().to_lowercase().len(),
            )
        })
    };
    let bases: Vec<(usize, Option<(String, bool)>)> =
        out_roots.iter().map(|&r| (r, base(r))).collect();
    let mut heads: HashMap<String, usize> = HashMap::new();
    for (r, b) in &bases {
        let r = *r;
        if let Some((b, false)) = b.clone() {
            match heads.get(&b) {
                Some(&h) if date(&tree, h) <= date(&tree, r) => {}
                _ => {
                    heads.insert(b, r);
                }
            }
        }
    }
    let mut joined = Vec::new();
    for (r, b) in bases {
        if let Some((b, true)) = b {
            if let Some(&h) = heads.get(&b) {
                if h != r {
                    tree.link(h, r);
                    joined.push(r);
                }
            }
        }
    }
    out_roots.retain(|r| !joined.contains(r));
    // 5. Threads newest first by their newest message; replies by date.
    let mut keyed: Vec<((i64, u32), usize)> = out_roots
        .iter()
        .map(|&r| (newest(&tree, inputs, dates, r), r))
        .collect();
    keyed.sort_by_key(|k| std::cmp::Reverse(k.0));
    let mut rows = Vec::with_capacity(inputs.len());
    for (_, r) in keyed {
        let start = rows.len();
        walk(&tree, inputs, dates, r, &mut rows);
        let size = (rows.len() - start) as u32;
        if let Some(first) = rows.get_mut(start) {
            first.thread_size = size;
        }
    }
    Layout { rows, version: 0 }
}

fn msg_key(tree: &Tree, inputs: &[Input], dates: &[i64], n: usize) -> (i64, u32) {
    match tree.nodes[n].message {
        Some(i) => (dates[i], u32::MAX - inputs[i].arrival),
        None => (0, 0),
    }
}

/// The date of the first message at or below `n`.
fn first_message_date(tree: &Tree, inputs: &[Input], dates: &[i64], n: usize) -> (i64, u32) {
    let mut stack = vec![n];
    let mut best = (i64::MAX, u32::MAX);
    while let Some(x) = stack.pop() {
        if tree.nodes[x].message.is_some() {
            best = best.min(msg_key(tree, inputs, dates, x));
        }
        stack.extend(&tree.nodes[x].children);
    }
    best
}

/// The newest message at or below `n` (what a thread sorts by).
fn newest(tree: &Tree, inputs: &[Input], dates: &[i64], n: usize) -> (i64, u32) {
    let mut stack = vec![n];
    let mut best = (i64::MIN, 0);
    while let Some(x) = stack.pop() {
        if tree.nodes[x].message.is_some() {
            best = best.max(msg_key(tree, inputs, dates, x));
        }
        stack.extend(&tree.nodes[x].children);
    }
    best
}

/// Depth first, replies oldest first; per level above, whether more
/// siblings follow (a `│` to draw).
fn walk(tree: &Tree, inputs: &[Input], dates: &[i64], n: usize, out: &mut Vec<Row>) {
    // Iterative over the children so a deep chain cannot overflow the stack.
    let mut stack: Vec<(usize, u16, Vec<bool>)> = vec![(n, 0, Vec::new())];
    while let Some((x, d, lines)) = stack.pop() {
        if let Some(i) = tree.nodes[x].message {
            let mut prefix = String::new();
            if d > 0 {
                if usize::from(d) > lines.len() {
                    // Deeper than the tree is drawn: the rest is implied.
                    prefix.push('…');
                }
                for &more in &lines[..lines.len().saturating_sub(1)] {
                    prefix.push_str(if more { "│ " } else { "  " });
                }
                prefix.push_str(if lines.last() == Some(&true) {
                    "├─>"
                } else {
                    "└─>"
                });
            }
            out.push(Row {
                uidl: inputs[i].uidl.clone(),
                arrival: inputs[i].arrival,
                depth: d,
                prefix: Arc::from(prefix),
                thread_size: 0,
            });
        }
        let mut kids = tree.nodes[x].children.clone();
        kids.sort_by_key(|&k| first_message_date(tree, inputs, dates, k));
        let count = kids.len();
        // Pushed in reverse so the oldest comes out first.
        for (j, k) in kids.into_iter().enumerate().rev() {
            let mut l = lines.clone();
            l.push(j + 1 < count);
            if l.len() > MAX_DRAWN_DEPTH {
                l.remove(0);
            }
            stack.push((k, d.saturating_add(1), l));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::DecodeOptions;

    fn msg(uidl: &str, arrival: u32, headers: &str) -> Input {
        let raw = format!("{headers}\r\n\r\n");
        Input {
            uidl: uidl.into(),
            summary: Some(Arc::new(Summary::from_headers(
                raw.as_bytes(),
                &DecodeOptions::default(),
            ))),
            arrival,
        }
    }

    fn shown(l: &Layout) -> Vec<String> {
        l.rows
            .iter()
            .map(|r| format!("{}{}", r.prefix, r.uidl))
            .collect()
    }

    #[test]
    fn references_chains_in_reply_to_missing_parents_and_subjects() {
        let inputs = vec![
            // Newest first, as the list holds them.
            msg("r3", 0, "Message-ID: <r3@x>\r\nReferences: <p@x> <r1@x>\r\nIn-Reply-To: <r1@x>\r\nSubject: Re: plan\r\nDate: Thu, 04 Jan 2024 10:00:00 +0000"),
            msg("q", 1, "Message-ID: <q@x>\r\nSubject: 回复：季度报告\r\nDate: Wed, 03 Jan 2024 10:00:00 +0000"),
            msg("r2", 2, "Message-ID: <r2@x>\r\nIn-Reply-To: <p@x>\r\nSubject: Re: plan\r\nDate: Tue, 02 Jan 2024 12:00:00 +0000"),
            msg("o1", 3, "Message-ID: <o1@x>\r\nReferences: <gone@x>\r\nSubject: Re: lost\r\nDate: Tue, 02 Jan 2024 11:00:00 +0000"),
            msg("o2", 4, "Message-ID: <o2@x>\r\nIn-Reply-To: <gone@x>\r\nSubject: Re: lost\r\nDate: Tue, 02 Jan 2024 11:30:00 +0000"),
            msg("r1", 5, "Message-ID: <r1@x>\r\nReferences: <p@x>\r\nSubject: Re: plan\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000"),
            msg("s", 6, "Message-ID: <s@x>\r\nSubject: 季度报告\r\nDate: Mon, 01 Jan 2024 11:00:00 +0000"),
            msg("p", 7, "Message-ID: <p@x>\r\nSubject: plan\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000"),
        ];
        let l = thread(&inputs);
        assert_eq!(
            shown(&l),
            [
                // The plan thread has the newest message (r3): first.
                "p",
                "├─>r1",
                "│ └─>r3",
                "└─>r2",
                // 回复：季度报告 without References joins 季度报告.
                "s",
                "└─>q",
                // A missing parent: the oldest reply stands in for it.
                "o1",
                "└─>o2",
            ]
        );
        assert_eq!(l.rows[0].thread_size, 4);
        assert_eq!(l.rows[4].thread_size, 2);
        assert_eq!(l.rows[1].thread_size, 0);
    }

    #[test]
    fn loops_and_self_references_do_not_hang() {
        let inputs = vec![
            msg(
                "a",
                0,
                "Message-ID: <a@x>\r\nReferences: <b@x> <a@x>\r\nSubject: x",
            ),
            msg(
                "b",
                1,
                "Message-ID: <b@x>\r\nReferences: <a@x>\r\nIn-Reply-To: <a@x>\r\nSubject: x",
            ),
            msg(
                "c",
                2,
                "Message-ID: <c@x>\r\nReferences: <c@x> <c@x>\r\nSubject: y",
            ),
            msg("d", 3, "Message-ID: <a@x>\r\nSubject: duplicate id"),
        ];
        let l = thread(&inputs);
        let mut got: Vec<String> = l.rows.iter().map(|r| r.uidl.to_string()).collect();
        got.sort();
        assert_eq!(got, ["a", "b", "c", "d"], "every message once");
    }

    #[test]
    fn a_deep_chain_is_fine() {
        let inputs: Vec<Input> = (0..5000)
            .map(|i| {
                let refs = if i > 0 {
                    format!("\r\nIn-Reply-To: <m{}@x>", i - 1)
                } else {
                    String::new()
                };
                msg(
                    &format!("m{i}"),
                    5000 - i,
                    &format!("Message-ID: <m{i}@x>{refs}\r\nSubject: chain"),
                )
            })
            .collect();
        let l = thread(&inputs);
        assert_eq!(l.rows.len(), 5000);
        assert_eq!(l.rows[4999].depth, 4999);
    }
}
