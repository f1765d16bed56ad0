//! Judge: how each candidate sentence bears on the claim, and the verdict
//! they add up to. The rules (`rules`) assess every candidate; the stance
//! model, where the engine has one, reads the first few whose judgement the
//! gate (`gate`) lets it change; aggregation (`decide`) turns the assessed
//! candidates into a verdict, a confidence and the citation order. The bars
//! they all compare against are in `thresholds`.

mod assessment;
pub mod decide;
pub mod gate;
pub mod registry;
pub mod rules;
pub mod thresholds;

use std::sync::Arc;

pub use self::assessment::{Assessment, Gap, Pair, StanceScorer};
use self::decide::Decision;
use self::thresholds::Thresholds;
use super::domain::{Article, Unit, evidence_text};
use super::language::Features;
use super::models::Models;

/// Candidates the stance model reads (it costs ~2–5 ms a pair; rules are µs).
const MODEL_PAIRS: usize = 4;

/// A sentence retrieved for a claim.
pub struct Candidate<'a> {
    pub article: &'a Article,
    pub unit: &'a Unit,
    pub features: Arc<Features>,
}

/// The claim as the judge reads it.
pub struct Claim<'a> {
    pub text: &'a str,
    pub features: &'a Features,
    /// The store's term weights (see [`Pair`]).
    pub idf: &'a dyn Fn(&str) -> f32,
    pub max_idf: f32,
}

/// The rules, the optional stance model and the gate between them.
pub struct Judge {
    rules: Box<dyn StanceScorer>,
    /// `None`: the rules alone judge.
    model: Option<Arc<Models>>,
    thresholds: Thresholds,
}

impl Judge {
    pub fn new(rules: Box<dyn StanceScorer>, model: Option<Arc<Models>>, thresholds: Thresholds) -> Judge {
        Judge { rules, model, thresholds }
    }

    /// Assesses every candidate (best retrieved first) with the rules, then
    /// lets the stance model read the first few the gate admits.
    pub fn assess(&self, claim: &Claim<'_>, candidates: &[Candidate<'_>]) -> Vec<Assessment> {
        let mut assessed: Vec<Assessment> = tracing::info_span!("score", candidates = candidates.len()).in_scope(|| {
            candidates.iter().map(|c| self.rules.assess(&Pair { claim: claim.features, evidence: &c.features, idf: claim.idf, max_idf: claim.max_idf })).collect()
        });
        let Some(model) = &self.model else { return assessed };
        let gate = self.thresholds.gate;
        assessed.iter_mut().for_each(|a| gate.mark_low_coverage(a));
        let top: Vec<usize> = (0..candidates.len()).filter(|&i| gate.admits(&assessed[i])).take(MODEL_PAIRS).collect();
        let texts: Vec<String> = top.iter().map(|&i| model_evidence(&candidates[i])).collect();
        match tracing::info_span!("stance_model", pairs = top.len()).in_scope(|| model.stance(claim.text, &texts)) {
            Ok(probs) => top.iter().zip(probs).for_each(|(&i, p)| assessed[i] = gate::combine(&assessed[i], p, gate)),
            Err(e) => tracing::warn!(error = %e, "stance model failed; rules only for this claim"),
        }
        assessed
    }

    /// The verdict the assessed candidates add up to.
    pub fn decide(&self, assessed: &[Assessment]) -> Decision {
        tracing::info_span!("aggregate").in_scope(|| decide::decide(assessed, &self.thresholds))
    }
}

/// The stance model's view of a unit: "title | sentence" (as in training).
fn model_evidence(c: &Candidate<'_>) -> String {
    let text = evidence_text(c.article, c.unit);
    if c.article.title.is_empty() { text } else { format!("{} | {text}", c.article.title) }
}
