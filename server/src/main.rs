//! `factcheck-server`: load config, open the store, serve (NOT_SERVING while
//! the corpus is ingested) until SIGTERM/SIGINT, then drain, flush telemetry
//! and the store, exit 0.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use factcheck_server::config::Config;
use factcheck_server::engine::ingest::corpus;
use factcheck_server::engine::judge::thresholds::{ModelGate, Thresholds};
use factcheck_server::engine::Engine;
use factcheck_server::metrics::Metrics;
use factcheck_server::replication::{Replication, StreamConfig};
use factcheck_server::{ServeOptions, telemetry};
use tokio::net::TcpListener;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tracing::{error, info, warn};

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn tls_config(config: &Config) -> anyhow::Result<Option<ServerTlsConfig>> {
    let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) else { return Ok(None) };
    let read = |p: &std::path::Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(ca) = &config.tls_client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(Some(tls))
}

async fn bind(addr: Option<std::net::SocketAddr>, what: &str) -> anyhow::Result<Option<TcpListener>> {
    match addr {
        Some(a) => Ok(Some(TcpListener::bind(a).await.with_context(|| format!("cannot bind {what} {a}"))?)),
        None => Ok(None),
    }
}

/// How long a starting replica that has applied part of the ingest log
/// waits to reach it, and then to catch up with it, before it serves what its
/// store holds (following on meanwhile).
const STREAM_WAIT: Duration = Duration::from_secs(15);
const CATCH_UP_WAIT: Duration = Duration::from_secs(60);

