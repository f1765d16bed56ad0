//! Traces reach a real OTLP/gRPC receiver (an in-process fake collector): one
//! server span per RPC, named by the method, continuing the caller's W3C trace,
//! with engine stages as children. Its own test binary: the tracing subscriber
//! is global to the process.

mod common;

use std::time::Duration;

use common::{TestServer, seeds_dir};
use factcheck_client::pb;
use factcheck_server::config::LogFormat;
use factcheck_server::telemetry;
use fake_opentelemetry_collector::FakeCollectorServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_rpc_spans_continuing_the_callers_trace() {
    let mut collector = FakeCollectorServer::start().await.unwrap();
    let telemetry = telemetry::init(LogFormat::Text, Some(collector.endpoint())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    let mut client = server.client().await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut request = tonic::Request::new(pb::VerifyClaimRequest { claim: "Italy holds the G7 presidency this year.".into(), max_citations: 0, explain: false, ..Default::default() });
    request.metadata_mut().insert("traceparent", format!("00-{trace_id}-{caller_span}-01").parse().unwrap());
    client.verify_claim(request).await.unwrap();
    server.stop().await;
    telemetry.shutdown();

    let spans = collector.exported_spans(5, Duration::from_secs(20)).await;
    let rpc = spans
        .iter()
        .find(|s| s.name == "factcheck.v1.FactCheckService/VerifyClaim")
        .unwrap_or_else(|| panic!("no RPC span in {:#?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>()));
    assert_eq!(rpc.trace_id, trace_id);
    assert_eq!(rpc.parent_span_id, caller_span);
    assert_eq!(rpc.kind, "SPAN_KIND_SERVER");
    for (key, value) in [
        ("rpc.system.name", "grpc"),
        ("rpc.method", "factcheck.v1.FactCheckService/VerifyClaim"),
        ("rpc.response.status_code", "OK"),
    ] {
        let got = rpc.attributes.get(key).unwrap_or_else(|| panic!("no {key} in {:?}", rpc.attributes));
        assert!(got.contains(&format!("\"{value}\"")), "{key} = {got}");
    }
    for stage in ["retrieve", "score", "aggregate"] {
        let child = spans.iter().find(|s| s.name == stage).unwrap_or_else(|| panic!("no {stage} span"));
        assert_eq!(child.trace_id, trace_id, "{stage} continues the trace");
        assert_ne!(child.parent_span_id, caller_span, "{stage} is a child of the server span");
    }

    // The same endpoint receives the metrics, flushed at shutdown.
    let exported = collector.exported_metrics(1, Duration::from_secs(20)).await;
    let names: Vec<String> = exported.iter().flat_map(|e| e.metrics.iter().map(|m| m.name.clone())).collect();
    for name in ["factcheck.rpc.duration", "factcheck.rpc.requests"] {
        assert!(names.iter().any(|n| n == name), "no {name} in {names:?}");
    }
    let requests = format!("{:?}", exported.iter().flat_map(|e| &e.metrics).find(|m| m.name == "factcheck.rpc.requests").unwrap());
    assert!(requests.contains("factcheck.v1.FactCheckService/VerifyClaim"), "{requests}");
}
