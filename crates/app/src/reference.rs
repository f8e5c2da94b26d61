//! Reference data: regions, industries, fields, departments, chains.

use crate::{App, Result};
use store::chain::ChainRow;
use store::reference::{IndustryRow, NamedCode, RegionRow};

impl App {
    pub async fn regions(&self) -> Result<Vec<RegionRow>> {
        Ok(store::reference::regions(&self.db).await?)
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
    pub async fn chains(&self) -> Result<Vec<ChainRow>> {
        Ok(store::chain::list(&self.db).await?)
    }
}
