//! In-memory BM25 index over claim units, built from the store at start and
//! after each write (on the index before it: only new or changed articles
//! are analysed). Terms are the analyser's canonical terms, so aliases,
//! synonyms and negated roots ("unlimited" → "limit") meet in one posting.
//! The features of each unit, analysed at build, are kept in a bounded cache
//! for the judge, so that a candidate is analysed once, not on every query.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::dense::{ANN_MIN_UNITS, Dense};
use crate::engine::domain::{Article, Unit, evidence_text};
use crate::engine::language::{Features, analyze};

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Where a unit lives: (article index, unit index in the article).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct UnitRef {
    article: u32,
    unit: u32,
    len: u32,
}

/// The fields the snapshot saves (`super::snapshot`) are `pub(super)`.
pub struct Index {
    pub(super) articles: Vec<Arc<Article>>,
    pub(super) units: Vec<UnitRef>,
    pub(super) postings: HashMap<String, Vec<(u32, u16)>>,
    pub(super) avg_len: f32,
    /// Unit vectors for semantic retrieval, when the engine has an embedder.
    dense: Option<Dense>,
    /// Analysed units by id; those evicted are analysed again when asked for.
    features: quick_cache::sync::Cache<u32, Arc<Features>>,
}

impl Index {
    /// Indexes the units of `articles`, keeping the features of up to
    /// `cached_features` of them.
    pub fn build(articles: Vec<Arc<Article>>, cached_features: usize) -> Index {
        Self::build_on(articles, cached_features, None)
    }

    /// The index `build` makes, reusing what `earlier` (an index of the same
    /// store before some writes) holds of the articles it has unchanged:
    /// their units are not analysed again (most of a rebuild's time), their
    /// postings are carried over under the units' new ids.
    pub fn build_on(articles: Vec<Arc<Article>>, cached_features: usize, earlier: Option<&Index>) -> Index {
        let features = quick_cache::sync::Cache::new(cached_features.max(1));
        let mut index = Index { articles, units: Vec::new(), postings: HashMap::default(), avg_len: 1.0, dense: None, features };
        let was = earlier.map(|e| first_units_in(&index.articles, e)).unwrap_or_default();
        let mut moved = vec![GONE; earlier.map_or(0, |e| e.units.len())];
        let mut fresh: HashMap<String, Vec<(u32, u16)>> = HashMap::default();
        let mut total_len = 0u64;
        for (a, article) in index.articles.iter().enumerate() {
            for (u, unit) in article.units.iter().enumerate() {
                let id = index.units.len() as u32;
                let len = match (earlier, was.get(a).copied().flatten()) {
                    (Some(earlier), Some(first)) => {
                        let old = first + u as u32;
                        moved[old as usize] = id;
                        if (id as usize) < cached_features
                            && let Some(f) = earlier.features.get(&old)
                        {
                            index.features.insert(id, f);
                        }
                        earlier.units[old as usize].len
                    }
                    _ => {
                        let features = analyze(&evidence_text(article, unit));
                        let mut tf: HashMap<&str, u16> = HashMap::default();
                        for t in features.terms() {
                            *tf.entry(t).or_default() += 1;
                        }
                        for (term, n) in tf {
                            fresh.entry(term.to_string()).or_default().push((id, n));
                        }
                        let len = features.tokens.len() as u32;
                        // Beyond the cache's capacity, inserting would only evict.
                        if (id as usize) < cached_features {
                            index.features.insert(id, Arc::new(features));
                        }
                        len
                    }
                };
                total_len += u64::from(len);
                index.units.push(UnitRef { article: a as u32, unit: u as u32, len });
            }
        }
        index.postings = merged_postings(earlier.map(|e| (&e.postings, moved.as_slice())), fresh);
        index.avg_len = if index.units.is_empty() { 1.0 } else { total_len as f32 / index.units.len() as f32 };
        index
    }

    /// An index as `build` made it (read back from a snapshot); units are
    /// analysed again when first asked for, up to `cached_features` kept.
    pub(super) fn from_parts(articles: Vec<Arc<Article>>, units: Vec<UnitRef>, postings: HashMap<String, Vec<(u32, u16)>>, avg_len: f32, cached_features: usize) -> Index {
        Index { articles, units, postings, avg_len, dense: None, features: quick_cache::sync::Cache::new(cached_features.max(1)) }
    }

