//! The rule registry: every rule that can support, refute or veto (the
//! lexical rules and the gate's), by a stable id, and the record of one rule
//! firing. The human-readable message of every firing, the reason people read
//! for a stance, is built here from that record.

use crate::engine::domain::{FiredRule, Param, RuleEffect};

macro_rules! rules {
    ($($(#[doc = $doc:literal])+ $name:ident = $id:literal, $effect:ident;)+) => {
        /// Every rule of the judge. The doc comment of each says when it fires.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RuleId {
            $($(#[doc = $doc])+ $name,)+
        }

        impl RuleId {
            /// Every rule, in the order the judge checks them.
            pub const ALL: &[RuleId] = &[$(RuleId::$name,)+];

            /// The stable id, as the API and the logs show it.
            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$name => $id,)+ }
            }

            pub fn effect(self) -> RuleEffect {
                match self { $(RuleId::$name => RuleEffect::$effect,)+ }
            }

            /// What the rule checks, in one line (its doc comment's first).
            pub fn summary(self) -> &'static str {
                match self { $(RuleId::$name => [$($doc),+][0].trim(),)+ }
            }
        }
    };
}

rules! {
    /// A quantity the sentence states in the same unit, incompatibly ("61 billion dollars" / "16 billion dollars").
    QuantityConflict = "quantity-conflict", Refutes;
    /// A figure of the claim follows from two of the sentence's by one step of arithmetic (a sum, difference, share, change, or an amount before or after a change by a percentage).
    FigureDerived = "figure-derived", Supports;
    /// A year the sentence gives the event differently.
    DateConflict = "date-conflict", Refutes;
    /// An office the sentence gives the same person differently ("Foreign Minister Baerbock" / "Chancellor Baerbock"; "Kerr, the union's organiser").
    OfficeConflict = "office-conflict", Refutes;
    /// A weekday or month the sentence gives differently ("on Friday" / "on Monday").
    CalendarConflict = "calendar-conflict", Refutes;
    /// Another place fills the slot the claim's place fills ("Capri, Italy" / "Capri, Greece").
    PlaceSwap = "place-swap", Refutes;
    /// The shared words have the opposite polarity: negated, or antonyms.
    Negation = "negation", Refutes;
    /// A conflict, but the two sentences share too little besides it.
    TooLittleShared = "too-little-shared", Veto;
    /// A conflict, but the sentence lacks the claim's subject: it is about someone else.
    OtherSubject = "other-subject", Veto;
    /// A conflict, but a key word of the claim is missing: it is about something else.
    UnmentionedKeyTerm = "unmentioned-key-term", Veto;
    /// The sentence contains enough of the claim, with every name, figure and polarity as claimed.
    ClaimCovered = "claim-covered", Supports;
    /// Too little of the claim's weighted content is in the sentence to support it.
    LowCoverage = "low-coverage", Veto;
    /// Too few of the claim's plain words (its predicate) are in the sentence.
    PredicateMissing = "predicate-missing", Veto;
    /// One missing word carries a large share of the claim ("visited").
    KeyTermMissing = "key-term-missing", Veto;
    /// A name, place or date of the claim is missing.
    NameMissing = "name-missing", Veto;
    /// A figure of the claim is not stated compatibly (or a rank is not stated).
    FigureMissing = "figure-missing", Veto;
    /// Some shared words differ in polarity, too few to refute.
    PolarityDiffers = "polarity-differs", Veto;
    /// Another place stands where the claim names one, in an open-ended slot ("will visit India" / "China").
    PlaceDiffers = "place-differs", Veto;
    /// The claim excludes alternatives ("only", "solely") and the sentence does not.
    RestrictiveClaim = "restrictive-claim", Veto;
    /// The sentence lacks a name, place, date or figure of the claim: the model may not support it.
    FactGap = "fact-gap", Veto;
    /// The sentence lacks only the claim's subject, which it may name before: the model needs more certainty.
    MinorGap = "minor-gap", Veto;
    /// The claim's negated words are negated in the sentence too: the model may not refute.
    SameNegation = "same-negation", Veto;
    /// Another place in an open-ended slot: the model may not refute.
    OpenSlot = "open-slot", Veto;
    /// The rules support with every plain word of the claim: the model may not refute (it misreads word order).
    EveryWord = "every-word", Veto;
    /// The sentence shares too little of the claim for the stance model to judge it.
    ModelLowCoverage = "model-low-coverage", Veto;
    /// The stance model reads support, surely enough for the gate.
    ModelSupports = "model-supports", Supports;
    /// The stance model reads refutation, surely enough for the gate.
    ModelRefutes = "model-refutes", Refutes;
    /// The learned aggregator reads support where the rules and the gate did not.
    LearnedSupport = "learned-support", Supports;
    /// The learned aggregator reads refutation where the rules and the gate did not.
    LearnedRefute = "learned-refute", Refutes;
    /// The learned aggregator finds the evidence inconclusive where the rules or the gate took a side.
    LearnedUnknown = "learned-unknown", Veto;
}

