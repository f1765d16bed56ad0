//! The tower layer every RPC passes through, in this order:
//! 1. a server span named by the method, continuing the caller's W3C
//!    `traceparent`, with RPC semantic-convention attributes;
//! 2. admission: at most `max_concurrent` calls at once; beyond that a call is
//!    refused at once with RESOURCE_EXHAUSTED instead of queueing without
//!    bound (health and reflection are exempt, so probes stay answerable).
//!    The call's [`Admission`] rides in the request's extensions: work the
//!    handler hands on (a blocking job, a stream's task) holds it, so work
//!    that outlives its call still counts against the limit;
//! 3. a deadline: the server default, shortened by the caller's `grpc-timeout`,
//!    answered with DEADLINE_EXCEEDED;
//! 4. a panic anywhere below becomes INTERNAL and a log line, not a crash;
//! 5. duration and count metrics by method and status code, and a log line.
//!    A path the server does not serve counts as method `unknown`: a caller
//!    cannot grow the registry by inventing paths.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::FutureExt;
use prost::Message;
use rustc_hash::FxHashSet;
use opentelemetry::propagation::Extractor;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, Status};
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use factcheck_proto::code_name;

use crate::metrics::{Metrics, RpcLabels};

/// A call's place under the concurrency limit, released when the last clone
/// is dropped: by the call, and by any work it handed on.
#[derive(Clone)]
pub struct Admission {
    _permit: Arc<OwnedSemaphorePermit>,
}

#[derive(Clone)]
pub struct RpcLayer {
    permits: Arc<Semaphore>,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl RpcLayer {
    pub fn new(max_concurrent: usize, timeout: Duration, metrics: Arc<Metrics>) -> Self {
        RpcLayer { permits: Arc::new(Semaphore::new(max_concurrent)), timeout, metrics }
    }
}

impl<S> Layer<S> for RpcLayer {
    type Service = RpcService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcService { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub struct RpcService<S> {
    inner: S,
    layer: RpcLayer,
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Parses a `grpc-timeout` header: digits then H, M, S, m (ms), u (µs), n (ns).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Calls whose handler runs as long as the caller streams: the server's
/// default deadline would cut them; only the caller's own deadline applies.
const STREAMING: &[&str] = &["factcheck.v1.FactCheckService/VerifyClaims", "factcheck.v1.FactCheckService/IngestArticles"];

/// Calls that must answer even when the server is saturated: health and reflection.
const EXEMPT: &[&str] = &[
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/Watch",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// What metrics call a method: its name where the server serves it, else `unknown`.
fn method_label(method: &str) -> &str {
    static CONTRACT: OnceLock<FxHashSet<String>> = OnceLock::new();
    let contract = CONTRACT.get_or_init(|| {
        let set = prost_types::FileDescriptorSet::decode(factcheck_proto::FILE_DESCRIPTOR_SET).unwrap_or_default();
        let services = set.file.iter().flat_map(|f| f.service.iter().map(move |s| (f.package(), s)));
        services.flat_map(|(package, s)| s.method.iter().map(move |m| format!("{package}.{}/{}", s.name(), m.name()))).collect()
    });
    if contract.contains(method) || EXEMPT.contains(&method) { method } else { "unknown" }
}

/// The status of a trailers-only answer (errors of unary calls); OK when the
/// status comes later in trailers.
fn status_of<B>(response: &http::Response<B>) -> Code {
    Status::from_header_map(response.headers()).map_or(Code::Ok, |s| s.code())
}

/// How much sooner than the caller's deadline the server gives up.
const DEADLINE_MARGIN: Duration = Duration::from_millis(2);

/// tonic reports a message over the size limit as OUT_OF_RANGE; the contract
/// (and gRPC's own servers) say RESOURCE_EXHAUSTED.
fn oversized(response: http::Response<tonic::body::Body>) -> http::Response<tonic::body::Body> {
    match Status::from_header_map(response.headers()) {
        Some(s) if s.code() == Code::OutOfRange && s.message().contains("too large") => {
            Status::resource_exhausted(s.message()).into_http()
        }
        _ => response,
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<http::Request<B>> for RpcService<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The ready service answers this call; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let method = request.uri().path().trim_start_matches('/').to_string();
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = %method,
            otel.kind = "server",
            rpc.system.name = "grpc",
            rpc.method = %method,
            rpc.response.status_code = tracing::field::Empty,
        );
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(request.headers())));
        let _ = span.set_parent(parent);
        // Answer a little before the caller's deadline: an answer after it is
        // never seen, and tonic's transport timer would answer CANCELLED.
        let caller = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map(|t| t.saturating_sub(DEADLINE_MARGIN.max(t / 50)));
        let streaming = STREAMING.contains(&method.as_str());
        let deadline = match caller {
            Some(t) if streaming => t,
            Some(t) => t.min(layer.timeout),
            None if streaming => Duration::MAX,
            None => layer.timeout,
        };
        let exempt = EXEMPT.contains(&method.as_str());
        let record_span = span.clone();
        Box::pin(
            async move {
                let started = Instant::now();
                let permit = if exempt { None } else { layer.permits.clone().try_acquire_owned().ok().map(|p| Admission { _permit: Arc::new(p) }) };
                let mut request = request;
                if let Some(permit) = &permit {
                    request.extensions_mut().insert(permit.clone());
                }
                let response = if !exempt && permit.is_none() {
                    layer.metrics.shed.inc();
                    Ok(Status::resource_exhausted("server is at its concurrency limit; retry with backoff").into_http())
                } else {
                    let call = AssertUnwindSafe(inner.call(request)).catch_unwind();
                    let limit = if exempt { Duration::MAX } else { deadline };
                    match tokio::time::timeout(limit, call).await {
                        Ok(Ok(result)) => result.map(oversized),
                        Ok(Err(panic)) => {
                            let message = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
                            tracing::error!(method = %method, panic = message.as_deref().unwrap_or("?"), "handler panicked");
                            Ok(Status::internal("internal error; see server logs").into_http())
                        }
                        Err(_) => Ok(Status::deadline_exceeded(format!("no answer within {} ms", deadline.as_millis())).into_http()),
                    }
                };
                drop(permit);
                let code = response.as_ref().map_or(Code::Unknown, status_of);
                let labels = RpcLabels { method: method_label(&method).to_string(), code: code_name(code) };
                let elapsed = started.elapsed();
                layer.metrics.record_rpc(&labels, elapsed.as_secs_f64());
                record_span.record("rpc.response.status_code", labels.code.as_str());
                tracing::debug!(method = %method, code = %labels.code, elapsed_us = elapsed.as_micros() as u64, "rpc");
                response
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        for bad in ["", "m", "12", "5x", "-1S", "1234567890S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }

    #[test]
    fn metrics_name_only_the_methods_served() {
        for served in ["factcheck.v1.FactCheckService/VerifyClaim", "factcheck.v1.FactCheckService/IngestArticles", "grpc.health.v1.Health/Check"] {
            assert_eq!(method_label(served), served);
        }
        for other in ["factcheck.v1.FactCheckService/Nope", "a/b", "", "grpc.health.v1.Health/CheckX"] {
            assert_eq!(method_label(other), "unknown", "{other}");
        }
    }
}
