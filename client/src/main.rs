//! `factcheck`: verify claims, check health and evaluate labelled sets against
//! a factcheck server from the shell.

use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use factcheck_client::eval::{self, CLASSES, Outcome};
use factcheck_client::{channel, pb, response_json, stance_name, verdict_name, verify};
use factcheck_proto::v1::fact_check_service_client::FactCheckServiceClient;
use futures::StreamExt;
use tonic_health::pb::health_client::HealthClient;

#[derive(Parser)]
#[command(name = "factcheck", version, about = "Verify claims against a factcheck server")]
struct Cli {
    /// Server address, "host:port" or "http://host:port".
    #[arg(long, global = true, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:50051")]
    addr: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify one claim and print the verdict with its citations.
    Verify {
        claim: String,
        /// Most citations to show (0: server default).
        #[arg(long, default_value_t = 0)]
        max_citations: u32,
        /// Exit with status 3 unless the verdict is this one (for smoke tests).
        #[arg(long, value_parser = ["SUPPORTED", "CONTRADICTED", "UNKNOWN"])]
        expect: Option<String>,
    },
    /// Ask the server's gRPC health service.
    Health {
        /// Service to ask about ("" is the whole server).
        #[arg(long, default_value = "")]
        service: String,
    },
    /// Send every claim of a labelled JSONL file and report accuracy,
    /// macro-F1, per-class F1, the confusion matrix and citation@1.
    Eval {
        file: std::path::PathBuf,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Only the first N claims.
        #[arg(long)]
        limit: Option<usize>,
        /// Also list the claims answered wrongly.
        #[arg(long)]
        show_errors: bool,
    },
}

fn print_verification(r: &pb::VerifyClaimResponse) {
    println!("{}  (confidence {:.2})", verdict_name(r.verdict).to_uppercase(), r.confidence);
    println!("reason: {}", r.reason);
    for (i, c) in r.citations.iter().enumerate() {
        let by = if c.attribution.is_empty() { String::new() } else { format!(" · said by {}", c.attribution) };
        println!("\n[{}] {} · {} [{}..{}] · score {:.2}{by}", i + 1, stance_name(c.stance), c.article_id, c.start, c.end, c.score);
        if !c.article_title.is_empty() {
            println!("    {}", c.article_title);
        }
        println!("    “{}”", c.text);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let ch = channel(&cli.addr).await.with_context(|| format!("cannot connect to {}", cli.addr))?;
    match cli.command {
        Command::Verify { claim, max_citations, expect } => {
            let r = verify(&mut FactCheckServiceClient::new(ch), &claim, max_citations).await?;
            if cli.json { println!("{}", serde_json::to_string_pretty(&response_json(&r))?) } else { print_verification(&r) }
            let got = verdict_name(r.verdict).to_uppercase();
            if expect.is_some_and(|e| e != got) {
                return Err(UnexpectedVerdict(got).into());
            }
        }
        Command::Health { service } => {
            let r = HealthClient::new(ch).check(tonic_health::pb::HealthCheckRequest { service }).await?.into_inner();
            let status = tonic_health::pb::health_check_response::ServingStatus::try_from(r.status).map(|s| s.as_str_name()).unwrap_or("UNKNOWN");
            if cli.json { println!("{}", serde_json::json!({ "status": status })) } else { println!("{status}") }
            anyhow::ensure!(status == "SERVING", "server is not serving");
        }
        Command::Eval { file, concurrency, limit, show_errors } => {
            let content = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut examples = eval::parse(&content)?;
            examples.truncate(limit.unwrap_or(usize::MAX));
            let skipped = examples.iter().filter(|e| e.class().is_none()).count();
            examples.retain(|e| e.class().is_some());
            let client = FactCheckServiceClient::new(ch);
            let answers: Vec<_> = futures::stream::iter(examples.iter().map(|e| {
                let mut client = client.clone();
                async move {
                    let started = Instant::now();
                    let r = verify(&mut client, &e.claim, 1).await;
                    (e, r, started.elapsed().as_secs_f64() * 1e3)
                }
            }))
            .buffered(concurrency.max(1))
            .collect()
            .await;
            let mut outcomes = Vec::with_capacity(answers.len());
            for (e, r, latency_ms) in answers {
                let r = r.with_context(|| format!("claim {:?}", e.id))?;
                let predicted = match pb::Verdict::try_from(r.verdict) {
                    Ok(pb::Verdict::Supported) => 0,
                    Ok(pb::Verdict::Contradicted) => 1,
                    _ => 2,
                };
                let gold = e.class().unwrap_or(2);
                let cited_gold = r.citations.first().is_some_and(|c| e.gold_ids().contains(c.article_id.as_str()));
                if show_errors && !cli.json && (gold != predicted || (gold < 2 && !cited_gold)) {
                    let cite = r.citations.first().map(|c| format!("{}: {}", c.article_id, c.text)).unwrap_or_default();
                    println!("{} gold {} got {} ({}) | {} | {}", e.id, CLASSES[gold], CLASSES[predicted], r.reason, e.claim, cite);
                }
                outcomes.push(Outcome { gold, predicted, cited_gold, latency_ms });
            }
            let report = eval::report(&outcomes);
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "file": file, "skipped": skipped, "report": report }))?);
            } else {
                println!("{} ({} claims, {} skipped with other labels)\n", file.display(), report.n, skipped);
                print!("{report}");
            }
        }
    }
    Ok(())
}

/// `verify --expect` saw another verdict.
#[derive(Debug)]
struct UnexpectedVerdict(String);

impl std::fmt::Display for UnexpectedVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unexpected verdict {}", self.0)
    }
}

impl std::error::Error for UnexpectedVerdict {}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let unexpected = e.downcast_ref::<UnexpectedVerdict>().is_some();
            std::process::ExitCode::from(if unexpected { 3 } else { 1 })
        }
    }
}
