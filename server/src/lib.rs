//! factcheck server: a domain engine (`engine`: ingest, store, index, verify;
//! no gRPC in it) behind a thin tonic adapter (`service`), served by [`run`].

pub mod config;
pub mod engine;
pub mod error;
pub mod service;

use std::future::Future;
use std::sync::Arc;

use factcheck_proto::v1::fact_check_service_server::FactCheckServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::engine::Engine;
use crate::service::FactCheckApi;

/// The gRPC service name, as health checks and reflection report it.
pub const SERVICE_NAME: &str = "factcheck.v1.FactCheckService";

/// Serves factcheck, health and reflection (v1 and v1alpha) on `listener`
/// until `shutdown` completes, then reports NOT_SERVING and drains in-flight
/// calls before returning.
pub async fn run(listener: TcpListener, engine: Arc<Engine>, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<FactCheckServiceServer<FactCheckApi>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(factcheck_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    // grpcurl 1.8 and many tools only speak v1alpha.
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let api = FactCheckServiceServer::new(FactCheckApi::new(engine));
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: not serving, draining in-flight calls");
        health.set_service_status("", ServingStatus::NotServing).await;
        health.set_not_serving::<FactCheckServiceServer<FactCheckApi>>().await;
    };
    Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(api)
        // Small unary replies must not wait on Nagle's algorithm.
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), shutdown)
        .await?;
    Ok(())
}
