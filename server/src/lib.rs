//! factcheck server: a domain engine (`engine`: ingest, store, index, verify;
//! no gRPC in it) behind a thin tonic adapter (`service`) and one tower layer
//! (`middleware`), served by [`run`]; `replication` shares admin writes
//! between replicas through NATS JetStream.

pub mod config;
pub mod engine;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod replication;
pub mod service;
pub mod telemetry;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use factcheck_proto::v1::fact_check_service_server::FactCheckServiceServer;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Server, ServerTlsConfig};
use tonic_health::ServingStatus;

use crate::config::Secret;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::middleware::RpcLayer;
use crate::service::FactCheckApi;

/// The gRPC service name, as health checks and reflection report it.
pub const SERVICE_NAME: &str = "factcheck.v1.FactCheckService";
/// A health entry that says which engine serves: SERVING when the models are
/// loaded (semantic), NOT_SERVING when the server runs lexically. Probes use
/// `""` or `SERVICE_NAME`, which are SERVING either way.
pub const SEMANTIC_HEALTH_NAME: &str = "factcheck.v1.FactCheckService/semantic";
/// A health entry that is SERVING from the moment the server listens until
/// shutdown begins, warm-up included: for liveness and start-up probes, which
/// must not restart a replica that is still ingesting its corpus. `""` and
/// `SERVICE_NAME` are the readiness to verify.
pub const LIVE_HEALTH_NAME: &str = "factcheck.v1.FactCheckService/live";
/// With a replicated ingest log: SERVING once this replica has caught up with
/// the log and takes writes (its progress: `factcheck_replication_lag_entries`).
pub const INGEST_HEALTH_NAME: &str = "factcheck.v1.FactCheckService/ingest";

/// Streams (calls) one HTTP/2 connection may have open at once.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 128;
/// How often an idle connection is pinged, and how long the answer may take
/// before the connection is closed.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection older than this is asked to go (GOAWAY); calls in flight
/// get the grace (a VerifyClaims stream's longest life) to end.
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(30 * 60);
pub const MAX_CONNECTION_AGE_GRACE: Duration = service::MAX_STREAM_DURATION;
/// Request headers (metadata) per call.
pub const MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;

/// Work that must finish before the server is ready (the start-up corpus
/// ingest): until it has, `""` and `SERVICE_NAME` report NOT_SERVING and
/// verification answers from what is already indexed. An error stops the server.
pub type Warmup = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// How to serve; `Default` matches the binary's defaults with no side ports.
pub struct ServeOptions {
    pub request_timeout: Duration,
    pub max_concurrent_requests: usize,
    pub max_request_bytes: usize,
    pub shutdown_grace: Duration,
    pub tls: Option<ServerTlsConfig>,
    pub metrics: Arc<Metrics>,
    /// Serves `GET /metrics` (OpenMetrics text).
    pub metrics_listener: Option<TcpListener>,
    /// Serves only `grpc.health.v1` in plaintext (probes beside a TLS port).
    pub health_listener: Option<TcpListener>,
    /// Bearer token for admin calls; None refuses them.
    pub admin_token: Option<Secret>,
    /// Serves gRPC server reflection.
    pub reflection: bool,
    /// Served NOT_SERVING until this is done.
    pub warmup: Option<Warmup>,
    /// Admin writes go through this replicated log (`--ingest-stream`).
    pub replication: Option<Arc<replication::Replication>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            request_timeout: Duration::from_secs(5),
            max_concurrent_requests: 64,
            max_request_bytes: 1 << 20,
            shutdown_grace: Duration::from_secs(20),
            tls: None,
            metrics: Arc::default(),
            metrics_listener: None,
            health_listener: None,
            admin_token: None,
            reflection: true,
            warmup: None,
            replication: None,
        }
    }
}

