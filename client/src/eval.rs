//! Labelled-claim evaluation with the metric definitions of
//! `shared/eval/README.md`: accuracy, per-class and macro F1 over the classes
//! present in the file, confusion matrix, citation@1.

use std::collections::BTreeSet;

use serde::Deserialize;

/// The three verdict classes, in report order.
pub const CLASSES: [&str; 3] = ["SUPPORTED", "CONTRADICTED", "UNKNOWN"];

/// One labelled claim: the seed format `{id, claim, label, sources}` or the
/// public-set format `{claim_id, claim, label, evidence: [{doc_id}]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    #[serde(alias = "claim_id", default)]
    pub id: String,
    pub claim: String,
    pub label: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Evidence {
    pub doc_id: String,
}

impl Example {
    /// The label as one of [`CLASSES`], or None for others (e.g. DISPUTED).
    pub fn class(&self) -> Option<usize> {
        match self.label.to_uppercase().as_str() {
            "SUPPORTED" | "SUPPORTS" | "SUPPORT" => Some(0),
            "CONTRADICTED" | "REFUTES" | "CONTRADICT" => Some(1),
            "UNKNOWN" | "NOT_ENOUGH_INFO" | "NEI" => Some(2),
            _ => None,
        }
    }

    /// Article ids that hold the gold evidence.
    pub fn gold_ids(&self) -> BTreeSet<&str> {
        self.sources.iter().map(String::as_str).chain(self.evidence.iter().map(|e| e.doc_id.as_str())).collect()
    }
}

/// Parses a JSONL file of examples; blank lines are skipped.
pub fn parse(content: &str) -> anyhow::Result<Vec<Example>> {
    content
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1)))
        .collect()
}

/// One answered example.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub gold: usize,
    pub predicted: usize,
    /// The first citation points at a gold article.
    pub cited_gold: bool,
    /// The answer's confidence.
    pub confidence: f64,
    pub latency_ms: f64,
}

