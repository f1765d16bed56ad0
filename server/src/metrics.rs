//! Prometheus metrics, served as OpenMetrics text on the metrics port.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

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

fn duration_histogram() -> Histogram {
    // 0.25 ms .. ~8 s
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.000_25, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub rpc_duration: Family<RpcLabels, Histogram, fn() -> Histogram>,
    pub rpc_requests: Family<RpcLabels, Counter>,
    pub verdicts: Family<VerdictLabels, Counter>,
    pub shed: Counter,
    pub store_articles: Gauge,
    pub store_units: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("factcheck");
        let m = Metrics {
            rpc_duration: Family::new_with_constructor(duration_histogram),
            rpc_requests: Family::default(),
            verdicts: Family::default(),
            shed: Counter::default(),
            store_articles: Gauge::default(),
            store_units: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("rpc_duration_seconds", "Server-side RPC duration", m.rpc_duration.clone());
        registry.register("rpc_requests", "RPCs by method and status code", m.rpc_requests.clone());
        registry.register("verdicts", "Verdicts returned", m.verdicts.clone());
        registry.register("shed_requests", "Requests refused at once because the server was at its concurrency limit", m.shed.clone());
        registry.register("store_articles", "Articles in the claim store", m.store_articles.clone());
        registry.register("store_units", "Sentence-level claim units in the index", m.store_units.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
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
