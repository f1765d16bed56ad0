//! Aggregation: from per-sentence stances to one verdict, a confidence and the
//! ordered citations.

use super::assessment::Assessment;
use super::thresholds::{MIN_NEUTRAL_CITE, Thresholds};
use crate::engine::domain::{Stance, Verdict};

/// The outcome of aggregation over assessed candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub confidence: f32,
    /// Candidate indices, best evidence first; the first decides the verdict
    /// unless it is UNKNOWN.
    pub order: Vec<usize>,
    pub reason: String,
}

/// Confidence of a verdict resting on a sentence that just passes its bar;
/// it rises to `+ CONFIDENCE_SPAN` as the sentence covers the whole claim.
const SUPPORTED_BASE: f32 = 0.6;
const CONTRADICTED_BASE: f32 = 0.55;
const CONFIDENCE_SPAN: f32 = 0.4;
/// Confidence kept when other sentences disagree with the verdict.
const DISAGREEMENT: f32 = 0.85;

fn best(assessed: &[Assessment], stance: Stance) -> Option<usize> {
    (0..assessed.len())
        .filter(|&i| assessed[i].stance == stance)
        .max_by(|&a, &b| assessed[a].score.total_cmp(&assessed[b].score).then(b.cmp(&a)))
}

/// How far `score` is from the bar `at` towards 1, in 0..=1.
fn above(score: f32, at: f32) -> f32 {
    ((score - at) / (1.0 - at)).clamp(0.0, 1.0)
}

/// Picks the verdict: the strongest supporting sentence wins over the strongest
/// refuting one when it covers the claim at least as well; with neither, the
/// store has no evidence and the verdict is UNKNOWN.
pub fn decide(assessed: &[Assessment], t: &Thresholds) -> Decision {
    let support = best(assessed, Stance::Supports);
    let refute = best(assessed, Stance::Refutes);
    let score = |i: Option<usize>| i.map_or(0.0, |i| assessed[i].score);
    let (verdict, decisive) = match (support, refute) {
        (Some(s), r) if score(Some(s)) >= score(r) => (Verdict::Supported, Some(s)),
        (_, Some(r)) => (Verdict::Contradicted, Some(r)),
        _ => (Verdict::Unknown, None),
    };
    // Confidence grows with how completely the decisive sentence covers the
    // claim, and drops when sentences disagree.
    let related = assessed.iter().map(|a| a.score).fold(0.0f32, f32::max);
    let confidence = match verdict {
        Verdict::Supported => {
            let c = SUPPORTED_BASE + CONFIDENCE_SPAN * above(score(support), t.support_coverage);
            if refute.is_some() { c * DISAGREEMENT } else { c }
        }
        Verdict::Contradicted => {
            let c = CONTRADICTED_BASE + CONFIDENCE_SPAN * above(score(refute), t.refute_coverage);
            if support.is_some() { c * DISAGREEMENT } else { c }
        }
        Verdict::Unknown => (0.9 - related).clamp(0.3, 0.9),
    };
    let reason = match (verdict, decisive) {
        (Verdict::Contradicted, Some(d)) => assessed[d].reason().unwrap_or_else(|| "the evidence contradicts the claim".into()),
        (Verdict::Supported, _) => "a stored sentence states the claim".into(),
        _ => "no stored sentence supports or contradicts the claim".into(),
    };
    Decision { verdict, confidence, order: citation_order(assessed, verdict, decisive), reason }
}

/// The decisive sentence first, then those that agree with the verdict, then
/// those that disagree, then related neutral ones; stronger first in each.
pub(super) fn citation_order(assessed: &[Assessment], verdict: Verdict, decisive: Option<usize>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..assessed.len())
        .filter(|&i| Some(i) != decisive && (assessed[i].stance != Stance::Neutral || assessed[i].score >= MIN_NEUTRAL_CITE))
        .collect();
    let rank = |s: Stance| match (verdict, s) {
        (Verdict::Supported, Stance::Supports) | (Verdict::Contradicted, Stance::Refutes) => 0,
        (_, Stance::Neutral) => 2,
        _ => 1,
    };
    order.sort_by(|&a, &b| rank(assessed[a].stance).cmp(&rank(assessed[b].stance)).then(assessed[b].score.total_cmp(&assessed[a].score)).then(a.cmp(&b)));
    order.splice(0..0, decisive);
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::judge::assessment::Gap;
    use crate::engine::judge::registry::{Firing, RuleId};

    fn a(stance: Stance, score: f32) -> Assessment {
        let refutes = stance == Stance::Refutes;
        let fired = if refutes { vec![Firing::bare(RuleId::Negation)] } else { Vec::new() };
        Assessment { stance, score, coverage: score, gap: Gap::None, refutable: true, fired, decisive: refutes.then_some(RuleId::Negation), model: None }
    }

    fn decide(assessed: &[Assessment]) -> Decision {
        super::decide(assessed, &Thresholds::default())
    }

    #[test]
    fn strongest_support_decides_and_comes_first() {
        let d = decide(&[a(Stance::Neutral, 0.3), a(Stance::Supports, 0.8), a(Stance::Supports, 0.95)]);
        assert_eq!(d.verdict, Verdict::Supported);
        assert_eq!(d.order, [2, 1, 0]);
        assert!(d.confidence > 0.9);
    }

    #[test]
    fn refutation_wins_over_weaker_support() {
        let d = decide(&[a(Stance::Supports, 0.72), a(Stance::Refutes, 0.9)]);
        assert_eq!(d.verdict, Verdict::Contradicted);
        assert_eq!(d.order[0], 1);
        assert_eq!(d.reason, "the evidence states the opposite");
    }

    #[test]
    fn no_evidence_is_unknown() {
        let d = decide(&[a(Stance::Neutral, 0.1)]);
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.order.is_empty());
        assert_eq!(decide(&[]).verdict, Verdict::Unknown);
    }

    #[test]
    fn confidence_reads_the_rules_bars() {
        let t = Thresholds::default();
        let at_the_bar = super::decide(&[a(Stance::Supports, t.support_coverage)], &t);
        assert!((at_the_bar.confidence - SUPPORTED_BASE).abs() < 1e-6);
        let stricter = Thresholds { support_coverage: 0.9, ..t };
        assert!(super::decide(&[a(Stance::Supports, 0.9)], &stricter).confidence < super::decide(&[a(Stance::Supports, 0.9)], &t).confidence);
    }
}
