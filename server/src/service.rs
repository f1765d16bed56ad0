//! The thin gRPC adapter: validate the request, call the engine off the async
//! runtime, map the answer to the contract. Domain errors become a
//! `tonic::Status` in one place, `From<Error> for Status`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use factcheck_proto::v1 as pb;
use factcheck_proto::pbjson_types;
use factcheck_proto::v1::fact_check_service_server::FactCheckService;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status, Streaming};
use tonic_types::{ErrorDetails, StatusExt};
use tracing::Instrument;

use crate::config::Secret;
use crate::engine::{AnsweredBy, Applied, Cancel, Article, Change, Citation, Engine, Explanation, FiredRule, ListQuery, NewArticle, RuleEffect, Scope, Source, Stance, Verdict, Verification, Write, MAX_CLAIM_CHARS};
use crate::error::{Error, Reason};
use crate::metrics::{Metrics, VerdictLabels};
use crate::middleware::{Admission, parse_grpc_timeout};
use crate::replication::Replication;

/// `google.rpc.ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "factcheck.v1";
/// Longest accepted CheckText input, in characters.
pub const MAX_TEXT_CHARS: usize = 100_000;
pub const DEFAULT_CITATIONS: usize = 5;
pub const DEFAULT_TEXT_CITATIONS: usize = 3;
pub const MAX_CITATIONS: u32 = 20;
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: i32 = 1000;
/// Claims of one VerifyClaims stream verified at once.
const STREAM_CONCURRENCY: usize = 8;
/// Claims one VerifyClaims stream may send; beyond, it ends RESOURCE_EXHAUSTED.
pub const MAX_STREAM_CLAIMS: usize = 10_000;
/// A VerifyClaims stream with no claim in flight and none arriving for this
/// long ends DEADLINE_EXCEEDED.
pub const STREAM_IDLE: Duration = Duration::from_secs(60);
/// The longest a VerifyClaims stream lasts (the caller's deadline, if shorter).
pub const MAX_STREAM_DURATION: Duration = Duration::from_secs(30 * 60);
/// Answers a VerifyClaims stream holds for a slow reader before it stops
/// reading requests (back-pressure instead of unbounded buffering).
const STREAM_BUFFER: usize = 32;
/// Articles of an IngestArticles stream written together (published once, at its end).
const WRITE_CHUNK: usize = 64;
/// Rejections listed in one IngestArticles answer (all are counted).
const MAX_LISTED_REJECTIONS: usize = 1000;

pub struct FactCheckApi {
    engine: Arc<Engine>,
    metrics: Arc<Metrics>,
    admin_token: Option<Secret>,
    /// With `--ingest-stream`: admin writes go through the replicated log.
    replication: Option<Arc<Replication>>,
    /// Set on every answer; fixed once the engine is open.
    answered_by: pb::AnsweredBy,
}

impl FactCheckApi {
    pub fn new(engine: Arc<Engine>, metrics: Arc<Metrics>, admin_token: Option<Secret>, replication: Option<Arc<Replication>>) -> Self {
        let answered_by = engine.answered_by().into();
        FactCheckApi { engine, metrics, admin_token, replication, answered_by }
    }

    /// Applies writes here (visible after `publish`), or through the
    /// replicated log (answered once this replica has applied them, visible).
    async fn write(&self, writes: Vec<Write>) -> Result<Vec<Applied>, Error> {
        if let Some(replication) = &self.replication {
            let mut sequences = Vec::with_capacity(writes.len());
            for w in writes {
                sequences.push(replication.append(w).await?);
            }
            let outcomes = replication.outcomes(&sequences).await?;
            // Skipped: stored after this server stopped waiting for it, or parked.
            if outcomes.iter().any(|o| matches!(o, Applied::Skipped)) {
                return Err(Error::Unavailable("the ingest stream took a write of this call too late to apply it; that write was not applied: retry the call".into()));
            }
            return Ok(outcomes);
        }
        let engine = self.engine.clone();
        let applied = blocking(move || {
            let mut applied = Vec::with_capacity(writes.len());
            for w in writes {
                applied.push(match w {
                    Write::Upsert(a) => Applied::Stored(engine.store_article(a)?.0),
                    Write::Delete { id } => Applied::Deleted(engine.delete(&id)?),
                });
            }
            Ok(applied)
        })
        .await?;
        self.metrics.record_ingested(applied.iter().filter(|a| matches!(a, Applied::Stored(Change::Added | Change::Replaced))).count() as u64);
        Ok(applied)
    }

