//! The gate: when the stance model's reading of a pair may replace the
//! rules'. The rules keep the last word on the conflicts they check
//! explicitly (a number, date, place or negation refutes), and on sentences
//! that share too little of the claim. A sentence lacking a name, number or
//! date the claim states cannot support it; it may refute it (another value
//! in the same slot: "English-" for "Spanish-language") only when the model
//! is very sure. Otherwise a model sure enough decides.

use super::assessment::{Assessment, Gap};
use super::registry::{Firing, RuleId};
use super::thresholds::ModelGate;
use crate::engine::domain::{Param, Stance, StanceProbs};

impl ModelGate {
    /// Whether the model's view of this pair can change the rules' judgement.
    pub fn admits(&self, rule: &Assessment) -> bool {
        rule.stance != Stance::Refutes && rule.coverage >= self.min_coverage
    }

    /// Records on a pair the rules left to the model that it shares too
    /// little of the claim for the model to read it.
    pub fn mark_low_coverage(&self, rule: &mut Assessment) {
        if rule.stance != Stance::Refutes && !self.admits(rule) {
            rule.fired.push(Firing::bare(RuleId::ModelLowCoverage));
        }
    }
}

/// Merges the rules' judgement of a pair with the stance model's.
pub fn combine(rule: &Assessment, model: StanceProbs, gate: ModelGate) -> Assessment {
    let read = Assessment { model: Some(model), ..rule.clone() };
    if !gate.admits(rule) {
        return read;
    }
    let refute_at = match rule.stance {
        Stance::Supports => gate.overrule_support,
        _ if rule.gap != Gap::None => gate.refute_with_gap,
        _ => gate.threshold.max(gate.refute),
    };
    if model.refutes >= refute_at && rule.refutable {
        return decided(read, RuleId::ModelRefutes, (Stance::Refutes, model.refutes), model.refutes, refute_at);
    }
    let support_at = match rule.gap {
        Gap::None => gate.threshold,
        Gap::Minor => gate.support_with_gap,
        Gap::Fact => f32::INFINITY,
    };
    if model.supports >= support_at {
        return decided(read, RuleId::ModelSupports, (Stance::Supports, rule.score.max(model.supports)), model.supports, support_at);
    }
    read
}

