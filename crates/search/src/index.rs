//! The enterprise index: schema, writes in one commit per call, scope-filtered search with
//! highlighting, and the applied change-feed sequence number kept in the commit payload.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use domain::role::EnterpriseScope;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Score, Searcher, TantivyDocument,
    Term,
};

use crate::SearchError;
use crate::tokenizer::{JiebaTokenizer, TOKENIZER_NAME};

/// Writer heap shared by the indexing threads.
const WRITER_HEAP_BYTES: usize = 50_000_000;
/// At most this many hits are returned per page.
pub const MAX_LIMIT: usize = 1000;
/// Only the first this many characters of a query are looked at.
pub const MAX_QUERY_CHARS: usize = 256;
/// At most this many distinct query words are searched for.
const MAX_QUERY_WORDS: usize = 64;
/// Snippet length limit. Tantivy counts it in bytes: about 80 Chinese characters.
const SNIPPET_MAX_BYTES: usize = 240;
const KIND_ENTERPRISE: &str = "enterprise";
const PAYLOAD_PREFIX: &str = "last_applied=";

/// An enterprise as the index sees it: what the `app` layer reads from the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnterpriseDoc {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub former_names: Vec<String>,
    pub products: Vec<String>,
    /// 经营范围 or description.
    pub scope: String,
    pub address: String,
    /// County code (GB/T 2260), used for scope filtering.
    pub region: String,
    /// Park code (e.g. `5117P1`), if the enterprise is in a park.
    pub park: Option<String>,
    /// Codes of the chains the enterprise belongs to.
    pub chains: Vec<String>,
    /// Department codes leading those chains.
    pub lead_departments: Vec<String>,
}

/// One page of hits and the number of all visible hits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResult {
    pub total: usize,
    pub items: Vec<Hit>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// `"enterprise"`.
    pub kind: String,
    pub id: i64,
    /// The enterprise's name, plain text.
    pub title: String,
    pub uscc: String,
    pub region: String,
    /// HTML: the matched words in `<em>`, everything else escaped. From the name, products,
    /// business scope, former names or address, the first of them that matched; otherwise the
    /// escaped name (with the matched USCC prefix in `<em>` for a USCC search).
    pub highlight: String,
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    /// `kind:id`: the identity a write replaces or deletes.
    key: Field,
    kind: Field,
    uscc: Field,
    /// Every prefix of the USCC from 6 to 17 characters, one term each, so that a prefix
    /// search is one posting list instead of a union over thousands of codes.
    uscc_prefix: Field,
    name: Field,
    former_names: Field,
    products: Field,
    scope: Field,
    address: Field,
    region: Field,
    /// The prefecture and province codes above `region`, so a prefecture grant covers its counties.
    region_parent: Field,
    park: Field,
    chains: Field,
    lead_departments: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let zh = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TOKENIZER_NAME).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        uscc: b.add_text_field("uscc", STRING | STORED),
        uscc_prefix: b.add_text_field("uscc_prefix", STRING),
        name: b.add_text_field("name", zh.clone()),
        former_names: b.add_text_field("former_names", zh.clone()),
        products: b.add_text_field("products", zh.clone()),
        scope: b.add_text_field("scope", zh.clone()),
        address: b.add_text_field("address", zh),
        region: b.add_text_field("region", STRING | STORED),
        region_parent: b.add_text_field("region_parent", STRING),
        park: b.add_text_field("park", STRING | STORED),
        chains: b.add_text_field("chains", STRING | STORED),
        lead_departments: b.add_text_field("lead_departments", STRING | STORED),
    };
    (b.build(), fields)
}

fn key_of(id: i64) -> String {
    format!("{KIND_ENTERPRISE}:{id}")
}

