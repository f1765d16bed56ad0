//! Recall@30 of the vector graph against the exhaustive scan, and the time
//! of each per query, on a store as it is: the claims of a JSONL file
//! (`{claim}` rows) are embedded and searched both ways, at each of the
//! graph's search expansions given (default: the served one). A store below
//! the graph's bar (`dense::ANN_MIN_UNITS`), or any with REBUILD=1 set, gets a
//! graph built for the measurement.
//!
//! Two recalls: of the exact 30 ids, and of the exact 30 distances (a found
//! unit counts if it is as close as the 30th exact one, less 0.001: the
//! ann-benchmarks definition, which does not punish a tie broken otherwise
//! among near-duplicate sentences).
//!
//! Also, to tell a graph that misses from a plateau of near-ties: the
//! recall of the exact 10 nearest among the 30 found, and per query (median)
//! the cosine of the 1st and the 30th exact neighbour and how many units lie
//! within 0.01 of the 30th (counted to 2,000).
//!
//!     cargo run --release --example dense_recall -- DATA_DIR MODELS_DIR CLAIMS [QUERIES=500] [EXPANSION ...]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use factcheck_server::engine::Engine;
use factcheck_server::engine::models::Models;
use factcheck_server::engine::retrieve::ann::EXPANSION_SEARCH;
use factcheck_server::engine::retrieve::dense::Dense;
use rustc_hash::FxHashMap as HashMap;

const K: usize = 30;
/// Exact neighbours kept per query to score what the graph finds.
const DEPTH: usize = 2_000;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, models, claims, rest @ ..] = args.as_slice() else { bail!("usage: dense_recall DATA_DIR MODELS_DIR CLAIMS [QUERIES] [EXPANSION ...]") };
    let queries: usize = rest.first().map_or(Ok(500), |q| q.parse()).context("QUERIES")?;
    let mut expansions = rest.iter().skip(1).map(|e| e.parse()).collect::<Result<Vec<usize>, _>>().context("EXPANSION")?;
    if expansions.is_empty() {
        expansions.push(EXPANSION_SEARCH);
    }
    let models = Arc::new(Models::load(Path::new(models), 1).context("the vectors need the models")?);
    let engine = Engine::builder(Path::new(data)).models(Some(models.clone())).aggregator(None).open()?;
    let index = engine.index();
    let dense = index.dense().context("the store has no vectors")?;
    let (built, built_ms);
    let graphed: &Dense = if dense.ann().is_some() && std::env::var_os("REBUILD").is_none() {
        built_ms = 0;
        dense
    } else {
        let started = Instant::now();
        built = dense.without_graph().with_graph(0, None);
        built_ms = started.elapsed().as_millis();
        &built
    };
    let ann = graphed.ann().context("no graph")?; // its search expansion is set per run
    let text = std::fs::read_to_string(claims).with_context(|| claims.clone())?;
    let mut asked = Vec::new();
    for line in text.lines().take(queries) {
        let row: serde_json::Value = serde_json::from_str(line)?;
        asked.push(models.embed(&[row["claim"].as_str().context("no claim")?])?);
    }
    let mut exact_ms = Vec::new();
    let truths: Vec<Vec<(u32, f32)>> = asked
        .iter()
        .map(|q| {
            let started = Instant::now();
            dense.exhaustive(q, K);
            exact_ms.push(started.elapsed().as_secs_f64() * 1e3);
            dense.exhaustive(q, DEPTH)
        })
        .collect();
    let mut runs = Vec::new();
    for &expansion in &expansions {
        ann.set_expansion(expansion);
        let (mut by_id, mut by_distance, mut top10, mut total, mut graph_ms) = (0, 0, 0, 0, Vec::new());
        for (query, truth) in asked.iter().zip(&truths) {
            let started = Instant::now();
            let found = graphed.graph_search(query, K).context("no graph")??;
            graph_ms.push(started.elapsed().as_secs_f64() * 1e3);
            let top = &truth[..K.min(truth.len())];
            let score: HashMap<u32, f32> = truth.iter().copied().collect();
            let bar = top.last().map_or(f32::MIN, |t| t.1) - 1e-3;
            by_id += found.iter().filter(|(id, _)| top.iter().any(|(t, _)| t == id)).count();
            by_distance += found.iter().filter(|(id, _)| score.get(id).is_some_and(|&s| s >= bar)).count();
            top10 += found.iter().filter(|(id, _)| top.iter().take(10).any(|(t, _)| t == id)).count();
            total += top.len();
        }
        runs.push(serde_json::json!({
            "expansion": expansion,
            "recall_at_30_ids": by_id as f64 / total.max(1) as f64,
            "recall_at_30": by_distance as f64 / total.max(1) as f64,
            "recall_10_in_30": top10 as f64 / (truths.iter().map(|t| t.len().min(10)).sum::<usize>().max(1)) as f64,
            "graph_p50_ms": p50(&mut graph_ms),
        }));
    }
    ann.set_expansion(EXPANSION_SEARCH);
    let cosine = |rank: usize| -> f64 { p50(&mut truths.iter().filter_map(|t| t.get(rank)).map(|t| f64::from(t.1)).collect::<Vec<_>>()) };
    let mut band: Vec<f64> = truths.iter().filter_map(|t| t.get(K - 1).map(|last| t.iter().filter(|u| (u.1 - last.1).abs() <= 0.01).count() as f64)).collect();
    let report = serde_json::json!({
        "units": dense.len(), "graph_in_index": dense.ann().is_some(), "graph_built_ms": built_ms, "queries": asked.len(),
        "exhaustive_p50_ms": p50(&mut exact_ms), "runs": runs,
        "cosine_1st_p50": cosine(0), "cosine_30th_p50": cosine(K - 1), "within_001_of_30th_p50": p50(&mut band),
    });
    println!("{report}");
    Ok(())
}

fn p50(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
