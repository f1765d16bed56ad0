//! The learned aggregator: a multinomial logistic regression from the
//! judge's signals about one claim (the stance model's probabilities on the
//! sentences it read, the rules' and the gate's stances, coverage, gaps, the
//! hand-tuned decision) to P(SUPPORTED), P(CONTRADICTED), P(UNKNOWN).
//!
//! It is fitted by `train/fit_judge.py` on labelled claims that the stance
//! model never saw, about many corpora pooled (news articles of many
//! topics, encyclopaedia sentences, scientific abstracts), so that one file
//! serves every corpus: the default, beside the stance model whose outputs
//! it reads (`stance/judge.json`), is chosen and scored leave-one-corpus-out,
//! and its probability is the verdict's confidence. `--judge FILE` names
//! another (e.g. one fitted on labelled claims about the corpus served).
//! Without one the hand-tuned aggregation (`decide`) stands alone.

use std::path::Path;

use serde::Deserialize;

use super::Assessed;
use super::assessment::Assessment;
use super::decide::{Decision, citation_order};
use super::registry::{Firing, RuleId};
use crate::engine::domain::{Param, Stance, Verdict, file_id};
use crate::error::{Error, Result};

/// The default aggregator's file, under the models directory.
pub const FILE: &str = "stance/judge.json";

/// The signals, by name, in the order [`signals`] computes them. A file
/// weighs the ones it names (a fit picks the probabilities, their log-odds or
/// the model's readings alone); one naming a signal this build does not
/// compute is refused.
pub const SIGNALS: [&str; 34] = [
    "model_support_max",
    "model_refute_max",
    "model_support_first",
    "model_refute_first",
    "model_nei_first",
    "model_unread",
    "support_votes",
    "refute_votes",
    "support_coverage",
    "refute_coverage",
    "rule_support",
    "rule_refute",
    "gate_support",
    "gate_refute",
    "coverage_max",
    "coverage_first",
    "support_fact_gap",
    "support_across_gap",
    "refute_vetoed",
    "hand_supported",
    "hand_contradicted",
    "hand_confidence",
    "joint_support",
    "joint_refute",
    "joint_read",
    "exact_conflict",
    // The model's probabilities above as log-odds (`logit`).
    "model_support_max_logit",
    "model_refute_max_logit",
    "model_support_first_logit",
    "model_refute_first_logit",
    "model_nei_first_logit",
    "hand_confidence_logit",
    "joint_support_logit",
    "joint_refute_logit",
];

/// The signals that [`LOG_ODDS`] turns into log-odds, in its order.
const PROBABILITIES: [&str; 8] =
    ["model_support_max", "model_refute_max", "model_support_first", "model_refute_first", "model_nei_first", "hand_confidence", "joint_support", "joint_refute"];
/// Where the log-odds signals start in [`SIGNALS`].
const LOG_ODDS: usize = SIGNALS.len() - PROBABILITIES.len();

/// Verdicts in the order of the weights' rows.
const VERDICTS: [Verdict; 3] = [Verdict::Supported, Verdict::Contradicted, Verdict::Unknown];

/// The fitted weights: one row of weights (one per signal named) and a bias per verdict.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Aggregator {
    signals: Vec<String>,
    weights: [Vec<f32>; 3],
    bias: [f32; 3],
    /// Where each named signal is in [`SIGNALS`].
    #[serde(skip)]
    at: Vec<usize>,
    /// The file's [`file_id`].
    #[serde(skip)]
    pub id: String,
}

impl Aggregator {
    /// Reads the default aggregator beside the stance model; `None` when there is none.
    pub fn beside(models_dir: &Path) -> Result<Option<Aggregator>> {
        let path = models_dir.join(FILE);
        path.is_file().then(|| Aggregator::load(&path)).transpose()
    }

    /// Reads an aggregator file of `train/fit_judge.py`.
    pub fn load(path: &Path) -> Result<Aggregator> {
        let invalid = |e: String| Error::Model(format!("{}: {e}", path.display()));
        let bytes = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
        let a: Aggregator = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        Ok(Aggregator { id: file_id(&bytes), ..a.indexed().map_err(invalid)? })
    }

