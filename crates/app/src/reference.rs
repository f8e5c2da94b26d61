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
    pub async fn departments(&self) -> Result<Vec<NamedCode>> {
        Ok(store::reference::departments(&self.db).await?)
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
        Ok(store::chain::options(&self.db).await?)
    }
    pub async fn chains(&self) -> Result<Vec<ChainRow>> {
        Ok(store::chain::list(&self.db).await?)
    }
}
