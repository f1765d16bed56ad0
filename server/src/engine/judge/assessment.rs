//! The judgement of one (claim, sentence) pair, as every judge (the rules,
//! the gate, a test's scorer) gives it, and the trait a scorer implements.

use super::registry::{Firing, RuleId};
use crate::engine::domain::{Explanation, Stance, StanceProbs};
use crate::engine::language::Features;

/// A judgement of one (claim, sentence) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub stance: Stance,
    /// Strength of the judgement in 0..=1 (for NEUTRAL: relatedness).
    pub score: f32,
    /// Weighted share of the claim's content the sentence contains, 0..=1.
    pub coverage: f32,
    /// What the claim states that the sentence lacks.
    pub gap: Gap,
    /// Whether the stance model may call the pair REFUTES (no veto on it fired).
    pub refutable: bool,
    /// The rules that fired, in the order they were checked.
    pub fired: Vec<Firing>,
    /// The rule that decided the stance; none for NEUTRAL.
    pub decisive: Option<RuleId>,
    /// The stance model's probabilities, when it read the pair.
    pub model: Option<StanceProbs>,
}

/// Something the claim states that a sentence lacks: the model's reading of
/// such a pair needs more certainty, or cannot support at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Gap {
    #[default]
    None,
    /// Only the claim's subject (its first name), and the sentence names no
    /// other: it may be named in an earlier sentence ("The film was directed
    /// by…").
    Minor,
    /// Another name, a place, a quantity or a date, or the sentence states a
    /// conflicting one: it may be about another fact.
    Fact,
}

impl Assessment {
    pub fn neutral(coverage: f32, gap: Gap) -> Assessment {
        Assessment { stance: Stance::Neutral, score: coverage * 0.5, coverage, gap, refutable: true, fired: Vec::new(), decisive: None, model: None }
    }

    /// Why the sentence refutes the claim, in a few words.
    pub fn reason(&self) -> Option<String> {
        let decisive = self.decisive.filter(|_| self.stance == Stance::Refutes)?;
        self.fired.iter().find(|f| f.rule == decisive).map(Firing::message)
    }

    /// The rules that fired and the model's view, as the engine reports them.
    pub fn explanation(&self) -> Explanation {
        let mut decided = false;
        let rules = self
            .fired
            .iter()
            .map(|f| {
                let decisive = !decided && Some(f.rule) == self.decisive;
                decided |= decisive;
                f.report(decisive)
            })
            .collect();
        Explanation { rules, model: self.model }
    }
}

/// One claim and one candidate evidence sentence, analysed.
pub struct Pair<'a> {
    pub claim: &'a Features,
    pub evidence: &'a Features,
    /// Inverse document frequency of a term in the store (rarer = more telling).
    pub idf: &'a dyn Fn(&str) -> f32,
    /// The idf of a term the store has never seen.
    pub max_idf: f32,
}

/// Decides the stance of evidence towards a claim.
pub trait StanceScorer: Send + Sync {
    fn assess(&self, pair: &Pair<'_>) -> Assessment;
}