/// The readiness entries: the whole server (`""`) and `SERVICE_NAME`.
async fn set_ready(health: &tonic_health::server::HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    health.set_service_status(SERVICE_NAME, status).await;
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Serves factcheck, health and reflection (v1 and v1alpha) on `listener`
/// until `shutdown` completes; then reports NOT_SERVING, stops accepting and
/// drains in-flight calls for up to `shutdown_grace`. With a `warmup`, health
/// reports NOT_SERVING (but live) until it is done.
pub async fn run(
    listener: TcpListener,
    engine: Arc<Engine>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    match options.warmup {
        Some(_) => set_ready(&health, ServingStatus::NotServing).await,
        None => set_ready(&health, ServingStatus::Serving).await,
    }
    health.set_service_status(LIVE_HEALTH_NAME, ServingStatus::Serving).await;
    let semantic = if engine.mode() == "semantic" { ServingStatus::Serving } else { ServingStatus::NotServing };
    health.set_service_status(SEMANTIC_HEALTH_NAME, semantic).await;
    if let Some(replication) = &options.replication {
        let (health, mut ready) = (health.clone(), replication.ready());
        tokio::spawn(async move {
            loop {
                let status = if *ready.borrow_and_update() { ServingStatus::Serving } else { ServingStatus::NotServing };
                health.set_service_status(INGEST_HEALTH_NAME, status).await;
                if ready.changed().await.is_err() {
                    return;
                }
            }
        });
    }
    let metrics = options.metrics.clone();
    let count_store = {
        let (metrics, engine) = (metrics.clone(), engine.clone());
        move || {
            metrics.store_articles.set(engine.article_count() as i64);
            metrics.store_units.set(engine.unit_count() as i64);
        }
    };
    count_store();
    metrics.record_build((&engine.answered_by()).into());

    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(factcheck_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // So that grpcurl and friends can decode google.rpc error details.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let (reflection_v1, reflection_v1alpha) = if options.reflection {
        // grpcurl 1.8 and many tools only speak v1alpha.
        (Some(reflection().build_v1()?), Some(reflection().build_v1alpha()?))
    } else {
        (None, None)
    };
    if options.admin_token.is_some() && options.tls.is_none() {
        tracing::warn!("admin calls accept a bearer token over plaintext: serve TLS (--tls-cert) or keep this port on a private network");
    }
    let api = FactCheckServiceServer::new(FactCheckApi::new(engine, metrics.clone(), options.admin_token, options.replication))
        .max_decoding_message_size(options.max_request_bytes);

    let (stop_tx, stop_rx) = watch::channel(false);
    // HTTP/2 bounds per connection: streams at once, a ping to find dead
    // peers, and an age after which a client reconnects (spreading load
    // across replicas), with a grace for the calls in flight.
    let mut builder = Server::builder()
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .max_connection_age(MAX_CONNECTION_AGE)
        .max_connection_age_grace(MAX_CONNECTION_AGE_GRACE)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES);
    if let Some(tls) = options.tls {
        builder = builder.tls_config(tls)?;
    }
    let grpc = builder
        .layer(RpcLayer::new(options.max_concurrent_requests, options.request_timeout, metrics.clone()))
        .add_service(health_service.clone())
        .add_optional_service(reflection_v1)
        .add_optional_service(reflection_v1alpha)
        .add_service(api)
        // Small unary replies must not wait on Nagle's algorithm.
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), stopped(stop_rx.clone()));
    let grpc = async { grpc.await.map_err(anyhow::Error::from) };

    let metrics_server = async {
        let Some(listener) = options.metrics_listener else { return Ok(()) };
        let router = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move { ([(http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.encode()) }
            }),
        );
        axum::serve(listener, router).with_graceful_shutdown(stopped(stop_rx.clone())).await.map_err(anyhow::Error::from)
    };
    let health_server = async {
        let Some(listener) = options.health_listener else { return Ok(()) };
        Server::builder()
            .add_service(health_service)
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), stopped(stop_rx.clone()))
            .await
            .map_err(anyhow::Error::from)
    };
    let (warming, stopping) = (health.clone(), stop_rx.clone());
    let warmup = async move {
        let Some(warmup) = options.warmup else { return Ok(()) };
        tracing::info!("warming up: not serving until the start-up work is done");
        // A shutdown during the warm-up ends it: the servers drain, nothing waits for it.
        tokio::select! {
            done = warmup => done?,
            () = stopped(stopping.clone()) => return Ok(()),
        }
        count_store();
        // A shutdown that began meanwhile has the last word.
        if !*stopping.borrow() {
            set_ready(&warming, ServingStatus::Serving).await;
            tracing::info!("warm-up done: serving");
        }
        Ok(())
    };
    let servers = async { tokio::try_join!(grpc, metrics_server, health_server, warmup).map(|_| ()) };
    tokio::pin!(servers);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: not serving, draining in-flight calls");
        let _ = stop_tx.send(true);
        set_ready(&health, ServingStatus::NotServing).await;
        health.set_service_status(LIVE_HEALTH_NAME, ServingStatus::NotServing).await;
    };
    tokio::select! {
        result = &mut servers => result,
        () = signal => match tokio::time::timeout(options.shutdown_grace, &mut servers).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(grace_ms = options.shutdown_grace.as_millis() as u64, "grace period over; abandoning in-flight calls");
                Ok(())
            }
        },
    }
}
