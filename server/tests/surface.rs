//! The production surface against a real server: load shedding, deadlines,
//! panics, size limits, malformed input, metrics, draining, TLS and SIGTERM.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestServer, seeds_dir};
use factcheck_client::{Client, pb, verify};
use factcheck_server::ServeOptions;
use factcheck_server::engine::Engine;
use factcheck_server::engine::judge::rules::RuleScorer;
use factcheck_server::engine::judge::{Assessment, Pair, StanceScorer};
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// The rule scorer, slowed down, so that calls stay in flight.
struct Slow(Duration);
impl StanceScorer for Slow {
    fn assess(&self, pair: &Pair<'_>) -> Assessment {
        std::thread::sleep(self.0);
        RuleScorer::default().assess(pair)
    }
}

struct Panics;
impl StanceScorer for Panics {
    fn assess(&self, _: &Pair<'_>) -> Assessment {
        panic!("scorer bug")
    }
}

async fn start(scorer: Box<dyn StanceScorer>, options: ServeOptions) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder(dir.path()).scorer(scorer).open().unwrap();
    (TestServer::start_with(engine, Some(&seeds_dir()), options).await, dir)
}

const CLAIM: &str = "Italy holds the G7 presidency this year.";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sheds_load_instead_of_queueing() {
    // Each call takes >= 30 candidates x 5 ms; only 2 may run at once.
    let options = ServeOptions { max_concurrent_requests: 2, ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(Slow(Duration::from_millis(5))), options).await;
    let client = server.client().await;
    let started = Instant::now();
    let calls = (0..40).map(|_| {
        let mut c = client.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            (verify(&mut c, CLAIM, 0).await.map(|_| ()).map_err(|s| s.code()), t.elapsed())
        })
    });
    let results: Vec<_> = futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    let ok = results.iter().filter(|(r, _)| r.is_ok()).count();
    let shed: Vec<_> = results.iter().filter(|(r, _)| *r == Err(Code::ResourceExhausted)).collect();
    assert_eq!(ok + shed.len(), 40, "{results:?}");
    assert!(ok >= 2 && shed.len() >= 20, "ok {ok}, shed {}", shed.len());
    // A shed call is answered at once, not after waiting for a slot.
    assert!(shed.iter().all(|(_, t)| *t < Duration::from_millis(100)), "{shed:?}");
    // Health is exempt from the limit.
    let mut health = HealthClient::new(server.channel().await);
    health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_that_outlives_its_call_holds_its_place_and_stops_between_claims() {
    let options = ServeOptions { max_concurrent_requests: 1, ..ServeOptions::default() };
    // ~0.3 s a claim (30 candidates x 10 ms).
    let (server, _dir) = start(Box::new(Slow(Duration::from_millis(10))), options).await;
    let mut client = server.client().await;
    let text = (0..20).map(|i| format!("Italy held the G7 presidency in {}.", 2000 + i)).collect::<Vec<_>>().join(" ");
    let mut request = tonic::Request::new(pb::CheckTextRequest { text, max_citations: 0, ..Default::default() });
    request.set_timeout(Duration::from_millis(100));
    let status = client.check_text(request).await.unwrap_err();
    assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled), "{status:?}");
    // The abandoned job finishes the claim it is on, holding the only place...
    assert_eq!(verify(&mut client, CLAIM, 0).await.unwrap_err().code(), Code::ResourceExhausted);
    // ...then stops, long before its twenty claims (~6 s) are done.
    let t = Instant::now();
    while let Err(status) = verify(&mut client, CLAIM, 0).await {
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(t.elapsed() < Duration::from_secs(3), "the abandoned job ran on");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A stream holds a place for its life.
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::VerifyClaimsRequest>(1);
    let mut answers = client.verify_claims(tokio_stream::wrappers::ReceiverStream::new(rx)).await.unwrap().into_inner();
    assert_eq!(verify(&mut client, CLAIM, 0).await.unwrap_err().code(), Code::ResourceExhausted);
    drop(tx);
    assert!(answers.message().await.unwrap().is_none());
    let t = Instant::now();
    while verify(&mut client, CLAIM, 0).await.is_err() {
        assert!(t.elapsed() < Duration::from_secs(2), "the ended stream kept its place");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforces_deadlines() {
    let options = ServeOptions { request_timeout: Duration::from_millis(300), ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(Slow(Duration::from_millis(40))), options).await;
    let mut client = server.client().await;
    // The caller's shorter deadline wins.
    let mut request = tonic::Request::new(pb::VerifyClaimRequest { claim: CLAIM.into(), max_citations: 0, explain: false, ..Default::default() });
    request.set_timeout(Duration::from_millis(100));
    let t = Instant::now();
    let status = client.verify_claim(request).await.unwrap_err();
    // tonic's client enforces the same grpc-timeout: on a busy machine its
    // own timer ("Timeout expired", Cancelled) can beat the server's answer.
    assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled), "{status:?}");
    assert!(t.elapsed() < Duration::from_millis(280), "{:?}", t.elapsed());
    // Without one, the server default applies.
    let status = verify(&mut client, CLAIM, 0).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert!(status.message().contains("300 ms"), "{}", status.message());
    server.stop().await;
}

