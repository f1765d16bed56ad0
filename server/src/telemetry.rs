//! Logs (text or JSON, via `tracing`) and, when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, traces and metrics
//! (`metrics`: RPC counts and latency, ingest, replication lag; every
//! `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s) exported over OTLP/gRPC.
//! Other standard `OTEL_*` variables (headers, timeout, service name) are
//! read by the OpenTelemetry SDK itself.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{MetricExporter, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Keeps the trace and metric pipelines alive; `shutdown` flushes what is buffered.
#[must_use]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    meters: Option<SdkMeterProvider>,
}

/// The OTLP endpoint from the standard environment variables, if any.
pub fn otlp_endpoint_from_env() -> Option<String> {
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// Installs the global subscriber: logs to stderr, and spans and metrics to
/// `otlp_endpoint` when given (before `Metrics` are made: their instruments
/// come from the global meter). Call once per process.
pub fn init(format: LogFormat, otlp_endpoint: Option<String>) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = || Resource::builder().with_service_name("factcheck").build();
    let (provider, meters) = match otlp_endpoint {
        Some(endpoint) => {
            let spans = SpanExporter::builder().with_tonic().with_endpoint(endpoint.clone()).build()?;
            let metrics = MetricExporter::builder().with_tonic().with_endpoint(endpoint).build()?;
            let meters = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(metrics).build()).with_resource(resource()).build();
            opentelemetry::global::set_meter_provider(meters.clone());
            (Some(SdkTracerProvider::builder().with_batch_exporter(spans).with_resource(resource()).build()), Some(meters))
        }
        None => (None, None),
    };
    // Export this service's spans only, not the transport's internals.
    let exported = tracing_subscriber::filter::Targets::new().with_target("factcheck_server", tracing::Level::INFO);
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("factcheck")).with_filter(exported));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = match format {
        // Colours only for a person at a terminal, not in files or collectors.
        LogFormat::Text => {
            use std::io::IsTerminal;
            tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal()).boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).boxed(),
    };
    tracing_subscriber::registry().with(logs.with_filter(filter)).with(otel).try_init()?;
    Ok(Telemetry { provider, meters })
}

impl Telemetry {
    /// Exports what is buffered and stops the pipeline.
    pub fn shutdown(self) {
        let flushed = [self.provider.map(|p| p.shutdown()), self.meters.map(|m| m.shutdown())];
        for e in flushed.into_iter().flatten().filter_map(Result::err) {
            tracing::warn!(error = %e, "telemetry flush failed");
        }
    }
}
