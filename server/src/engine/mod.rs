//! The domain engine: ingest, store, retrieve, judge. It knows nothing of gRPC.
//!
//! # Layout
//!
//! One verification reads: analyse the claim (`language`) → retrieve
//! candidate sentences (`retrieve`) → judge each and decide (`judge`) → cite.
//!
//! ```text
//! engine/
//! ├── mod.rs          Engine and its builder: the pipeline, ingest, apply, delete, list
//! ├── domain.rs       Article, Unit, Source, NewArticle, Write, Citation, Verification,
//! │                   Stance, Verdict, evidence_text: the types every stage speaks
//! ├── store.rs        the sled claim store (articles and their vectors)
//! ├── models/         ONNX Runtime sessions: the embedder and the stance model
//! ├── ingest/         from an article as given to the article as stored
//! │   ├── corpus.rs       reading a folder of .txt files or a JSONL corpus
//! │   ├── segment.rs      boilerplate, sentence splitting, check-worthiness
//! │   └── attribution.rs  who asserts a sentence
//! ├── language/       the analysis of one sentence into Features
//! │   ├── mod.rs          analyze: the passes, in order
//! │   ├── features.rs     Features, Token, Quantity, DateRef, Role
//! │   ├── words.rs        splitting into words, the structure passes mark
//! │   ├── discourse.rs    pass: pronouns that refer back, reported speech
//! │   ├── roles.rs        pass: offices
//! │   ├── negation.rs     pass: negation scopes
//! │   ├── quantities.rs   pass: numbers, shares, ranks, dates
//! │   ├── terms.rs        pass: places, calendar names, stemmed words
//! │   ├── lexicon.rs      the word lists
//! │   └── dictionary.rs   the word lists compiled for lookup (and their invariants)
//! ├── retrieve/       candidate sentences for a claim
//! │   ├── mod.rs          reciprocal-rank fusion of the two retrievers
//! │   ├── index.rs        BM25 postings, the unit table, analysed units (cached)
//! │   ├── dense.rs        int8 unit vectors (mapped from the snapshot), exhaustive cosine search
//! │   ├── ann.rs          the HNSW graph over them (usearch), for large stores
//! │   └── snapshot.rs     the index (and graph) saved beside the store, read back on restart
//! └── judge/          stance of each candidate, and the verdict
//!     ├── mod.rs          Judge: the rules, the model pairs, the gate, the decision
//!     ├── assessment.rs   Assessment, Gap, the StanceScorer trait
//!     ├── registry.rs     RuleId (every rule, by id) and Firing (with its message)
//!     ├── rules/          the lexical rules: signals, alignment, figures, slots,
//!     │                   and the conflict and veto rules
//!     ├── gate.rs         when the stance model may overrule the rules
//!     ├── decide.rs       aggregation into a verdict, confidence and citation order
//!     ├── aggregate.rs    the learned aggregator over the judge's signals (when fitted)
//!     └── thresholds.rs   the bars the rules, the gate and the citations compare against
//! ```
//!
//! Dependencies point one way: `domain` depends on nothing; `models` and
//! `store` on `domain`; `language` on its word lists; `ingest`, `retrieve`
//! and `judge` on `domain`, `language` (and `models`); this module on all.

pub mod domain;
pub mod ingest;
pub mod judge;
pub mod language;
pub mod models;
pub mod retrieve;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rustc_hash::FxHashSet;

/// Claim units embedded together at ingest (across articles): big enough to
/// keep every core busy with full batches.
const INGEST_BATCH_UNITS: usize = 256;
/// How often a long ingest logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

pub use self::domain::*;
use self::judge::rules::RuleScorer;
use self::judge::thresholds::Thresholds;
use self::judge::{Aggregator, Assessed, Candidate, Claim, Judge, StanceScorer};
use self::language::analyze;
use self::models::Models;
use self::retrieve::dense::{self, Dense};
use self::retrieve::index::Index;
use self::retrieve::snapshot;
use self::store::Store;
use crate::error::{Error, Result};

/// Analysed sentences kept per index (~2.8 KB each, measured on the 1M
/// store: BENCHMARKS.md); a store that holds more analyses the others again
/// when they are candidates.
pub const DEFAULT_CACHED_SENTENCES: usize = 100_000;