#[tokio::test]
async fn a_panic_is_internal_and_the_server_lives_on() {
    let (server, _dir) = start(Box::new(Panics), ServeOptions::default()).await;
    let mut client = server.client().await;
    for _ in 0..3 {
        let status = verify(&mut client, CLAIM, 0).await.unwrap_err();
        assert_eq!(status.code(), Code::Internal);
    }
    let mut health = HealthClient::new(server.channel().await);
    health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
    server.stop().await;
}

/// Sends arbitrary bytes as the request message.
#[derive(Clone, Default)]
struct RawCodec;
struct RawEncoder;
struct RawDecoder;
impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}
impl tonic::codec::Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}
impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

#[tokio::test]
async fn bounds_and_malformed_input_get_clear_errors() {
    let options = ServeOptions { max_request_bytes: 64 * 1024, ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(RuleScorer::default()), options).await;
    let mut client: Client = server.client().await;
    for size in [1 << 20, 8 << 20] {
        let status = verify(&mut client, &"a".repeat(size), 0).await.unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{size}: {status:?}");
        assert!(status.message().contains("too large"), "{}", status.message());
    }
    let mut raw = tonic::client::Grpc::new(server.channel().await);
    let path = http::uri::PathAndQuery::from_static("/factcheck.v1.FactCheckService/VerifyClaim");
    // Truncated protobuf, and a string field holding invalid UTF-8.
    for bytes in [vec![0x0a, 0x10, b'a'], vec![0x0a, 0x02, 0xff, 0xfe]] {
        raw.ready().await.unwrap();
        let status = raw.unary(tonic::Request::new(bytes), path.clone(), RawCodec).await.unwrap_err();
        assert_eq!(status.code(), Code::Internal, "{status:?}");
        assert!(status.message().contains("decode"), "{}", status.message());
    }
    // Still serving.
    verify(&mut client, CLAIM, 0).await.unwrap();
    server.stop().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn exports_prometheus_metrics() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions { metrics_listener: Some(listener), ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(RuleScorer::default()), options).await;
    let mut client = server.client().await;
    verify(&mut client, CLAIM, 0).await.unwrap();
    verify(&mut client, "", 0).await.unwrap_err();
    let text = http_get(addr, "/metrics").await;
    for expected in [
        "factcheck_rpc_requests_total{method=\"factcheck.v1.FactCheckService/VerifyClaim\",code=\"OK\"} 1",
        "factcheck_rpc_requests_total{method=\"factcheck.v1.FactCheckService/VerifyClaim\",code=\"INVALID_ARGUMENT\"} 1",
        "factcheck_verdicts_total{verdict=\"SUPPORTED\"} 1",
        "factcheck_store_articles 5",
        "factcheck_rpc_duration_seconds_count{method=\"factcheck.v1.FactCheckService/VerifyClaim\",code=\"OK\"} 1",
        "factcheck_shed_requests_total 0",
        &format!("factcheck_build_info{{version=\"{}\",engine=\"lexical\",stance_model=\"\",judge=\"\"}} 1", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn health_turns_not_serving_when_shutdown_begins() {
    use tonic_health::pb::health_check_response::ServingStatus;
    let (server, _dir) = start(Box::new(RuleScorer::default()), ServeOptions::default()).await;
    let mut health = HealthClient::new(server.channel().await);
    let mut watch = health.watch(HealthCheckRequest { service: "factcheck.v1.FactCheckService".into() }).await.unwrap().into_inner();
    assert_eq!(watch.message().await.unwrap().unwrap().status(), ServingStatus::Serving);
    let stopping = tokio::spawn(server.stop());
    let next = tokio::time::timeout(Duration::from_secs(5), watch.message()).await.unwrap().unwrap().unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);
    drop(watch);
    stopping.await.unwrap();
}

#[tokio::test]
async fn not_serving_but_live_until_the_warmup_is_done() {
    use factcheck_server::{LIVE_HEALTH_NAME, SERVICE_NAME};
    use tonic_health::pb::health_check_response::ServingStatus;
    let (done, warmed) = tokio::sync::oneshot::channel::<()>();
    let warmup = Box::pin(async move {
        let _ = warmed.await;
        Ok(())
    });
    let (server, _dir) = start(Box::new(RuleScorer::default()), ServeOptions { warmup: Some(warmup), ..ServeOptions::default() }).await;
    let health = HealthClient::new(server.channel().await);
    let status = |service: &str| {
        let mut health = health.clone();
        let request = HealthCheckRequest { service: service.into() };
        async move { health.check(request).await.unwrap().into_inner().status() }
    };
    assert_eq!(status("").await, ServingStatus::NotServing);
    assert_eq!(status(SERVICE_NAME).await, ServingStatus::NotServing);
    assert_eq!(status(LIVE_HEALTH_NAME).await, ServingStatus::Serving, "a warming replica is alive");
    done.send(()).unwrap();
    let started = Instant::now();
    while status("").await != ServingStatus::Serving {
        assert!(started.elapsed() < Duration::from_secs(5), "still not serving after the warm-up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status(SERVICE_NAME).await, ServingStatus::Serving);
    server.stop().await;
}

#[tokio::test]
async fn a_failed_warmup_stops_the_server_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = ServeOptions { warmup: Some(Box::pin(async { anyhow::bail!("corpus unreadable") })), ..ServeOptions::default() };
    let run = factcheck_server::run(listener, engine, options, std::future::pending());
    let err = tokio::time::timeout(Duration::from_secs(5), run).await.expect("the server stops").unwrap_err();
    assert!(err.to_string().contains("corpus unreadable"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drains_in_flight_calls_then_stops_within_the_grace_period() {
    let options = ServeOptions { shutdown_grace: Duration::from_secs(10), ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(Slow(Duration::from_millis(10))), options).await;
    let client = server.client().await;
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let mut c = client.clone();
            tokio::spawn(async move { verify(&mut c, CLAIM, 0).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    server.stop().await;
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().verdict(), pb::Verdict::Supported, "in-flight calls complete");
    }
    assert!(t.elapsed() < Duration::from_secs(5));

    // A call that outlasts the grace period does not hold the process.
    let options = ServeOptions { shutdown_grace: Duration::from_millis(200), ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(Slow(Duration::from_millis(200))), options).await;
    let mut c = server.client().await;
    let stuck = tokio::spawn(async move { verify(&mut c, CLAIM, 0).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    server.stop().await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    stuck.abort();
}

fn pem_files(dir: &std::path::Path) -> (Vec<u8>, std::path::PathBuf) {
    use rcgen::{CertificateParams, IsCa, BasicConstraints, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(vec![]).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    for (name, sans) in [("server", vec!["localhost".to_string()]), ("client", vec!["client".to_string()])] {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(sans).unwrap().signed_by(&key, &issuer).unwrap();
        std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
    std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();
    (ca.pem().into_bytes(), dir.to_path_buf())
}

#[tokio::test]
async fn serves_tls_and_mtls_with_plaintext_health_beside() {
    use factcheck_client::{Tls, connect};
    use tonic::transport::{Certificate, Identity, ServerTlsConfig};
    let certs = tempfile::tempdir().unwrap();
    let (ca, dir) = pem_files(certs.path());
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(read("server.crt"), read("server.key")))
        .client_ca_root(Certificate::from_pem(ca.clone()));
    let health_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let health_addr = health_listener.local_addr().unwrap();
    let options = ServeOptions { tls: Some(tls), health_listener: Some(health_listener), ..ServeOptions::default() };
    let (server, _dir) = start(Box::new(RuleScorer::default()), options).await;
    // The client library's TLS, as the CLI's --tls-ca/--tls-cert/--tls-key/--tls-domain set it.
    let server_only = Tls { ca: Some(dir.join("ca.crt")), domain: Some("localhost".into()), ..Tls::default() };

    // With a client certificate: served.
    let mutual = Tls { cert: Some(dir.join("client.crt")), key: Some(dir.join("client.key")), ..server_only.clone() };
    let r = verify(&mut Client::new(connect(&server.addr, &mutual).await.unwrap()), CLAIM, 0).await.unwrap();
    assert_eq!(r.verdict(), pb::Verdict::Supported);

    // Without one, or in plaintext: refused.
    let refused = match connect(&server.addr, &server_only).await {
        Ok(ch) => verify(&mut Client::new(ch), CLAIM, 0).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a client without a certificate was served");
    let plain = factcheck_client::channel(&server.addr).await;
    let plain_refused = match plain {
        Ok(ch) => verify(&mut Client::new(ch), CLAIM, 0).await.is_err(),
        Err(_) => true,
    };
    assert!(plain_refused);

    // Probes use the plaintext health port.
    let ch = factcheck_client::channel(&health_addr.to_string()).await.unwrap();
    let r = HealthClient::new(ch).check(HealthCheckRequest { service: "factcheck.v1.FactCheckService".into() }).await.unwrap();
    assert_eq!(r.into_inner().status(), tonic_health::pb::health_check_response::ServingStatus::Serving);
    server.stop().await;
}

#[tokio::test]
async fn the_binary_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_factcheck-server"))
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "", "--data-dir"])
        .arg(data.path())
        .arg("--corpus")
        .arg(seeds_dir())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, log) = common::serving_addr(&mut child);
    let ch = common::wait_ready(&addr).await;
    assert_eq!(verify(&mut Client::new(ch), CLAIM, 0).await.unwrap().verdict(), pb::Verdict::Supported);
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let (status, log) = tokio::task::spawn_blocking(move || (child.wait().unwrap(), log.join().unwrap())).await.unwrap();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("draining") && log.contains("stopped"), "{log}");
    // The store was flushed and closed: it reopens with every article.
    let engine = Engine::open(data.path()).unwrap();
    assert_eq!(engine.article_count(), 5);
    let _ = Arc::new(engine);
}

#[tokio::test]
async fn rejects_invalid_configuration_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factcheck-server"))
        .args(["--tls-cert", "/nonexistent.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tls_cert and tls_key go together"));
    // An empty corpus is valid: serve the store as it is.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factcheck-server")).args(["--corpus", "", "--check-config"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
