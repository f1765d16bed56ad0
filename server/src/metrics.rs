//! Metrics, recorded once and read two ways: Prometheus (OpenMetrics text on
//! the metrics port) and OpenTelemetry, exported over OTLP when an endpoint is
//! configured (`telemetry`; without one its instruments do nothing).

use opentelemetry::KeyValue;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::engine::AnsweredBy;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    /// Full method, "factcheck.v1.FactCheckService/VerifyClaim".
    pub method: String,
    /// gRPC status code name, "OK", "RESOURCE_EXHAUSTED"…
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabels {
    pub verdict: String,
}

/// What is serving: the server's version, its engine and model ids (`factcheck_build_info`, always 1).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: String,
    /// "semantic" or "lexical".
    pub engine: String,
    pub stance_model: String,
    pub judge: String,
}

impl From<&AnsweredBy> for BuildLabels {
    fn from(a: &AnsweredBy) -> Self {
        let engine = if a.semantic { "semantic" } else { "lexical" };
        BuildLabels { version: env!("CARGO_PKG_VERSION").into(), engine: engine.into(), stance_model: a.stance_model.clone(), judge: a.judge.clone() }
    }
}

fn duration_histogram() -> Histogram {
    // 0.25 ms .. ~8 s
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.000_25, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub rpc_duration: Family<RpcLabels, Histogram, fn() -> Histogram>,
    pub rpc_requests: Family<RpcLabels, Counter>,
    pub verdicts: Family<VerdictLabels, Counter>,
    pub build_info: Family<BuildLabels, Gauge>,
    pub shed: Counter,
    pub store_articles: Gauge,
    pub store_units: Gauge,
    /// Ingest-log entries not yet applied here (replicated ingest).
    pub replication_lag: Gauge,
    pub ingested_articles: Counter,
    /// Ingest-log entries set aside because they cannot be applied (replicated ingest).
    pub parked_entries: Counter,
    otel: Otel,
}

/// The OpenTelemetry instruments (the global meter's, no-ops without a provider).
struct Otel {
    rpc_duration: opentelemetry::metrics::Histogram<f64>,
    rpc_requests: opentelemetry::metrics::Counter<u64>,
    ingested_articles: opentelemetry::metrics::Counter<u64>,
    parked_entries: opentelemetry::metrics::Counter<u64>,
    replication_lag: opentelemetry::metrics::Gauge<u64>,
}

impl Otel {
    fn new() -> Otel {
        let meter = opentelemetry::global::meter("factcheck");
        Otel {
            rpc_duration: meter.f64_histogram("factcheck.rpc.duration").with_unit("s").with_description("Server-side RPC duration").build(),
            rpc_requests: meter.u64_counter("factcheck.rpc.requests").with_description("RPCs by method and status code").build(),
            ingested_articles: meter.u64_counter("factcheck.ingest.articles").with_description("Articles added or replaced").build(),
            parked_entries: meter.u64_counter("factcheck.ingest.parked").with_description("Ingest-log entries set aside: they cannot be applied").build(),
            replication_lag: meter.u64_gauge("factcheck.replication.lag").with_description("Ingest-log entries not yet applied here").build(),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("factcheck");
        let m = Metrics {
            rpc_duration: Family::new_with_constructor(duration_histogram),
            rpc_requests: Family::default(),
            verdicts: Family::default(),
            build_info: Family::default(),
            shed: Counter::default(),
            store_articles: Gauge::default(),
            store_units: Gauge::default(),
            replication_lag: Gauge::default(),
            ingested_articles: Counter::default(),
            parked_entries: Counter::default(),
            registry: Registry::default(),
            otel: Otel::new(),
        };
        registry.register("rpc_duration_seconds", "Server-side RPC duration", m.rpc_duration.clone());
        registry.register("rpc_requests", "RPCs by method and status code", m.rpc_requests.clone());
        registry.register("verdicts", "Verdicts returned", m.verdicts.clone());
        registry.register("build_info", "The server's version, engine and model ids (labels; the value is 1)", m.build_info.clone());
        registry.register("shed_requests", "Requests refused at once because the server was at its concurrency limit", m.shed.clone());
        registry.register("store_articles", "Articles in the claim store", m.store_articles.clone());
        registry.register("store_units", "Sentence-level claim units in the index", m.store_units.clone());
        registry.register("replication_lag_entries", "Ingest-log entries not yet applied here", m.replication_lag.clone());
        registry.register("ingested_articles", "Articles added or replaced", m.ingested_articles.clone());
        registry.register("parked_entries", "Ingest-log entries set aside: they cannot be applied", m.parked_entries.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// What serves, once the engine is open.
    pub fn record_build(&self, labels: BuildLabels) {
        self.build_info.clear();
        self.build_info.get_or_create(&labels).set(1);
    }

    /// One finished RPC.
    pub fn record_rpc(&self, labels: &RpcLabels, seconds: f64) {
        self.rpc_duration.get_or_create(labels).observe(seconds);
        self.rpc_requests.get_or_create(labels).inc();
        let attributes = [KeyValue::new("rpc.method", labels.method.clone()), KeyValue::new("rpc.grpc.status_code", labels.code.clone())];
        self.otel.rpc_duration.record(seconds, &attributes);
        self.otel.rpc_requests.add(1, &attributes);
    }

    /// Articles added or replaced by an ingest (start-up, admin or replicated).
    pub fn record_ingested(&self, articles: u64) {
        self.ingested_articles.inc_by(articles);
        self.otel.ingested_articles.add(articles, &[]);
    }

    /// Ingest-log entries set aside.
    pub fn record_parked(&self, entries: u64) {
        self.parked_entries.inc_by(entries);
        self.otel.parked_entries.add(entries, &[]);
    }

    /// Entries of the ingest log still to apply on this replica.
    pub fn record_replication_lag(&self, entries: u64) {
        self.replication_lag.set(entries as i64);
        self.otel.replication_lag.record(entries, &[]);
    }

    /// OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_registered_metrics() {
        let m = Metrics::default();
        m.rpc_requests.get_or_create(&RpcLabels { method: "a/B".into(), code: "OK".into() }).inc();
        m.shed.inc();
        let text = m.encode();
        assert!(text.contains("factcheck_rpc_requests_total{method=\"a/B\",code=\"OK\"} 1"), "{text}");
        assert!(text.contains("factcheck_shed_requests_total 1"));
    }
}
