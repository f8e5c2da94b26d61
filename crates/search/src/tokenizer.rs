//! Chinese segmentation for tantivy: jieba-rs in search mode plus the industry dictionary of
//! `data/search/industry_dict.txt`, registered under [`TOKENIZER_NAME`].
//!
//! Indexing uses search mode (`cut_for_search` with HMM), widened for recall (see
//! `search_mode`): `玄武岩纤维布` is indexed as `玄武岩纤维布` and also as `玄武岩纤维`,
//! `玄武岩`, `纤维` and its bigrams. A query keeps only the precise-cut words of its text (the
//! maximal tokens of the same segmentation), so a search for `碳酸锂` asks for `碳酸锂` and
//! not also for every `碳酸…`.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name the tokenizer is registered under in every [`crate::SearchIndex`].
pub const TOKENIZER_NAME: &str = "zh";

/// The industry dictionary, jieba user-dictionary format: `word freq tag` per line.
const INDUSTRY_DICT: &str = include_str!("../../../data/search/industry_dict.txt");

/// The terms of the embedded industry dictionary, in file order.
pub fn industry_terms() -> impl Iterator<Item = &'static str> {
    INDUSTRY_DICT.lines().filter_map(|l| l.split_whitespace().next())
}

/// One jieba with the default and the industry dictionaries, built once per process (loading
/// the default dictionary costs tens of milliseconds) and shared by every tokenizer clone.
fn shared_jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA.get_or_init(|| Arc::new(build_jieba())).clone()
}

fn build_jieba() -> Jieba {
    let mut jieba = Jieba::new();
    for line in INDUSTRY_DICT.lines() {
        let mut parts = line.split_whitespace();
        let Some(word) = parts.next() else { continue };
        // A word the default dictionary already knows keeps its frequency there, so the
        // industry list never makes a common word rarer than it is.
        if jieba.has_word(word) {
            continue;
        }
        let freq = parts.next().and_then(|f| f.parse::<usize>().ok());
        jieba.add_word(word, freq, parts.next());
    }
    jieba
}

/// Lower-cases ASCII and folds full-width ASCII (`ＡＢＣ１２３`) to half-width; `None` for a
/// token with no letter or digit at all (whitespace, punctuation, symbols, emoji).
fn normalize(word: &str) -> Option<String> {
    if !word.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(
        word.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            })
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    )
}

fn token(from: usize, to: usize, text: String, position: usize) -> Token {
    Token { offset_from: from, offset_to: to, position, text, position_length: 1 }
}

/// The tantivy tokenizer: jieba search mode, normalised, punctuation dropped.
#[derive(Clone)]
pub struct JiebaTokenizer {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for JiebaTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiebaTokenizer").finish_non_exhaustive()
    }
}

impl Default for JiebaTokenizer {
    fn default() -> Self {
        JiebaTokenizer::new()
    }
}

impl JiebaTokenizer {
    pub fn new() -> JiebaTokenizer {
        JiebaTokenizer { jieba: shared_jieba() }
    }

    /// The tokens the index stores for `text` (search mode).
    pub fn index_tokens(&self, text: &str) -> Vec<Token> {
        search_mode(&self.jieba, text)
            .into_iter()
            .enumerate()
            .map(|(position, (from, to, word))| token(from, to, word, position))
            .collect()
    }

    /// The words a query asks for: the maximal tokens of the same segmentation (jieba's
    /// precise cut, which search mode extends with sub-words), normalised, in order,
    /// without repeats.
    pub fn query_words(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.jieba
            .cut(text, true)
            .into_iter()
            .filter_map(|t| normalize(t.word))
            .filter(|w| seen.insert(w.clone()))
            .collect()
    }

    /// What else a query word may match: the bigrams of a word of three or more Chinese
    /// characters that is not in the dictionary (a word jieba's HMM made up, which the same
    /// characters in a document's context may not form). Dictionary words match only
    /// themselves, so `碳酸锂` does not find every `碳酸…`.
    pub fn alternatives(&self, word: &str) -> Vec<String> {
        if self.jieba.has_word(word) {
            return Vec::new();
        }
        bigrams(word).into_iter().map(|(a, b)| word[a..b].to_string()).filter(|b| b != word).collect()
    }

    pub(crate) fn highlighter(&self, terms: Arc<HashSet<String>>) -> HighlightTokenizer {
        HighlightTokenizer { jieba: self.jieba.clone(), terms }
    }
}

/// A word of Chinese characters only (no ASCII, no punctuation).
fn is_han_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| !c.is_ascii() && c.is_alphanumeric())
}

/// The character bigrams of a word of three or more Chinese characters, with their byte
/// ranges relative to the word.
fn bigrams(word: &str) -> Vec<(usize, usize)> {
    if !is_han_word(word) {
        return Vec::new();
    }
    let ends: Vec<usize> = word.char_indices().map(|(b, c)| b + c.len_utf8()).collect();
    if ends.len() < 3 {
        return Vec::new();
    }
    let starts: Vec<usize> = word.char_indices().map(|(b, _)| b).collect();
    (0..starts.len() - 1).map(|i| (starts[i], ends[i + 1])).collect()
}

