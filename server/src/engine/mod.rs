//! The domain engine: ingest, store, index, verify. It knows nothing of gRPC.
//!
//! One verification: normalise the claim → retrieve candidate sentences (BM25
//! over canonical terms, fused with dense retrieval when the engine has
//! models) → score each candidate's stance (`stance`: rules, and the trained
//! stance model on the best few) → aggregate to a verdict, a confidence and
//! citations (`verdict`).

pub mod article;
pub mod attribution;
pub mod corpus;
pub mod dense;
pub mod index;
mod lexicon;
pub mod models;
pub mod normalize;
pub mod stance;
pub mod store;
pub mod verdict;

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use self::corpus::NewArticle;
use self::dense::Dense;
use self::models::Models;
pub use self::store::{Article, Change, Source};
use self::index::{Index, evidence_text};
use self::normalize::analyze;
use self::stance::{ModelGate, Pair, RuleScorer, Stance, StanceScorer, combine};
use self::store::Store;
pub use self::verdict::Verdict;
use crate::error::Result;

/// Candidate sentences scored per claim: enough to find the evidence among
/// near-duplicates, few enough to keep a verification well under a millisecond.
const CANDIDATES: usize = 30;
/// Candidates added by dense retrieval: paraphrases BM25 misses.
const DENSE_CANDIDATES: usize = 10;
/// Candidates the stance model reads (it costs ~2–5 ms a pair; rules are µs).
const MODEL_PAIRS: usize = 4;
/// Reciprocal-rank fusion constant (Cormack et al.): damps the top ranks' lead.
const RRF_K: f32 = 60.0;

/// One evidence sentence as the engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub article_id: String,
    pub article_title: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub stance: Stance,
    pub score: f32,
    pub attribution: String,
}

/// The engine's answer for one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub verdict: Verdict,
    pub confidence: f32,
    pub citations: Vec<Citation>,
    pub reason: String,
    pub store_version: u64,
}

/// Most claims `check_text` verifies in one text.
pub const MAX_CHECK_CLAIMS: usize = 200;

/// One check-worthy claim found in a text, with its verification.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedClaim {
    /// Byte offsets into the checked text.
    pub start: usize,
    pub end: usize,
    pub verification: Verification,
}

/// The answer to `check_text`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedText {
    pub claims: Vec<CheckedClaim>,
    /// Sentences that are not check-worthy, or beyond `MAX_CHECK_CLAIMS`.
    pub skipped: usize,
}

/// A page request over the stored articles, in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Start after this id (the previous page's last).
    pub after: Option<String>,
    pub limit: usize,
    pub publisher: Option<String>,
    /// Published at or after, as (unix seconds, nanos).
    pub published_after: Option<(i64, i32)>,
    /// Published before.
    pub published_before: Option<(i64, i32)>,
}

impl ListQuery {
    fn matches(&self, a: &Article) -> bool {
        let published = a.source.published;
        self.publisher.as_ref().is_none_or(|p| &a.source.publisher == p)
            && self.published_after.is_none_or(|t| published.is_some_and(|p| p >= t))
            && self.published_before.is_none_or(|t| published.is_some_and(|p| p < t))
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub added: usize,
    pub replaced: usize,
    pub unchanged: usize,
    /// Claim units in the added and replaced articles.
    pub units: usize,
    pub elapsed: Duration,
}

pub struct Engine {
    store: Store,
    index: RwLock<Arc<Index>>,
    scorer: Box<dyn StanceScorer>,
    /// Embedder and stance model; `None`: the lexical engine.
    models: Option<Arc<Models>>,
    gate: ModelGate,
}

impl Engine {
    /// Opens (or creates) the store in `data_dir` and indexes what it holds,
    /// with the lexical engine only.
    pub fn open(data_dir: &Path) -> Result<Engine> {
        Self::new(data_dir, Box::new(RuleScorer::default()), None)
    }

    /// Opens the store with a stance scorer and, optionally, the models. With
    /// models, units stored without vectors (or with another embedder's) are
    /// embedded now.
    pub fn new(data_dir: &Path, scorer: Box<dyn StanceScorer>, models: Option<Arc<Models>>) -> Result<Engine> {
        let store = Store::open(data_dir)?;
        let engine = Engine { store, index: RwLock::default(), scorer, models, gate: ModelGate::default() };
        engine.reindex()?;
        Ok(engine)
    }

    /// Sets when the stance model may overrule the rules.
    pub fn with_gate(self, gate: ModelGate) -> Engine {
        Engine { gate, ..self }
    }

    /// "semantic" with models, else "lexical".
    pub fn mode(&self) -> &'static str {
        if self.models.is_some() { "semantic" } else { "lexical" }
    }

    /// Makes every write durable; called on shutdown.
    pub fn flush(&self) -> Result<()> {
        self.store.flush()
    }

    /// After a batch of writes: makes them durable, then visible to
    /// verification (the index is rebuilt from the store).
    pub fn publish(&self) -> Result<()> {
        self.store.flush()?;
        self.reindex()
    }