fn normalize_uscc(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// The prefecture (`xxxx00`) and province (`xx0000`) codes above a six-character region code.
fn region_ancestors(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    if code.len() == 6 && code.is_ascii() {
        for parent in [format!("{}00", &code[..4]), format!("{}0000", &code[..2])] {
            if parent != code && !out.contains(&parent) {
                out.push(parent);
            }
        }
    }
    out
}

/// The shortest USCC prefix searched as one (the six-digit registration region).
const USCC_MIN_PREFIX: usize = 6;

/// A query that looks like (the start of) a USCC: 6 to 18 ASCII letters and digits.
fn uscc_prefix(q: &str) -> Option<String> {
    let q = q.trim();
    ((USCC_MIN_PREFIX..=18).contains(&q.len()) && q.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| q.to_ascii_uppercase())
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

fn encode_payload(last_applied: Option<i64>) -> String {
    last_applied.map(|s| format!("{PAYLOAD_PREFIX}{s}")).unwrap_or_default()
}

fn decode_payload(payload: Option<&str>) -> Option<i64> {
    payload?.trim().strip_prefix(PAYLOAD_PREFIX)?.parse().ok()
}

/// What a scope lets through.
enum Visibility {
    All,
    Terms(Vec<Term>),
    Nothing,
}

/// The enterprise search index, in a directory or in memory. Cheap to share behind an `Arc`:
/// searches run concurrently, writes take the one writer in turn.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    /// The sequence number recorded in the last commit; changed only with the writer locked.
    last_applied: Mutex<Option<i64>>,
    fields: Fields,
    tokenizer: JiebaTokenizer,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("docs", &self.count()).finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and the index when missing. An index
    /// written with another schema is replaced by an empty one (reindex it).
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Directory { path: dir.to_path_buf(), source })?;
        let directory = MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let (schema, fields) = build_schema();
        let existing = if Index::exists(&directory).map_err(tantivy::TantivyError::from)? {
            Some(Index::open(directory.clone())?)
        } else {
            None
        };
        let index = match existing {
            Some(index) if index.schema() == schema => index,
            _ => Index::create(directory, schema, IndexSettings::default())?,
        };
        SearchIndex::from_index(index, fields)
    }

    /// A fresh index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = build_schema();
        let index = Index::builder().schema(schema).create_in_ram()?;
        SearchIndex::from_index(index, fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        let tokenizer = JiebaTokenizer::new();
        index.tokenizers().register(TOKENIZER_NAME, tokenizer.clone());
        let last_applied = decode_payload(index.load_metas()?.payload.as_deref());
        let writer = index.writer(WRITER_HEAP_BYTES)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(writer),
            last_applied: Mutex::new(last_applied),
            fields,
            tokenizer,
        })
    }

    fn lock(&self) -> MutexGuard<'_, IndexWriter<TantivyDocument>> {
        match self.writer.lock() {
            Ok(writer) => writer,
            Err(poisoned) => {
                // A panic while writing left at most staged operations behind: drop them, the
                // committed index is consistent.
                let mut writer = poisoned.into_inner();
                let _ = writer.rollback();
                self.writer.clear_poison();
                writer
            }
        }
    }

    /// Replaces the documents of these enterprises (by id), in one commit.
    pub fn upsert(&self, docs: &[EnterpriseDoc]) -> Result<(), SearchError> {
        self.apply(docs, &[], None)
    }

    /// Removes these enterprises, in one commit. Unknown ids are ignored.
    pub fn delete(&self, ids: &[i64]) -> Result<(), SearchError> {
        self.apply(&[], ids, None)
    }

    /// Upserts `upserts`, then deletes `deletes`, and when `applied_seq` is given records it
    /// as [`last_applied`](Self::last_applied): all in one commit, so the index never claims a
    /// change it does not contain.
    pub fn apply(
        &self,
        upserts: &[EnterpriseDoc],
        deletes: &[i64],
        applied_seq: Option<i64>,
    ) -> Result<(), SearchError> {
        let mut writer = self.lock();
        let staged = (|| -> Result<(), SearchError> {
            for doc in upserts {
                writer.delete_term(Term::from_field_text(self.fields.key, &key_of(doc.id)));
                writer.add_document(self.to_document(doc))?;
            }
            for &id in deletes {
                writer.delete_term(Term::from_field_text(self.fields.key, &key_of(id)));
            }
            Ok(())
        })();
        if let Err(e) = staged {
            let _ = writer.rollback();
            return Err(e);
        }
        let seq = applied_seq.or(self.last_applied());
        self.commit(&mut writer, seq)
    }

    /// Removes every document and forgets [`last_applied`](Self::last_applied).
    pub fn clear(&self) -> Result<(), SearchError> {
        let mut writer = self.lock();
        if let Err(e) = writer.delete_all_documents() {
            let _ = writer.rollback();
            return Err(e.into());
        }
        self.commit(&mut writer, None)
    }

    /// Number of documents visible to searches.
    pub fn count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The last change-feed sequence number recorded with [`set_last_applied`](Self::set_last_applied)
    /// or [`apply`](Self::apply), persisted with the index; `None` for a new or cleared index.
    pub fn last_applied(&self) -> Option<i64> {
        *self.last_applied.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the last change-feed sequence number the index has applied, in a commit.
    pub fn set_last_applied(&self, seq: i64) -> Result<(), SearchError> {
        let mut writer = self.lock();
        self.commit(&mut writer, Some(seq))
    }

    fn commit(&self, writer: &mut IndexWriter<TantivyDocument>, seq: Option<i64>) -> Result<(), SearchError> {
        let result = (|| -> Result<(), tantivy::TantivyError> {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&encode_payload(seq));
            prepared.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = writer.rollback();
            return Err(e.into());
        }
        *self.last_applied.lock().unwrap_or_else(PoisonError::into_inner) = seq;
        // The reload policy would catch up within milliseconds; a caller reads its own writes.
        self.reader.reload()?;
        Ok(())
    }

    fn to_document(&self, d: &EnterpriseDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_text(f.key, key_of(d.id));
        doc.add_text(f.kind, KIND_ENTERPRISE);
        let uscc = normalize_uscc(&d.uscc);
        if uscc.is_ascii() {
            for len in USCC_MIN_PREFIX..uscc.len().min(18) {
                doc.add_text(f.uscc_prefix, &uscc[..len]);
            }
        }
        doc.add_text(f.uscc, uscc);
        doc.add_text(f.name, &d.name);
        for n in &d.former_names {
            doc.add_text(f.former_names, n);
        }
        for p in &d.products {
            doc.add_text(f.products, p);
        }
        doc.add_text(f.scope, &d.scope);
        doc.add_text(f.address, &d.address);
        let region = d.region.trim();
        doc.add_text(f.region, region);
        for parent in region_ancestors(region) {
            doc.add_text(f.region_parent, parent);
        }
        let raw = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        if let Some(park) = d.park.as_deref().and_then(raw) {
            doc.add_text(f.park, park);
        }
        for c in d.chains.iter().filter_map(|c| raw(c)) {
            doc.add_text(f.chains, c);
        }
        for dep in d.lead_departments.iter().filter_map(|d| raw(d)) {
            doc.add_text(f.lead_departments, dep);
        }
        doc
    }

    fn visibility(&self, scope: &EnterpriseScope) -> Visibility {
        if scope.read_all {
            return Visibility::All;
        }
        let f = &self.fields;
        let mut terms = Vec::new();
        let values =
            |vs: &[String]| vs.iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect::<Vec<_>>();
        for r in values(&scope.regions) {
            for field in [f.region, f.park, f.region_parent] {
                terms.push(Term::from_field_text(field, &r));
            }
        }
        for c in values(&scope.chains_read) {
            terms.push(Term::from_field_text(f.chains, &c));
        }
        for d in values(&scope.lead_departments) {
            terms.push(Term::from_field_text(f.lead_departments, &d));
        }
        for u in values(&scope.own_usccs) {
            terms.push(Term::from_field_text(f.uscc, &normalize_uscc(&u)));
        }
        if terms.is_empty() { Visibility::Nothing } else { Visibility::Terms(terms) }
    }

    /// Searches enterprises for `q` among those `scope` may read: `total` counts all visible
    /// hits, `items` is the page `offset..offset + limit` (limit capped at [`MAX_LIMIT`]) by
    /// score, ties by id. Any text is accepted; one without words gives an empty result.
    pub fn search(
        &self,
        q: &str,
        scope: &EnterpriseScope,
        limit: usize,
        offset: usize,
    ) -> Result<SearchResult, SearchError> {
        let visibility = self.visibility(scope);
        if matches!(visibility, Visibility::Nothing) {
            return Ok(SearchResult::default());
        }
        let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
        let mut words = self.tokenizer.query_words(&q);
        words.truncate(MAX_QUERY_WORDS);
        let uscc = uscc_prefix(&q);
        let Some(text_query) = self.text_query(&words, uscc.as_deref()) else {
            return Ok(SearchResult::default());
        };
        let query: Box<dyn Query> = match visibility {
            Visibility::All => text_query,
            Visibility::Terms(terms) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_query),
                (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(TermSetQuery::new(terms)), 0.0))),
            ])),
            Visibility::Nothing => return Ok(SearchResult::default()),
        };

        let searcher = self.reader.searcher();
        let num_docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let limit = limit.min(MAX_LIMIT);
        if limit == 0 || offset >= num_docs {
            let total = searcher.search(&*query, &Count)?;
            return Ok(SearchResult { total, items: Vec::new() });
        }
        let limit = limit.min(num_docs - offset);
        let top = TopDocs::with_limit(limit).and_offset(offset).order_by((
            (SortBySimilarityScore, Order::Desc),
            (SortByStaticFastValue::<i64>::for_field("id"), Order::Asc),
        ));
        let (total, top) = searcher.search(&*query, &(Count, top))?;
        let highlighter = Highlighter::new(self, &searcher, &words)?;
        let items = top
            .into_iter()
            .map(|((score, _), addr)| self.hit(&searcher, &highlighter, addr, score, uscc.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResult { total, items })
    }

    /// Each word (or its [alternatives](JiebaTokenizer::alternatives)) over name^3,
    /// former_names^2, products^2, scope and address; about three words in four must match
    /// (all of one or two). Plus the USCC exactly or by prefix. `None` when there is nothing
    /// to look for.
    fn text_query(&self, words: &[String], uscc: Option<&str>) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let weighted = [(f.name, 3.0), (f.former_names, 2.0), (f.products, 2.0), (f.scope, 1.0), (f.address, 1.0)];
        let mut per_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in words {
            let mut forms = vec![word.clone()];
            forms.extend(self.tokenizer.alternatives(word));
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (i, form) in forms.iter().enumerate() {
                // A bigram standing in for the word weighs half.
                let form_weight = if i == 0 { 1.0 } else { 0.5 };
                for (field, boost) in weighted {
                    let term = TermQuery::new(Term::from_field_text(field, form), IndexRecordOption::WithFreqs);
                    clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost * form_weight))));
                }
            }
            per_word.push((Occur::Should, Box::new(BooleanQuery::new(clauses))));
        }
        let mut top: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !per_word.is_empty() {
            let required = per_word.len() - per_word.len() / 4;
            top.push((Occur::Should, Box::new(BooleanQuery::with_minimum_required_clauses(per_word, required))));
        }
        if let Some(prefix) = uscc {
            let exact = TermQuery::new(Term::from_field_text(f.uscc, prefix), IndexRecordOption::Basic);
            top.push((Occur::Should, Box::new(ConstScoreQuery::new(Box::new(exact), 20.0))));
            if prefix.len() < 18 {
                let by_prefix = TermQuery::new(Term::from_field_text(f.uscc_prefix, prefix), IndexRecordOption::Basic);
                top.push((Occur::Should, Box::new(ConstScoreQuery::new(Box::new(by_prefix), 10.0))));
            }
        }
        match top.len() {
            0 => None,
            1 => top.pop().map(|(_, q)| q),
            _ => Some(Box::new(BooleanQuery::new(top))),
        }
    }

    fn hit(
        &self,
        searcher: &Searcher,
        highlighter: &Highlighter,
        addr: DocAddress,
        score: Score,
        uscc_prefix: Option<&str>,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let f = &self.fields;
        let first = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let all = |field: Field| doc.get_all(field).filter_map(|v| v.as_str()).collect::<Vec<_>>().join("、");
        let name = first(f.name);
        let uscc = first(f.uscc);
        let texts = [
            (f.name, name.clone()),
            (f.products, all(f.products)),
            (f.scope, first(f.scope)),
            (f.former_names, all(f.former_names)),
            (f.address, first(f.address)),
        ];
        let highlight =
            texts.iter().find_map(|(field, text)| highlighter.highlight(*field, text)).unwrap_or_else(|| {
                match uscc_prefix.filter(|p| uscc.starts_with(p)) {
                    Some(p) => format!("<em>{}</em>{}", escape_html(p), escape_html(&uscc[p.len()..])),
                    None => escape_html(&name),
                }
            });
        Ok(Hit {
            kind: first(f.kind),
            id: doc.get_first(f.id).and_then(|v| v.as_i64()).unwrap_or_default(),
            title: name,
            uscc,
            region: first(f.region),
            highlight,
            score,
        })
    }
}

