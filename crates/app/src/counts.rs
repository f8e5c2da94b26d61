//! Totals of the enterprise list, cached per (scope, filter) and tagged with the change
//! feed's head when they were counted. Counting 300,000 rows on every page view is what
//! kept a province-scale list from serving many clients at once; the page itself is an
//! index walk of a few rows.
//!
//! Correctness rests on one rule, which every write that adds, removes, archives, moves or
//! re-classifies an enterprise (or changes its chains) already follows for the search index:
//! it appends to `change_feed` in its own transaction. A total is reused only while the
//! feed's head is the one it was counted at, so it is never older than the last such write,
//! on this instance or any other sharing the database. Reading the head before counting
//! makes a race harmless: the stored total is at least as new as its tag.

use domain::role::EnterpriseScope;
use std::collections::HashMap;
use std::sync::Mutex;
use store::enterprise::Filter;

/// Entries kept before the cache starts over (each is a short key and two integers).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(crate) struct CountCache {
    map: Mutex<HashMap<String, (i64, i64)>>,
}

/// What a total depends on: the scope and the filter, not the page or the order.
pub(crate) fn key(scope: &EnterpriseScope, f: &Filter) -> String {
    format!("{scope:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}", f.region, f.industry, f.size, f.chain, f.above_scale, f.q)
}

impl CountCache {
    /// The total counted at feed head `head`, if there is one.
    pub(crate) fn get(&self, key: &str, head: i64) -> Option<i64> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(h, _)| *h == head).map(|(_, n)| *n)
    }

    pub(crate) fn put(&self, key: String, head: i64, n: i64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (head, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_is_reused_only_at_the_head_it_was_counted_at() {
        let c = CountCache::default();
        let s = EnterpriseScope { read_all: true, ..Default::default() };
        let k = key(&s, &Filter::default());
        assert_eq!(c.get(&k, 7), None);
        c.put(k.clone(), 7, 42);
        assert_eq!(c.get(&k, 7), Some(42));
        assert_eq!(c.get(&k, 8), None, "a newer feed head makes the total stale");
        let other = key(&s, &Filter { region: Some("511702".into()), ..Default::default() });
        assert_ne!(k, other);
        assert_eq!(c.get(&other, 7), None);
        let paged = key(&s, &Filter { page: 9, sort: Some("uscc".into()), ..Default::default() });
        assert_eq!(k, paged, "page and order do not change a total");
    }
}
