//! `factcheck`: verify claims and texts, manage articles and evaluate labelled
//! sets against a factcheck server, from the shell.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use factcheck_client::bench;
use factcheck_client::eval::{self, CLASSES, Outcome};
use factcheck_client::{Tls, connect, effect_name, pb, rfc3339, stance_name, verdict_name, verify, with_token};
use factcheck_proto::v1::fact_check_service_client::FactCheckServiceClient;
use factcheck_proto::pbjson_types;
use futures::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

#[derive(Parser)]
#[command(name = "factcheck", version, about = "Verify claims against a factcheck server")]
struct Cli {
    /// Server address, "host:port" or "http://host:port".
    #[arg(long, global = true, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:50051")]
    addr: String,
    /// Print JSON instead of text: each response in the proto3 JSON mapping (as grpcurl prints it).
    #[arg(long, global = true)]
    json: bool,
    /// TLS: the PEM file of the CA that signed the server's certificate.
    #[arg(long, global = true, env = "FACTCHECK_TLS_CA")]
    tls_ca: Option<PathBuf>,
    /// Mutual TLS: this client's certificate (PEM), with --tls-key.
    #[arg(long, global = true, env = "FACTCHECK_CLIENT_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Mutual TLS: this client's private key (PEM), with --tls-cert.
    #[arg(long, global = true, env = "FACTCHECK_CLIENT_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// TLS: the name the server's certificate must carry (default: the host of --addr).
    #[arg(long, global = true, env = "FACTCHECK_TLS_DOMAIN")]
    tls_domain: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify one claim, or (--batch) every claim of a JSONL file over one stream.
    Verify {
        /// The claim (not with --batch).
        #[arg(required_unless_present = "batch", conflicts_with = "batch")]
        claim: Option<String>,
        /// JSONL file of {"id", "claim"} rows (or "-" for standard input).
        #[arg(long)]
        batch: Option<PathBuf>,
        /// Most citations to show (0: server default).
        #[arg(long, default_value_t = 0)]
        max_citations: u32,
        /// Exit with status 3 unless the verdict is this one (for smoke tests).
        #[arg(long, value_parser = ["SUPPORTED", "CONTRADICTED", "UNKNOWN"])]
        expect: Option<String>,
        /// Show, per citation, the rules that fired and the stance model's probabilities.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        scope: Scope,
    },
    /// Check a paragraph or document (file, or "-" for standard input): each
    /// check-worthy claim is highlighted with its verdict.
    Check {
        file: PathBuf,
        /// Citations per claim (0: server default).
        #[arg(long, default_value_t = 0)]
        max_citations: u32,
        #[command(flatten)]
        scope: Scope,
    },
    /// Add or replace articles from a folder of .txt files or a JSONL file (admin).
    Ingest {
        path: PathBuf,
        /// Admin bearer token.
        #[arg(long, env = "FACTCHECK_ADMIN_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// List, show or delete stored articles.
    Articles {
        #[command(subcommand)]
        command: ArticlesCommand,
    },
    /// Load-test the server: closed loop at a fixed concurrency, then the same
    /// against grpc.health.v1 as the floor. Reports rps, p50/p90/p99/p99.9 and
    /// gRPC errors by code.
    Bench {
        /// JSONL file with "claim" fields, e.g. ../shared/eval/seed-claims.dev.jsonl.
        #[arg(long)]
        claims: PathBuf,
        /// Callers in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How long to run (ignored with --requests).
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        duration: std::time::Duration,
        /// Send this many requests instead of running for a duration.
        #[arg(long)]
        requests: Option<u64>,
        /// HTTP/2 connections to spread the callers over.
        #[arg(long, default_value_t = 1)]
        connections: usize,
        /// Mixed RPCs (verify, check, stream, list, get) instead of VerifyClaim only.
        #[arg(long)]
        mixed: bool,
        /// Skip the health-check floor.
        #[arg(long)]
        no_floor: bool,
        /// Print rps and p99 every interval (for soaks), e.g. 10s.
        #[arg(long, value_parser = humantime::parse_duration)]
        report_every: Option<std::time::Duration>,
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
        file: PathBuf,
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

#[derive(Subcommand)]
enum ArticlesCommand {
    /// List articles in id order.
    List {
        #[command(flatten)]
        scope: Scope,
        /// Articles per page.
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        /// Continue from this page token.
        #[arg(long, default_value = "")]
        page_token: String,
        /// Follow every page to the end.
        #[arg(long)]
        all: bool,
    },
    /// Show one article with its claim units.
    Get { id: String },
    /// Delete one article (admin).
    Delete {
        id: String,
        #[arg(long, env = "FACTCHECK_ADMIN_TOKEN", hide_env_values = true)]
        token: String,
    },
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

fn read_input(path: &PathBuf) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

/// Which articles count: as evidence (verify, check) or in a listing.
#[derive(clap::Args, Clone)]
struct Scope {
    /// Only articles with exactly this publisher.
    #[arg(long)]
    publisher: Option<String>,
    /// Only articles published at or after this time (RFC 3339, e.g. 2024-04-01T00:00:00Z).
    #[arg(long)]
    after: Option<String>,
    /// Only articles published before this time (RFC 3339): verify as of a date.
    #[arg(long)]
    before: Option<String>,
}

impl Scope {
    fn proto(self) -> anyhow::Result<pb::ArticleScope> {
        Ok(pb::ArticleScope { publisher: self.publisher.unwrap_or_default(), published_after: timestamp(self.after)?, published_before: timestamp(self.before)? })
    }
}

fn timestamp(rfc3339: Option<String>) -> anyhow::Result<Option<pbjson_types::Timestamp>> {
    rfc3339
        .map(|t| {
            let since = humantime::parse_rfc3339_weak(&t).with_context(|| format!("not an RFC 3339 time: {t}"))?.duration_since(std::time::UNIX_EPOCH)?;
            Ok(pbjson_types::Timestamp { seconds: since.as_secs() as i64, nanos: since.subsec_nanos() as i32 })
        })
        .transpose()
}

fn print_citations(citations: &[pb::Citation], indent: &str) {
    for (i, c) in citations.iter().enumerate() {
        let by = if c.attribution.is_empty() { String::new() } else { format!(" · said by {}", c.attribution) };
        println!("{indent}[{}] {} · {} [{}..{}] · score {:.2}{by}", i + 1, stance_name(c.stance), c.article_id, c.start, c.end, c.score);
        println!("{indent}    “{}”", c.text);
    }
}

fn print_verification(r: &pb::VerifyClaimResponse) {
    println!("{}  (confidence {:.2})", verdict_name(r.verdict).to_uppercase(), r.confidence);
    println!("reason: {}\n", r.reason);
    print_citations(&r.citations, "");
}

/// `verify --explain`: per citation, the rules that fired (the decisive one
/// marked) and the stance model's probabilities.
fn print_explanation(r: &pb::VerifyClaimResponse) {
    for (i, c) in r.citations.iter().enumerate() {
        let Some(e) = &c.explanation else { continue };
        println!("\n[{}] why {}:", i + 1, stance_name(c.stance));
        for rule in &e.rules {
            let mark = if rule.decisive { "*" } else { " " };
            println!("  {mark} {:<22} {:<8} {}", rule.rule, effect_name(rule.effect), rule.message);
        }
        match e.model {
            Some(m) => println!("    stance model: supports {:.2} · refutes {:.2} · not enough info {:.2}", m.supports, m.refutes, m.not_enough_info),
            None => println!("    stance model: did not read this pair"),
        }
    }
}

/// ANSI colour of a verdict: green, red, yellow.
fn colour(verdict: i32) -> &'static str {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::Supported) => "\x1b[42;30m",
        Ok(pb::Verdict::Contradicted) => "\x1b[41;97m",
        _ => "\x1b[43;30m",
    }
}

fn print_check(text: &str, r: &pb::CheckTextResponse) {
    let tty = std::io::stdout().is_terminal();
    let mut at = 0;
    let mut out = String::new();
    for (i, c) in r.claims.iter().enumerate() {
        let (start, end) = (c.start as usize, c.end as usize);
        out.push_str(&text[at..start]);
        if tty {
            out.push_str(&format!("{}{}\x1b[0m", colour(c.verdict), &text[start..end]));
        } else {
            out.push_str(&format!("[{}]{{{}}}", i + 1, &text[start..end]));
        }
        at = end;
    }
    out.push_str(&text[at..]);
    println!("{}\n", out.trim_end());
    for (i, c) in r.claims.iter().enumerate() {
        println!("[{}] {} ({:.2}) {}", i + 1, verdict_name(c.verdict).to_uppercase(), c.confidence, c.text);
        println!("    reason: {}", c.reason);
        print_citations(c.citations.get(..1).unwrap_or_default(), "    ");
    }
    let s = r.summary.clone().unwrap_or_default();
    println!("\n{} supported, {} contradicted, {} unknown, {} sentences skipped", s.supported, s.contradicted, s.unknown, s.skipped);
}

async fn verify_batch(client: &mut FactCheckServiceClient<Channel>, file: &PathBuf, max_citations: u32, explain: bool, scope: pb::ArticleScope, json: bool) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(default, alias = "claim_id")]
        id: String,
        claim: String,
    }
    let rows: Vec<Row> = read_input(file)?
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).with_context(|| format!("line {}", n + 1)))
        .collect::<anyhow::Result<_>>()?;
    let claims: std::collections::HashMap<String, String> = rows.iter().enumerate().map(|(i, r)| (i.to_string(), r.claim.clone())).collect();
    let ids: Vec<String> = rows.iter().enumerate().map(|(i, r)| if r.id.is_empty() { i.to_string() } else { r.id.clone() }).collect();
    let requests = rows.into_iter().enumerate().map(move |(i, r)| pb::VerifyClaimsRequest { request_id: i.to_string(), claim: r.claim, max_citations, explain, scope: Some(scope.clone()) });
    let mut answers = client.verify_claims(futures::stream::iter(requests)).await?.into_inner();
    let mut stdout = std::io::stdout().lock();
    while let Some(a) = answers.message().await? {
        let i: usize = a.request_id.parse().unwrap_or(usize::MAX);
        let id = ids.get(i).map_or(a.request_id.as_str(), String::as_str);
        let claim = claims.get(&a.request_id).map_or("", String::as_str);
        match a.result {
            Some(pb::verify_claims_response::Result::Verification(v)) if json => {
                writeln!(stdout, "{}", serde_json::json!({"id": id, "claim": claim, "result": v}))?
            }
            Some(pb::verify_claims_response::Result::Verification(v)) => {
                writeln!(stdout, "{id}\t{}\t{:.2}\t{claim}", verdict_name(v.verdict).to_uppercase(), v.confidence)?;
                if explain {
                    print_explanation(&v);
                }
            }
            Some(pb::verify_claims_response::Result::Error(e)) if json => {
                writeln!(stdout, "{}", serde_json::json!({"id": id, "claim": claim, "error": e}))?
            }
            Some(pb::verify_claims_response::Result::Error(e)) => writeln!(stdout, "{id}\tERROR\t{}\t{}", e.reason, e.message)?,
            None => {}
        }
    }
    Ok(())
}