    /// Makes local writes visible (the replicated log's follower publishes its own).
    async fn publish(&self) -> Result<(), Error> {
        if self.replication.is_some() {
            return Ok(());
        }
        let engine = self.engine.clone();
        blocking(move || engine.publish()).await
    }

    /// Admin calls need the configured bearer token.
    fn authorize(&self, metadata: &MetadataMap) -> Result<(), Error> {
        let Some(token) = &self.admin_token else {
            return Err(Error::AdminDisabled("admin calls are disabled: the server has no admin token".into()));
        };
        let presented = metadata.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        match presented {
            Some(p) if constant_time_eq(p.as_bytes(), token.expose().as_bytes()) => Ok(()),
            _ => Err(Error::Unauthenticated("admin call without a valid \"authorization: Bearer TOKEN\"".into())),
        }
    }

    fn record_store(&self) {
        self.metrics.store_articles.set(self.engine.article_count() as i64);
        self.metrics.store_units.set(self.engine.unit_count() as i64);
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs engine work on the blocking pool, inside the current span.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Error> + Send + 'static) -> Result<T, Error> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| Error::Internal(format!("engine task failed: {e}")))?
}

/// Engine work a caller waits for: the job holds the call's admission until
/// it ends, and is told to stop (between claims) once nobody waits for it.
async fn answer<T: Send + 'static>(admission: Option<Admission>, f: impl FnOnce(&Cancel) -> Result<T, Error> + Send + 'static) -> Result<T, Error> {
    let cancel = Cancel::default();
    let _gone = CancelOnDrop(cancel.clone());
    blocking(move || {
        let _admission = admission;
        f(&cancel)
    })
    .await
}

struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The call's place under the concurrency limit (see `middleware`).
fn admission<T>(request: &Request<T>) -> Option<Admission> {
    request.extensions().get::<Admission>().cloned()
}

fn invalid(field: &'static str, reason: Reason, description: impl Into<String>) -> Error {
    Error::InvalidArgument { field, reason, description: description.into() }
}

/// Control characters read as spaces.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\n' { ' ' } else { c }).collect()
}

fn citations(n: u32, default: usize) -> Result<usize, Error> {
    match n {
        0 => Ok(default),
        n if n > MAX_CITATIONS => Err(invalid("max_citations", Reason::MaxCitationsOutOfRange, format!("max_citations must be 0..={MAX_CITATIONS}"))),
        n => Ok(n as usize),
    }
}

/// Checks a claim and returns it cleaned, with the citation count to use.
pub fn validate_claim(claim: &str, max_citations: u32) -> Result<(String, usize), Error> {
    let claim: String = claim.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if claim.trim().is_empty() {
        return Err(invalid("claim", Reason::ClaimEmpty, "claim must not be empty"));
    }
    let chars = claim.chars().count();
    if chars > MAX_CLAIM_CHARS {
        return Err(invalid("claim", Reason::ClaimTooLong, format!("claim has {chars} characters; the limit is {MAX_CLAIM_CHARS}")));
    }
    Ok((claim, citations(max_citations, DEFAULT_CITATIONS)?))
}

fn required_id(id: &str) -> Result<String, Error> {
    if id.trim().is_empty() {
        return Err(invalid("id", Reason::IdEmpty, "id must not be empty"));
    }
    Ok(id.to_string())
}