/// The model's reading `p` passed the gate's bar `at`: it decides.
fn decided(mut a: Assessment, rule: RuleId, (stance, score): (Stance, f32), p: f32, at: f32) -> Assessment {
    a.fired.push(Firing::new(rule, vec![("p", Param::Number(p)), ("at", Param::Number(at))]));
    Assessment { stance, score, decisive: Some(rule), ..a }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::judge::rules::RuleScorer;
    use crate::engine::judge::assessment::{Pair, StanceScorer};
    use crate::engine::language::analyze;

    fn assess(claim: &str, evidence: &str) -> Assessment {
        let (c, e) = (analyze(claim), analyze(evidence));
        RuleScorer::default().assess(&Pair { claim: &c, evidence: &e, idf: &|_| 1.0, max_idf: 1.0 })
    }

    #[test]
    fn model_refutes() {
        let refutes = StanceProbs { supports: 0.0, refutes: 0.99, nei: 0.01 };
        let a = combine(&Assessment::neutral(0.8, Gap::None), refutes, ModelGate::default());
        assert_eq!((a.stance, a.decisive), (Stance::Refutes, Some(RuleId::ModelRefutes)));
        assert_eq!(a.reason().as_deref(), Some("the evidence contradicts the claim (stance model, p=0.99)"));
    }

    #[test]
    fn model_supports() {
        let supports = StanceProbs { supports: 0.9, refutes: 0.05, nei: 0.05 };
        let a = combine(&Assessment::neutral(0.8, Gap::None), supports, ModelGate::default());
        assert_eq!((a.stance, a.decisive, a.reason()), (Stance::Supports, Some(RuleId::ModelSupports), None));
        assert_eq!(a.model, Some(supports), "the model's view is kept for the explanation");
    }

    #[test]
    fn model_low_coverage() {
        let gate = ModelGate::default();
        let mut a = Assessment::neutral(gate.min_coverage - 0.01, Gap::None);
        assert!(!gate.admits(&a));
        gate.mark_low_coverage(&mut a);
        assert_eq!(a.fired, [Firing::bare(RuleId::ModelLowCoverage)]);
        let mut shared = Assessment::neutral(gate.min_coverage, Gap::None);
        gate.mark_low_coverage(&mut shared);
        assert!(shared.fired.is_empty());
        assert_eq!(combine(&a, StanceProbs { supports: 1.0, refutes: 0.0, nei: 0.0 }, gate).stance, Stance::Neutral);
    }

    #[test]
    fn the_model_decides_only_where_the_rules_let_it() {
        let gate = ModelGate::default();
        let sure = |s, r| StanceProbs { supports: s, refutes: r, nei: 1.0 - s - r };
        let neutral = Assessment::neutral(0.8, Gap::None);
        assert_eq!(combine(&neutral, sure(0.9, 0.05), gate).stance, Stance::Supports);
        assert_eq!(combine(&neutral, sure(0.05, 0.9), gate).stance, Stance::Refutes);
        assert_eq!(combine(&neutral, sure(0.3, 0.3), gate).stance, Stance::Neutral, "an unsure model leaves it");
        assert_eq!(combine(&Assessment::neutral(0.1, Gap::None), sure(0.9, 0.0), gate).stance, Stance::Neutral, "too little shared");
        let subject = Assessment::neutral(0.8, Gap::Minor);
        assert_eq!(combine(&subject, sure(gate.support_with_gap - 0.1, 0.05), gate).stance, Stance::Neutral, "a missing subject needs a surer model");
        assert_eq!(combine(&subject, sure(gate.support_with_gap, 0.0), gate).stance, Stance::Supports);
        let fact = Assessment::neutral(0.8, Gap::Fact);
        assert_eq!(combine(&fact, sure(1.0, 0.0), gate).stance, Stance::Neutral, "a missing place, number or date never supports");
        assert_eq!(combine(&fact, sure(0.05, 0.7), gate).stance, Stance::Neutral);
        assert_eq!(combine(&fact, sure(0.0, 0.9), gate).stance, Stance::Refutes, "a very sure model refutes across a gap");
        let other_figure = assess("Less than 20% of the drones used at the front came from China.", "More than 70% of machine tool imports came from China.");
        assert_eq!((other_figure.stance, other_figure.gap), (Stance::Neutral, Gap::Fact), "another figure, too little shared to refute");
        assert_ne!(combine(&other_figure, sure(0.99, 0.0), gate).stance, Stance::Supports, "a conflicting figure never supports");
        let number = assess("Russia bought 16 billion dollars of chips.", "Russia bought 61 billion dollars of chips.");
        assert_eq!(combine(&number, sure(0.99, 0.0), gate).stance, Stance::Refutes, "the rules' conflicts stand");
    }

    #[test]
    fn the_model_may_not_refute_where_it_misreads() {
        let gate = ModelGate::default();
        let refutes = StanceProbs { supports: 0.0, refutes: 0.99, nei: 0.01 };
        // The same negation on both sides.
        let a = assess("Beijing has avoided sending arms directly to Moscow.", "China is refraining from direct arms supplies to Russia.");
        assert_eq!(a.stance, Stance::Supports);
        assert_eq!(combine(&a, refutes, gate).stance, Stance::Supports);
        // Every word of the claim, in another order.
        let a = assess("Chinese President Xi Jinping met Antony Blinken.", "Blinken met with Chinese President Xi Jinping on Friday.");
        assert_eq!(combine(&a, refutes, gate).stance, Stance::Supports);
        // Another place where the predicate is open-ended.
        let a = assess("Blinken will visit India in the coming weeks.", "Blinken will visit China in the coming weeks.");
        assert_eq!(combine(&a, refutes, gate).stance, Stance::Neutral);
        // A word the sentence lacks: a very sure model may overrule.
        let a = assess("Daggering is a form of music originating from Jamaica.", "Daggering is a form of dance originating from Jamaica.");
        assert_eq!((a.stance, combine(&a, refutes, gate).stance), (Stance::Supports, Stance::Refutes));
    }
}
