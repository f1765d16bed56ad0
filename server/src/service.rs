//! The thin gRPC adapter: validate the request, call the engine off the async
//! runtime, map the answer to the contract. Domain errors become a
//! `tonic::Status` in one place, `From<Error> for Status`.

use std::sync::Arc;

use factcheck_proto::v1 as pb;
use factcheck_proto::v1::fact_check_service_server::FactCheckService;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::engine::stance::Stance;
use crate::engine::{Engine, Verdict, Verification};
use crate::error::{Error, Reason};
use crate::metrics::{Metrics, VerdictLabels};

/// `google.rpc.ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "factcheck.v1";
/// Longest accepted claim, in characters.
pub const MAX_CLAIM_CHARS: usize = 2_000;
pub const DEFAULT_CITATIONS: usize = 5;
pub const MAX_CITATIONS: u32 = 20;

pub struct FactCheckApi {
    engine: Arc<Engine>,
    metrics: Arc<Metrics>,
}

impl FactCheckApi {
    pub fn new(engine: Arc<Engine>, metrics: Arc<Metrics>) -> Self {
        FactCheckApi { engine, metrics }
    }
}

fn invalid(field: &'static str, reason: Reason, description: impl Into<String>) -> Error {
    Error::InvalidArgument { field, reason, description: description.into() }
}

/// Checks a request and returns the claim (control characters turned into
/// spaces) and the citation count to use.
fn validate(req: &pb::VerifyClaimRequest) -> Result<(String, usize), Error> {
    let claim: String = req.claim.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if claim.trim().is_empty() {
        return Err(invalid("claim", Reason::ClaimEmpty, "claim must not be empty"));
    }
    let chars = claim.chars().count();
    if chars > MAX_CLAIM_CHARS {
        return Err(invalid("claim", Reason::ClaimTooLong, format!("claim has {chars} characters; the limit is {MAX_CLAIM_CHARS}")));
    }
    if req.max_citations > MAX_CITATIONS {
        return Err(invalid("max_citations", Reason::MaxCitationsOutOfRange, format!("max_citations must be 0..={MAX_CITATIONS}")));
    }
    let max = if req.max_citations == 0 { DEFAULT_CITATIONS } else { req.max_citations as usize };
    Ok((claim, max))
}

#[tonic::async_trait]
impl FactCheckService for FactCheckApi {
    async fn verify_claim(&self, request: Request<pb::VerifyClaimRequest>) -> Result<Response<pb::VerifyClaimResponse>, Status> {
        let (claim, max_citations) = validate(request.get_ref())?;
        let engine = self.engine.clone();
        let span = tracing::Span::current();
        // Verification is CPU work: keep it off the async workers.
        let verification = tokio::task::spawn_blocking(move || span.in_scope(|| engine.verify(&claim, max_citations)))
            .await
            .map_err(|e| Error::Internal(format!("verification task failed: {e}")))??;
        let verdict = format!("{:?}", verification.verdict).to_uppercase();
        self.metrics.verdicts.get_or_create(&VerdictLabels { verdict }).inc();
        Ok(Response::new(to_proto(verification)))
    }
}

fn to_proto(v: Verification) -> pb::VerifyClaimResponse {
    let verdict = match v.verdict {
        Verdict::Supported => pb::Verdict::Supported,
        Verdict::Contradicted => pb::Verdict::Contradicted,
        Verdict::Unknown => pb::Verdict::Unknown,
    };
    pb::VerifyClaimResponse {
        verdict: verdict.into(),
        confidence: v.confidence,
        reason: v.reason,
        store_version: v.store_version,
        citations: v
            .citations
            .into_iter()
            .map(|c| pb::Citation {
                article_id: c.article_id,
                article_title: c.article_title,
                text: c.text,
                start: c.start as u64,
                end: c.end as u64,
                stance: match c.stance {
                    Stance::Supports => pb::Stance::Supports,
                    Stance::Refutes => pb::Stance::Refutes,
                    Stance::Neutral => pb::Stance::Neutral,
                }
                .into(),
                score: c.score,
                attribution: c.attribution,
            })
            .collect(),
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        match e {
            Error::InvalidArgument { field, reason, ref description } => {
                let mut details = ErrorDetails::new();
                details.add_bad_request_violation(field, description.clone());
                details.set_error_info(reason.as_str(), ERROR_DOMAIN, std::collections::HashMap::new());
                Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
            }
            Error::Storage(_) | Error::Corrupt { .. } | Error::Schema { .. } | Error::Corpus { .. } | Error::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                let details = ErrorDetails::with_error_info("INTERNAL", ERROR_DOMAIN, std::collections::HashMap::new());
                Status::with_error_details(Code::Internal, "internal error; see server logs", details)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(claim: &str, max_citations: u32) -> pb::VerifyClaimRequest {
        pb::VerifyClaimRequest { claim: claim.into(), max_citations }
    }

    #[test]
    fn validation_rejects_bad_input_with_details() {
        for (r, field, reason) in [
            (req("  \n\t", 0), "claim", "CLAIM_EMPTY"),
            (req("\0\0", 0), "claim", "CLAIM_EMPTY"),
            (req(&"x".repeat(MAX_CLAIM_CHARS + 1), 0), "claim", "CLAIM_TOO_LONG"),
            (req("ok claim", MAX_CITATIONS + 1), "max_citations", "MAX_CITATIONS_OUT_OF_RANGE"),
        ] {
            let status = Status::from(validate(&r).unwrap_err());
            assert_eq!(status.code(), Code::InvalidArgument);
            let details = status.get_error_details();
            assert_eq!(details.bad_request().unwrap().field_violations[0].field, field);
            let info = details.error_info().unwrap();
            assert_eq!((info.reason.as_str(), info.domain.as_str()), (reason, ERROR_DOMAIN));
        }
        assert_eq!(validate(&req("a\0b", 0)).unwrap(), ("a b".to_string(), DEFAULT_CITATIONS));
    }
}