/// The index side of segmentation, as recall-minded as precision allows: jieba's search
/// mode (precise words and the 2- and 3-character dictionary words inside them), every
/// dictionary word of two or more characters anywhere in the text (full mode: `碳酸锂` in
/// `碳酸锂电池`, which the precise cut splits as `碳酸/锂电池`, and `氢氧化锂` inside
/// `单水氢氧化锂`), and the character bigrams of every Chinese word of three or more
/// characters, so a name fragment the dictionary does not know (`普光` of `普光镇`, `通川`
/// of `通川区`) is found. Normalised, punctuation dropped, each byte range once.
fn search_mode(jieba: &Jieba, text: &str) -> Vec<(usize, usize, String)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut push = |from: usize, to: usize, raw: &str| {
        if let Some(word) = normalize(raw)
            && seen.insert((from, to))
        {
            out.push((from, to, word));
        }
    };
    for t in jieba.cut_for_search(text, true) {
        push(t.byte_start, t.byte_end, t.word);
        for (a, b) in bigrams(t.word) {
            push(t.byte_start + a, t.byte_start + b, &t.word[a..b]);
        }
    }
    for t in jieba.cut_all(text) {
        if t.end - t.start >= 2 {
            push(t.byte_start, t.byte_end, t.word);
        }
    }
    out
}

/// Normalised search-mode tokens of `text` as strings, as the index sees them.
pub fn tokenize(text: &str) -> Vec<String> {
    JiebaTokenizer::new().index_tokens(text).into_iter().map(|t| t.text).collect()
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(self.index_tokens(text))
    }
}

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    /// Index of the current token plus one; 0 before the first `advance`.
    next: usize,
    empty: Token,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> VecTokenStream {
        VecTokenStream { tokens, next: 0, empty: Token::default() }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            self.next = self.tokens.len() + 1;
            false
        }
    }

    fn token(&self) -> &Token {
        self.next.checked_sub(1).and_then(|i| self.tokens.get(i)).unwrap_or(&self.empty)
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) if i < self.tokens.len() => &mut self.tokens[i],
            _ => &mut self.empty,
        }
    }
}

/// The tokenizer given to tantivy's `SnippetGenerator` for one query.
///
/// The snippet generator needs tokens whose start and end offsets both only grow (it slices
/// the text between the first and the last token of a fragment), which search mode's
/// overlapping sub-words do not give. So this tokenizer emits the search-mode tokens that are
/// query terms, overlapping ones merged into one token carrying a term's text, and between
/// them the precise-cut words: disjoint tokens in text order.
#[derive(Clone)]
pub(crate) struct HighlightTokenizer {
    jieba: Arc<Jieba>,
    terms: Arc<HashSet<String>>,
}

impl HighlightTokenizer {
    fn tokens(&self, text: &str) -> Vec<Token> {
        let mut matches: Vec<(usize, usize, String)> =
            search_mode(&self.jieba, text).into_iter().filter(|(_, _, w)| self.terms.contains(w)).collect();
        matches.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut merged: Vec<(usize, usize, String)> = Vec::with_capacity(matches.len());
        for (from, to, word) in matches {
            match merged.last_mut() {
                Some(last) if from < last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to, word)),
            }
        }
        let mut out: Vec<(usize, usize, String)> = Vec::new();
        let mut m = 0;
        for t in self.jieba.cut(text, true) {
            let (from, to) = (t.byte_start, t.byte_end);
            while m < merged.len() && merged[m].1 <= from {
                out.push(std::mem::take(&mut merged[m]));
                m += 1;
            }
            let overlaps = merged.get(m).is_some_and(|(mf, mt, _)| *mf < to && from < *mt);
            if !overlaps && let Some(word) = normalize(t.word) {
                out.push((from, to, word));
            }
        }
        out.extend(merged.drain(m..));
        out.into_iter().enumerate().map(|(i, (from, to, word))| token(from, to, word, i)).collect()
    }
}

impl Tokenizer for HighlightTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(self.tokens(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_tokens_are_disjoint_and_ordered() {
        let terms: HashSet<String> = ["玄武岩", "纤维", "碳酸锂"].iter().map(|s| s.to_string()).collect();
        let h = JiebaTokenizer::new().highlighter(Arc::new(terms));
        let text = "生产玄武岩纤维、玄武岩连续纤维和电池级碳酸锂，销售纤维布。";
        let toks = h.tokens(text);
        for w in toks.windows(2) {
            assert!(w[0].offset_to <= w[1].offset_from, "{:?}", toks);
        }
        assert!(toks.iter().all(|t| text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to)));
        let spans: Vec<&str> = toks.iter().map(|t| &text[t.offset_from..t.offset_to]).collect();
        assert!(spans.contains(&"玄武岩") && spans.contains(&"碳酸锂"), "{spans:?}");
    }

    proptest::proptest! {
        /// What tantivy's snippet code relies on: offsets that only grow, on char boundaries.
        #[test]
        fn highlight_tokens_stay_ordered_on_any_text(
            text in "[一-龥玄武岩纤维碳酸锂氢氧化 ，。a-zA-Z0-9ＡＢ😀-]{0,80}",
            picks in proptest::collection::vec(0usize..64, 0..6),
        ) {
            let tokenizer = JiebaTokenizer::new();
            let words = tokenizer.index_tokens(&text);
            let terms: HashSet<String> = picks
                .iter()
                .filter_map(|&i| words.get(i).map(|t| t.text.clone()))
                .chain(["玄武岩纤维".to_string(), "纤维".to_string()])
                .collect();
            let toks = tokenizer.highlighter(Arc::new(terms)).tokens(&text);
            for w in toks.windows(2) {
                proptest::prop_assert!(w[0].offset_to <= w[1].offset_from);
            }
            for t in &toks {
                proptest::prop_assert!(t.offset_from < t.offset_to && t.offset_to <= text.len());
                proptest::prop_assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
            }
        }
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("ＡＢｃ１"), Some("abc1".to_string()));
        assert_eq!(normalize("，"), None);
        assert_eq!(normalize(" "), None);
        assert_eq!(normalize("😀"), None);
    }
}