/// The articles a call reads, checked: `field` names the request's scope in errors.
fn scope(publisher: String, after: Option<pbjson_types::Timestamp>, before: Option<pbjson_types::Timestamp>, field: &'static str) -> Result<Scope, Error> {
    let scope = Scope { publisher: Some(publisher).filter(|p| !p.is_empty()), published_after: timestamp(after), published_before: timestamp(before) };
    if let (Some(a), Some(b)) = (scope.published_after, scope.published_before) {
        if a >= b {
            return Err(invalid(field, Reason::TimeRangeInvalid, "published_before must be after published_after"));
        }
    }
    Ok(scope)
}

/// The evidence scope of a verification request (unset: every article).
fn evidence_scope(s: Option<pb::ArticleScope>) -> Result<Scope, Error> {
    let s = s.unwrap_or_default();
    scope(s.publisher, s.published_after, s.published_before, "scope.published_before")
}

fn timestamp(t: Option<pbjson_types::Timestamp>) -> Option<(i64, i32)> {
    t.map(|t| (t.seconds, t.nanos))
}

fn to_timestamp(t: Option<(i64, i32)>) -> Option<pbjson_types::Timestamp> {
    t.map(|(seconds, nanos)| pbjson_types::Timestamp { seconds, nanos })
}

#[tonic::async_trait]
impl FactCheckService for FactCheckApi {
    async fn verify_claim(&self, request: Request<pb::VerifyClaimRequest>) -> Result<Response<pb::VerifyClaimResponse>, Status> {
        let (claim, max_citations) = validate_claim(&request.get_ref().claim, request.get_ref().max_citations)?;
        let scope = evidence_scope(request.get_ref().scope.clone())?;
        let (engine, explain) = (self.engine.clone(), request.get_ref().explain);
        let verification = answer(admission(&request), move |_| engine.verify(&claim, max_citations, explain, &scope)).await?;
        Ok(Response::new(verification_proto(&self.metrics, &self.answered_by, verification)))
    }

    type VerifyClaimsStream = ReceiverStream<Result<pb::VerifyClaimsResponse, Status>>;

