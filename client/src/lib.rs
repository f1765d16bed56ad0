//! A small typed client for factcheck, for the `factcheck` command and for
//! other Rust services to copy: connect, verify, check health, evaluate.

pub mod eval;

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
    let request = pb::VerifyClaimRequest { claim: claim.to_string(), max_citations };
    Ok(client.verify_claim(request).await?.into_inner())
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

/// The response as JSON, with enum names instead of numbers.
pub fn response_json(r: &pb::VerifyClaimResponse) -> serde_json::Value {
    serde_json::json!({
        "verdict": verdict_name(r.verdict).to_uppercase(),
        "confidence": r.confidence,
        "reason": r.reason,
        "store_version": r.store_version,
        "citations": r.citations.iter().map(|c| serde_json::json!({
            "article_id": c.article_id,
            "article_title": c.article_title,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "stance": stance_name(c.stance).to_uppercase(),
            "score": c.score,
            "attribution": c.attribution,
        })).collect::<Vec<_>>(),
    })
}
