//! Judge: how each candidate sentence bears on the claim, and the verdict
//! they add up to. The rules (`rules`) assess every candidate; the stance
//! model, where the engine has one, reads the first few that share enough of
//! the claim (with the sentence before, where one refers back to it), and the
//! gate (`gate`) says where its reading may change the rules'; the hand-tuned
//! aggregation (`decide`) or, with the models, the learned one (`aggregate`)
//! turns the assessed candidates into a verdict, a confidence and the
//! citation order. The bars they all compare against are in `thresholds`.

pub mod aggregate;
mod assessment;
pub mod decide;
pub mod gate;
pub mod registry;
pub mod rules;
pub mod thresholds;

use std::sync::Arc;

pub use self::aggregate::Aggregator;
pub use self::assessment::{Assessment, Gap, Pair, StanceScorer};
use self::decide::Decision;
use self::thresholds::Thresholds;
use super::domain::{Article, StanceProbs, Unit, evidence_text};
use super::language::Features;
use super::models::Models;

/// Candidates the stance model reads (it costs ~2–5 ms a pair; rules are µs).
const MODEL_PAIRS: usize = 4;
/// Sentences of one article the stance model also reads together: an
/// abstract states a finding across sentences ("…was measured. It fell by…").
const JOINT_SENTENCES: usize = 3;

/// The judge's reading of a claim's candidates.
pub struct Assessed {
    /// One per candidate, in the candidates' order.
    pub pairs: Vec<Assessment>,
    /// The stance model on the best article's admitted sentences together
    /// (at most [`JOINT_SENTENCES`], in text order), where it has two or more.
    pub joint: Option<StanceProbs>,
}

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

/// The rules, the optional stance model, the gate between them and the
/// optional learned aggregator over them all.
pub struct Judge {
    rules: Box<dyn StanceScorer>,
    /// `None`: the rules alone judge.
    model: Option<Arc<Models>>,
    thresholds: Thresholds,
    /// `None`: the hand-tuned aggregation decides.
    aggregator: Option<Aggregator>,
}

impl Judge {
    pub fn new(rules: Box<dyn StanceScorer>, model: Option<Arc<Models>>, thresholds: Thresholds, aggregator: Option<Aggregator>) -> Judge {
        Judge { rules, model, thresholds, aggregator }
    }

    /// The learned aggregator's file id, where it decides (else the hand-tuned one does).
    pub fn aggregator_id(&self) -> Option<&str> {
        self.aggregator.as_ref().map(|a| a.id.as_str())
    }

    /// Assesses every candidate (best retrieved first) with the rules, then
    /// lets the stance model read the first few that share enough of the
    /// claim, and, with `joint` (only the learned aggregator reads it), the
    /// best article's admitted sentences together.
    pub fn assess(&self, claim: &Claim<'_>, candidates: &[Candidate<'_>], joint: bool) -> Assessed {
        let mut pairs: Vec<Assessment> = tracing::info_span!("score", candidates = candidates.len()).in_scope(|| {
            candidates.iter().map(|c| self.rules.assess(&Pair { claim: claim.features, evidence: &c.features, idf: claim.idf, max_idf: claim.max_idf })).collect()
        });
        let Some(model) = &self.model else { return Assessed { pairs, joint: None } };
        let gate = self.thresholds.gate;
        pairs.iter_mut().for_each(|a| gate.mark_low_coverage(a));
        let admitted: Vec<usize> = (0..candidates.len()).filter(|&i| gate.admits(&pairs[i])).collect();
        // The model reads the best retrieved sentences that share enough of
        // the claim, those the rules refute included: its reading of them is
        // evidence for the aggregator too.
        let read: Vec<usize> = (0..candidates.len()).filter(|&i| pairs[i].coverage >= gate.min_coverage).take(MODEL_PAIRS).collect();
        let texts: Vec<String> = read.iter().map(|&i| model_evidence(&candidates[i])).collect();
        match tracing::info_span!("stance_model", pairs = read.len()).in_scope(|| model.stance(claim.text, &texts)) {
            Ok(probs) => read.iter().zip(probs).for_each(|(&i, p)| pairs[i] = gate::combine(&pairs[i], p, gate)),
            Err(e) => tracing::warn!(error = %e, "stance model failed; rules only for this claim"),
        }
        let joint = joint.then(|| joint_evidence(candidates, &admitted)).flatten().and_then(|text| {
            // Its own call: one long input would pad the short ones to its length.
            let read = tracing::info_span!("stance_model_joint").in_scope(|| model.stance(claim.text, &[text]));
            read.inspect_err(|e| tracing::warn!(error = %e, "stance model failed on the joint evidence")).ok()?.pop()
        });
        Assessed { pairs, joint }
    }

    /// The verdict the assessed candidates add up to. The learned aggregator,
    /// where there is one, may overrule the hand-tuned decision; it then marks
    /// the sentence it cites as decisive. It reads the stance model: where the
    /// model read nothing (no stored sentence shares enough of the claim), the
    /// hand-tuned decision stands.
    pub fn decide(&self, assessed: &mut Assessed) -> Decision {
        tracing::info_span!("aggregate").in_scope(|| {
            let hand = decide::decide(&assessed.pairs, &self.thresholds);
            match &self.aggregator {
                Some(a) if assessed.pairs.iter().any(|p| p.model.is_some()) => a.decide(assessed, hand),
                _ => hand,
            }
        })
    }

    /// The aggregator's signals for assessed candidates (what
    /// `train/fit_judge.py` fits on).
    pub fn signals(&self, assessed: &Assessed) -> [f32; aggregate::SIGNALS.len()] {
        aggregate::signals(assessed, &decide::decide(&assessed.pairs, &self.thresholds))
    }
}