async fn ingest(client: &mut FactCheckServiceClient<Channel>, path: &PathBuf, token: &str, json: bool) -> anyhow::Result<()> {
    let source = factcheck_client::ingest::Source::open(path)?;
    let total = source.count()?;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} articles  {per_sec}  eta {eta}")?);
    if json || !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    // Articles are read on a blocking thread and streamed as they are read.
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let progress = bar.clone();
    let reader = tokio::task::spawn_blocking(move || {
        source.for_each(|article| {
            tx.blocking_send(pb::IngestArticlesRequest { article: Some(article) }).map_err(|_| anyhow::anyhow!("the server closed the stream"))?;
            progress.inc(1);
            Ok(())
        })
    });
    let started = Instant::now();
    let answer = client.ingest_articles(with_token(tokio_stream::wrappers::ReceiverStream::new(rx), token)?).await;
    let read = reader.await?;
    bar.finish_and_clear();
    let r = answer?.into_inner();
    read?;
    let secs = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{} added, {} updated, {} unchanged, {} rejected in {secs:.1} s ({:.0} articles/s); store version {}", r.added, r.updated, r.unchanged, r.rejected, total as f64 / secs.max(1e-9), r.store_version);
        for x in &r.rejections {
            println!("  rejected #{} {:?}: {}", x.index, x.article_id, x.reason);
        }
    }
    Ok(())
}