    /// Finds each named signal; refuses names this build does not compute.
    fn indexed(mut self) -> std::result::Result<Aggregator, String> {
        let unknown: Vec<&str> = self.signals.iter().map(String::as_str).filter(|s| !SIGNALS.contains(s)).collect();
        if !unknown.is_empty() || self.weights.iter().any(|w| w.len() != self.signals.len()) {
            return Err(format!("fitted for other signals ({}) than this build's ({}); rerun train/fit_judge.py", unknown.join(", "), SIGNALS.join(", ")));
        }
        self.at = self.signals.iter().filter_map(|s| SIGNALS.iter().position(|x| x == s)).collect();
        Ok(self)
    }

    /// P(verdict) for each of [`VERDICTS`].
    pub fn probabilities(&self, x: &[f32; SIGNALS.len()]) -> [f32; 3] {
        let z: Vec<f32> = (0..3).map(|k| self.bias[k] + self.weights[k].iter().zip(&self.at).map(|(w, &i)| w * x[i]).sum::<f32>()).collect();
        let top = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = z.iter().map(|v| (v - top).exp()).collect();
        let sum: f32 = e.iter().sum();
        [e[0] / sum, e[1] / sum, e[2] / sum]
    }

    /// The learned verdict over the hand-tuned decision. Where they agree, the
    /// hand decision's citations and reason stand with the learned confidence;
    /// where they differ, the sentence that bears the learned verdict out best
    /// (by the stance model) is marked decisive and cited first.
    pub fn decide(&self, assessed: &mut Assessed, hand: Decision) -> Decision {
        let p = self.probabilities(&signals(assessed, &hand));
        let assessed = &mut assessed.pairs;
        let k = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a))).unwrap_or(2);
        let (verdict, confidence) = (VERDICTS[k], p[k]);
        if verdict == hand.verdict || assessed.is_empty() {
            return Decision { confidence: if verdict == hand.verdict { confidence } else { hand.confidence }, ..hand };
        }
        let (rule, stance) = match verdict {
            Verdict::Supported => (RuleId::LearnedSupport, Stance::Supports),
            Verdict::Contradicted => (RuleId::LearnedRefute, Stance::Refutes),
            Verdict::Unknown => (RuleId::LearnedUnknown, Stance::Neutral),
        };
        let firing = Firing::new(rule, vec![("p", Param::Number(confidence))]);
        let decisive = match verdict {
            // The rules' verdict is overruled: the sentences lose the stance they gave.
            Verdict::Unknown => {
                for a in assessed.iter_mut().filter(|a| a.stance != Stance::Neutral) {
                    a.stance = Stance::Neutral;
                    a.fired.push(firing.clone());
                    a.decisive = None;
                }
                None
            }
            _ => {
                let d = bearing_out(assessed, stance);
                let a = &mut assessed[d];
                a.fired.push(firing.clone());
                (a.stance, a.decisive) = (stance, Some(rule));
                Some(d)
            }
        };
        Decision { verdict, confidence, order: citation_order(assessed, verdict, decisive), reason: firing.message() }
    }
}

/// The candidate the model finds most in `stance`; the first one where the model read none.
fn bearing_out(assessed: &[Assessment], stance: Stance) -> usize {
    let p = |a: &Assessment| a.model.map_or(-1.0, |m| if stance == Stance::Supports { m.supports } else { m.refutes });
    (0..assessed.len()).max_by(|&a, &b| p(&assessed[a]).total_cmp(&p(&assessed[b])).then(b.cmp(&a))).unwrap_or(0)
}

/// Probabilities are clipped to this distance from 0 and 1 before [`logit`].
const LOGIT_EPSILON: f32 = 1e-4;

/// Log-odds of a probability. A linear model over log-odds adds evidence up
/// the way Bayes' rule does and tells 0.99 from 0.999; on SciFact's "train
/// on" fold it lowered the out-of-fold log-loss (0.875 → 0.845), on the
/// seeds' it raised it (0.321 → 0.362): each fit picks (`train/fit_judge.py`).
fn logit(p: f32) -> f32 {
    let p = p.clamp(LOGIT_EPSILON, 1.0 - LOGIT_EPSILON);
    (p / (1.0 - p)).ln()
}