    /// Rebuilds the in-memory index from the store.
    fn reindex(&self) -> Result<()> {
        let articles = self.store.articles().map(|a| a.map(Arc::new)).collect::<Result<Vec<_>>>()?;
        let dense = match &self.models {
            Some(models) => Some(self.load_vectors(models, &articles)?),
            None => None,
        };
        let mut index = Index::build(articles);
        if let Some(dense) = dense {
            index = index.with_dense(dense);
        }
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
        Ok(())
    }

    /// The stored unit vectors of `articles`, embedding (and storing) those
    /// that have none from the current embedder.
    fn load_vectors(&self, models: &Models, articles: &[Arc<Article>]) -> Result<Dense> {
        let mut dense = Dense::default();
        let mut embedded = 0;
        for article in articles {
            let n = article.units.len();
            let stored = self.store.vectors(&article.id)?;
            let fresh;
            let vectors = match stored.as_ref().and_then(|v| dense::decode(&models.embedder_id, v, n)) {
                Some(vectors) => Some(vectors),
                None => {
                    fresh = embed_units(models, article)?;
                    self.store.put_vectors(&article.id, &fresh)?;
                    embedded += n;
                    dense::decode(&models.embedder_id, &fresh, n)
                }
            };
            match vectors {
                Some(vectors) => vectors.into_iter().for_each(|v| dense.push(Some(v))),
                None => (0..n).for_each(|_| dense.push(None)),
            }
        }
        if embedded > 0 {
            tracing::info!(units = embedded, "embedded stored units");
        }
        Ok(dense)
    }