/// How to open an engine: [`Engine::builder`], then [`EngineBuilder::open`].
pub struct EngineBuilder {
    data_dir: PathBuf,
    rules: Option<Box<dyn StanceScorer>>,
    models: ModelSource,
    thresholds: Thresholds,
    cached_sentences: usize,
    /// `None`: the aggregator beside the models, if any; `Some(None)`: none.
    aggregator: Option<Option<PathBuf>>,
}

impl EngineBuilder {
    /// The stance scorer in place of the rules (tests use slow or fixed ones).
    pub fn scorer(self, rules: Box<dyn StanceScorer>) -> Self {
        EngineBuilder { rules: Some(rules), ..self }
    }

    /// The embedder and stance model; `None` (the default): the lexical engine.
    pub fn models(self, models: Option<Arc<Models>>) -> Self {
        EngineBuilder { models: ModelSource::Loaded(models), ..self }
    }

    /// The models in `dir`, loaded by [`open`](Self::open) while it reads the
    /// index snapshot (each takes most of a second); if they cannot be
    /// loaded, the engine is lexical and the log says why.
    pub fn models_from(self, dir: &Path) -> Self {
        EngineBuilder { models: ModelSource::Dir(dir.to_path_buf()), ..self }
    }

    pub fn thresholds(self, thresholds: Thresholds) -> Self {
        EngineBuilder { thresholds, ..self }
    }

    /// The learned aggregator's file (`None`: the hand-tuned aggregation
    /// alone) in place of the default one beside the models.
    pub fn aggregator(self, file: Option<PathBuf>) -> Self {
        EngineBuilder { aggregator: Some(file), ..self }
    }

    /// How many analysed sentences the index keeps (at least 1).
    pub fn cached_sentences(self, cached_sentences: usize) -> Self {
        EngineBuilder { cached_sentences, ..self }
    }

    /// Opens (or creates) the store and indexes what it holds. With models,
    /// units stored without vectors (or with another embedder's) are embedded now.
    pub fn open(self) -> Result<Engine> {
        let store = Store::open(&self.data_dir)?;
        let store_version = store.version()?;
        let read = |embedder: Option<&str>| {
            let started = Instant::now();
            (snapshot::load(&self.data_dir, store_version, embedder, self.cached_sentences), started.elapsed())
        };
        let (models, snapshot) = match &self.models {
            ModelSource::Loaded(models) => (models.clone(), read(models.as_ref().map(|m| m.embedder_id.as_str()))),
            // The snapshot needs only the embedder's identity, known from its file.
            ModelSource::Dir(dir) => std::thread::scope(|scope| {
                let loading = scope.spawn(|| load_models(dir));
                let expected = models::embedder_id(dir).ok();
                let snapshot = read(expected.as_deref());
                let models = loading.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                let loaded = models.as_ref().map(|m| m.embedder_id.as_str());
                // Read again for the embedder that did load (none, if it failed).
                let snapshot = if loaded == expected.as_deref() { snapshot } else { read(loaded) };
                (models, snapshot)
            }),
        };
        let rules = self.rules.unwrap_or_else(|| Box::new(RuleScorer::new(self.thresholds)));
        let aggregator = match (&models, &self.aggregator) {
            (None, _) | (_, Some(None)) => None,
            (Some(m), None) => Aggregator::beside(&m.dir)?,
            (Some(_), Some(Some(file))) => Some(Aggregator::load(file)?),
        };
        let engine = Engine {
            store,
            current: RwLock::new(Current { index: Arc::new(Index::build(Vec::new(), 1)), store_version: 0, origin: IndexOrigin::Store }),
            judge: Judge::new(rules, models.clone(), self.thresholds, aggregator),
            models,
            cached_sentences: self.cached_sentences,
            saved_version: Mutex::new(None),
            reindexing: Mutex::new(()),
            data_dir: self.data_dir,
        };
        engine.load_index(store_version, snapshot)?;
        // Serving now, on one session per model: the others are made beside it.
        if let Some(models) = &engine.models {
            models.open_sessions();
        }
        Ok(engine)
    }
}

/// Where the builder gets its models.
enum ModelSource {
    Loaded(Option<Arc<Models>>),
    Dir(PathBuf),
}

