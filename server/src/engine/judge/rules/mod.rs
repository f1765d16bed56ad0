//! The rules: the deterministic lexical judge of one (claim, sentence) pair.
//!
//! They measure the pair once (`signals`: alignment, coverage, figures,
//! slots), then:
//! - a **conflict** rule (a figure, date, office, weekday or place stated
//!   differently, or the opposite polarity) refutes, unless a **veto** finds
//!   the two sentences too far apart to be about one fact;
//! - otherwise the claim is **covered** (supported) unless a veto finds
//!   something of it missing or different;
//! - what the sentence lacks is recorded as a **gap** for the model's gate,
//!   with the vetoes that stop the model from refuting.
//!
//! Every rule has an id (`judge::registry`); the assessment lists those that fired.

mod align;
mod numbers;
mod signals;
mod slots;

use super::registry::{Firing, RuleId};
use self::signals::Signals;
use super::thresholds::Thresholds;
use super::assessment::{Assessment, Gap, Pair, StanceScorer};
use crate::engine::domain::{Param, Stance};

/// A rule that may stop a refutation or a support.
type Veto = fn(&Signals<'_>, &Thresholds) -> Option<Firing>;

/// What stops a conflict from refuting: the sentences are about different things.
const REFUTE_VETOES: [Veto; 3] = [too_little_shared, other_subject, unmentioned_key_term];

/// What stops the rules from supporting.
const SUPPORT_VETOES: [Veto; 8] = [low_coverage, predicate_missing, key_term_missing, name_missing, figure_missing, polarity_differs, place_differs, restrictive_claim];

/// The deterministic lexical scorer.
#[derive(Debug, Clone, Default)]
pub struct RuleScorer {
    pub thresholds: Thresholds,
}

impl RuleScorer {
    pub fn new(thresholds: Thresholds) -> RuleScorer {
        RuleScorer { thresholds }
    }
}

impl StanceScorer for RuleScorer {
    fn assess(&self, pair: &Pair<'_>) -> Assessment {
        let mut s = Signals::measure(pair);
        if s.total <= 0.0 {
            return Assessment::neutral(0.0, Gap::Fact);
        }
        let conflicts = conflicts(&mut s, &self.thresholds);
        let derived = std::mem::take(&mut s.numbers.derived);
        let mut assessment = if conflicts.is_empty() { support(&s, &self.thresholds) } else { refutation(&s, &self.thresholds, conflicts) };
        if assessment.stance != Stance::Refutes {
            assessment.fired.splice(0..0, derived);
        }
        assessment
    }
}

fn text(s: &str) -> Param {
    Param::Text(s.to_string().into())
}

/// The conflict rules that fire, the decisive first: figures, then the slot
/// (only in a sentence with all the claim's figures: "Japan pledged 5 billion
/// dollars" is not about a sentence without it), then polarity.
fn conflicts(s: &mut Signals<'_>, t: &Thresholds) -> Vec<Firing> {
    let mut fired = std::mem::take(&mut s.numbers.conflicts);
    if let Some(w) = s.exclusive_swap().filter(|_| s.numbers.complete()) {
        fired.push(Firing::new(RuleId::PlaceSwap, vec![("found", text(&w.found.text)), ("claimed", text(&w.claimed.text))]));
    }
    if s.matched > 0.0 && s.flipped / s.matched >= t.flip_share {
        fired.push(Firing::new(RuleId::Negation, vec![("flipped", Param::Number(s.flipped / s.matched))]));
    }
    fired
}

/// A conflict refutes unless a veto fires; then the sentence never supports.
fn refutation(s: &Signals<'_>, t: &Thresholds, mut fired: Vec<Firing>) -> Assessment {
    // An office given the same person differently is anchored by the name:
    // "X is the union's president" shares little else with "said X, its organiser".
    let anchored = fired.iter().all(|f| f.rule == RuleId::OfficeConflict);
    let vetoes: Vec<Firing> = REFUTE_VETOES.iter().filter_map(|veto| veto(s, t)).filter(|v| !(anchored && v.rule == RuleId::TooLittleShared)).collect();
    if vetoes.is_empty() {
        let decisive = Some(fired[0].rule);
        return Assessment { stance: Stance::Refutes, score: s.rest().min(1.0), coverage: s.coverage(), gap: Gap::None, refutable: false, fired, decisive, model: None };
    }
    fired.extend(vetoes);
    fired.push(Firing::new(RuleId::FactGap, vec![("lacks", Param::Text("an agreeing figure, name or polarity".into()))]));
    let model = model_vetoes(s);
    let refutable = model.is_empty();
    fired.extend(model);
    Assessment { refutable, fired, ..Assessment::neutral(s.coverage(), Gap::Fact) }
}

/// Supports when no veto fires; records the gap either way.
fn support(s: &Signals<'_>, t: &Thresholds) -> Assessment {
    let mut fired: Vec<Firing> = SUPPORT_VETOES.iter().filter_map(|veto| veto(s, t)).collect();
    let supports = fired.is_empty();
    if supports {
        fired.push(Firing::new(RuleId::ClaimCovered, vec![("coverage", Param::Number(s.coverage()))]));
    }
    let (gap, lacks) = s.gap();
    match gap {
        Gap::Fact => fired.push(Firing::new(RuleId::FactGap, vec![("lacks", Param::Text(lacks.into()))])),
        Gap::Minor => fired.push(Firing::new(RuleId::MinorGap, vec![("lacks", Param::Text(lacks.into()))])),
        Gap::None => {}
    }
    let mut model = model_vetoes(s);
    if !supports {
        let refutable = model.is_empty();
        fired.extend(model);
        return Assessment { refutable, fired, ..Assessment::neutral(s.coverage(), gap) };
    }
    if s.words_matched >= s.words {
        model.push(Firing::bare(RuleId::EveryWord));
    }
    let refutable = model.is_empty();
    fired.extend(model);
    let decisive = Some(RuleId::ClaimCovered);
    Assessment { stance: Stance::Supports, score: s.coverage().min(1.0), coverage: s.coverage(), gap, refutable, fired, decisive, model: None }
}

/// What stops the stance model from refuting where it misreads: the claim's
/// negated words negated in the sentence too ("avoided sending arms" /
/// "refraining from arms supplies"), and another place where the predicate
/// is open-ended ("will visit India" / "will visit China").
fn model_vetoes(s: &Signals<'_>) -> Vec<Firing> {
    let mut fired = Vec::new();
    if s.negations_agree > s.negations_differ {
        fired.push(Firing::new(RuleId::SameNegation, vec![("agree", Param::Number(s.negations_agree as f32)), ("differ", Param::Number(s.negations_differ as f32))]));
    }
    if let Some(w) = s.swap.as_ref().filter(|w| !w.exclusive) {
        fired.push(Firing::new(RuleId::OpenSlot, vec![("found", text(&w.found.text)), ("claimed", text(&w.claimed.text))]));
    }
    fired
}

fn too_little_shared(s: &Signals<'_>, t: &Thresholds) -> Option<Firing> {
    let (rest, context) = (s.rest(), s.context());
    (rest < t.refute_coverage || context < t.refute_coverage).then(|| Firing::new(RuleId::TooLittleShared, vec![("shared", Param::Number(rest)), ("context", Param::Number(context))]))
}

/// No conflict refutes in a sentence about another subject ("Lost … aired in
/// 2004" against "Death Note … first aired in 2015").
fn other_subject(s: &Signals<'_>, _: &Thresholds) -> Option<Firing> {
    s.missing.subject.then(|| Firing::bare(RuleId::OtherSubject))
}

fn unmentioned_key_term(s: &Signals<'_>, t: &Thresholds) -> Option<Firing> {
    s.key_term_missing(t.max_missing_share_refute, s.total - s.swapped_weight).then(|| Firing::bare(RuleId::UnmentionedKeyTerm))
}

fn low_coverage(s: &Signals<'_>, t: &Thresholds) -> Option<Firing> {
    (s.coverage() < t.support_coverage).then(|| Firing::new(RuleId::LowCoverage, vec![("coverage", Param::Number(s.coverage()))]))
}

fn predicate_missing(s: &Signals<'_>, t: &Thresholds) -> Option<Firing> {
    let found = s.words == 0.0 || s.words_matched / s.words >= t.predicate_coverage;
    (!found).then(|| Firing::new(RuleId::PredicateMissing, vec![("found", Param::Number(s.words_matched / s.words))]))
}

fn key_term_missing(s: &Signals<'_>, t: &Thresholds) -> Option<Firing> {
    s.key_term_missing(t.max_missing_share, s.total)
        .then(|| Firing::new(RuleId::KeyTermMissing, vec![("term", text(&s.missing.heaviest_text)), ("share", Param::Number(s.missing.heaviest / s.total))]))
}

fn name_missing(s: &Signals<'_>, _: &Thresholds) -> Option<Firing> {
    s.name_missing().then(|| Firing::bare(RuleId::NameMissing))
}

fn figure_missing(s: &Signals<'_>, _: &Thresholds) -> Option<Firing> {
    let n = &s.numbers;
    (n.found != n.stated).then(|| Firing::new(RuleId::FigureMissing, vec![("stated", Param::Number(n.stated as f32)), ("found", Param::Number(n.found as f32))]))
}

fn polarity_differs(s: &Signals<'_>, _: &Thresholds) -> Option<Firing> {
    (s.flipped != 0.0).then(|| Firing::bare(RuleId::PolarityDiffers))
}

fn place_differs(s: &Signals<'_>, _: &Thresholds) -> Option<Firing> {
    s.swap.as_ref().map(|w| Firing::new(RuleId::PlaceDiffers, vec![("found", text(&w.found.text)), ("claimed", text(&w.claimed.text))]))
}

/// Restrictive claims ("is only known as") need restrictive evidence.
fn restrictive_claim(s: &Signals<'_>, _: &Thresholds) -> Option<Firing> {
    (s.claim.restrictive && !s.evidence.restrictive).then(|| Firing::bare(RuleId::RestrictiveClaim))
}

#[cfg(test)]
mod tests;
