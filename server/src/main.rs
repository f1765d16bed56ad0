//! `factcheck-server`: open the store, ingest the corpus, serve until SIGTERM/SIGINT.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use factcheck_server::config::{Config, LogFormat};
use factcheck_server::engine::{Engine, corpus};
use tokio::net::TcpListener;
use tracing::{error, info};

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

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

async fn serve(config: Config) -> anyhow::Result<()> {
    info!(listen = %config.listen, data_dir = %config.data_dir.display(), corpus = %config.corpus.display(), "starting");
    let started = Instant::now();
    let (data_dir, corpus_path) = (config.data_dir.clone(), config.corpus.clone());
    let engine = tokio::task::spawn_blocking(move || -> anyhow::Result<Engine> {
        let engine = Engine::open(&data_dir)?;
        info!(articles = engine.article_count(), units = engine.unit_count(), "store opened");
        if !corpus_path.as_os_str().is_empty() {
            let articles = corpus::load(&corpus_path)?;
            let r = engine.ingest(articles)?;
            info!(added = r.added, replaced = r.replaced, unchanged = r.unchanged, units = r.units, elapsed_ms = r.elapsed.as_millis() as u64, "corpus ingested");
        }
        Ok(engine)
    })
    .await??;
    info!(
        articles = engine.article_count(),
        units = engine.unit_count(),
        store_version = engine.store_version()?,
        engine = "lexical",
        elapsed_ms = started.elapsed().as_millis() as u64,
        "engine ready"
    );
    let listener = TcpListener::bind(config.listen).await?;
    info!(addr = %listener.local_addr()?, "serving");
    factcheck_server::run(listener, Arc::new(engine), shutdown_signal()).await?;
    info!("stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    init_tracing(config.log_format);
    match serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = format!("{e:#}"), "server failed");
            ExitCode::FAILURE
        }
    }
}
