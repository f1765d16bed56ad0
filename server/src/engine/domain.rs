//! The engine's vocabulary: what it stores (articles and their claim units),
//! what it is asked to store, and what it answers (verifications with
//! citations). Every stage speaks these types; this module depends on none.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped when segmentation or attribution changes, so stored units are redone.
pub const PARSER_VERSION: u32 = 1;

/// Where an article comes from. All optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub publisher: String,
    /// Publication time as (unix seconds, nanoseconds).
    #[serde(default)]
    pub published: Option<(i64, i32)>,
    #[serde(default)]
    pub language: String,
}

/// A sentence-level claim unit inside an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Byte offsets into the article text: `text[start..end]` is the sentence.
    pub start: usize,
    pub end: usize,
    /// Who asserts it ("a senior US official"), empty for the article's own voice.
    pub attribution: String,
}

/// A stored article with its claim units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    pub title: String,
    /// Verbatim text; units' offsets point into it.
    pub text: String,
    #[serde(default)]
    pub source: Source,
    /// Hex SHA-256 over parser version, title, text and source.
    pub content_hash: String,
    pub units: Vec<Unit>,
}

impl Article {
    pub fn hash(title: &str, text: &str, source: &Source) -> String {
        let mut h = Sha256::new();
        h.update(PARSER_VERSION.to_be_bytes());
        let published = source.published.map(|(s, n)| format!("{s}.{n}")).unwrap_or_default();
        // Length-prefixed fields, so that no two articles hash alike by shifting text between fields.
        for field in [title, text, &source.url, &source.publisher, &published, &source.language] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The text the matcher sees for a unit: the sentence, with its speaker in
/// front when the sentence itself does not name them (a resolved "she said").
pub fn evidence_text(article: &Article, unit: &Unit) -> String {
    let text = &article.text[unit.start..unit.end];
    if unit.attribution.is_empty() || text.contains(&unit.attribution) {
        text.to_string()
    } else {
        format!("{}: {text}", unit.attribution)
    }
}

/// An article to ingest. An empty title is taken from the text's first line
/// when that reads like a headline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewArticle {
    pub id: String,
    pub title: String,
    pub text: String,
    pub source: Source,
}

/// A write as the replicated ingest log carries it: every replica applies
/// the same writes in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Write {
    Upsert(NewArticle),
    Delete { id: String },
}

/// What applying a [`Write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Stored(Change),
    /// Whether there was an article to delete.
    Deleted(bool),
    /// Not applied, on any replica (see `Engine::skip`).
    Skipped,
}

/// Longest accepted article id, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Longest accepted article text, in bytes.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// Why an article cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    IdEmpty,
    IdInvalid,
    TextEmpty,
    TextTooLong,
    PublishedTimeInvalid,
}

impl Rejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::IdEmpty => "ID_EMPTY",
            Rejection::IdInvalid => "ID_INVALID",
            Rejection::TextEmpty => "TEXT_EMPTY",
            Rejection::TextTooLong => "TEXT_TOO_LONG",
            Rejection::PublishedTimeInvalid => "PUBLISHED_TIME_INVALID",
        }
    }
}

impl NewArticle {
    pub fn validate(&self) -> Result<(), Rejection> {
        if self.id.trim().is_empty() {
            return Err(Rejection::IdEmpty);
        }
        if self.id.len() > MAX_ID_BYTES || self.id.chars().any(char::is_control) || self.id != self.id.trim() {
            return Err(Rejection::IdInvalid);
        }
        if self.text.trim().is_empty() {
            return Err(Rejection::TextEmpty);
        }
        if self.text.len() > MAX_TEXT_BYTES {
            return Err(Rejection::TextTooLong);
        }
        if self.source.published.is_some_and(|(_, nanos)| !(0..1_000_000_000).contains(&nanos)) {
            return Err(Rejection::PublishedTimeInvalid);
        }
        Ok(())
    }
}

/// What storing an article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Replaced,
    Unchanged,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub added: usize,
    pub replaced: usize,
    pub unchanged: usize,
    /// Claim units in the added and replaced articles.
    pub units: usize,
    pub elapsed: Duration,
}

/// Which articles count: as evidence for a claim, or in a listing. The
/// default holds every article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Exactly this publisher.
    pub publisher: Option<String>,
    /// Published at or after, as (unix seconds, nanos).
    pub published_after: Option<(i64, i32)>,
    /// Published before.
    pub published_before: Option<(i64, i32)>,
}

