//! Full-text search. Each server instance keeps its own tantivy index and follows the
//! change feed table by sequence number, so several instances on one PostgreSQL all stay
//! current; a search first catches up with the feed, so callers see their own writes.

use crate::account::Principal;
use crate::{App, AppError, Result};
use search::{EnterpriseDoc, SearchResult};
use std::collections::{BTreeMap, HashMap};

fn search_error(e: search::SearchError) -> AppError {
    AppError::Internal(format!("search: {e}"))
}

impl App {
    fn index(&self) -> Result<&search::SearchIndex> {
        self.search.as_deref().ok_or_else(|| AppError::Internal("search index not attached".into()))
    }

    async fn docs(&self, ids: &[i64]) -> Result<(Vec<EnterpriseDoc>, Vec<i64>)> {
        let (rows, extra) = store::enterprise::search_rows(&self.db, ids).await?;
        let mut by: HashMap<i64, Vec<store::enterprise::IdText>> = HashMap::new();
        for x in extra {
            by.entry(x.id).or_default().push(x);
        }
        let mut docs = Vec::new();
        let mut gone = Vec::new();
        for r in rows {
            if r.archived {
                gone.push(r.id);
                continue;
            }
            let x = by.remove(&r.id).unwrap_or_default();
            let of = |k: &str| {
                let mut v: Vec<String> = x.iter().filter(|t| t.kind == k).map(|t| t.value.clone()).collect();
                v.dedup();
                v
            };
            docs.push(EnterpriseDoc {
                id: r.id,
                uscc: r.uscc,
                name: r.name,
                former_names: of("former_name"),
                products: of("product"),
                scope: r.description,
                address: r.address,
                region: r.region_code,
                park: r.park_code,
                chains: of("chain"),
                lead_departments: of("lead_department"),
            });
        }
        // Ids asked for but not found were removed outright.
        for id in ids {
            if !docs.iter().any(|d| d.id == *id) && !gone.contains(id) {
                gone.push(*id);
            }
        }
        Ok((docs, gone))
    }

    /// Rebuilds this instance's index from the database; returns the number of documents.
    pub async fn reindex(&self, progress: &(dyn Fn(usize) + Sync)) -> Result<usize> {
        let idx = self.index()?;
        let _g = self.search_sync.lock().await;
        let head = store::feed::head(&self.db).await?;
        idx.clear().map_err(search_error)?;
        let mut after = 0;
        let mut n = 0;
        loop {
            let ids = store::enterprise::ids_after(&self.db, after, 2000).await?;
            let Some(last) = ids.last().copied() else { break };
            let (docs, _) = self.docs(&ids).await?;
            n += docs.len();
            idx.upsert(&docs).map_err(search_error)?;
            progress(n);
            after = last;
        }
        idx.set_last_applied(head).map_err(search_error)?;
        Ok(n)
    }

    /// Applies the change feed since the index's last applied number. An empty index that has
    /// never applied anything is rebuilt whole.
    pub async fn sync_search(&self) -> Result<()> {
        let idx = self.index()?;
        if idx.last_applied().is_none() {
            self.reindex(&|_| {}).await?;
            return Ok(());
        }
        let _g = self.search_sync.lock().await;
        loop {
            let last = idx.last_applied().unwrap_or(0);
            let changes = store::feed::since(&self.db, last, 5000).await?;
            let Some(max) = changes.last().map(|c| c.seq) else { return Ok(()) };
            // The last operation on an id wins.
            let mut ops: BTreeMap<i64, bool> = BTreeMap::new();
            for c in changes.iter().filter(|c| c.entity == "enterprise") {
                ops.insert(c.entity_id, c.op == "upsert");
            }
            let up: Vec<i64> = ops.iter().filter(|(_, u)| **u).map(|(id, _)| *id).collect();
            let mut del: Vec<i64> = ops.iter().filter(|(_, u)| !**u).map(|(id, _)| *id).collect();
            let (docs, gone) = self.docs(&up).await?;
            del.extend(gone);
            idx.apply(&docs, &del, Some(max)).map_err(search_error)?;
        }
    }

    /// Searches what the caller may read.
    pub async fn search(&self, p: &Principal, q: &str, limit: usize, offset: usize) -> Result<SearchResult> {
        p.ensure_active()?;
        self.sync_search().await?;
        self.index()?.search(q, &p.enterprise_scope, limit.clamp(1, 100), offset.min(10_000)).map_err(search_error)
    }
}