/// The models in `dir`, or `None` (the lexical engine) with the reason logged.
fn load_models(dir: &Path) -> Option<Arc<Models>> {
    let sessions = std::thread::available_parallelism().map_or(2, usize::from);
    match Models::load(dir, sessions) {
        Ok(m) => {
            tracing::info!(dir = %dir.display(), embedder = %m.embedder_id, "models loaded");
            Some(Arc::new(m))
        }
        Err(e) => {
            tracing::warn!(error = %e, "models unavailable; serving with the lexical engine");
            None
        }
    }
}

pub struct Engine {
    store: Store,
    current: RwLock<Current>,
    judge: Judge,
    /// Embedder and stance model; `None`: the lexical engine.
    models: Option<Arc<Models>>,
    cached_sentences: usize,
    /// The store version of the index snapshot on disk; held while one is written.
    saved_version: Mutex<Option<u64>>,
    /// Held while the index is rebuilt.
    reindexing: Mutex<()>,
    data_dir: PathBuf,
}

/// The index verification reads, and the store version it was built from.
struct Current {
    index: Arc<Index>,
    store_version: u64,
    origin: IndexOrigin,
}

/// Where the current index came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexOrigin {
    /// Built from the stored articles.
    Store,
    /// Read from the snapshot saved for this store version.
    Snapshot,
}

impl Engine {
    pub fn builder(data_dir: &Path) -> EngineBuilder {
        EngineBuilder { data_dir: data_dir.to_path_buf(), rules: None, models: ModelSource::Loaded(None), thresholds: Thresholds::default(), cached_sentences: DEFAULT_CACHED_SENTENCES, aggregator: None }
    }

    /// Opens the store with the lexical engine and default settings.
    pub fn open(data_dir: &Path) -> Result<Engine> {
        Self::builder(data_dir).open()
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

    /// Takes the index from the snapshot read (and how long that took) if
    /// one was saved for this very store, else rebuilds it from the store.
    fn load_index(&self, store_version: u64, (snapshot, took): (std::result::Result<Index, snapshot::Unusable>, Duration)) -> Result<()> {
        match snapshot {
            Ok(index) => {
                tracing::info!(store_version, units = index.unit_count(), elapsed_ms = took.as_millis() as u64, "index read from its snapshot");
                *self.saved_version.lock().unwrap_or_else(|e| e.into_inner()) = Some(store_version);
                self.install(index, store_version, IndexOrigin::Snapshot);
                return Ok(());
            }
            Err(snapshot::Unusable::Missing) => {}
            Err(why) => tracing::info!(%why, "index snapshot not used: rebuilding the index"),
        }
        self.reindex()
    }

    /// Saves the index beside the store, unless already saved for its store
    /// version, so that the next start reads it instead of rebuilding it.
    pub fn save_index(&self) -> Result<()> {
        let (index, store_version) = {
            let current = self.current.read().unwrap_or_else(|e| e.into_inner());
            (current.index.clone(), current.store_version)
        };
        let mut saved = self.saved_version.lock().unwrap_or_else(|e| e.into_inner());
        if *saved == Some(store_version) {
            return Ok(());
        }
        // Durable first: a write the index may hold beyond its version then
        // moves the store on, and a restart will not take the snapshot.
        self.store.flush()?;
        if self.store.version()? != store_version {
            tracing::debug!(store_version, "index snapshot not saved: the store has moved on");
            return Ok(());
        }
        let started = Instant::now();
        snapshot::save(&self.data_dir, &index, store_version, self.models.as_ref().map(|m| m.embedder_id.as_str()))?;
        *saved = Some(store_version);
        tracing::info!(store_version, units = index.unit_count(), elapsed_ms = started.elapsed().as_millis() as u64, "index snapshot saved");
        Ok(())
    }

    /// Rebuilds the in-memory index from the store, on the current one: only
    /// the articles written since it are read back and analysed.
    fn reindex(&self) -> Result<()> {
        // One at a time: each builds on the index before it.
        let _one = self.reindexing.lock().unwrap_or_else(|e| e.into_inner());
        // Read first: a write racing the rebuild makes the index look older than it is, never newer.
        let store_version = self.store.version()?;
        let (earlier, earlier_version) = {
            let current = self.current.read().unwrap_or_else(|e| e.into_inner());
            (current.index.clone(), current.store_version)
        };
        let (articles, changed) = self.stored_articles(&earlier, earlier_version, store_version)?;
        let mut index = Index::build_on(articles, self.cached_sentences, Some(&earlier));
        if let Some(models) = &self.models {
            let dense = self.load_vectors(models, &index, changed.as_ref().map(|c| (&*earlier, c)))?;
            index = index.with_dense(dense, Some(&earlier));
        }
        self.install(index, store_version, IndexOrigin::Store);
        // Housekeeping: a log that keeps entries only makes the next reindex read more.
        if let Err(e) = self.store.forget_changes(store_version) {
            tracing::warn!(error = %e, "change log not pruned");
        }
        Ok(())
    }

    /// The stored articles, and the ids written since `since`: `earlier`'s
    /// articles (made at `since`) with those the change log lists read again;
    /// all of them, read from the store (and no ids), when the log does not
    /// cover `since..=through` or lists most of them.
    fn stored_articles(&self, earlier: &Index, since: u64, through: u64) -> Result<(Vec<Arc<Article>>, Option<FxHashSet<String>>)> {
        let changed: FxHashSet<String> = match self.store.changed_since(since, through)? {
            Some(ids) if ids.len() < earlier.article_count() / 2 => ids.into_iter().collect(),
            _ => return Ok((self.store.articles().map(|a| a.map(Arc::new)).collect::<Result<_>>()?, None)),
        };
        let mut articles: Vec<Arc<Article>> = earlier.articles().iter().filter(|a| !changed.contains(&a.id)).cloned().collect();
        for id in &changed {
            articles.extend(self.store.get(id)?.map(Arc::new));
        }
        // The store's order (sled orders keys bytewise, as `str` does).
        articles.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok((articles, Some(changed)))
    }

    /// Makes `index` the one verification reads.
    fn install(&self, index: Index, store_version: u64, origin: IndexOrigin) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Current { index: Arc::new(index), store_version, origin };
    }