    /// Adds unit vectors, one per unit in id order, with their graph if the
    /// store holds at least [`ANN_MIN_UNITS`]: the one they bring (read from
    /// a snapshot), else `earlier`'s while it is current, else a new one.
    pub fn with_dense(self, dense: Dense, earlier: Option<&Index>) -> Index {
        debug_assert_eq!(dense.len(), self.units.len());
        let dense = if dense.ann().is_some() {
            dense
        } else {
            let earlier = earlier.and_then(|e| e.dense().filter(|d| d.ann().is_some()).map(|d| (d, self.unit_ids_from(e))));
            dense.with_graph(ANN_MIN_UNITS, earlier.as_ref().map(|(d, moved)| (*d, moved.as_slice())))
        };
        Index { dense: Some(dense), ..self }
    }

    /// Each unit id of `earlier`: the same unit's id here, or `u32::MAX` if
    /// its article is gone or changed.
    fn unit_ids_from(&self, earlier: &Index) -> Vec<u32> {
        let mut moved = vec![GONE; earlier.units.len()];
        let mut id = 0u32;
        for (article, first) in self.articles.iter().zip(first_units_in(&self.articles, earlier)) {
            let n = article.units.len() as u32;
            if let Some(first) = first {
                (0..n).for_each(|u| moved[(first + u) as usize] = id + u);
            }
            id += n;
        }
        moved
    }

    /// The indexed articles, in id order.
    pub fn articles(&self) -> &[Arc<Article>] {
        &self.articles
    }

    /// For each article here, its first unit id in `earlier` if that holds it
    /// unchanged (same id, content and unit count).
    pub fn first_units_in(&self, earlier: &Index) -> Vec<Option<u32>> {
        first_units_in(&self.articles, earlier)
    }

    pub fn dense(&self) -> Option<&Dense> {
        self.dense.as_ref()
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    pub fn article_count(&self) -> usize {
        self.articles.len()
    }

    /// BM25 inverse document frequency; a term never seen is as rare as can be.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.units.len() as f32;
        let df = self.postings.get(term).map_or(0, Vec::len) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The idf of a term no unit contains.
    pub fn max_idf(&self) -> f32 {
        self.idf("")
    }

    /// The `k` best units for a query, best first, as (unit id, BM25 score).
    pub fn search(&self, query: &Features, k: usize) -> Vec<(u32, f32)> {
        self.search_in(query, k, None)
    }

    /// [`Index::search`] among the units `keep` accepts (all, for `None`).
    pub fn search_in(&self, query: &Features, k: usize, keep: Option<&dyn Fn(u32) -> bool>) -> Vec<(u32, f32)> {
        let mut terms: Vec<&str> = query.terms().collect();
        terms.sort_unstable();
        terms.dedup();
        let mut scores: HashMap<u32, f32> = HashMap::default();
        for term in terms {
            let Some(postings) = self.postings.get(term) else { continue };
            let idf = self.idf(term);
            for &(id, tf) in postings {
                let len = self.units[id as usize].len as f32;
                let tf = f32::from(tf);
                *scores.entry(id).or_default() += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.avg_len));
            }
        }
        let mut ranked: Vec<(u32, f32)> = scores.into_iter().filter(|&(id, _)| keep.is_none_or(|keep| keep(id))).collect();
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }

    /// The analysed text of a unit (`evidence_text`).
    pub fn features(&self, id: u32) -> Arc<Features> {
        if let Some(f) = self.features.get(&id) {
            return f;
        }
        let (article, unit) = self.unit(id);
        let f = Arc::new(analyze(&evidence_text(article, unit)));
        self.features.insert(id, f.clone());
        f
    }

    /// The article and unit behind a unit id from `search`.
    pub fn unit(&self, id: u32) -> (&Arc<Article>, &Unit) {
        let r = self.units[id as usize];
        let article = &self.articles[r.article as usize];
        (article, &article.units[r.unit as usize])
    }
}

/// A unit id of an earlier index whose unit is gone.
const GONE: u32 = u32::MAX;

/// For each of `articles`, the id of its first unit in `earlier` if that
/// holds it unchanged (same id, content and unit count), else `None`.
fn first_units_in(articles: &[Arc<Article>], earlier: &Index) -> Vec<Option<u32>> {
    let mut first = vec![0u32; earlier.articles.len()];
    for (id, r) in earlier.units.iter().enumerate().rev() {
        first[r.article as usize] = id as u32;
    }
    let there: HashMap<&str, usize> = earlier.articles.iter().enumerate().map(|(a, article)| (article.id.as_str(), a)).collect();
    articles
        .iter()
        .map(|article| {
            let &a = there.get(article.id.as_str())?;
            let was = &earlier.articles[a];
            (was.content_hash == article.content_hash && was.units.len() == article.units.len() && !was.units.is_empty()).then(|| first[a])
        })
        .collect()
}