async fn articles(client: &mut FactCheckServiceClient<Channel>, command: ArticlesCommand, json: bool) -> anyhow::Result<()> {
    match command {
        ArticlesCommand::List { scope, page_size, mut page_token, all } => {
            let scope = scope.proto()?;
            loop {
                let request = pb::ListArticlesRequest {
                    page_size,
                    page_token: page_token.clone(),
                    publisher: scope.publisher.clone(),
                    published_after: scope.published_after,
                    published_before: scope.published_before,
                };
                let page = client.list_articles(request).await?.into_inner();
                if json {
                    println!("{}", serde_json::to_string(&page)?);
                } else {
                    for a in &page.articles {
                        println!("{}\t{}\t{}\t{}", a.id, a.publisher, rfc3339(a.published_time), a.title);
                    }
                }
                if !all || page.next_page_token.is_empty() {
                    if !json && !page.next_page_token.is_empty() {
                        println!("next page: --page-token {}", page.next_page_token);
                    }
                    return Ok(());
                }
                page_token = page.next_page_token;
            }
        }
        ArticlesCommand::Get { id } => {
            let a = client.get_article(pb::GetArticleRequest { id }).await?.into_inner();
            if json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                println!("{}  {}\n{} · {} · {} · {}\n", a.id, a.title, a.publisher, rfc3339(a.published_time), a.language, a.url);
                for c in &a.claims {
                    let by = if c.attribution.is_empty() { String::new() } else { format!("  ({})", c.attribution) };
                    println!("[{}..{}] {}{by}", c.start, c.end, c.text);
                }
            }
        }
        ArticlesCommand::Delete { id, token } => {
            let r = client.delete_article(with_token(pb::DeleteArticleRequest { id: id.clone() }, &token)?).await?.into_inner();
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!("deleted {id}; store version {}", r.store_version);
            }
        }
    }
    Ok(())
}