/// One snippet generator per highlighted field, for one query.
struct Highlighter {
    generators: Vec<(Field, SnippetGenerator)>,
}

impl Highlighter {
    fn new(index: &SearchIndex, searcher: &Searcher, words: &[String]) -> Result<Highlighter, SearchError> {
        let f = &index.fields;
        let mut generators = Vec::new();
        for field in [f.name, f.products, f.scope, f.former_names, f.address] {
            let mut terms = BTreeMap::new();
            let forms = words.iter().flat_map(|w| std::iter::once(w.clone()).chain(index.tokenizer.alternatives(w)));
            for word in forms {
                let doc_freq = searcher.doc_freq(&Term::from_field_text(field, &word))?;
                if doc_freq > 0 {
                    terms.insert(word, 1.0 / (1.0 + doc_freq as Score));
                }
            }
            if terms.is_empty() {
                continue;
            }
            let set: HashSet<String> = terms.keys().cloned().collect();
            let analyzer = TextAnalyzer::from(index.tokenizer.highlighter(Arc::new(set)));
            generators.push((field, SnippetGenerator::new(terms, analyzer, field, SNIPPET_MAX_BYTES)));
        }
        Ok(Highlighter { generators })
    }

    fn highlight(&self, field: Field, text: &str) -> Option<String> {
        let (_, generator) = self.generators.iter().find(|(f, _)| *f == field)?;
        let mut snippet = generator.snippet(text);
        if snippet.is_empty() {
            return None;
        }
        snippet.set_snippet_prefix_postfix("<em>", "</em>");
        Some(snippet.to_html())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors() {
        assert_eq!(region_ancestors("511722"), vec!["511700", "510000"]);
        assert_eq!(region_ancestors("511700"), vec!["510000"]);
        assert_eq!(region_ancestors("510000"), Vec::<String>::new());
        assert_eq!(region_ancestors("5117P1"), vec!["511700", "510000"]);
        assert!(region_ancestors("达州").is_empty());
    }

    #[test]
    fn payload_round_trip() {
        assert_eq!(decode_payload(Some(&encode_payload(Some(42)))), Some(42));
        assert_eq!(decode_payload(Some(&encode_payload(None))), None);
        assert_eq!(decode_payload(None), None);
        assert_eq!(decode_payload(Some("garbage")), None);
    }

    #[test]
    fn uscc_detection() {
        assert_eq!(uscc_prefix(" 91511700ma6 "), Some("91511700MA6".to_string()));
        assert_eq!(uscc_prefix("9151"), None);
        assert_eq!(uscc_prefix("碳酸锂123456"), None);
        assert_eq!(uscc_prefix("1234567890123456789"), None);
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;");
    }
}
