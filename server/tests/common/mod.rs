//! Starts the real server on 127.0.0.1:0 over a temp data dir, the way the
//! binary does, and hands out gRPC clients.
#![allow(dead_code)] // each test binary uses part of this

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use factcheck_client::Client;
use factcheck_server::ServeOptions;
use factcheck_server::engine::models::Models;
use factcheck_server::engine::ingest::corpus;
use factcheck_server::engine::{Engine, IngestReport};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// The address a server binary logs once it serves (it was started with
/// `--listen 127.0.0.1:0` and its stderr piped: a port picked beforehand
/// could be taken by another test's server in between), and a thread that
/// collects the rest of its log, so that logging never blocks it.
pub fn serving_addr(child: &mut std::process::Child) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader};
    let mut lines = BufReader::new(child.stderr.take().expect("stderr piped")).lines();
    let mut seen = String::new();
    let addr = lines.by_ref().map_while(Result::ok).find_map(|l| {
        let addr = l.split(" serving addr=").nth(1).and_then(|r| r.split_whitespace().next()).map(str::to_string);
        seen.push_str(&l);
        seen.push('\n');
        addr
    });
    let addr = addr.unwrap_or_else(|| panic!("server exited before serving:\n{seen}"));
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).fold(seen, |log, l| log + &l + "\n"));
    (addr, rest)
}

/// A channel to the server at `addr` once it reports SERVING (its start-up
/// ingest done), polling for up to two minutes.
pub async fn wait_ready(addr: &str) -> Channel {
    wait_serving(addr, "").await
}

/// A channel to the server at `addr` once its health entry `service` is SERVING.
pub async fn wait_serving(addr: &str, service: &str) -> Channel {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let started = std::time::Instant::now();
    loop {
        if let Ok(ch) = factcheck_client::channel(addr).await {
            let r = HealthClient::new(ch.clone()).check(HealthCheckRequest { service: service.into() }).await;
            if r.is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving) {
                return ch;
            }
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "server at {addr}: {service:?} did not become SERVING");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds")
}

/// The shared evaluation data, when this checkout sits beside it.
pub fn shared_eval() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/eval");
    p.is_dir().then_some(p)
}

/// The models of `models/` (filled by scripts/setup-models.sh), loaded once
/// per test binary; `None` when they are not set up here.
pub fn models() -> Option<Arc<Models>> {
    static MODELS: OnceLock<Option<Arc<Models>>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
            Models::load(&dir, 2).map(Arc::new).map_err(|e| eprintln!("no models: {e}")).ok()
        })
        .clone()
}

/// `models()`, saying that the test is skipped when there are none.
pub fn models_or_skip() -> Option<Arc<Models>> {
    let models = models();
    if models.is_none() {
        eprintln!("skipped: models/ not set up (scripts/setup-models.sh)");
    }
    models
}

pub struct TestServer {
    pub addr: String,
    pub ingest: IngestReport,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Opens the store in `data_dir`, ingests `corpus` (if any) and serves.
    pub async fn start(data_dir: &Path, corpus_path: Option<&Path>) -> TestServer {
        Self::start_with(Engine::open(data_dir).expect("open store"), corpus_path, ServeOptions::default()).await
    }

    /// Serves `engine` (after ingesting `corpus`, if any) with `options`.
    pub async fn start_with(engine: Engine, corpus_path: Option<&Path>, options: ServeOptions) -> TestServer {
        let ingest = match corpus_path {
            Some(p) => engine.ingest(corpus::load(p).expect("load corpus")).expect("ingest"),
            None => IngestReport::default(),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(factcheck_server::run(listener, Arc::new(engine), options, async {
            let _ = rx.await;
        }));
        TestServer { addr, ingest, shutdown: Some(tx), task: Some(task) }
    }

    pub async fn channel(&self) -> Channel {
        factcheck_client::channel(&self.addr).await.expect("connect")
    }

    pub async fn client(&self) -> Client {
        Client::new(self.channel().await)
    }

    /// Graceful stop: waits until the server has drained and released the store.
    pub async fn stop(mut self) {
        let _ = self.shutdown.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
    }
}