/// The stance model's view of a unit: "title | sentence" (as in training),
/// after the sentence before it where this one refers back to what that one
/// names ("The agency said…", "She…"): the model cannot resolve a subject it
/// is not shown.
fn model_evidence(c: &Candidate<'_>) -> String {
    let text = evidence_text(c.article, c.unit);
    match antecedent(c) {
        Some(before) => with_title(c.article, format!("{before} {text}")),
        None => with_title(c.article, text),
    }
}

/// The sentence before a candidate that opens by referring back.
fn antecedent<'a>(c: &Candidate<'a>) -> Option<&'a str> {
    if c.features.anaphor.is_none() && !c.features.definite {
        return None;
    }
    let at = c.article.units.binary_search_by_key(&c.unit.start, |u| u.start).ok()?;
    let before = &c.article.units[at.checked_sub(1)?];
    Some(&c.article.text[before.start..before.end])
}

fn with_title(article: &Article, text: String) -> String {
    if article.title.is_empty() { text } else { format!("{} | {text}", article.title) }
}

/// The first admitted candidate's article with up to [`JOINT_SENTENCES`] of
/// its admitted sentences, in text order; `None` where it has only one.
fn joint_evidence(candidates: &[Candidate<'_>], admitted: &[usize]) -> Option<String> {
    let article = candidates[*admitted.first()?].article;
    let mut units: Vec<&Unit> = admitted.iter().map(|&i| &candidates[i]).filter(|c| c.article.id == article.id).map(|c| c.unit).take(JOINT_SENTENCES).collect();
    if units.len() < 2 {
        return None;
    }
    units.sort_by_key(|u| u.start);
    let texts: Vec<String> = units.iter().map(|u| evidence_text(article, u)).collect();
    Some(with_title(article, texts.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::domain::Source;
    use crate::engine::language::analyze;

    fn article(id: &str, title: &str, sentences: &[&str]) -> Article {
        let text = sentences.join(" ");
        let mut start = 0;
        let units = sentences
            .iter()
            .map(|s| {
                let unit = Unit { start, end: start + s.len(), attribution: String::new() };
                start += s.len() + 1;
                unit
            })
            .collect();
        Article { id: id.into(), title: title.into(), text, source: Source::default(), content_hash: String::new(), units }
    }

    #[test]
    fn the_model_reads_a_sentence_that_refers_back_after_the_one_before() {
        let port = article("p", "Port fees", &["The Northwind Port Agency raised its fees.", "The agency said traffic fell 4%.", "Ships paid more."]);
        let at = |i: usize| Candidate { article: &port, unit: &port.units[i], features: Arc::new(analyze(&port.text[port.units[i].start..port.units[i].end])) };
        assert_eq!(model_evidence(&at(1)), "Port fees | The Northwind Port Agency raised its fees. The agency said traffic fell 4%.");
        assert_eq!(model_evidence(&at(0)), "Port fees | The Northwind Port Agency raised its fees.", "a name opens it: nothing before");
        assert_eq!(model_evidence(&at(2)), "Port fees | Ships paid more.");
    }

    #[test]
    fn joint_evidence_reads_the_best_articles_sentences_in_text_order() {
        let abstract_ = article("a", "Statins", &["Patients took statins.", "LDL was measured.", "It fell by half.", "Nothing else changed."]);
        let other = article("b", "", &["Aspirin was given."]);
        let candidate = |a: &'static Article, i: usize| Candidate { article: a, unit: &a.units[i], features: Arc::new(analyze(&a.text[a.units[i].start..a.units[i].end])) };
        let (abstract_, other): (&'static Article, &'static Article) = (Box::leak(Box::new(abstract_)), Box::leak(Box::new(other)));
        let candidates = [candidate(abstract_, 2), candidate(other, 0), candidate(abstract_, 1), candidate(abstract_, 3), candidate(abstract_, 0)];
        // Admitted: all but the last; the first three of the best article, in text order.
        assert_eq!(joint_evidence(&candidates, &[0, 1, 2, 3]).as_deref(), Some("Statins | LDL was measured. It fell by half. Nothing else changed."));
        assert_eq!(joint_evidence(&candidates, &[0, 1]), None, "one sentence of the article is not joint evidence");
        assert_eq!(joint_evidence(&candidates, &[]), None);
    }
}
