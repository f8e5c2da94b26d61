//! Full-text search of Qianglian: a tantivy index of enterprises with Chinese segmentation
//! by jieba (plus the industry dictionary under `data/search/`), every query filtered by the
//! caller's [`EnterpriseScope`](domain::role::EnterpriseScope) inside the query itself, so
//! totals and pages never count what the caller may not see.
//!
//! The index is derived data: the `app` layer fills it from the store ([`SearchIndex::upsert`],
//! [`SearchIndex::apply`]) and records the change-feed sequence number it has applied
//! ([`SearchIndex::set_last_applied`]) in the same commit, so a server instance resumes
//! following the feed where it stopped. An index whose schema no longer matches is recreated
//! empty on open (its [`SearchIndex::last_applied`] is then `None`: reindex).

mod index;
mod tokenizer;

pub use index::{EnterpriseDoc, Hit, MAX_LIMIT, MAX_QUERY_CHARS, SearchIndex, SearchResult};
pub use tokenizer::{JiebaTokenizer, TOKENIZER_NAME, VecTokenStream, industry_terms, tokenize};

/// What can go wrong with the index. None of these is the caller's fault: they are logged
/// and shown as a server error.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("搜索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("无法创建搜索索引目录 {path}：{source}")]
    Directory { path: std::path::PathBuf, source: std::io::Error },
}
