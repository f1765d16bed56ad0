//! Times loading the models as a restart does before it serves (one ONNX
//! Runtime session each; `Models::open_sessions` makes the others later):
//! wall-clock and CPU seconds, and the log's per-model prepare and session times.
//!   cargo run --release --example model_load -- [MODELS_DIR=models] [ROUNDS=3]

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use factcheck_server::engine::models::Models;

/// CPU seconds this process has used (user + system, from /proc).
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let fields: Vec<&str> = stat.rsplit(')').next().context("/proc/self/stat")?.split_whitespace().collect();
    Ok((fields[11].parse::<f64>()? + fields[12].parse::<f64>()?) / 100.0)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_ansi(false).init();
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).map_or("models", String::as_str));
    let rounds: usize = args.get(2).map_or(Ok(3), |r| r.parse())?;
    for round in 1..=rounds {
        let (started, cpu) = (Instant::now(), cpu_seconds()?);
        let models = Models::load(dir, 2)?;
        println!("round {round}: models loaded in {:.3} s, {:.3} CPU s", started.elapsed().as_secs_f64(), cpu_seconds()? - cpu);
        drop(models);
    }
    Ok(())
}