/// Whether the rules (not the stance model, nor this aggregator) decided a stance.
fn by_rules(a: &Assessment) -> bool {
    !matches!(a.decisive, Some(RuleId::ModelSupports | RuleId::ModelRefutes) | None)
}

/// The signals of [`SIGNALS`] for the assessed candidates (best retrieved first).
pub fn signals(Assessed { pairs: assessed, joint }: &Assessed, hand: &Decision) -> [f32; SIGNALS.len()] {
    let read: Vec<&Assessment> = assessed.iter().filter(|a| a.model.is_some()).collect();
    let probs = |a: &Assessment| a.model.map_or((0.0, 0.0, 0.0), |m| (m.supports, m.refutes, m.nei));
    let max_by = |f: &dyn Fn(&Assessment) -> f32| read.iter().copied().max_by(|a, b| f(a).total_cmp(&f(b)));
    let (support, refute) = (max_by(&|a| probs(a).0), max_by(&|a| probs(a).1));
    let share = |f: &dyn Fn(&Assessment) -> bool| if read.is_empty() { 0.0 } else { read.iter().filter(|a| f(a)).count() as f32 / read.len() as f32 };
    let best = |f: &dyn Fn(&Assessment) -> bool| assessed.iter().filter(|a| f(a)).map(|a| a.score).fold(0.0f32, f32::max);
    let first = read.first().copied();
    let (s1, r1, n1) = first.map_or((0.0, 0.0, 0.0), probs);
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut x = [0.0; SIGNALS.len()];
    let probabilities = [
        support.map_or(0.0, |a| probs(a).0),
        refute.map_or(0.0, |a| probs(a).1),
        s1,
        r1,
        n1,
        flag(read.is_empty()),
        share(&|a| probs(a).0 > 0.5),
        share(&|a| probs(a).1 > 0.5),
        support.map_or(0.0, |a| a.coverage),
        refute.map_or(0.0, |a| a.coverage),
        best(&|a| a.stance == Stance::Supports && by_rules(a)),
        best(&|a| a.stance == Stance::Refutes && by_rules(a)),
        best(&|a| a.stance == Stance::Supports),
        best(&|a| a.stance == Stance::Refutes),
        assessed.iter().map(|a| a.coverage).fold(0.0f32, f32::max),
        assessed.first().map_or(0.0, |a| a.coverage),
        flag(support.is_some_and(|a| a.gap == super::Gap::Fact)),
        // The model's support where the sentence lacks a name, place, figure or date of the claim.
        support.filter(|a| a.gap == super::Gap::Fact).map_or(0.0, |a| probs(a).0),
        flag(refute.is_some_and(|a| !a.refutable)),
        flag(hand.verdict == Verdict::Supported),
        flag(hand.verdict == Verdict::Contradicted),
        hand.confidence,
        joint.map_or(0.0, |m| m.supports),
        joint.map_or(0.0, |m| m.refutes),
        flag(joint.is_some()),
        // A figure or date stated differently: the one conflict the rules read exactly.
        best(&|a| a.stance == Stance::Refutes && matches!(a.decisive, Some(RuleId::QuantityConflict | RuleId::DateConflict | RuleId::CalendarConflict))),
    ];
    x[..LOG_ODDS].copy_from_slice(&probabilities);
    for (i, name) in PROBABILITIES.iter().enumerate() {
        x[LOG_ODDS + i] = SIGNALS.iter().position(|s| s == name).map_or(0.0, |p| logit(x[p]));
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::domain::StanceProbs;
    use crate::engine::judge::Gap;
    use crate::engine::judge::thresholds::Thresholds;

    /// Weights that follow the model's best support and refutation only.
    fn follows_the_model() -> Aggregator {
        let signals = vec!["model_support_max".into(), "model_refute_max".into()];
        Aggregator { signals, weights: [vec![8.0, 0.0], vec![0.0, 8.0], vec![0.0, 0.0]], bias: [-4.0, -4.0, 0.0], at: Vec::new(), id: String::new() }.indexed().unwrap()
    }

    fn read(supports: f32, refutes: f32) -> Assessment {
        Assessment { model: Some(StanceProbs { supports, refutes, nei: 1.0 - supports - refutes }), ..Assessment::neutral(0.6, Gap::None) }
    }

    fn decide(pairs: &mut Vec<Assessment>) -> Decision {
        let hand = super::super::decide::decide(pairs, &Thresholds::default());
        let mut assessed = Assessed { pairs: std::mem::take(pairs), joint: None };
        let d = follows_the_model().decide(&mut assessed, hand);
        *pairs = assessed.pairs;
        d
    }

    #[test]
    fn learned_support() {
        let mut assessed = vec![read(0.2, 0.1), read(0.95, 0.0)];
        let d = decide(&mut assessed);
        assert_eq!((d.verdict, d.order[0]), (Verdict::Supported, 1));
        assert_eq!((assessed[1].stance, assessed[1].decisive), (Stance::Supports, Some(RuleId::LearnedSupport)));
        assert!(d.confidence > 0.9 && d.reason.starts_with("the learned judge reads support"), "{d:?}");
    }

    #[test]
    fn learned_refute() {
        let mut assessed = vec![read(0.0, 0.97)];
        let d = decide(&mut assessed);
        assert_eq!((d.verdict, assessed[0].decisive), (Verdict::Contradicted, Some(RuleId::LearnedRefute)));
        assert!(d.reason.starts_with("the evidence contradicts the claim (learned judge"), "{}", d.reason);
    }

    #[test]
    fn learned_unknown() {
        // The rules support; the model finds nothing: the learned judge says UNKNOWN.
        let mut covered = Assessment { stance: Stance::Supports, score: 0.9, decisive: Some(RuleId::ClaimCovered), ..read(0.1, 0.1) };
        covered.fired.push(Firing::bare(RuleId::ClaimCovered));
        let mut assessed = vec![covered];
        let d = decide(&mut assessed);
        assert_eq!(d.verdict, Verdict::Unknown);
        assert_eq!(assessed[0].stance, Stance::Neutral, "no sentence is cited as support for an UNKNOWN");
        assert_eq!(assessed[0].fired.last().map(|f| f.rule), Some(RuleId::LearnedUnknown));
    }

    #[test]
    fn agreeing_keeps_the_hand_citations_with_the_learned_confidence() {
        let mut pairs = vec![read(0.05, 0.05)];
        let d = decide(&mut pairs);
        assert_eq!((d.verdict, d.reason.as_str()), (Verdict::Unknown, "no stored sentence supports or contradicts the claim"));
        let p = follows_the_model().probabilities(&signals(&Assessed { pairs, joint: None }, &d));
        assert!((d.confidence - p[2]).abs() < 1e-6 && p.iter().sum::<f32>() > 0.999);
    }

    #[test]
    fn log_odds_signals_mirror_the_probabilities() {
        assert_eq!(logit(0.5), 0.0);
        assert!((logit(0.9) - 9f32.ln()).abs() < 1e-5);
        assert!(logit(0.0).is_finite() && (logit(0.0) + logit(1.0)).abs() < 1e-3, "clipped alike at both ends");
        let hand = super::super::decide::decide(&[], &Thresholds::default());
        let x = signals(&Assessed { pairs: vec![read(0.999, 0.0)], joint: None }, &hand);
        for (i, name) in PROBABILITIES.iter().enumerate() {
            let p = SIGNALS.iter().position(|s| s == name).unwrap();
            assert_eq!(SIGNALS[LOG_ODDS + i], format!("{name}_logit"));
            assert_eq!(x[LOG_ODDS + i], logit(x[p]), "{name}");
        }
        assert!(x[LOG_ODDS] > logit(0.99), "0.999 is told from 0.99");
    }

    #[test]
    fn weights_for_other_signals_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Aggregator::beside(dir.path()).unwrap(), None);
        std::fs::create_dir(dir.path().join("stance")).unwrap();
        std::fs::write(dir.path().join(FILE), r#"{"signals": ["x"], "weights": [[1], [1], [1]], "bias": [0, 0, 0]}"#).unwrap();
        let e = Aggregator::beside(dir.path()).unwrap_err().to_string();
        assert!(e.contains("rerun train/fit_judge.py"), "{e}");
        let e = Aggregator::load(&dir.path().join("missing.json")).unwrap_err().to_string();
        assert!(e.contains("missing.json"), "{e}");
    }
}