async fn evaluate(client: FactCheckServiceClient<Channel>, file: PathBuf, concurrency: usize, limit: Option<usize>, show_errors: bool, json: bool) -> anyhow::Result<()> {
    let content = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut examples = eval::parse(&content)?;
    examples.truncate(limit.unwrap_or(usize::MAX));
    let skipped = examples.iter().filter(|e| e.class().is_none()).count();
    examples.retain(|e| e.class().is_some());
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
        let outcome = Outcome::of(e, &r, latency_ms);
        let (gold, predicted) = (outcome.gold, outcome.predicted);
        if show_errors && !json && (gold != predicted || (gold < 2 && !outcome.cited_gold)) {
            let cite = r.citations.first().map(|c| format!("{}: {}", c.article_id, c.text)).unwrap_or_default();
            println!("{} gold {} got {} ({}) | {} | {}", e.id, CLASSES[gold], CLASSES[predicted], r.reason, e.claim, cite);
        }
        outcomes.push(outcome);
    }
    let report = eval::report(&outcomes);
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "file": file, "skipped": skipped, "report": report }))?);
    } else {
        println!("{} ({} claims, {} skipped with other labels)\n", file.display(), report.n, skipped);
        print!("{report}");
    }
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let tls = Tls { ca: cli.tls_ca.clone(), cert: cli.tls_cert.clone(), key: cli.tls_key.clone(), domain: cli.tls_domain.clone() };
    let ch = connect(&cli.addr, &tls).await.with_context(|| format!("cannot connect to {}", cli.addr))?;
    let mut client = FactCheckServiceClient::new(ch.clone());
    match cli.command {
        Command::Verify { batch: Some(file), max_citations, explain, scope, .. } => verify_batch(&mut client, &file, max_citations, explain, scope.proto()?, cli.json).await?,
        Command::Verify { claim, max_citations, expect, explain, scope, .. } => {
            let request = pb::VerifyClaimRequest { claim: claim.unwrap_or_default(), max_citations, explain, scope: Some(scope.proto()?) };
            let r = client.verify_claim(request).await?.into_inner();
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&r)?)
            } else {
                print_verification(&r);
                print_explanation(&r);
            }
            let got = verdict_name(r.verdict).to_uppercase();
            if expect.is_some_and(|e| e != got) {
                return Err(UnexpectedVerdict(got).into());
            }
        }
        Command::Check { file, max_citations, scope } => {
            let text = read_input(&file)?;
            let r = client.check_text(pb::CheckTextRequest { text: text.clone(), max_citations, scope: Some(scope.proto()?) }).await?.into_inner();
            if cli.json { println!("{}", serde_json::to_string_pretty(&r)?) } else { print_check(&text, &r) }
        }
        Command::Ingest { path, token } => ingest(&mut client, &path, &token, cli.json).await?,
        Command::Articles { command } => articles(&mut client, command, cli.json).await?,
        Command::Health { service } => {
            let r = HealthClient::new(ch).check(tonic_health::pb::HealthCheckRequest { service }).await?.into_inner();
            let status = tonic_health::pb::health_check_response::ServingStatus::try_from(r.status).map(|s| s.as_str_name()).unwrap_or("UNKNOWN");
            if cli.json { println!("{}", serde_json::json!({ "status": status })) } else { println!("{status}") }
            anyhow::ensure!(status == "SERVING", "server is not serving");
        }
        Command::Eval { file, concurrency, limit, show_errors } => evaluate(client, file, concurrency, limit, show_errors, cli.json).await?,
        Command::Bench { claims, concurrency, duration, requests, connections, mixed, no_floor, report_every } => {
            let examples = eval::parse(&read_input(&claims)?)?;
            let claims = std::sync::Arc::new(bench::Claims::new(examples.into_iter().map(|e| e.claim).collect())?);
            let mut channels = vec![ch];
            for _ in 1..connections.max(1) {
                channels.push(connect(&cli.addr, &tls).await?);
            }
            let workload = if mixed { bench::Workload::Mixed } else { bench::Workload::Verify };
            let plan = bench::Plan { concurrency, duration: Some(duration).filter(|_| requests.is_none()), requests, workload, report_every };
            let run = bench::run(&channels, claims.clone(), &plan).await?;
            let floor = if no_floor { None } else { Some(bench::run(&channels, claims, &bench::Plan { workload: bench::Workload::Health, report_every: None, ..plan }).await?) };
            if cli.json {
                println!("{}", serde_json::json!({"run": run, "floor": floor}));
            } else {
                println!("{run}");
                if let Some(f) = floor {
                    println!("{f}");
                }
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`| head`) would
    // panic; a Unix tool ends quietly instead.
    #[cfg(unix)]
    // SAFETY: sets the default disposition of one signal that nothing else here handles.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let unexpected = e.downcast_ref::<UnexpectedVerdict>().is_some();
            std::process::ExitCode::from(if unexpected { 3 } else { 1 })
        }
    }
}