    fn index(&self) -> Arc<Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stores new or changed articles (same content: no change) and reindexes.
    pub fn ingest(&self, articles: Vec<NewArticle>) -> Result<IngestReport> {
        let _span = tracing::info_span!("ingest", articles = articles.len()).entered();
        let started = Instant::now();
        let mut report = IngestReport::default();
        for a in articles {
            let (change, units) = self.store_article(a)?;
            match change {
                Change::Added => report.added += 1,
                Change::Replaced => report.replaced += 1,
                Change::Unchanged => report.unchanged += 1,
            }
            if change != Change::Unchanged {
                report.units += units;
            }
        }
        if report.added + report.replaced > 0 {
            self.publish()?;
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Segments and stores one article atomically, without publishing it
    /// (call `publish` after a batch). Returns the change and its claim-unit count.
    pub fn store_article(&self, a: NewArticle) -> Result<(Change, usize)> {
        let title = if a.title.is_empty() { article::detect_title(&a.text).unwrap_or_default().to_string() } else { a.title };
        let content_hash = Article::hash(&title, &a.text, &a.source);
        let units = article::segment(&a.text);
        let count = units.len();
        let stored = Article { id: a.id, title, text: a.text, source: a.source, content_hash, units };
        // Embedded only when the article is new or changed.
        let vectors = || self.models.as_deref().map(|m| embed_units(m, &stored)).transpose();
        Ok((self.store.put(&stored, vectors)?, count))
    }

    /// Removes an article and its claims; false if there was none.
    pub fn delete(&self, id: &str) -> Result<bool> {
        let removed = self.store.delete(id)?;
        if removed {
            self.publish()?;
        }
        Ok(removed)
    }

    pub fn get(&self, id: &str) -> Result<Option<Article>> {
        self.store.get(id)
    }

    /// A page of stored articles and, if more may follow, the id to continue after.
    pub fn list(&self, query: &ListQuery) -> Result<(Vec<Article>, Option<String>)> {
        let mut page = Vec::with_capacity(query.limit.min(1024));
        for a in self.store.articles_after(query.after.as_deref()) {
            let a = a?;
            if !query.matches(&a) {
                continue;
            }
            if page.len() == query.limit {
                let next = page.last().map(|p: &Article| p.id.clone());
                return Ok((page, next));
            }
            page.push(a);
        }
        Ok((page, None))
    }

    /// Finds the check-worthy claims of a text and verifies each.
    pub fn check_text(&self, text: &str, max_citations: usize) -> Result<CheckedText> {
        let mut checked = CheckedText { claims: Vec::new(), skipped: 0 };
        for (start, end) in article::sentence_spans(text) {
            if !article::check_worthy(&text[start..end]) || checked.claims.len() == MAX_CHECK_CLAIMS {
                checked.skipped += 1;
                continue;
            }
            let verification = self.verify(&text[start..end], max_citations)?;
            checked.claims.push(CheckedClaim { start, end, verification });
        }
        Ok(checked)
    }

    pub fn article_count(&self) -> usize {
        self.index().article_count()
    }

    pub fn unit_count(&self) -> usize {
        self.index().unit_count()
    }

    pub fn store_version(&self) -> Result<u64> {
        self.store.version()
    }

    /// Verifies one claim against the store. Deterministic for a given store.
    pub fn verify(&self, claim: &str, max_citations: usize) -> Result<Verification> {
        let index = self.index();
        let features = analyze(claim);
        let idf = |t: &str| index.idf(t);
        let max_idf = index.max_idf();
        let candidates = tracing::info_span!("retrieve").in_scope(|| self.retrieve(&index, claim, &features));
        let mut assessed: Vec<_> = tracing::info_span!("score", candidates = candidates.len()).in_scope(|| {
            candidates
                .iter()
                .map(|&id| {
                    let (article, unit) = index.unit(id);
                    let evidence = analyze(&evidence_text(article, unit));
                    self.scorer.assess(&Pair { claim: &features, evidence: &evidence, idf: &idf, max_idf })
                })
                .collect()
        });
        if let Some(models) = &self.models {
            // Candidates come best first: the model reads the first few whose
            // judgement the gate lets it change.
            let top: Vec<usize> = (0..candidates.len()).filter(|&i| self.gate.admits(&assessed[i])).take(MODEL_PAIRS).collect();
            let texts: Vec<String> = top.iter().map(|&i| model_evidence(index.unit(candidates[i]))).collect();
            match tracing::info_span!("stance_model", pairs = top.len()).in_scope(|| models.stance(claim, &texts)) {
                Ok(probs) => top.iter().zip(probs).for_each(|(&i, p)| assessed[i] = combine(&assessed[i], p, self.gate)),
                Err(e) => tracing::warn!(error = %e, "stance model failed; rules only for this claim"),
            }
        }
        let decision = tracing::info_span!("aggregate").in_scope(|| verdict::decide(&assessed));
        let citations = decision
            .order
            .iter()
            .take(max_citations)
            .map(|&i| {
                let (article, unit) = index.unit(candidates[i]);
                Citation {
                    article_id: article.id.clone(),
                    article_title: article.title.clone(),
                    text: article.text[unit.start..unit.end].to_string(),
                    start: unit.start,
                    end: unit.end,
                    stance: assessed[i].stance,
                    score: assessed[i].score,
                    attribution: unit.attribution.clone(),
                }
            })
            .collect();
        Ok(Verification {
            verdict: decision.verdict,
            confidence: decision.confidence,
            citations,
            reason: decision.reason,
            store_version: self.store.version()?,
        })
    }

    /// Candidate unit ids, best first: BM25's, fused by reciprocal rank with
    /// dense retrieval's when the engine has an embedder.
    fn retrieve(&self, index: &Index, claim: &str, features: &normalize::Features) -> Vec<u32> {
        let lexical = index.search(features, CANDIDATES);
        let (Some(models), Some(dense)) = (&self.models, index.dense()) else {
            return lexical.into_iter().map(|(id, _)| id).collect();
        };
        let semantic = match models.embed(&[claim]) {
            Ok(query) => dense.search(&query, DENSE_CANDIDATES),
            Err(e) => {
                tracing::warn!(error = %e, "embedding failed; lexical retrieval for this claim");
                Vec::new()
            }
        };
        let mut fused: rustc_hash::FxHashMap<u32, f32> = rustc_hash::FxHashMap::default();
        for ranked in [&lexical, &semantic] {
            for (rank, &(id, _)) in ranked.iter().enumerate() {
                *fused.entry(id).or_default() += 1.0 / (RRF_K + rank as f32);
            }
        }
        let mut ids: Vec<(u32, f32)> = fused.into_iter().collect();
        ids.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ids.into_iter().map(|(id, _)| id).collect()
    }
}

/// The stance model's view of a unit: "title | sentence" (as in training).
fn model_evidence((article, unit): (&Arc<Article>, &article::Unit)) -> String {
    let text = evidence_text(article, unit);
    if article.title.is_empty() { text } else { format!("{} | {text}", article.title) }
}

/// An article's unit vectors, encoded for the store.
fn embed_units(models: &Models, article: &Article) -> Result<Vec<u8>> {
    let texts: Vec<String> = article.units.iter().map(|u| evidence_text(article, u)).collect();
    let vectors = models.embed(&texts.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(dense::encode(&models.embedder_id, &vectors))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Storing the same article twice changes nothing; changing any part
        /// of it replaces it; the stored units always slice the stored text.
        #[test]
        fn ingest_is_idempotent(id in "[a-z0-9_-]{1,12}", text in "[A-Za-z ,.“”]{1,300}", publisher in "[A-Za-z]{0,8}") {
            let dir = tempfile::tempdir().unwrap();
            let engine = Engine::open(dir.path()).unwrap();
            let article = NewArticle { id: id.clone(), text: text.clone(), source: Source { publisher, ..Source::default() }, ..NewArticle::default() };
            prop_assert_eq!(engine.store_article(article.clone()).unwrap().0, Change::Added);
            let version = engine.store_version().unwrap();
            prop_assert_eq!(engine.store_article(article.clone()).unwrap().0, Change::Unchanged);
            prop_assert_eq!(engine.store_version().unwrap(), version);
            let stored = engine.get(&id).unwrap().unwrap();
            prop_assert_eq!(&stored.text, &text);
            prop_assert_eq!(article::check_units(&stored.text, &stored.units), Ok(()));
            let changed = NewArticle { text: format!("{text} More."), ..article };
            prop_assert_eq!(engine.store_article(changed).unwrap().0, Change::Replaced);
        }
    }
}