/// One rule that fired, with the values it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule: RuleId,
    pub params: Vec<(&'static str, Param)>,
}

impl Firing {
    pub fn new(rule: RuleId, params: Vec<(&'static str, Param)>) -> Firing {
        Firing { rule, params }
    }

    pub fn bare(rule: RuleId) -> Firing {
        Firing { rule, params: Vec::new() }
    }

    fn param(&self, name: &str) -> String {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()).unwrap_or_default()
    }

    /// The firing in words: for a refutation, the reason people read.
    pub fn message(&self) -> String {
        let p = |name| self.param(name);
        match self.rule {
            RuleId::QuantityConflict | RuleId::CalendarConflict => format!("the evidence says {}, not {}", p("found"), p("claimed")),
            RuleId::FigureDerived => format!("{} follows from the evidence's {}", p("claimed"), p("from")),
            RuleId::DateConflict => format!("the evidence dates it {}, not {}", p("found"), p("claimed")),
            RuleId::OfficeConflict => format!("the evidence calls {} {}, not {}", p("name"), p("found"), p("claimed")),
            RuleId::PlaceSwap => format!("the evidence names {}, not {}", p("found"), p("claimed")),
            RuleId::KeyTermMissing => format!("the evidence lacks \"{}\", a key word of the claim", p("term")),
            RuleId::PlaceDiffers => format!("the evidence names {}, not {}, where both may be true", p("found"), p("claimed")),
            RuleId::Negation => "the evidence states the opposite".into(),
            RuleId::ModelRefutes => format!("the evidence contradicts the claim (stance model, p={})", p("p")),
            RuleId::ModelSupports => format!("the stance model reads support (p={})", p("p")),
            RuleId::LearnedSupport => format!("the learned judge reads support across the evidence (p={})", p("p")),
            RuleId::LearnedRefute => format!("the evidence contradicts the claim (learned judge, p={})", p("p")),
            RuleId::LearnedUnknown => format!("the evidence is not conclusive (learned judge, p={})", p("p")),
            rule if self.params.is_empty() => rule.summary().trim_end_matches('.').to_string(),
            rule => {
                let values: Vec<String> = self.params.iter().map(|(n, v)| format!("{n}={v}")).collect();
                format!("{} ({})", rule.summary().trim_end_matches('.'), values.join(", "))
            }
        }
    }

    /// The firing as the engine reports it.
    pub fn report(&self, decisive: bool) -> FiredRule {
        FiredRule { id: self.rule.as_str(), effect: self.rule.effect(), params: self.params.clone(), message: self.message(), decisive }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for rule in RuleId::ALL {
            let id = rule.as_str();
            assert!(seen.insert(id), "{id} twice");
            assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{id}");
            assert!(rule.summary().ends_with('.') && rule.summary().len() > 20, "{id}: {:?}", rule.summary());
        }
    }

    #[test]
    fn the_readme_lists_every_rule() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules.md")).unwrap();
        let missing: Vec<_> = RuleId::ALL.iter().filter(|r| !readme.contains(&format!("| `{}` |", r.as_str()))).collect();
        assert!(missing.is_empty(), "docs/rules.md's rules table lacks {missing:?}");
    }

    #[test]
    fn reasons_are_built_from_the_parameters() {
        let f = Firing::new(RuleId::QuantityConflict, vec![("found", Param::Text("61 billion dollars".into())), ("claimed", Param::Text("16 billion dollars".into()))]);
        assert_eq!(f.message(), "the evidence says 61 billion dollars, not 16 billion dollars");
        assert_eq!(Firing::new(RuleId::ModelRefutes, vec![("p", Param::Number(0.956))]).message(), "the evidence contradicts the claim (stance model, p=0.96)");
        assert_eq!(Firing::new(RuleId::LowCoverage, vec![("coverage", Param::Number(0.5))]).message(), "Too little of the claim's weighted content is in the sentence to support it (coverage=0.50)");
        let missing = Firing::new(RuleId::KeyTermMissing, vec![("term", Param::Text("profit".into())), ("share", Param::Number(0.4))]);
        assert_eq!(missing.message(), "the evidence lacks \"profit\", a key word of the claim", "the claim's own word, not the doc's example");
        let report = Firing::bare(RuleId::Negation).report(true);
        assert_eq!((report.id, report.effect, report.decisive), ("negation", RuleEffect::Refutes, true));
    }
}