    /// The unit vectors of `index`'s articles: with `carry` (an earlier
    /// index and the ids written since it), its vectors of the articles it
    /// holds unchanged and not written since; the others' as stored, embedding
    /// (and storing) those that have none from the current embedder. Articles
    /// written since are read again even if their content is back to what it
    /// was: their article and vectors may have been read apart, around a write.
    fn load_vectors(&self, models: &Models, index: &Index, carry: Option<(&Index, &FxHashSet<String>)>) -> Result<Dense> {
        let carried = carry.and_then(|(earlier, changed)| earlier.dense().map(|d| (d, index.first_units_in(earlier), changed)));
        let mut dense = carried.as_ref().map_or_else(Dense::default, |(d, _, _)| Dense::after(d));
        let mut embedded = 0;
        for (a, article) in index.articles().iter().enumerate() {
            let n = article.units.len();
            if n == 0 {
                continue;
            }
            if let Some((d, first, changed)) = &carried
                && let Some(first) = first[a]
                && !changed.contains(&article.id)
            {
                (first..first + n as u32).for_each(|u| dense.carry(d, u));
                continue;
            }
            let stored = self.store.vectors(&article.id)?;
            let fresh;
            let vectors = match stored.as_ref().and_then(|v| dense::decode(&models.embedder_id, v, n)) {
                Some(vectors) => Some(vectors),
                None => {
                    fresh = embed_units(models, &[&**article])?.remove(0);
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

    /// The index verification reads now (tools measure retrieval on it).
    pub fn index(&self) -> Arc<Index> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).index.clone()
    }

    /// Stores new or changed articles (same content: no change) and reindexes.
    pub fn ingest(&self, articles: Vec<NewArticle>) -> Result<IngestReport> {
        let _span = tracing::info_span!("ingest", articles = articles.len()).entered();
        let started = Instant::now();
        let mut report = IngestReport::default();
        let (total, mut logged) = (articles.len(), Instant::now());
        let (mut batch, mut batch_units) = (Vec::new(), 0);
        for (done, a) in articles.into_iter().enumerate() {
            // A large corpus takes minutes: say how far it is, every few seconds.
            if logged.elapsed() >= PROGRESS_EVERY {
                logged = Instant::now();
                let rate = done as f64 / started.elapsed().as_secs_f64();
                let eta_s = ((total - done) as f64 / rate.max(1e-9)) as u64;
                tracing::info!(done, total, units = report.units, articles_per_s = (rate * 10.0).round() / 10.0, eta_s, "ingesting");
            }
            let article = ingest::prepare(a);
            batch_units += article.units.len();
            batch.push(article);
            if batch_units >= INGEST_BATCH_UNITS {
                self.store_batch(std::mem::take(&mut batch), &mut report)?;
                batch_units = 0;
            }
        }
        self.store_batch(batch, &mut report)?;
        if report.added + report.replaced > 0 {
            self.publish()?;
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Stores prepared articles, each one atomically, embedding the units of
    /// the new or changed ones together (batched across articles, on every core).
    fn store_batch(&self, batch: Vec<Article>, report: &mut IngestReport) -> Result<()> {
        let mut vectors: Vec<Option<Vec<u8>>> = vec![None; batch.len()];
        if let Some(models) = &self.models {
            let changed = batch.iter().map(|a| self.store.is_changed(a)).collect::<Result<Vec<bool>>>()?;
            let fresh: Vec<&Article> = batch.iter().zip(&changed).filter(|(_, c)| **c).map(|(a, _)| a).collect();
            let slots = vectors.iter_mut().zip(&changed).filter(|(_, c)| **c).map(|(v, _)| v);
            slots.zip(embed_units(models, &fresh)?).for_each(|(slot, v)| *slot = Some(v));
        }
        for (article, vectors) in batch.iter().zip(vectors) {
            match self.store.put(article, || Ok(vectors), None)? {
                Change::Added => report.added += 1,
                Change::Replaced => report.replaced += 1,
                Change::Unchanged => {
                    report.unchanged += 1;
                    continue;
                }
            }
            report.units += article.units.len();
        }
        Ok(())
    }

    /// Segments and stores one article atomically, without publishing it
    /// (call `publish` after a batch). Returns the change and its claim-unit count.
    pub fn store_article(&self, a: NewArticle) -> Result<(Change, usize)> {
        self.store_article_at(a, None)
    }

    fn store_article_at(&self, a: NewArticle, sequence: Option<u64>) -> Result<(Change, usize)> {
        let stored = ingest::prepare(a);
        // Embedded only when the article is new or changed.
        let vectors = || self.models.as_deref().map(|m| Ok(embed_units(m, &[&stored])?.remove(0))).transpose();
        Ok((self.store.put(&stored, vectors, sequence)?, stored.units.len()))
    }

    /// Applies one write of the replicated ingest log, recording its
    /// `sequence` atomically with it; visible after `publish` (call it after a batch).
    pub fn apply(&self, write: Write, sequence: u64) -> Result<Applied> {
        Ok(match write {
            Write::Upsert(a) => Applied::Stored(self.store_article_at(a, Some(sequence))?.0),
            Write::Delete { id } => Applied::Deleted(self.store.delete(&id, Some(sequence))?),
        })
    }

    /// Passes over an entry of the replicated ingest log that every replica
    /// skips alike (unreadable, or stored after its writer gave up).
    pub fn skip(&self, sequence: u64) -> Result<Applied> {
        self.store.mark_applied(sequence)?;
        Ok(Applied::Skipped)
    }

    /// The last entry of the replicated ingest log applied here (0: none).
    pub fn applied_sequence(&self) -> Result<u64> {
        self.store.applied_sequence()
    }

    /// Removes an article and its claims; false if there was none.
    pub fn delete(&self, id: &str) -> Result<bool> {
        let removed = self.store.delete(id, None)?;
        if removed {
            self.publish()?;
        }
        Ok(removed)
    }

    pub fn get(&self, id: &str) -> Result<Option<Article>> {
        self.store.get(id)
    }

    /// A page of stored articles and, if more may follow, the id to continue after.
    /// A page of the articles `query` matches, in id order, read from the
    /// index in memory (as verification sees them). At most
    /// [`MAX_LIST_SCAN`] articles are looked at per page: a page may come
    /// back short, with a token to go on from where the scan stopped.
    pub fn list(&self, query: &ListQuery, cancel: &Cancel) -> Result<(Vec<Article>, Option<String>)> {
        page(self.index().articles(), query, MAX_LIST_SCAN, cancel)
    }

    /// Finds the check-worthy claims of a text and verifies each against the
    /// articles in `scope`.
    pub fn check_text(&self, text: &str, max_citations: usize, scope: &Scope, cancel: &Cancel) -> Result<CheckedText> {
        let mut checked = CheckedText { claims: Vec::new(), skipped: 0 };
        for (start, end) in ingest::segment::sentence_spans(text) {
            let sentence = &text[start..end];
            if !ingest::segment::check_worthy(sentence) || checked.claims.len() == MAX_CHECK_CLAIMS || sentence.chars().count() > MAX_CLAIM_CHARS {
                checked.skipped += 1;
                continue;
            }
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let verification = self.verify(&text[start..end], max_citations, false, scope)?;
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

    /// Whether the index was read from its snapshot or built from the store.
    pub fn index_origin(&self) -> IndexOrigin {
        self.current.read().unwrap_or_else(|e| e.into_inner()).origin
    }

    pub fn store_version(&self) -> Result<u64> {
        self.store.version()
    }

    /// Verifies one claim against the articles of the store in `scope`:
    /// retrieve → judge → decide → cite; with `explain`, each citation says
    /// which rules fired and what the model read. Deterministic for a given store.
    pub fn verify(&self, claim: &str, max_citations: usize, explain: bool, scope: &Scope) -> Result<Verification> {
        let index = self.index();
        let (candidates, mut assessed) = self.judged(&index, claim, scope, self.judge.aggregator_id().is_some());
        let decision = self.judge.decide(&mut assessed);
        let citations = decision.order.iter().take(max_citations).map(|&i| cite(&candidates[i], &assessed.pairs[i], explain)).collect();
        Ok(Verification { verdict: decision.verdict, confidence: decision.confidence, citations, reason: decision.reason, store_version: self.store.version()? })
    }

    /// What the learned aggregator reads for `claim` (`judge::aggregate::SIGNALS`,
    /// in order): for fitting it (`train/fit_judge.py`).
    pub fn signals(&self, claim: &str) -> Vec<f32> {
        let index = self.index();
        self.judge.signals(&self.judged(&index, claim, &Scope::default(), true).1).to_vec()
    }

    /// Which engine answers, and with which models.
    pub fn answered_by(&self) -> AnsweredBy {
        AnsweredBy {
            semantic: self.models.is_some(),
            stance_model: self.models.as_ref().map(|m| m.stance_id().to_string()).unwrap_or_default(),
            judge: self.judge.aggregator_id().unwrap_or_default().to_string(),
        }
    }

    /// The claim's candidates in `scope`, and the judge's assessment of each
    /// (`joint`: see [`Judge::assess`]).
    fn judged<'i>(&self, index: &'i Index, claim: &str, scope: &Scope, joint: bool) -> (Vec<Candidate<'i>>, Assessed) {
        let features = analyze(claim);
        let in_scope = |unit: u32| scope.matches(index.unit(unit).0);
        let keep = (!scope.is_all()).then_some(&in_scope as &dyn Fn(u32) -> bool);
        let ids = tracing::info_span!("retrieve").in_scope(|| retrieve::candidates(index, self.models.as_deref(), claim, &features, keep));
        let candidates: Vec<Candidate<'_>> = ids
            .iter()
            .map(|&id| {
                let (article, unit) = index.unit(id);
                Candidate { article, unit, features: index.features(id) }
            })
            .collect();
        let idf = |t: &str| index.idf(t);
        let assessed = self.judge.assess(&Claim { text: claim, features: &features, idf: &idf, max_idf: index.max_idf() }, &candidates, joint);
        (candidates, assessed)
    }
}

/// A candidate as the engine reports it.
fn cite(c: &Candidate<'_>, a: &judge::Assessment, explain: bool) -> Citation {
    Citation {
        article_id: c.article.id.clone(),
        article_title: c.article.title.clone(),
        text: c.article.text[c.unit.start..c.unit.end].to_string(),
        start: c.unit.start,
        end: c.unit.end,
        stance: a.stance,
        score: a.score,
        attribution: c.unit.attribution.clone(),
        explanation: explain.then(|| a.explanation()),
    }
}

/// What the embedder reads of each unit of `article`.
fn unit_texts(article: &Article) -> impl Iterator<Item = String> + '_ {
    article.units.iter().map(|u| evidence_text(article, u))
}

/// Each article's unit vectors, encoded for the store, from one batched embedding of them all.
fn embed_units(models: &Models, articles: &[&Article]) -> Result<Vec<Vec<u8>>> {
    let texts: Vec<String> = articles.iter().flat_map(|a| unit_texts(a)).collect();
    let vectors = models.embed(&texts.iter().map(String::as_str).collect::<Vec<_>>())?;
    let mut rest = vectors.as_slice();
    let per_article = articles.iter().map(|article| {
        let (mine, others) = rest.split_at(article.units.len() * models::DIM);
        rest = others;
        dense::encode(&models.embedder_id, mine)
    });
    Ok(per_article.collect())
}

/// The page of `articles` (in id order) that `query` asks for, looking at no
/// more than `max_scan` of them, and the token of the page after it.
fn page(articles: &[Arc<Article>], query: &ListQuery, max_scan: usize, cancel: &Cancel) -> Result<(Vec<Article>, Option<String>)> {
    let first = query.after.as_deref().map_or(0, |after| articles.partition_point(|a| a.id.as_str() <= after));
    let mut page = Vec::with_capacity(query.limit.min(1024));
    for (scanned, a) in articles[first..].iter().enumerate() {
        if scanned % 1024 == 1023 && cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if scanned == max_scan {
            return Ok((page, Some(articles[first + scanned - 1].id.clone())));
        }
        if !query.scope.matches(a) {
            continue;
        }
        if page.len() == query.limit {
            let next = page.last().map(|p: &Article| p.id.clone());
            return Ok((page, next));
        }
        page.push(Article::clone(a));
    }
    Ok((page, None))
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
            prop_assert_eq!(ingest::segment::check_units(&stored.text, &stored.units), Ok(()));
            let changed = NewArticle { text: format!("{text} More."), ..article };
            prop_assert_eq!(engine.store_article(changed).unwrap().0, Change::Replaced);
        }
    }

    #[test]
    fn a_restart_reads_the_saved_index_unless_the_store_moved_on() {
        let dir = tempfile::tempdir().unwrap();
        let article = |id: &str, text: &str| NewArticle { id: id.into(), text: text.into(), ..NewArticle::default() };
        let claim = "Beijing sold machine tools to Moscow.";
        let before = {
            let engine = Engine::open(dir.path()).unwrap();
            engine.ingest(vec![article("a", "China supplied machine tools to Russia in 2023.")]).unwrap();
            engine.save_index().unwrap();
            engine.verify(claim, 3, false, &Scope::default()).unwrap()
        };
        let engine = store::retry_locked(|| Engine::open(dir.path())).unwrap();
        assert_eq!(engine.index_origin(), IndexOrigin::Snapshot);
        assert_eq!(engine.verify(claim, 3, false, &Scope::default()).unwrap(), before);
        // A write after the save: the next start must not serve the old index.
        engine.ingest(vec![article("b", "The weather in Paris was sunny on Tuesday.")]).unwrap();
        drop(engine);
        let engine = store::retry_locked(|| Engine::open(dir.path())).unwrap();
        assert_eq!(engine.index_origin(), IndexOrigin::Store);
        assert_eq!(engine.unit_count(), 2);
        assert_eq!(engine.verify(claim, 3, false, &Scope::default()).unwrap().verdict, before.verdict);
    }

    #[test]
    fn a_write_reads_back_what_it_changed_and_makes_the_index_a_rebuild_makes() {
        let dir = tempfile::tempdir().unwrap();
        let article = |id: &str, text: &str| NewArticle { id: id.into(), text: text.into(), ..NewArticle::default() };
        let claims = ["China supplied machine tools to Russia.", "Paris was sunny on Tuesday.", "Oslo has a new harbour.", "Rome won the cup."];
        let (ids, answers) = {
            let engine = Engine::open(dir.path()).unwrap();
            let texts = ["China supplied machine tools to Russia in 2023.", "The weather in Paris was rainy on Tuesday.", "Lima built a bridge.", "Oslo opened a new harbour in May.", "Quito held an election."];
            engine.ingest(texts.iter().enumerate().map(|(i, t)| article(&format!("a{i}"), t)).collect()).unwrap();
            engine.ingest(vec![article("a1", "The weather in Paris was sunny on Tuesday.")]).unwrap();
            assert!(engine.delete("a3").unwrap());
            engine.ingest(vec![article("a0b", "Rome won the cup in June.")]).unwrap();
            assert_eq!(engine.store.changed_since(0, engine.store_version().unwrap()).unwrap(), None, "read back through the log, then forgotten");
            let ids: Vec<String> = engine.index().articles().iter().map(|a| a.id.clone()).collect();
            (ids, claims.map(|c| engine.verify(c, 3, false, &Scope::default()).unwrap()))
        };
        assert_eq!(ids, ["a0", "a0b", "a1", "a2", "a4"]);
        let rebuilt = store::retry_locked(|| Engine::open(dir.path())).unwrap();
        assert_eq!(rebuilt.index_origin(), IndexOrigin::Store);
        assert_eq!(claims.map(|c| rebuilt.verify(c, 3, false, &Scope::default()).unwrap()), answers);
        assert_eq!(answers[1].verdict, Verdict::Supported, "the replaced text is the one served");
    }

    #[test]
    fn a_page_looks_at_a_bounded_number_of_articles_and_goes_on_where_it_stopped() {
        let article = |id: String, publisher: &str| {
            let new = NewArticle { id, text: "Text.".into(), source: Source { publisher: publisher.into(), ..Source::default() }, ..NewArticle::default() };
            Arc::new(ingest::prepare(new))
        };
        // 50 articles; the publisher asked for writes only the last two.
        let articles: Vec<Arc<Article>> = (0..50).map(|i| article(format!("a{i:02}"), if i >= 48 { "P" } else { "Q" })).collect();
        let query = |after: Option<String>| ListQuery { after, limit: 5, scope: Scope { publisher: Some("P".into()), ..Scope::default() } };
        let never = Cancel::default();
        let (first, next) = page(&articles, &query(None), 20, &never).unwrap();
        assert_eq!((first.len(), next.as_deref()), (0, Some("a19")), "a short page after 20 looked at");
        let (second, next) = page(&articles, &query(next), 20, &never).unwrap();
        assert_eq!((second.len(), next.as_deref()), (0, Some("a39")));
        let (third, next) = page(&articles, &query(next), 20, &never).unwrap();
        assert_eq!((third.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), next), (vec!["a48", "a49"], None));

        let gone = Cancel::default();
        gone.cancel();
        assert!(matches!(page(&articles, &query(None), 5000, &gone), Ok(_)), "fewer than 1,024 looked at: no check");
        let many: Vec<Arc<Article>> = (0..3000).map(|i| article(format!("b{i:04}"), "Q")).collect();
        assert!(matches!(page(&many, &query(None), 5000, &gone), Err(Error::Cancelled)));
    }

    #[test]
    fn check_text_stops_when_cancelled_and_skips_sentences_longer_than_a_claim() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        engine.ingest(vec![NewArticle { id: "a".into(), text: "Oslo opened a new harbour in May 2024.".into(), ..NewArticle::default() }]).unwrap();
        let long = format!("Oslo opened a harbour {}in May 2024.", "and a long pier ".repeat(MAX_CLAIM_CHARS / 16));
        assert!(ingest::segment::check_worthy(&long) && long.chars().count() > MAX_CLAIM_CHARS);
        let text = format!("Oslo opened a new harbour in May 2024. {long}");
        let checked = engine.check_text(&text, 1, &Scope::default(), &Cancel::default()).unwrap();
        assert_eq!((checked.claims.len(), checked.skipped), (1, 1));
        let gone = Cancel::default();
        gone.cancel();
        assert!(matches!(engine.check_text(&text, 1, &Scope::default(), &gone), Err(Error::Cancelled)));
    }

    #[test]
    fn explains_each_citation() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        let text = "A budgetary envelope of 61 billion dollars was blocked in Congress.";
        engine.ingest(vec![NewArticle { id: "a".into(), text: text.into(), ..NewArticle::default() }]).unwrap();
        let v = engine.verify("A budgetary envelope of 16 billion dollars was blocked in Congress.", 1, true, &Scope::default()).unwrap();
        assert_eq!(v.verdict, Verdict::Contradicted);
        let explanation = v.citations[0].explanation.as_ref().expect("asked for");
        let rules = &explanation.rules;
        let decisive: Vec<_> = rules.iter().filter(|r| r.decisive).map(|r| (r.id, r.message.as_str())).collect();
        assert_eq!(decisive, [("quantity-conflict", v.reason.as_str())]);
        assert_eq!(explanation.model, None, "the lexical engine has no model");
        let plain = engine.verify("A budgetary envelope of 16 billion dollars was blocked in Congress.", 1, false, &Scope::default()).unwrap();
        assert_eq!(plain.citations[0].explanation, None);
    }
}
