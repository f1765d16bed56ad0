//! Figures: how the claim's quantities, dates, offices and calendar names
//! fare in the sentence: stated compatibly, stated differently (a conflict
//! rule fires), or not stated.

use crate::engine::judge::registry::{Firing, RuleId};
use crate::engine::domain::Param;
use crate::engine::language::lexicon::WEEKDAYS;
use crate::engine::language::{Cmp, Features, Kind, Measure, Quantity, Token};

/// How the claim's figures fare in the evidence.
#[derive(Default)]
pub(super) struct NumberCheck {
    /// Quantities, dates and offices the claim states.
    pub stated: usize,
    /// Those the evidence states compatibly.
    pub found: usize,
    /// Those the evidence states differently (and calendar names it gives otherwise).
    pub conflicting: usize,
    /// Ranks the evidence does not give for the same noun. Sentences rarely
    /// restate one ("his third visit" / "Blinken visited China"): the rules
    /// cannot support without it, but it is no gap for the model.
    pub unstated_ranks: usize,
    /// The conflict rules that fired, in the order checked.
    pub conflicts: Vec<Firing>,
    /// Figures found only by arithmetic on the sentence's ([`derived`]).
    pub derived: Vec<Firing>,
}

impl NumberCheck {
    fn record(&mut self, found: bool, conflict: impl FnOnce() -> Option<Firing>) {
        self.stated += 1;
        if found {
            self.found += 1;
        } else if let Some(c) = conflict() {
            self.conflicting += 1;
            self.conflicts.push(c);
        }
    }

    /// Every figure the claim states is found or conflicts (ranks may go unstated).
    pub fn complete(&self) -> bool {
        self.found + self.conflicting + self.unstated_ranks == self.stated
    }
}

fn conflict(rule: RuleId, found: &str, claimed: &str) -> Firing {
    Firing::new(rule, vec![("found", Param::Text(found.to_string().into())), ("claimed", Param::Text(claimed.to_string().into()))])
}

pub(super) fn check_numbers(claim: &Features, evidence: &Features) -> NumberCheck {
    let mut check = NumberCheck::default();
    quantities(&mut check, claim, evidence);
    for d in &claim.dates {
        let found = evidence.dates.iter().any(|e| e.year == d.year && (d.month.is_none() || e.month.is_none() || e.month == d.month));
        check.record(found, || evidence.dates.first().map(|e| conflict(RuleId::DateConflict, &e.year.to_string(), &d.year.to_string())));
    }
    // An office the evidence gives the same person differently.
    for role in &claim.roles {
        let theirs: Vec<_> = evidence.roles.iter().filter(|r| r.name == role.name).collect();
        if let Some(other) = theirs.first() {
            let found = theirs.iter().any(|r| same_office(r.office, role.office));
            check.record(found, || {
                let params = vec![("name", Param::Text(role.text.clone().into())), ("found", Param::Text(other.office.into())), ("claimed", Param::Text(role.office.into()))];
                Some(Firing::new(RuleId::OfficeConflict, params))
            });
        }
    }
    calendar(&mut check, claim, evidence);
    check
}

/// Whether two offices may be one: the same, or a director and any named
/// kind of director ("director of finance" / "finance director").
fn same_office(a: &str, b: &str) -> bool {
    a == b || (a == "Director" && b.ends_with("Director")) || (b == "Director" && a.ends_with("Director"))
}