    async fn verify_claims(&self, request: Request<Streaming<pb::VerifyClaimsRequest>>) -> Result<Response<Self::VerifyClaimsStream>, Status> {
        let caller = request.metadata().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        let deadline = tokio::time::Instant::now() + caller.map_or(MAX_STREAM_DURATION, |t| t.min(MAX_STREAM_DURATION));
        let admission = admission(&request);
        let mut input = request.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let (engine, metrics, answered_by) = (self.engine.clone(), self.metrics.clone(), self.answered_by.clone());
        let verify = move |item: pb::VerifyClaimsRequest| {
            let (engine, metrics, answered_by) = (engine.clone(), metrics.clone(), answered_by.clone());
            async move {
                let result = match validate_claim(&item.claim, item.max_citations).and_then(|c| Ok((c, evidence_scope(item.scope)?))) {
                    Ok(((claim, max), scope)) => answer(None, move |_| engine.verify(&claim, max, item.explain, &scope)).await,
                    Err(e) => Err(e),
                };
                let result = match result {
                    Ok(v) => pb::verify_claims_response::Result::Verification(verification_proto(&metrics, &answered_by, v)),
                    Err(e) => pb::verify_claims_response::Result::Error(item_error(e)),
                };
                pb::VerifyClaimsResponse { request_id: item.request_id, result: Some(result) }
            }
        };
        let work = async move {
            // The stream holds its call's place under the limit until it ends.
            let _admission = admission;
            let mut running = FuturesUnordered::new();
            let (mut received, mut reading) = (0usize, true);
            let idle = tokio::time::sleep(STREAM_IDLE);
            tokio::pin!(idle);
            // Why the stream ends early, and whether the answers in flight still go out.
            let end: Option<(Status, bool)> = loop {
                if !reading && running.is_empty() {
                    break None;
                }
                tokio::select! {
                    item = input.message(), if reading && running.len() < STREAM_CONCURRENCY => match item {
                        Ok(Some(item)) => {
                            received += 1;
                            if received > MAX_STREAM_CLAIMS {
                                break Some((Status::resource_exhausted(format!("a stream verifies at most {MAX_STREAM_CLAIMS} claims; open another")), true));
                            }
                            running.push(verify(item));
                        }
                        // A finished or broken request stream ends the reading; answers due still go out.
                        Ok(None) | Err(_) => reading = false,
                    },
                    Some(answer) = running.next(), if !running.is_empty() => match tokio::time::timeout_at(deadline, tx.send(Ok(answer))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return, // the caller went away
                        // A caller that stops reading holds the stream no longer than its deadline.
                        Err(_) => break Some((Status::deadline_exceeded("the stream's deadline has passed"), false)),
                    },
                    () = &mut idle, if running.is_empty() => {
                        break Some((Status::deadline_exceeded(format!("no claim for {} s", STREAM_IDLE.as_secs())), false));
                    }
                    () = tokio::time::sleep_until(deadline) => {
                        break Some((Status::deadline_exceeded("the stream's deadline has passed"), false));
                    }
                    () = tx.closed() => return,
                }
                idle.as_mut().reset(tokio::time::Instant::now() + STREAM_IDLE);
            };
            let Some((status, drain)) = end else { return };
            while let Some(answer) = if drain { running.next().await } else { None } {
                if !matches!(tokio::time::timeout_at(deadline, tx.send(Ok(answer))).await, Ok(Ok(()))) {
                    return;
                }
            }
            let _ = tokio::time::timeout_at(deadline + STREAM_IDLE, tx.send(Err(status))).await;
        };
        tokio::spawn(work.instrument(tracing::Span::current()));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn check_text(&self, request: Request<pb::CheckTextRequest>) -> Result<Response<pb::CheckTextResponse>, Status> {
        let req = request.get_ref();
        let text = clean(&req.text);
        if text.trim().is_empty() {
            return Err(invalid("text", Reason::TextEmpty, "text must not be empty").into());
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(invalid("text", Reason::TextTooLong, format!("text has {chars} characters; the limit is {MAX_TEXT_CHARS}")).into());
        }
        let max_citations = citations(req.max_citations, DEFAULT_TEXT_CITATIONS)?;
        let scope = evidence_scope(req.scope.clone())?;
        let (engine, admission) = (self.engine.clone(), admission(&request));
        let (checked, text) = answer(admission, move |cancel| engine.check_text(&text, max_citations, &scope, cancel).map(|c| (c, text))).await?;
        let mut summary = pb::CheckSummary { skipped: checked.skipped as u32, ..pb::CheckSummary::default() };
        let store_version = match checked.claims.first() {
            Some(c) => c.verification.store_version,
            None => self.engine.store_version()?,
        };
        let claims = checked
            .claims
            .into_iter()
            .map(|c| {
                match c.verification.verdict {
                    Verdict::Supported => summary.supported += 1,
                    Verdict::Contradicted => summary.contradicted += 1,
                    Verdict::Unknown => summary.unknown += 1,
                }
                let v = verification_proto(&self.metrics, &self.answered_by, c.verification);
                pb::CheckedClaim {
                    text: text[c.start..c.end].to_string(),
                    start: c.start as u64,
                    end: c.end as u64,
                    verdict: v.verdict,
                    confidence: v.confidence,
                    citations: v.citations,
                    reason: v.reason,
                }
            })
            .collect();
        Ok(Response::new(pb::CheckTextResponse { claims, summary: Some(summary), store_version, answered_by: Some(self.answered_by.clone()) }))
    }

    async fn ingest_articles(&self, request: Request<Streaming<pb::IngestArticlesRequest>>) -> Result<Response<pb::IngestArticlesResponse>, Status> {
        self.authorize(request.metadata())?;
        let mut input = request.into_inner();
        let mut answer = pb::IngestArticlesResponse::default();
        let mut index = 0u32;
        // Written in chunks: memory stays bounded however long the stream.
        let mut chunk = Vec::new();
        while let Some(item) = input.message().await? {
            let new = new_article(item.article.unwrap_or_default());
            match new.validate() {
                Err(reason) => {
                    answer.rejected += 1;
                    if answer.rejections.len() < MAX_LISTED_REJECTIONS {
                        answer.rejections.push(pb::IngestRejection { article_id: new.id, index, reason: reason.as_str().into() });
                    }
                }
                Ok(()) => chunk.push(Write::Upsert(new)),
            }
            if chunk.len() == WRITE_CHUNK {
                count(&mut answer, self.write(std::mem::take(&mut chunk)).await?);
            }
            index = index.saturating_add(1);
        }
        count(&mut answer, self.write(chunk).await?);
        if answer.added + answer.updated > 0 {
            self.publish().await?;
        }
        self.record_store();
        answer.store_version = self.engine.store_version()?;
        tracing::info!(added = answer.added, updated = answer.updated, unchanged = answer.unchanged, rejected = answer.rejected, store_version = answer.store_version, "articles ingested");
        Ok(Response::new(answer))
    }

    async fn delete_article(&self, request: Request<pb::DeleteArticleRequest>) -> Result<Response<pb::DeleteArticleResponse>, Status> {
        self.authorize(request.metadata())?;
        let id = required_id(&request.get_ref().id)?;
        if self.write(vec![Write::Delete { id: id.clone() }]).await? != [Applied::Deleted(true)] {
            return Err(Error::NotFound(id).into());
        }
        self.record_store();
        let store_version = self.engine.store_version()?;
        tracing::info!(id = %id, store_version, "article deleted");
        Ok(Response::new(pb::DeleteArticleResponse { store_version }))
    }

    async fn get_article(&self, request: Request<pb::GetArticleRequest>) -> Result<Response<pb::Article>, Status> {
        let id = required_id(&request.get_ref().id)?;
        let engine = self.engine.clone();
        let target = id.clone();
        match answer(admission(&request), move |_| engine.get(&target)).await? {
            Some(a) => Ok(Response::new(article_proto(a, true))),
            None => Err(Error::NotFound(id).into()),
        }
    }

    async fn list_articles(&self, request: Request<pb::ListArticlesRequest>) -> Result<Response<pb::ListArticlesResponse>, Status> {
        let admission = admission(&request);
        let req = request.into_inner();
        let limit = match req.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if (1..=MAX_PAGE_SIZE).contains(&n) => n as usize,
            _ => return Err(invalid("page_size", Reason::PageSizeOutOfRange, format!("page_size must be 0..={MAX_PAGE_SIZE}")).into()),
        };
        let after = match req.page_token.as_str() {
            "" => None,
            token => Some(decode_token(token).ok_or_else(|| invalid("page_token", Reason::PageTokenInvalid, "page_token is not one this server issued"))?),
        };
        let query = ListQuery { after, limit, scope: scope(req.publisher, req.published_after, req.published_before, "published_before")? };
        let engine = self.engine.clone();
        let (page, next) = answer(admission, move |cancel| engine.list(&query, cancel)).await?;
        Ok(Response::new(pb::ListArticlesResponse {
            articles: page.into_iter().map(|a| article_proto(a, false)).collect(),
            next_page_token: next.map(|id| encode_token(&id)).unwrap_or_default(),
            store_version: self.engine.store_version()?,
        }))
    }
}

