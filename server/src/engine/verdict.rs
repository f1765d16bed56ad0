//! Aggregation: from per-sentence stances to one verdict, a confidence and the
//! ordered citations.

use super::stance::{Assessment, Stance};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Supported,
    Contradicted,
    Unknown,
}

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

/// Neutral sentences less related than this are not worth citing.
const MIN_NEUTRAL_CITE: f32 = 0.15;

fn best(assessed: &[Assessment], stance: Stance) -> Option<usize> {
    (0..assessed.len())
        .filter(|&i| assessed[i].stance == stance)
        .max_by(|&a, &b| assessed[a].score.total_cmp(&assessed[b].score).then(b.cmp(&a)))
}

/// Picks the verdict: the strongest supporting sentence wins over the strongest
/// refuting one when it covers the claim at least as well; with neither, the
/// store has no evidence and the verdict is UNKNOWN.
pub fn decide(assessed: &[Assessment]) -> Decision {
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
            let c = 0.6 + 0.4 * ((score(support) - 0.7) / 0.3).clamp(0.0, 1.0);
            if refute.is_some() { c * 0.85 } else { c }
        }
        Verdict::Contradicted => {
            let c = 0.55 + 0.4 * ((score(refute) - 0.55) / 0.45).clamp(0.0, 1.0);
            if support.is_some() { c * 0.85 } else { c }
        }
        Verdict::Unknown => (0.9 - related).clamp(0.3, 0.9),
    };
    let reason = match (verdict, decisive) {
        (Verdict::Contradicted, Some(d)) => assessed[d].reason.clone().unwrap_or_else(|| "the evidence contradicts the claim".into()),
        (Verdict::Supported, _) => "a stored sentence states the claim".into(),
        _ => "no stored sentence supports or contradicts the claim".into(),
    };
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
    Decision { verdict, confidence, order, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(stance: Stance, score: f32) -> Assessment {
        Assessment { stance, score, reason: (stance == Stance::Refutes).then(|| "differs".into()), coverage: score, gap: crate::engine::stance::Gap::None, refutable: true }
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
        assert_eq!(d.reason, "differs");
    }

    #[test]
    fn no_evidence_is_unknown() {
        let d = decide(&[a(Stance::Neutral, 0.1)]);
        assert_eq!(d.verdict, Verdict::Unknown);
        assert!(d.order.is_empty());
        assert_eq!(decide(&[]).verdict, Verdict::Unknown);
    }
}
