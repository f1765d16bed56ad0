//! Engine stages on the seed store: segment + normalise an article, normalise
//! a claim, retrieve, score stance, aggregate, and the whole verification.
//!     cargo bench -p factcheck-server --bench engine

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use factcheck_server::engine::ingest::corpus;
use factcheck_server::engine::ingest::segment::segment;
use factcheck_server::engine::judge::decide::decide;
use factcheck_server::engine::judge::rules::RuleScorer;
use factcheck_server::engine::judge::thresholds::Thresholds;
use factcheck_server::engine::judge::{Pair, StanceScorer};
use factcheck_server::engine::language::analyze;
use factcheck_server::engine::retrieve::index::Index;
use factcheck_server::engine::{Engine, evidence_text};

const CLAIM: &str = "More than 70% of Russia's machine tool imports in the last quarter of 2023 came from China.";

fn stages(c: &mut Criterion) {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    engine.ingest(corpus::load(&seeds).unwrap()).unwrap();
    let article = engine.get("002_5164c0c69b710b45").unwrap().unwrap();
    let articles: Vec<_> = ["000_fbbe073d80e5598f", "001_de8a397868ef996a", "002_5164c0c69b710b45", "003_69ac2957ca1cb450", "004_93e73d062d23ccb6"]
        .iter()
        .map(|id| std::sync::Arc::new(engine.get(id).unwrap().unwrap()))
        .collect();
    let index = Index::build(articles, 1024);
    let claim = analyze(CLAIM);
    let hits = index.search(&claim, 30);
    let (best, unit) = index.unit(hits[0].0);
    let evidence = analyze(&evidence_text(best, unit));
    let idf = |t: &str| index.idf(t);
    let scorer = RuleScorer::default();
    let pair = Pair { claim: &claim, evidence: &evidence, idf: &idf, max_idf: index.max_idf() };
    let assessed: Vec<_> = hits
        .iter()
        .map(|&(id, _)| {
            let (a, u) = index.unit(id);
            let e = analyze(&evidence_text(a, u));
            scorer.assess(&Pair { claim: &claim, evidence: &e, idf: &idf, max_idf: index.max_idf() })
        })
        .collect();

    c.bench_function("segment+normalise one article (21 sentences)", |b| {
        b.iter(|| {
            let units = segment(black_box(&article.text));
            units.iter().map(|u| analyze(&article.text[u.start..u.end]).tokens.len()).sum::<usize>()
        })
    });
    c.bench_function("normalise a claim", |b| b.iter(|| analyze(black_box(CLAIM))));
    c.bench_function("retrieve 30 candidates (BM25, seeds)", |b| b.iter(|| index.search(black_box(&claim), 30)));
    c.bench_function("stance of one pair", |b| b.iter(|| scorer.assess(black_box(&pair))));
    c.bench_function("aggregate 30 assessments", |b| b.iter(|| decide(black_box(&assessed), &Thresholds::default())));
    c.bench_function("verify (whole pipeline, seeds)", |b| b.iter(|| engine.verify(black_box(CLAIM), 5, false, &Default::default()).unwrap()));
}

criterion_group!(benches, stages);
criterion_main!(benches);