fn count(answer: &mut pb::IngestArticlesResponse, applied: Vec<Applied>) {
    for a in applied {
        match a {
            Applied::Stored(Change::Added) => answer.added += 1,
            Applied::Stored(Change::Replaced) => answer.updated += 1,
            Applied::Stored(Change::Unchanged) | Applied::Deleted(_) | Applied::Skipped => answer.unchanged += 1,
        }
    }
}

fn new_article(a: pb::Article) -> NewArticle {
    NewArticle {
        id: a.id,
        title: a.title,
        text: a.text,
        source: Source { url: a.url, publisher: a.publisher, published: timestamp(a.published_time), language: a.language },
    }
}

/// One fuzzing input (`fuzz/`, and the corpus replay in CI): bytes as a
/// request message of each kind, decoded and validated as the service does.
pub fn fuzz_one(data: &[u8]) {
    use prost::Message;
    if let Ok(req) = pb::VerifyClaimRequest::decode(data) {
        if let Ok((claim, _)) = validate_claim(&req.claim, req.max_citations) {
            let _ = crate::engine::language::analyze(&claim);
        }
    }
    if let Ok(req) = pb::IngestArticlesRequest::decode(data) {
        let _ = new_article(req.article.unwrap_or_default()).validate();
    }
    if let Ok(req) = pb::ListArticlesRequest::decode(data) {
        let _ = decode_token(&req.page_token);
    }
    if let Ok(req) = pb::CheckTextRequest::decode(data) {
        let _ = citations(req.max_citations, DEFAULT_TEXT_CITATIONS);
    }
}

