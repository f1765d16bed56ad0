//! A small typed client for factcheck, for the `factcheck` command and for
//! other Rust services to copy: connect, verify, check health, evaluate.

pub mod bench;
pub mod eval;
pub mod ingest;

pub use factcheck_proto::v1 as pb;
use factcheck_proto::v1::fact_check_service_client::FactCheckServiceClient;
use tonic::transport::{Channel, Endpoint};

pub type Client = FactCheckServiceClient<Channel>;

/// Normalises "host:port" to a URI tonic accepts.
pub fn endpoint_uri(addr: &str) -> String {
    if addr.contains("://") { addr.to_string() } else { format!("http://{addr}") }
}

/// Opens a channel to a factcheck server ("host:port" or "http://host:port").
pub async fn channel(addr: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(endpoint_uri(addr))?.connect_timeout(std::time::Duration::from_secs(5));
    Ok(endpoint.connect().await?)
}

/// Verifies one claim.
pub async fn verify(client: &mut Client, claim: &str, max_citations: u32) -> Result<pb::VerifyClaimResponse, tonic::Status> {
    verify_explained(client, claim, max_citations, false).await
}

/// Verifies one claim; with `explain`, each citation says which rules fired
/// and what the stance model read.
pub async fn verify_explained(client: &mut Client, claim: &str, max_citations: u32, explain: bool) -> Result<pb::VerifyClaimResponse, tonic::Status> {
    let request = pb::VerifyClaimRequest { claim: claim.to_string(), max_citations, explain };
    Ok(client.verify_claim(request).await?.into_inner())
}

/// Attaches the admin bearer token to a request.
pub fn with_token<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}

/// Short lowercase name of a verdict: "supported", "contradicted", "unknown".
pub fn verdict_name(verdict: i32) -> &'static str {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::Supported) => "supported",
        Ok(pb::Verdict::Contradicted) => "contradicted",
        Ok(pb::Verdict::Unknown) => "unknown",
        _ => "unspecified",
    }
}

pub fn stance_name(stance: i32) -> &'static str {
    match pb::Stance::try_from(stance) {
        Ok(pb::Stance::Supports) => "supports",
        Ok(pb::Stance::Refutes) => "refutes",
        Ok(pb::Stance::Neutral) => "neutral",
        _ => "unspecified",
    }
}

pub fn effect_name(effect: i32) -> &'static str {
    match pb::RuleEffect::try_from(effect) {
        Ok(pb::RuleEffect::Supports) => "supports",
        Ok(pb::RuleEffect::Refutes) => "refutes",
        Ok(pb::RuleEffect::Veto) => "veto",
        _ => "unspecified",
    }
}

fn explanation_json(e: &pb::Explanation) -> serde_json::Value {
    let rules: Vec<_> = e
        .rules
        .iter()
        .map(|r| serde_json::json!({"rule": r.rule, "effect": effect_name(r.effect), "params": r.params, "message": r.message, "decisive": r.decisive}))
        .collect();
    let model = e.model.map(|m| serde_json::json!({"supports": m.supports, "refutes": m.refutes, "not_enough_info": m.not_enough_info}));
    serde_json::json!({"rules": rules, "model": model})
}

fn citations_json(citations: &[pb::Citation]) -> serde_json::Value {
    citations
        .iter()
        .map(|c| {
            let mut json = serde_json::json!({
                "article_id": c.article_id,
                "article_title": c.article_title,
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "stance": stance_name(c.stance).to_uppercase(),
                "score": c.score,
                "attribution": c.attribution,
            });
            if let Some(e) = &c.explanation {
                json["explanation"] = explanation_json(e);
            }
            json
        })
        .collect()
}

/// The response as JSON, with enum names instead of numbers.
pub fn response_json(r: &pb::VerifyClaimResponse) -> serde_json::Value {
    serde_json::json!({
        "verdict": verdict_name(r.verdict).to_uppercase(),
        "confidence": r.confidence,
        "reason": r.reason,
        "store_version": r.store_version,
        "citations": citations_json(&r.citations),
    })
}

/// A CheckText answer as JSON.
pub fn check_json(r: &pb::CheckTextResponse) -> serde_json::Value {
    let s = r.summary.clone().unwrap_or_default();
    serde_json::json!({
        "store_version": r.store_version,
        "summary": {"supported": s.supported, "contradicted": s.contradicted, "unknown": s.unknown, "skipped": s.skipped},
        "claims": r.claims.iter().map(|c| serde_json::json!({
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "verdict": verdict_name(c.verdict).to_uppercase(),
            "confidence": c.confidence,
            "reason": c.reason,
            "citations": citations_json(&c.citations),
        })).collect::<Vec<_>>(),
    })
}

/// RFC 3339 form of a protobuf timestamp ("" when absent).
pub fn rfc3339(t: Option<prost_types::Timestamp>) -> String {
    t.and_then(|t| {
        let secs = u64::try_from(t.seconds).ok()?;
        let at = std::time::UNIX_EPOCH + std::time::Duration::new(secs, u32::try_from(t.nanos).ok()?);
        Some(humantime::format_rfc3339(at).to_string())
    })
    .unwrap_or_default()
}

/// An article as JSON (text and claims when the server sent them).
pub fn article_json(a: &pb::Article) -> serde_json::Value {
    serde_json::json!({
        "id": a.id,
        "title": a.title,
        "url": a.url,
        "publisher": a.publisher,
        "published_time": rfc3339(a.published_time),
        "language": a.language,
        "content_hash": a.content_hash,
        "text": a.text,
        "claims": a.claims.iter().map(|c| serde_json::json!({"text": c.text, "start": c.start, "end": c.end, "attribution": c.attribution})).collect::<Vec<_>>(),
    })
}