/// Quantities: a stated amount in the same unit must be compatible.
fn quantities(check: &mut NumberCheck, claim: &Features, evidence: &Features) {
    for q in &claim.quantities {
        let same: Vec<&Quantity> = evidence.quantities.iter().filter(|e| e.unit == q.unit).collect();
        if same.is_empty() && matches!(q.unit, Measure::Rank(_)) {
            check.unstated_ranks += 1;
            check.record(false, || None);
            continue;
        }
        // "killed 18 people" and "(18 dead)": a count of other words, same number.
        let counted = |e: &Quantity| matches!(e.unit, Measure::Count(_)) && q.compatible(e);
        let found = same.iter().any(|e| q.compatible(e)) || same.is_empty() && matches!(q.unit, Measure::Count(_)) && evidence.quantities.iter().any(counted);
        // A bare number ("between 30 and 130 cm") may count anything: it is
        // found or not, but never conflicts.
        let bare = matches!(&q.unit, Measure::Count(noun) if noun.is_empty());
        // "61 billion euros" against "61 billion dollars": the same sum in another currency.
        let currency = |e: &&Quantity| matches!((&q.unit, &e.unit), (Measure::Currency(_), Measure::Currency(_))) && q.compatible(e);
        let other = same.first().copied().filter(|_| !bare).or_else(|| evidence.quantities.iter().find(currency));
        let derivation = if found { None } else { derived(q, &evidence.quantities) };
        if let Some(from) = &derivation {
            check.derived.push(Firing::new(RuleId::FigureDerived, vec![("claimed", Param::Text(q.surface.clone().into())), ("from", Param::Text(from.clone().into()))]));
        }
        check.record(found || derivation.is_some(), || other.map(|e| conflict(RuleId::QuantityConflict, &e.surface, &q.surface)));
    }
}

/// The claim's figure as one step of arithmetic on two of the sentence's,
/// which news states as often as the figure itself ("rose from £725 to
/// £810" / "went up by £85"): their sum or difference in the claim's unit,
/// the change between two of one unit or the part of the whole in percent,
/// or a percentage of an amount, or the amount before or after a rise or
/// cut by it. Only for a figure the claim states as exact or approximate: a
/// bound ("more than", "fewer than") would fit some step of almost any
/// sentence. Returns the two figures it came from.
fn derived(q: &Quantity, evidence: &[Quantity]) -> Option<String> {
    if !q.unit.additive() || !matches!(q.cmp, Cmp::Eq | Cmp::Approx) {
        return None;
    }
    let fits = |v: f64| v.is_finite() && q.compatible(&Quantity { value: v, unit: q.unit.clone(), cmp: Cmp::Eq, surface: String::new() });
    let of_claims_unit = |e: &Quantity| e.unit == q.unit || q.unit.counts_with(&e.unit);
    for (i, a) in evidence.iter().enumerate().filter(|(_, a)| a.unit.additive()) {
        for b in evidence[i + 1..].iter().filter(|b| b.unit.additive()) {
            let (x, y) = (a.value, b.value);
            let candidates: Vec<f64> = if of_claims_unit(a) && of_claims_unit(b) {
                // Percentages of percentages are points: "from 71 to 84 percent" rose 13.
                vec![x + y, (x - y).abs()]
            } else if q.unit == Measure::Percent && (a.unit == b.unit || a.unit.counts_with(&b.unit)) {
                vec![(y - x).abs() / x * 100.0, (x - y).abs() / y * 100.0, x.min(y) / x.max(y) * 100.0]
            } else if let Some((p, amount)) = [(a, b), (b, a)].into_iter().find(|(p, e)| p.unit == Measure::Percent && e.unit == q.unit) {
                let r = p.value / 100.0;
                vec![amount.value * r, amount.value / (1.0 + r), amount.value / (1.0 - r), amount.value * (1.0 + r), amount.value * (1.0 - r)]
            } else {
                continue;
            };
            if candidates.into_iter().any(fits) {
                return Some(format!("{} and {}", a.surface, b.surface));
            }
        }
    }
    None
}

/// A weekday or month the evidence gives differently ("on Monday" / "on Friday").
fn calendar(check: &mut NumberCheck, claim: &Features, evidence: &Features) {
    for c in claim.tokens.iter().filter(|t| t.kind == Kind::Calendar) {
        let weekday = WEEKDAYS.contains(&c.term.as_str());
        let other: Vec<&Token> = evidence.tokens.iter().filter(|e| e.kind == Kind::Calendar && WEEKDAYS.contains(&e.term.as_str()) == weekday).collect();
        if !other.is_empty() && !other.iter().any(|e| e.term == c.term) {
            check.conflicting += 1;
            check.conflicts.push(conflict(RuleId::CalendarConflict, &other[0].text, &c.text));
        }
    }
}
