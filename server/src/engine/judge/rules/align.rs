//! Alignment: which evidence term each claim term meets, and with which
//! polarity. Exact terms first (a claim naming a city needs that city), then
//! an antonym, then a word sharing a long prefix ("budget"/"budgetary").

use crate::engine::language::{Kind, Token};

/// A word that shares a long prefix half-matches.
pub(super) const PARTIAL: f32 = 0.8;

/// Where a claim term stands in the evidence.
pub(super) struct Alignment {
    /// Evidence position of the matched token.
    pub pos: usize,
    /// The polarity differs: one is negated or is the other's antonym.
    pub flipped: bool,
    pub quality: f32,
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Aligns one claim term with the evidence.
pub(super) fn align(c: &Token, evidence: &[Token]) -> Option<Alignment> {
    // A claim naming a city needs that city; a country also matches its capital.
    let exact = evidence.iter().filter(|e| e.term == c.term && (c.city.is_none() || e.city == c.city));
    if let Some(e) = exact.clone().find(|e| e.negated == c.negated).or_else(|| exact.clone().next()) {
        return Some(Alignment { pos: e.pos, flipped: e.negated != c.negated, quality: 1.0 });
    }
    let opposite = evidence.iter().find(|e| c.opposite.as_deref() == Some(e.term.as_str()) || e.opposite.as_deref() == Some(c.term.as_str()));
    if let Some(e) = opposite {
        return Some(Alignment { pos: e.pos, flipped: e.negated == c.negated, quality: 1.0 });
    }
    if c.kind != Kind::Word {
        return None;
    }
    evidence
        .iter()
        .filter(|e| e.kind == Kind::Word)
        .find(|e| {
            let p = common_prefix(&c.term, &e.term);
            p >= 5 && p * 4 >= 3 * c.term.len().min(e.term.len())
        })
        .map(|e| Alignment { pos: e.pos, flipped: e.negated != c.negated, quality: PARTIAL })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::language::analyze;

    fn aligned(claim: &str, evidence: &str) -> Vec<Option<(bool, f32)>> {
        let (c, e) = (analyze(claim), analyze(evidence));
        c.tokens.iter().map(|t| align(t, &e.tokens).map(|a| (a.flipped, a.quality))).collect()
    }

    #[test]
    fn exact_antonym_and_prefix_matches() {
        assert_eq!(aligned("imports increased", "imports decreased"), [Some((false, 1.0)), Some((true, 1.0))]);
        assert_eq!(aligned("the budget", "the budgetary envelope"), [Some((false, PARTIAL))]);
        assert_eq!(aligned("China did not help", "China helped"), [Some((false, 1.0)), Some((true, 1.0))]);
        // A claim about the city needs the city, not just its country.
        assert_eq!(aligned("Blinken visited Moscow", "Blinken visited Russia"), [Some((false, 1.0)), Some((false, 1.0)), None]);
    }
}