/// Applies the ingest log up to its end as of now, then takes writes. A
/// replica that has applied some of it serves its store if the stream cannot
/// be reached or is not caught up with in `CATCH_UP_WAIT` (and takes writes
/// once it is); a fresh one waits for it, or it would serve articles the log
/// has deleted.
async fn catch_up(replication: Arc<Replication>, fresh: bool) {
    loop {
        match tokio::time::timeout(STREAM_WAIT, replication.last_sequence()).await {
            Ok(Ok(last)) => {
                info!(last, "catching up with the ingest stream");
                if replication.caught_up(last, (!fresh).then_some(CATCH_UP_WAIT)).await {
                    break;
                }
                tracing::warn!(wait_s = CATCH_UP_WAIT.as_secs(), "serving the local store while catching up; writes wait until then");
                tokio::spawn(async move {
                    replication.caught_up(last, None).await;
                    info!(last, "caught up with the ingest stream: taking writes");
                    replication.set_ready();
                });
                return;
            }
            Ok(Err(e)) => tracing::warn!(error = %e, fresh, "ingest stream unreachable"),
            Err(_) => tracing::warn!(wait_s = STREAM_WAIT.as_secs(), fresh, "ingest stream unreachable"),
        }
        if !fresh {
            tracing::warn!("serving the local store until the ingest stream is back");
            break;
        }
    }
    replication.set_ready();
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let (data_dir, corpus_path, models_dir, cached) = (config.data_dir.clone(), config.corpus.clone(), config.models.clone(), config.cached_sentences);
    let gate = ModelGate { threshold: config.model_threshold, min_coverage: config.model_min_coverage, ..ModelGate::default() };
    let thresholds = Thresholds { gate, ..Thresholds::default() };
    let judge = config.judge.clone();
    let stream = StreamConfig {
        urls: config.ingest_stream.clone(),
        name: config.ingest_stream_name.clone(),
        replicas: config.ingest_stream_replicas,
        credentials: config.ingest_stream_credentials.clone(),
        tls_ca: config.ingest_stream_tls_ca.clone(),
    };
    let (engine, articles) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut builder = Engine::builder(&data_dir).thresholds(thresholds).cached_sentences(cached);
        if models_dir.is_empty() {
            info!("no models configured; serving with the lexical engine");
        } else {
            builder = builder.models_from(std::path::Path::new(&models_dir));
        }
        if let Some(file) = judge {
            builder = builder.aggregator((!file.is_empty()).then(|| file.into()));
        }
        let engine = builder.open()?;
        info!(articles = engine.article_count(), units = engine.unit_count(), index = ?engine.index_origin(), "store opened");
        // Read before serving, so that a bad corpus fails the start at once.
        let articles = if corpus_path.is_empty() { None } else { Some(corpus::load(std::path::Path::new(&corpus_path))?) };
        Ok((Arc::new(engine), articles))
    })
    .await??;
    let metrics = Arc::new(Metrics::default());
    let replication = if stream.urls.is_empty() {
        None
    } else {
        Some(Replication::connect(&stream, engine.clone(), metrics.clone()).await.with_context(|| format!("ingest stream {}", stream.urls.redacted()))?)
    };
    // With a replicated log, the corpus seeds a replica only before its first
    // entry: later writes come from the log alone, in the same order on
    // every replica.
    let fresh = engine.applied_sequence()? == 0;
    let articles = match &replication {
        Some(_) if !fresh => None,
        _ => articles,
    };
    // The corpus is ingested (and the log caught up with) while the server
    // listens, NOT_SERVING (but live) until it is done: a large corpus takes
    // minutes, and probes and callers should see why the replica is not ready.
    let warmup: factcheck_server::Warmup = {
        let (engine, replication, metrics) = (engine.clone(), replication.clone(), metrics.clone());
        Box::pin(async move {
            if let Some(articles) = articles {
                let ingesting = engine.clone();
                let r = tokio::task::spawn_blocking(move || ingesting.ingest(articles)).await??;
                info!(added = r.added, replaced = r.replaced, unchanged = r.unchanged, units = r.units, elapsed_ms = r.elapsed.as_millis() as u64, "corpus ingested");
                metrics.record_ingested((r.added + r.replaced) as u64);
            }
            if let Some(replication) = replication {
                tokio::spawn(replication.clone().follow());
                catch_up(replication.clone(), fresh).await;
            }
            let answered_by = engine.answered_by();
            info!(
                articles = engine.article_count(),
                units = engine.unit_count(),
                store_version = engine.store_version()?,
                applied_sequence = engine.applied_sequence()?,
                engine = engine.mode(),
                stance_model = %answered_by.stance_model,
                judge = %answered_by.judge,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "engine ready"
            );
            // Saved now too, not only at shutdown: a replica that crashes restarts fast.
            let saving = engine.clone();
            tokio::task::spawn_blocking(move || saving.save_index().inspect_err(|e| warn!(error = %e, "cannot save the index snapshot")));
            Ok(())
        })
    };
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("cannot bind {}", config.listen))?;
    let options = ServeOptions {
        request_timeout: config.request_timeout,
        max_concurrent_requests: config.max_concurrent_requests,
        max_request_bytes: config.max_request_bytes,
        shutdown_grace: config.shutdown_grace,
        tls: tls_config(&config)?,
        metrics,
        metrics_listener: bind(config.metrics_addr(), "metrics").await?,
        health_listener: bind(config.health_addr(), "health").await?,
        admin_token: config.admin_token.clone(),
        reflection: config.reflection,
        warmup: Some(warmup),
        replication,
    };
    info!(addr = %listener.local_addr()?, tls = options.tls.is_some(), metrics = ?config.metrics_addr(), health = ?config.health_addr(), "serving");
    factcheck_server::run(listener, engine.clone(), options, shutdown_signal()).await?;
    engine.flush()?;
    engine.save_index()?;
    Ok(())
}

fn main() -> ExitCode {
    // Engine work runs on the blocking pool. Its default bound (512 threads)
    // would let memory grow with load: a few threads per core saturate the
    // CPU anyway, and the admission limit bounds what waits for them.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(2 * cores.max(2)).build();
    match runtime {
        Ok(rt) => {
            let code = rt.block_on(serve_main());
            // A start-up ingest still running at shutdown is abandoned, not
            // awaited: each article's write is atomic, and the next start
            // resumes it.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            code
        }
        Err(e) => {
            eprintln!("factcheck-server: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_main() -> ExitCode {
    let config = match Config::load().and_then(|c| c.validate().map(|()| c)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("factcheck-server: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if config.check_config {
        println!("{config:#?}");
        return ExitCode::SUCCESS;
    }
    let telemetry = match telemetry::init(config.log_format, telemetry::otlp_endpoint_from_env()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("factcheck-server: telemetry: {e:#}");
            return ExitCode::from(2);
        }
    };
    // The admin token prints as "[redacted]"; TLS settings are paths.
    info!(config = ?config, "effective configuration");
    let result = serve(config).await;
    telemetry.shutdown();
    match result {
        Ok(()) => {
            info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            error!(error = format!("{e:#}"), "server failed");
            ExitCode::FAILURE
        }
    }
}