impl Scope {
    pub fn matches(&self, a: &Article) -> bool {
        let published = a.source.published;
        self.publisher.as_ref().is_none_or(|p| &a.source.publisher == p)
            && self.published_after.is_none_or(|t| published.is_some_and(|p| p >= t))
            && self.published_before.is_none_or(|t| published.is_some_and(|p| p < t))
    }

    /// Whether it holds every article.
    pub fn is_all(&self) -> bool {
        *self == Scope::default()
    }
}

/// A page request over the stored articles, in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Start after this id (the previous page's last).
    pub after: Option<String>,
    pub limit: usize,
    pub scope: Scope,
}

/// How a sentence bears on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    Supports,
    Refutes,
    Neutral,
}

/// The verdict on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Supported,
    Contradicted,
    Unknown,
}

/// Probabilities of SUPPORTS, REFUTES and NEI for one (claim, evidence) pair,
/// as the stance model gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StanceProbs {
    pub supports: f32,
    pub refutes: f32,
    pub nei: f32,
}

/// A value a rule saw when it fired.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(Cow<'static, str>),
    Number(f32),
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Text(t) => f.write_str(t),
            Param::Number(n) => write!(f, "{n:.2}"),
        }
    }
}

/// One evidence sentence as the engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub article_id: String,
    pub article_title: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub stance: Stance,
    pub score: f32,
    pub attribution: String,
    /// Why the judge gave this stance, when asked.
    pub explanation: Option<Explanation>,
}

/// The rules that fired on one (claim, sentence) pair, and the model's view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Explanation {
    pub rules: Vec<FiredRule>,
    /// The stance model's probabilities, when it read the pair.
    pub model: Option<StanceProbs>,
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleEffect {
    /// Makes the sentence support the claim.
    Supports,
    /// Makes the sentence refute the claim.
    Refutes,
    /// Stops a support or refutation (by the rules or the model), or raises
    /// the bar for one.
    Veto,
}

impl RuleEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleEffect::Supports => "supports",
            RuleEffect::Refutes => "refutes",
            RuleEffect::Veto => "veto",
        }
    }
}

/// One rule that fired, for people and for tools.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredRule {
    /// The rule's stable id, e.g. "quantity-conflict".
    pub id: &'static str,
    pub effect: RuleEffect,
    pub params: Vec<(&'static str, Param)>,
    /// One line for people.
    pub message: String,
    /// Whether this rule decided the stance.
    pub decisive: bool,
}

/// Identifies a model file: "sha256:" and the first 12 hex digits of its bytes' hash.
pub fn file_id(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("sha256:{}", digest[..6].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Which engine answers, with which models: fixed once the engine is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredBy {
    /// The embedder and the stance model read the evidence; else the rules alone.
    pub semantic: bool,
    /// The stance model's [`file_id`]; empty for the lexical engine.
    pub stance_model: String,
    /// The learned aggregator's [`file_id`]; empty where the hand-tuned one decides.
    pub judge: String,
}

/// The engine's answer for one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub verdict: Verdict,
    pub confidence: f32,
    pub citations: Vec<Citation>,
    pub reason: String,
    pub store_version: u64,
}

/// Most claims `check_text` verifies in one text.
pub const MAX_CHECK_CLAIMS: usize = 200;
/// Most articles one `list` page looks at, matching or not.
pub const MAX_LIST_SCAN: usize = 10_000;
/// Longest claim, in characters: a request's claim or a sentence `check_text` verifies.
pub const MAX_CLAIM_CHARS: usize = 2_000;

/// Set when whoever waits for a job has gone (its call cancelled or past its
/// deadline): a job of many claims stops before the next one.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// One check-worthy claim found in a text, with its verification.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedClaim {
    /// Byte offsets into the checked text.
    pub start: usize,
    pub end: usize,
    pub verification: Verification,
}

/// The answer to `check_text`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedText {
    pub claims: Vec<CheckedClaim>,
    /// Sentences that are not check-worthy, or beyond `MAX_CHECK_CLAIMS`.
    pub skipped: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_articles() {
        let a = |id: &str, text: &str| NewArticle { id: id.into(), text: text.into(), ..NewArticle::default() }.validate();
        assert_eq!(a("x", "Some text."), Ok(()));
        assert_eq!(a(" ", "t"), Err(Rejection::IdEmpty));
        assert_eq!(a("a\u{0}b", "t"), Err(Rejection::IdInvalid));
        assert_eq!(a(&"x".repeat(MAX_ID_BYTES + 1), "t"), Err(Rejection::IdInvalid));
        assert_eq!(a("x", " \n"), Err(Rejection::TextEmpty));
        assert_eq!(a("x", &"y".repeat(MAX_TEXT_BYTES + 1)), Err(Rejection::TextTooLong));
    }
}
