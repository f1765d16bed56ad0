//! The learned aggregator's training rows: for each claim of a JSONL file
//! (`{claim_id|id, claim, label}`), the judge's signals over a store, one JSON
//! line each, after a first line naming the signals. `train/fit_judge.py` runs it and fits on the output.
//!
//!     cargo run --release --example judge_signals -- DATA_DIR MODELS_DIR CORPUS CLAIMS OUT
//!
//! CORPUS (a corpus path, or "" for the store as it is) is ingested first.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use factcheck_server::engine::Engine;
use factcheck_server::engine::ingest::corpus;
use factcheck_server::engine::judge::aggregate::SIGNALS;
use factcheck_server::engine::models::Models;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, models, corpus_path, claims, out] = args.as_slice() else { bail!("usage: judge_signals DATA_DIR MODELS_DIR CORPUS CLAIMS OUT") };
    let models = Models::load(Path::new(models), 1).context("the signals need the models")?;
    // The signals are the aggregator's inputs: none is needed (nor read, so a stale one does not stop a refit).
    let engine = Engine::builder(Path::new(data)).models(Some(Arc::new(models))).aggregator(None).open()?;
    if !corpus_path.is_empty() {
        engine.ingest(corpus::load(Path::new(corpus_path))?)?;
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(w, "{}", serde_json::json!({"signals": SIGNALS.as_slice()}))?;
    let rows = std::io::BufReader::new(std::fs::File::open(claims).with_context(|| claims.clone())?).lines();
    for (n, line) in rows.enumerate() {
        let row: serde_json::Value = serde_json::from_str(&line?)?;
        let claim = row["claim"].as_str().with_context(|| format!("{claims}:{}: no claim", n + 1))?;
        let id = row.get("claim_id").or_else(|| row.get("id")).cloned().unwrap_or_default();
        let signals = engine.signals(claim);
        writeln!(w, "{}", serde_json::json!({"id": id, "label": row["label"], "signals": signals}))?;
        if (n + 1) % 200 == 0 {
            eprintln!("{claims}: {} claims", n + 1);
        }
    }
    w.flush()?;
    Ok(())
}