impl Outcome {
    /// Scores one answer against its example: the verdict's class, and
    /// whether the first citation is gold evidence (for citation@1).
    pub fn of(example: &Example, answer: &crate::pb::VerifyClaimResponse, latency_ms: f64) -> Outcome {
        use crate::pb::Verdict;
        let predicted = match Verdict::try_from(answer.verdict) {
            Ok(Verdict::Supported) => 0,
            Ok(Verdict::Contradicted) => 1,
            _ => 2,
        };
        let cited_gold = answer.citations.first().is_some_and(|c| example.gold_ids().contains(c.article_id.as_str()));
        Outcome { gold: example.class().unwrap_or(2), predicted, cited_gold, confidence: f64::from(answer.confidence), latency_ms }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClassScore {
    pub class: &'static str,
    pub support: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: Vec<ClassScore>,
    /// confusion[gold][predicted], in [`CLASSES`] order.
    pub confusion: [[usize; 3]; 3],
    /// None when no claim was answered correctly with SUPPORTED/CONTRADICTED.
    pub citation_at_1: Option<f64>,
    /// Expected calibration error of the confidence (10 equal-width bins).
    pub ece: f64,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

/// Expected calibration error: answers binned by confidence into [0, 0.1), …,
/// [0.9, 1.0]; the sum over bins of (bin size / n) × |accuracy − mean confidence|.
fn ece(outcomes: &[Outcome]) -> f64 {
    let mut bins = [(0usize, 0usize, 0.0f64); 10];
    for o in outcomes {
        let bin = &mut bins[((o.confidence * 10.0) as usize).min(9)];
        *bin = (bin.0 + 1, bin.1 + usize::from(o.gold == o.predicted), bin.2 + o.confidence);
    }
    let n = outcomes.len().max(1) as f64;
    bins.iter().filter(|b| b.0 > 0).map(|&(size, right, conf)| (ratio(right, size) - conf / size as f64).abs() * size as f64 / n).sum()
}

pub fn report(outcomes: &[Outcome]) -> Report {
    let mut confusion = [[0usize; 3]; 3];
    for o in outcomes {
        confusion[o.gold][o.predicted] += 1;
    }
    let correct: usize = (0..3).map(|c| confusion[c][c]).sum();
    let per_class: Vec<ClassScore> = (0..3)
        .filter(|&c| confusion[c].iter().sum::<usize>() > 0)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted: usize = (0..3).map(|g| confusion[g][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            ClassScore { class: CLASSES[c], support, precision, recall, f1 }
        })
        .collect();
    let macro_f1 = if per_class.is_empty() { 0.0 } else { per_class.iter().map(|c| c.f1).sum::<f64>() / per_class.len() as f64 };
    let decisive: Vec<&Outcome> = outcomes.iter().filter(|o| o.gold == o.predicted && o.gold < 2).collect();
    let citation_at_1 = (!decisive.is_empty()).then(|| ratio(decisive.iter().filter(|o| o.cited_gold).count(), decisive.len()));
    let mut latencies: Vec<f64> = outcomes.iter().map(|o| o.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    Report {
        n: outcomes.len(),
        accuracy: ratio(correct, outcomes.len()),
        macro_f1,
        per_class,
        confusion,
        citation_at_1,
        ece: ece(outcomes),
        latency_p50_ms: percentile(&latencies, 50.0),
        latency_p95_ms: percentile(&latencies, 95.0),
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "claims        {}", self.n)?;
        writeln!(f, "accuracy      {:.3}", self.accuracy)?;
        writeln!(f, "macro-F1      {:.3}", self.macro_f1)?;
        match self.citation_at_1 {
            Some(c) => writeln!(f, "citation@1    {c:.3}")?,
            None => writeln!(f, "citation@1    n/a")?,
        }
        writeln!(f, "calibration   {:.3} (ECE, 10 bins)", self.ece)?;
        writeln!(f, "latency p50   {:.1} ms   p95 {:.1} ms", self.latency_p50_ms, self.latency_p95_ms)?;
        writeln!(f, "\nclass          support  precision  recall  F1")?;
        for c in &self.per_class {
            writeln!(f, "{:<14} {:>7}  {:>9.3}  {:>6.3}  {:.3}", c.class, c.support, c.precision, c.recall, c.f1)?;
        }
        writeln!(f, "\nconfusion (rows gold, columns predicted)")?;
        writeln!(f, "{:<14} {:>9} {:>12} {:>8}", "", "SUPPORTED", "CONTRADICTED", "UNKNOWN")?;
        for (g, row) in self.confusion.iter().enumerate() {
            writeln!(f, "{:<14} {:>9} {:>12} {:>8}", CLASSES[g], row[0], row[1], row[2])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(gold: usize, predicted: usize, cited_gold: bool) -> Outcome {
        Outcome { gold, predicted, cited_gold, confidence: 0.95, latency_ms: 1.0 }
    }

    #[test]
    fn calibration_error_follows_the_definition() {
        // Bin 0.9: 3 answers at 0.95, 2 right (|0.667 - 0.95| × 3/4); bin 0.5: 1 right at 0.55 (0.45 × 1/4).
        let mut outcomes = vec![o(0, 0, true), o(1, 1, true), o(2, 0, false), o(2, 2, false)];
        outcomes[3].confidence = 0.55;
        let expected = (2.0 / 3.0 - 0.95f64).abs() * 0.75 + 0.45 * 0.25;
        assert!((report(&outcomes).ece - expected).abs() < 1e-9, "{}", report(&outcomes).ece);
        outcomes[2].predicted = 2;
        assert!(report(&outcomes).ece < expected, "a right answer at 0.95 is better calibrated");
    }

    #[test]
    fn metrics_follow_the_definitions() {
        let r = report(&[o(0, 0, true), o(0, 2, false), o(1, 1, false), o(2, 2, false)]);
        assert_eq!(r.accuracy, 0.75);
        assert_eq!(r.confusion[0], [1, 0, 1]);
        assert_eq!(r.citation_at_1, Some(0.5));
        // F1: supported 2/3, contradicted 1, unknown 2/3.
        assert!((r.macro_f1 - (2.0 / 3.0 + 1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-9);
    }

    #[test]
    fn macro_f1_uses_only_classes_in_the_file() {
        let r = report(&[o(0, 0, true), o(1, 1, true)]);
        assert_eq!(r.per_class.len(), 2);
        assert_eq!(r.macro_f1, 1.0);
    }

    #[test]
    fn scores_an_answer() {
        let e = &parse("{\"claim\":\"c\",\"label\":\"CONTRADICTED\",\"sources\":[\"a\"]}").unwrap()[0];
        let cite = |id: &str| crate::pb::Citation { article_id: id.into(), ..Default::default() };
        let answer = crate::pb::VerifyClaimResponse { verdict: crate::pb::Verdict::Contradicted.into(), citations: vec![cite("a")], ..Default::default() };
        let o = Outcome::of(e, &answer, 2.0);
        assert_eq!((o.gold, o.predicted, o.cited_gold), (1, 1, true));
        let answer = crate::pb::VerifyClaimResponse { verdict: crate::pb::Verdict::Unknown.into(), citations: vec![cite("b")], ..Default::default() };
        let o = Outcome::of(e, &answer, 2.0);
        assert_eq!((o.predicted, o.cited_gold), (2, false));
    }

    #[test]
    fn parses_both_formats() {
        let rows = parse("{\"id\":\"a\",\"claim\":\"c\",\"label\":\"SUPPORTED\",\"sources\":[\"x\"]}\n\n{\"claim_id\":\"b\",\"claim\":\"d\",\"label\":\"REFUTES\",\"evidence\":[{\"doc_id\":\"y\",\"text\":\"t\"}]}").unwrap();
        assert_eq!((rows[0].class(), rows[1].class()), (Some(0), Some(1)));
        assert!(rows[1].gold_ids().contains("y"));
    }
}