/// Page tokens are the hex of the last id served: opaque to callers, stable
/// across inserts (pages follow id order).
fn encode_token(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<String> {
    if token.len() % 2 != 0 || token.len() > 1024 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len()).step_by(2).map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

fn item_error(e: Error) -> pb::ItemError {
    let (reason, field) = match &e {
        Error::InvalidArgument { reason, field, .. } => (reason.as_str().to_string(), field.to_string()),
        _ => (String::new(), String::new()),
    };
    let status = Status::from(e);
    pb::ItemError { code: status.code() as i32, message: status.message().to_string(), reason, field }
}

fn article_proto(a: Article, with_body: bool) -> pb::Article {
    let claims = if with_body {
        a.units
            .iter()
            .map(|u| pb::ArticleClaim { text: a.text[u.start..u.end].to_string(), start: u.start as u64, end: u.end as u64, attribution: u.attribution.clone() })
            .collect()
    } else {
        Vec::new()
    };
    pb::Article {
        id: a.id,
        title: a.title,
        text: if with_body { a.text } else { String::new() },
        url: a.source.url,
        publisher: a.source.publisher,
        published_time: to_timestamp(a.source.published),
        language: a.source.language,
        claims,
        content_hash: a.content_hash,
    }
}

fn citation_proto(c: Citation) -> pb::Citation {
    pb::Citation {
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
        explanation: c.explanation.map(Into::into),
    }
}

impl From<Explanation> for pb::Explanation {
    fn from(e: Explanation) -> Self {
        let model = e.model.map(|p| pb::ModelStance { supports: p.supports, refutes: p.refutes, not_enough_info: p.nei });
        pb::Explanation { rules: e.rules.into_iter().map(Into::into).collect(), model }
    }
}

impl From<FiredRule> for pb::RuleFiring {
    fn from(r: FiredRule) -> Self {
        let effect = match r.effect {
            RuleEffect::Supports => pb::RuleEffect::Supports,
            RuleEffect::Refutes => pb::RuleEffect::Refutes,
            RuleEffect::Veto => pb::RuleEffect::Veto,
        };
        let params = r.params.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        pb::RuleFiring { rule: r.id.to_string(), effect: effect.into(), params, message: r.message, decisive: r.decisive }
    }
}

/// The contract's form of a verification; counts the verdict.
fn verification_proto(metrics: &Metrics, answered_by: &pb::AnsweredBy, v: Verification) -> pb::VerifyClaimResponse {
    let verdict = match v.verdict {
        Verdict::Supported => pb::Verdict::Supported,
        Verdict::Contradicted => pb::Verdict::Contradicted,
        Verdict::Unknown => pb::Verdict::Unknown,
    };
    metrics.verdicts.get_or_create(&VerdictLabels { verdict: verdict.as_str_name().trim_start_matches("VERDICT_").to_string() }).inc();
    pb::VerifyClaimResponse {
        verdict: verdict.into(),
        confidence: v.confidence,
        reason: v.reason,
        store_version: v.store_version,
        citations: v.citations.into_iter().map(citation_proto).collect(),
        answered_by: Some(answered_by.clone()),
    }
}

impl From<AnsweredBy> for pb::AnsweredBy {
    fn from(a: AnsweredBy) -> Self {
        let engine = if a.semantic { pb::Engine::Semantic } else { pb::Engine::Lexical };
        pb::AnsweredBy { engine: engine.into(), stance_model: a.stance_model, judge: a.judge, server_version: env!("CARGO_PKG_VERSION").to_string() }
    }
}

fn with_info(code: Code, message: String, reason: &str, metadata: HashMap<String, String>) -> Status {
    Status::with_error_details(code, message, ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata))
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        match e {
            Error::InvalidArgument { field, reason, ref description } => {
                let mut details = ErrorDetails::new();
                details.add_bad_request_violation(field, description.clone());
                details.set_error_info(reason.as_str(), ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
            }
            Error::Unauthenticated(m) => with_info(Code::Unauthenticated, m, "UNAUTHENTICATED", HashMap::new()),
            Error::AdminDisabled(m) => with_info(Code::PermissionDenied, m, "ADMIN_DISABLED", HashMap::new()),
            Error::NotFound(ref id) => {
                let metadata = HashMap::from([("id".to_string(), id.clone())]);
                with_info(Code::NotFound, e.to_string(), "ARTICLE_NOT_FOUND", metadata)
            }
            Error::Unavailable(_) => with_info(Code::Unavailable, e.to_string(), "INGEST_STREAM_UNAVAILABLE", HashMap::new()),
            Error::Cancelled => with_info(Code::Cancelled, e.to_string(), "CANCELLED", HashMap::new()),
            Error::Storage(_) | Error::Corrupt { .. } | Error::Schema { .. } | Error::Corpus { .. } | Error::Model(_) | Error::Io(_) | Error::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                with_info(Code::Internal, "internal error; see server logs".into(), "INTERNAL", HashMap::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_rejects_bad_input_with_details() {
        for ((claim, max), field, reason) in [
            (("  \n\t", 0), "claim", "CLAIM_EMPTY"),
            (("\0\0", 0), "claim", "CLAIM_EMPTY"),
            ((&*"x".repeat(MAX_CLAIM_CHARS + 1), 0), "claim", "CLAIM_TOO_LONG"),
            (("ok claim", MAX_CITATIONS + 1), "max_citations", "MAX_CITATIONS_OUT_OF_RANGE"),
        ] {
            let status = Status::from(validate_claim(claim, max).unwrap_err());
            assert_eq!(status.code(), Code::InvalidArgument);
            let details = status.get_error_details();
            assert_eq!(details.bad_request().unwrap().field_violations[0].field, field);
            let info = details.error_info().unwrap();
            assert_eq!((info.reason.as_str(), info.domain.as_str()), (reason, ERROR_DOMAIN));
        }
        assert_eq!(validate_claim("a\0b", 0).unwrap(), ("a b".to_string(), DEFAULT_CITATIONS));
    }

    #[test]
    fn page_tokens_round_trip_and_reject_forgeries() {
        for id in ["", "000_fbbe073d80e5598f", "é/ü 1"] {
            assert_eq!(decode_token(&encode_token(id)).as_deref(), Some(id));
        }
        for bad in ["x", "zz", "ff", "abc"] {
            assert_eq!(decode_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn compares_tokens_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