/// `earlier`'s postings under the units' new ids (`moved`; gone ones
/// dropped), merged with those of the units analysed now, each list in
/// unit-id order as `Index::build` makes it.
fn merged_postings(earlier: Option<(&HashMap<String, Vec<(u32, u16)>>, &[u32])>, fresh: HashMap<String, Vec<(u32, u16)>>) -> HashMap<String, Vec<(u32, u16)>> {
    let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::default();
    if let Some((earlier, moved)) = earlier {
        for (term, list) in earlier {
            // Unchanged articles keep their order, so the new ids stay ascending.
            let kept: Vec<(u32, u16)> = list.iter().filter_map(|&(id, tf)| Some(moved[id as usize]).filter(|&m| m != GONE).map(|m| (m, tf))).collect();
            if !kept.is_empty() {
                postings.insert(term.clone(), kept);
            }
        }
    }
    for (term, list) in fresh {
        let merged = postings.entry(term).or_default();
        merged.extend(list);
        // Two ascending runs: the stable sort merges them in linear time.
        merged.sort_by_key(|&(id, _)| id);
    }
    postings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::segment::segment;

    fn article(id: &str, text: &str) -> Arc<Article> {
        Arc::new(Article { id: id.into(), title: String::new(), text: text.into(), source: Default::default(), content_hash: text.into(), units: segment(text) })
    }

    #[test]
    fn finds_paraphrase_through_aliases_and_synonyms() {
        let index = Index::build(
            vec![
                article("a", "Beijing provides machine tools to Moscow every month."),
                article("b", "The weather in Paris was sunny on Tuesday afternoon."),
            ],
            16,
        );
        let hits = index.search(&analyze("China supplies Russia with machine tools"), 5);
        assert_eq!(index.unit(hits[0].0).0.id, "a");
        assert_eq!(hits.len(), 1);
        assert!(index.idf("unseen") > index.idf("china"));
    }

    #[test]
    fn features_are_kept_or_analysed_again() {
        let articles = vec![article("a", "Beijing provides machine tools to Moscow every month. The weather in Paris was sunny on Tuesday.")];
        let kept = Index::build(articles.clone(), 16);
        assert!(Arc::ptr_eq(&kept.features(1), &kept.features(1)), "analysed once");
        let evicted = Index::build(articles, 1);
        for id in [0, 1, 0] {
            let (a, u) = evicted.unit(id);
            assert_eq!(*evicted.features(id), analyze(&evidence_text(a, u)));
        }
    }

    #[test]
    fn units_keep_their_identity_across_indexes_while_their_article_is_unchanged() {
        let sentences = |words: &[&str]| words.iter().map(|w| format!("The {w} factory in Leeds made forty cars in May.")).collect::<Vec<_>>().join(" ");
        let (a, b, c) = (article("a", &sentences(&["first", "second"])), article("b", &sentences(&["third", "fourth"])), article("c", &sentences(&["fifth"])));
        let earlier = Index::build(vec![a.clone(), b, c.clone()], 16);
        assert_eq!(earlier.unit_count(), 5);
        let changed = article("b", &sentences(&["third", "fourth", "last"]));
        let later = Index::build(vec![article("0", &sentences(&["new"])), a, changed, c], 16);
        assert_eq!(later.unit_ids_from(&earlier), vec![1, 2, u32::MAX, u32::MAX, 6]);
    }

    #[test]
    fn an_index_built_on_an_earlier_one_is_the_one_built_from_scratch() {
        let sentences = |words: &[&str]| words.iter().map(|w| format!("The {w} mill in Leeds made {w} carpets in May.")).collect::<Vec<_>>().join(" ");
        let a = article("a", &sentences(&["wool", "silk"]));
        let (c, d) = (article("c", &sentences(&["jute"])), article("d", &sentences(&["cotton", "wool"])));
        let earlier = Index::build(vec![a.clone(), article("b", &sentences(&["linen"])), c.clone(), d.clone()], 16);
        // "0" is new, "b" changed, "c" deleted, "a" and "d" unchanged.
        let articles = vec![article("0", &sentences(&["silk", "hemp"])), a, article("b", &sentences(&["linen", "wool"])), d];
        let built = Index::build(articles.clone(), 16);
        let on = Index::build_on(articles, 16, Some(&earlier));
        let sorted = |i: &Index| i.postings.iter().map(|(t, l)| (t.clone(), l.clone())).collect::<std::collections::BTreeMap<_, _>>();
        assert_eq!(sorted(&on), sorted(&built));
        assert!(on.postings.get("jute").is_none(), "the deleted article's terms are gone");
        assert_eq!(format!("{:?}", on.units), format!("{:?}", built.units));
        assert_eq!(on.avg_len, built.avg_len);
        assert_eq!(*on.features(2), *built.features(2), "a carried unit's features are its own");
    }
}
