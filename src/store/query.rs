//! What the reader's limit patterns ask the full-text index (`to:`,
//! `body:`), and what it answers: plain data, so `app` can hold it and the
//! store can answer it.

use std::collections::HashSet;

use super::index::TextQuery;
use super::{Folder, Store, StoreError};
use crate::uidl::Uidl;

/// What the full-text index is asked for a pattern: every part must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexQuery {
    pub body: Vec<String>,
    pub to: Vec<String>,
    /// Negated parts (`-body:x`): rows matching these are left out.
    pub not_body: Vec<String>,
    pub not_to: Vec<String>,
}

/// What the full-text index answered for a pattern's `to:`/`body:` parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexHits {
    /// The rows the positive parts found (None: there were none).
    pub only: Option<HashSet<Uidl>>,
    /// The rows a negated part found.
    pub except: HashSet<Uidl>,
}

impl IndexHits {
    pub fn admits(&self, u: &Uidl) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(u)) && !self.except.contains(u)
    }
}

impl Store {
    /// The rows of `folder` the full-text index finds for `query`'s parts.
    pub fn index_hits(
        &mut self,
        folder: &Folder,
        query: IndexQuery,
    ) -> Result<IndexHits, StoreError> {
        let mut find = |q: TextQuery| -> Result<HashSet<Uidl>, StoreError> {
            Ok(self
                .search_text(&q)?
                .into_iter()
                .filter(|f| f.folder == *folder)
                .map(|f| Uidl::from(f.uidl))
                .collect())
        };
        let only = if query.body.is_empty() && query.to.is_empty() {
            None
        } else {
            Some(find(TextQuery {
                any: Vec::new(),
                body: query.body,
                to: query.to,
            })?)
        };
        let mut except = HashSet::new();
        for w in query.not_body {
            except.extend(find(TextQuery {
                body: vec![w],
                ..TextQuery::default()
            })?);
        }
        for w in query.not_to {
            except.extend(find(TextQuery {
                to: vec![w],
                ..TextQuery::default()
            })?);
        }
        Ok(IndexHits { only, except })
    }
}
