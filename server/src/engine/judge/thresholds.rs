//! The bars the judge compares scores against, in one place: the rules'
//! coverage bars, the gate on the stance model, and what is worth citing.
//! The rules, the gate and the aggregation read them from here. (Weights
//! and distances the rules measure with stay beside the measurement.)

/// The rules' bars (how much of a claim a sentence must share to support or
/// refute it), and the gate on the stance model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Share of claim content that must be found to support it.
    pub support_coverage: f32,
    /// Share of claim content that must be found before a conflict refutes it.
    pub refute_coverage: f32,
    /// Share of the aligned content that must be negated to refute.
    pub flip_share: f32,
    /// Share of the claim's plain words (not names) that must be found to support it.
    pub predicate_coverage: f32,
    /// No single missing term may carry this share of the claim: a claim whose
    /// key word ("visited") is absent is not supported, however much else is.
    pub max_missing_share: f32,
    /// The same for refuting: a claim about something the sentence does not
    /// mention ("imports from Turkey doubled") is not refuted by it.
    pub max_missing_share_refute: f32,
    /// When the stance model may overrule the rules.
    pub gate: ModelGate,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            support_coverage: 0.70,
            refute_coverage: 0.55,
            flip_share: 0.2,
            predicate_coverage: 0.5,
            max_missing_share: 0.25,
            max_missing_share_refute: 0.3,
            gate: ModelGate::default(),
        }
    }
}

/// When the stance model may overrule the rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelGate {
    /// How sure the model must be to call a sentence SUPPORTS or REFUTES.
    pub threshold: f32,
    /// How sure it must be to call a sentence REFUTES: false refutations of
    /// unrelated claims cost more than missed ones.
    pub refute: f32,
    /// How sure it must be to turn the rules' SUPPORTS into REFUTES ("a
    /// form of music" / "a form of dance").
    pub overrule_support: f32,
    /// The least share of the claim the sentence must contain for the model
    /// to judge it: below, the sentence is about something else.
    pub min_coverage: f32,
    /// How sure it must be to refute with a sentence that lacks a name,
    /// number or date of the claim.
    pub refute_with_gap: f32,
    /// How sure it must be to support with a sentence that has a minor gap
    /// (one that lacks anything else never supports).
    pub support_with_gap: f32,
}

impl Default for ModelGate {
    fn default() -> Self {
        ModelGate { threshold: 0.5, refute: 0.85, overrule_support: 0.95, min_coverage: 0.3, refute_with_gap: 0.9, support_with_gap: 0.8 }
    }
}

/// Neutral sentences less related than this are not worth citing.
pub const MIN_NEUTRAL_CITE: f32 = 0.15;
