//! Reference data: regions, industries, fields, departments, chains.

use crate::{App, Result};
use store::chain::ChainRow;
use store::reference::{IndustryRow, NamedCode, RegionRow};

impl App {
    /// The divisions (reference data, fixed once migrations have loaded them: read once per
    /// process).
    pub async fn regions(&self) -> Result<Vec<RegionRow>> {
        let rows = self.regions.get_or_try_init(|| store::reference::regions(&self.db)).await?;
        Ok(rows.clone())
    }
    pub async fn industries(&self, q: &str, limit: i64) -> Result<Vec<IndustryRow>> {
        Ok(store::reference::search_industries(&self.db, q, limit).await?)
    }
    pub async fn fields(&self) -> Result<Vec<NamedCode>> {
        Ok(store::reference::fields(&self.db).await?)
    }
    /// The departments: reference data loaded at migration, read once per instance.
    pub async fn departments(&self) -> Result<Vec<NamedCode>> {
        let rows = self.departments.get_or_try_init(|| store::reference::departments(&self.db)).await?;
        Ok(rows.clone())
    }
    /// (code, name) of the counties and parks, the places an enterprise is filed under, for
    /// filter drop-downs.
    pub async fn filter_regions(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .regions()
            .await?
            .into_iter()
            .filter(|r| r.kind == "county" || r.kind == "park")
            .map(|r| (r.code, r.name))
            .collect())
    }
    /// (code, name) of every chain, for filter drop-downs.
    pub async fn chain_options(&self) -> Result<Vec<(String, String)>> {
        let head = store::feed::head(&self.db).await?;
        Ok(self.chain_heads_at(head).await?.iter().map(|(c, n, _)| (c.clone(), n.clone())).collect())
    }

    /// (code, name, lead department) of every chain as of feed head `head` or later: read
    /// again only when the feed has moved past the list kept (every new chain appends to it).
    pub(crate) async fn chain_heads_at(&self, head: i64) -> Result<crate::ChainHeads> {
        if let Some((at, heads)) = self.chain_heads.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && *at >= head
        {
            return Ok(heads.clone());
        }
        let heads: crate::ChainHeads = std::sync::Arc::new(store::chain::heads(&self.db).await?);
        *self.chain_heads.lock().unwrap_or_else(|e| e.into_inner()) = Some((head, heads.clone()));
        Ok(heads)
    }
    pub async fn chains(&self) -> Result<Vec<ChainRow>> {
        Ok(store::chain::list(&self.db).await?)
    }
}
