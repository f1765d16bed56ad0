//! The domain engine: ingest, store, index, verify. It knows nothing of gRPC.
//!
//! One verification: normalise the claim → retrieve candidate sentences (BM25
//! over canonical terms) → score each candidate's stance (`stance`) →
//! aggregate to a verdict, a confidence and citations (`verdict`).

pub mod article;
pub mod attribution;
pub mod corpus;
pub mod index;
mod lexicon;
pub mod normalize;
pub mod stance;
pub mod store;
pub mod verdict;

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use self::corpus::NewArticle;
pub use self::store::{Article, Change, Source};
use self::index::{Index, evidence_text};
use self::normalize::analyze;
use self::stance::{Pair, RuleScorer, Stance, StanceScorer};
use self::store::Store;
pub use self::verdict::Verdict;
use crate::error::Result;

/// Candidate sentences scored per claim: enough to find the evidence among
/// near-duplicates, few enough to keep a verification well under a millisecond.
const CANDIDATES: usize = 30;

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
}

impl Engine {
    /// Opens (or creates) the store in `data_dir` and indexes what it holds.
    pub fn open(data_dir: &Path) -> Result<Engine> {
        Self::with_scorer(data_dir, Box::new(RuleScorer::default()))
    }

    /// Like `open`, with another stance scorer.
    pub fn with_scorer(data_dir: &Path, scorer: Box<dyn StanceScorer>) -> Result<Engine> {
        let store = Store::open(data_dir)?;
        let engine = Engine { store, index: RwLock::default(), scorer };
        engine.reindex()?;
        Ok(engine)
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
        let index = Arc::new(Index::build(articles));
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        Ok(())
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
        Ok((self.store.put(&stored)?, count))
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
        let candidates = tracing::info_span!("retrieve").in_scope(|| index.search(&features, CANDIDATES));
        let assessed: Vec<_> = tracing::info_span!("score", candidates = candidates.len()).in_scope(|| {
            candidates
                .iter()
                .map(|&(id, _)| {
                    let (article, unit) = index.unit(id);
                    let evidence = analyze(&evidence_text(article, unit));
                    self.scorer.assess(&Pair { claim: &features, evidence: &evidence, idf: &idf, max_idf })
                })
                .collect()
        });
        let decision = tracing::info_span!("aggregate").in_scope(|| verdict::decide(&assessed));
        let citations = decision
            .order
            .iter()
            .take(max_citations)
            .map(|&i| {
                let (article, unit) = index.unit(candidates[i].0);
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
