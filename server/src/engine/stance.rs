//! Stance of one evidence sentence towards a claim. `StanceScorer` is the
//! swappable component; `RuleScorer` is the deterministic lexical one.
//!
//! The rule scorer aligns the claim's content terms with the sentence's, then:
//! - SUPPORTS when most of the claim's (idf-weighted) content is found, every
//!   name, quantity and date the claim states is there and compatible, and no
//!   aligned term has the opposite polarity;
//! - REFUTES when most of the claim's content is found but a quantity or date
//!   conflicts, the aligned terms are negated, or another place fills the slot
//!   the claim's place fills ("Capri, Greece" against "Capri, Italy");
//! - NEUTRAL otherwise.

use super::lexicon::{NON_EXCLUSIVE, WEEKDAYS};
use super::models::StanceProbs;
use super::normalize::{Features, Kind, Quantity, Token, Unit, canonical_word};

/// How a sentence bears on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    Supports,
    Refutes,
    Neutral,
}

/// A scorer's judgement of one (claim, sentence) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub stance: Stance,
    /// Strength of the judgement in 0..=1 (for NEUTRAL: relatedness).
    pub score: f32,
    /// Why, in a few words, for REFUTES.
    pub reason: Option<String>,
    /// Weighted share of the claim's content the sentence contains, 0..=1.
    pub coverage: f32,
    /// What the claim states that the sentence lacks.
    pub gap: Gap,
    /// Whether the stance model may call the pair REFUTES. Not where the
    /// claim's negated terms are negated in the sentence too ("avoided
    /// sending arms" / "refraining from arms supplies"), nor where the rules
    /// support with every word of the claim ("Xi met Blinken" / "Blinken met
    /// Xi"): the model misreads negation and word order. Nor where another
    /// place fills an open-ended slot ("will visit India" / "will visit China").
    pub refutable: bool,
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
    fn neutral(coverage: f32, gap: Gap) -> Assessment {
        Assessment { stance: Stance::Neutral, score: coverage * 0.5, reason: None, coverage, gap, refutable: true }
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

/// When the stance model may overrule the rules.
#[derive(Debug, Clone, Copy)]
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

impl ModelGate {
    /// Whether the model's view of this pair can change the rules' judgement.
    pub fn admits(&self, rule: &Assessment) -> bool {
        rule.stance != Stance::Refutes && rule.coverage >= self.min_coverage
    }
}

impl Default for ModelGate {
    fn default() -> Self {
        ModelGate { threshold: 0.5, refute: 0.85, overrule_support: 0.95, min_coverage: 0.3, refute_with_gap: 0.9, support_with_gap: 0.8 }
    }
}

/// Merges the rules' judgement of a pair with the stance model's. The rules
/// keep the last word on the conflicts they check explicitly (a number, date,
/// place or negation refutes), and on sentences that share too little of the
/// claim. A sentence lacking a name, number or date the claim states cannot
/// support it; it may refute it (another value in the same slot: "English-"
/// for "Spanish-language") only when the model is very sure. Otherwise a
/// model sure enough decides.
pub fn combine(rule: &Assessment, model: StanceProbs, gate: ModelGate) -> Assessment {
    if !gate.admits(rule) {
        return rule.clone();
    }
    let refute_at = match rule.stance {
        Stance::Supports => gate.overrule_support,
        _ if rule.gap != Gap::None => gate.refute_with_gap,
        _ => gate.threshold.max(gate.refute),
    };
    if model.refutes >= refute_at && rule.refutable {
        let reason = format!("the evidence contradicts the claim (stance model, p={:.2})", model.refutes);
        return Assessment { stance: Stance::Refutes, score: model.refutes, reason: Some(reason), ..rule.clone() };
    }
    let support_at = match rule.gap {
        Gap::None => gate.threshold,
        Gap::Minor => gate.support_with_gap,
        Gap::Fact => f32::INFINITY,
    };
    if model.supports >= support_at {
        return Assessment { stance: Stance::Supports, score: rule.score.max(model.supports), reason: None, ..rule.clone() };
    }
    rule.clone()
}

/// The deterministic lexical scorer.
#[derive(Debug, Clone)]
pub struct RuleScorer {
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
}

impl Default for RuleScorer {
    fn default() -> Self {
        RuleScorer { support_coverage: 0.70, refute_coverage: 0.55, flip_share: 0.2, predicate_coverage: 0.5, max_missing_share: 0.25, max_missing_share_refute: 0.3 }
    }
}

/// Reporting verbs say little about content: "X said Y" is mostly Y.
const SPEECH_WEIGHT: f32 = 0.3;
/// A word that shares a long prefix ("budget"/"budgetary") half-matches.
const PARTIAL: f32 = 0.8;
/// How far (in words) a name may be from the word it qualifies: in the claim,
/// and in the evidence, which may phrase the slot more loosely.
const CLAIM_SLOT_DISTANCE: usize = 2;
const SLOT_DISTANCE: usize = 3;
/// How far into a sentence (in words) its subject stands: a name further on
/// ("…ranked second by Alexa Internet") is an object, not what it is about.
const SUBJECT_REACH: usize = 8;
/// A stated number or date weighs this share of a never-seen term.
const NUMBER_WEIGHT: f32 = 0.5;

struct Alignment {
    /// Evidence position of the matched token, and whether polarity is flipped.
    pos: usize,
    flipped: bool,
    quality: f32,
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn align(c: &Token, evidence: &[Token]) -> Option<Alignment> {
    // A claim naming a city needs that city; a country also matches its capital.
    let exact = evidence.iter().filter(|e| e.term == c.term && (c.city.is_none() || e.city == c.city));
    if let Some(e) = exact.clone().find(|e| e.negated == c.negated).or_else(|| exact.clone().next()) {
        return Some(Alignment { pos: e.pos, flipped: e.negated != c.negated, quality: 1.0 });
    }
    let opposite = evidence.iter().find(|e| {
        c.opposite.as_deref() == Some(e.term.as_str()) || e.opposite.as_deref() == Some(c.term.as_str())
    });
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

/// A claim place whose slot the evidence fills with another place: "Capri,
/// Greece" against "Capri, Italy", "Germany holds the presidency" against
/// "Italy, which holds the presidency". Only places: for people and other
/// names, a different name nearby is far more often another actor than a
/// contradiction.
struct SlotSwap<'a> {
    claimed: &'a Token,
    found: &'a Token,
    /// The slot holds one name at a time ("holds the presidency", "Capri,
    /// Italy"), unlike "visited China", which leaves room for Moscow.
    exclusive: bool,
}

fn slot_swap<'a>(claim: &'a Features, evidence: &'a Features, aligned: &[Option<Alignment>]) -> Option<SlotSwap<'a>> {
    let near = |a: &Token, b: &Token, d: usize| a.pos.abs_diff(b.pos) <= d;
    claim.tokens.iter().filter(|g| g.kind == Kind::Geo).find_map(|g| {
        // The aligned words next to the place anchor its slot; reporting
        // verbs do not ("Washington says" names a speaker, not a slot).
        let mut anchors: Vec<(&Token, usize)> = claim
            .tokens
            .iter()
            .zip(aligned)
            // A name anchors only the place next to it ("Capri, Greece"); one
            // further off is another actor ("Campbell said Japan would…").
            .filter(|(t, _)| t.kind != Kind::Geo && !t.speech && near(t, g, CLAIM_SLOT_DISTANCE) && (t.kind == Kind::Word || t.pos.abs_diff(g.pos) == 1))
            .filter_map(|(t, a)| Some((t, a.as_ref()?.pos)))
            .collect();
        anchors.sort_by_key(|(t, _)| (t.pos.abs_diff(g.pos), t.kind == Kind::Word));
        let window = |at: usize| {
            let mut w: Vec<&Token> = evidence.tokens.iter().filter(|e| e.kind == Kind::Geo && e.pos.abs_diff(at) <= SLOT_DISTANCE).collect();
            w.sort_by_key(|e| e.pos.abs_diff(at));
            w
        };
        // The claimed place next to any anchor fills the slot as claimed
        // ("…cannot accept China seeking…" / "If China seeks…, we cannot accept that").
        if anchors.iter().any(|&(_, at)| window(at).iter().any(|e| e.term == g.term)) {
            return None;
        }
        let found = window(anchors.first()?.1).into_iter().find(|e| !claim.mentions(&e.term))?;
        // "Capri, Greece": a place right after a name is an attribute of it.
        // Otherwise the slot is exclusive unless an open-ended predicate
        // (visit, supply) governs it.
        let apposition = claim.tokens.iter().any(|t| t.pos + 1 == g.pos && matches!(t.kind, Kind::Proper | Kind::Geo));
        let open_ended = claim.tokens.iter().any(|t| {
            t.kind == Kind::Word && near(t, g, SLOT_DISTANCE) && NON_EXCLUSIVE.iter().any(|w| canonical_word(w) == t.term)
        });
        let exclusive = apposition || !open_ended;
        Some(SlotSwap { claimed: g, found, exclusive })
    })
}

fn same_unit(a: &Quantity, b: &Quantity) -> bool {
    match (&a.unit, &b.unit) {
        (Unit::Count(x), Unit::Count(y)) => x == y,
        (x, y) => x == y,
    }
}

/// How the claim's quantities, dates and calendar names fare in the evidence.
#[derive(Default)]
struct NumberCheck {
    /// Quantities and dates the claim states.
    stated: usize,
    /// Those the evidence states compatibly.
    found: usize,
    /// Those the evidence states differently.
    conflicting: usize,
    /// Ranks the evidence does not give for the same noun. Sentences rarely
    /// restate one ("his third visit" / "Blinken visited China"): the rules
    /// cannot support without it, but it is no gap for the model.
    unstated_ranks: usize,
    conflict: Option<String>,
}

impl NumberCheck {
    fn record(&mut self, found: bool, conflict: Option<String>) {
        self.stated += 1;
        if found {
            self.found += 1;
        } else if let Some(c) = conflict {
            self.conflicting += 1;
            self.conflict.get_or_insert(c);
        }
    }
}

fn check_numbers(claim: &Features, evidence: &Features) -> NumberCheck {
    let mut check = NumberCheck::default();
    for q in &claim.quantities {
        let same: Vec<&Quantity> = evidence.quantities.iter().filter(|e| same_unit(q, e)).collect();
        if same.is_empty() && matches!(q.unit, Unit::Rank(_)) {
            check.unstated_ranks += 1;
            check.record(false, None);
            continue;
        }
        // "killed 18 people" and "(18 dead)": a count of other words, same number.
        let counted = |e: &Quantity| matches!(e.unit, Unit::Count(_)) && q.compatible(e);
        let found = same.iter().any(|e| q.compatible(e))
            || same.is_empty() && matches!(q.unit, Unit::Count(_)) && evidence.quantities.iter().any(counted);
        // A bare number ("between 30 and 130 cm") may count anything: it is
        // found or not, but never conflicts.
        let bare = matches!(&q.unit, Unit::Count(noun) if noun.is_empty());
        // "61 billion euros" against "61 billion dollars": the same sum in another currency.
        let currency = |e: &&Quantity| matches!((&q.unit, &e.unit), (Unit::Currency(_), Unit::Currency(_))) && q.compatible(e);
        let other = same.first().copied().filter(|_| !bare).or_else(|| evidence.quantities.iter().find(currency));
        let conflict = other.map(|e| format!("the evidence says {}, not {}", e.surface, q.surface));
        check.record(found, conflict);
    }
    for d in &claim.dates {
        let found = evidence.dates.iter().any(|e| e.year == d.year && (d.month.is_none() || e.month.is_none() || e.month == d.month));
        check.record(found, evidence.dates.first().map(|e| format!("the evidence dates it {}, not {}", e.year, d.year)));
    }
    // An office the evidence gives the same person differently.
    for role in &claim.roles {
        let theirs: Vec<_> = evidence.roles.iter().filter(|r| r.name == role.name).collect();
        if let Some(other) = theirs.first() {
            let found = theirs.iter().any(|r| r.office == role.office);
            check.record(found, Some(format!("the evidence calls {} {}, not {}", role.text, other.office, role.office)));
        }
    }
    // A weekday or month the evidence gives differently ("on Monday" / "on Friday").
    for c in claim.tokens.iter().filter(|t| t.kind == Kind::Calendar) {
        let weekday = WEEKDAYS.contains(&c.term.as_str());
        let other: Vec<&Token> = evidence
            .tokens
            .iter()
            .filter(|e| e.kind == Kind::Calendar && WEEKDAYS.contains(&e.term.as_str()) == weekday)
            .collect();
        let found = other.is_empty() || other.iter().any(|e| e.term == c.term);
        if !found {
            check.conflicting += 1;
            check.conflict.get_or_insert_with(|| format!("the evidence says {}, not {}", other[0].text, c.text));
        }
    }
    check
}

/// A place that names the claim's speaker: "US officials said", "Washington says".
fn speaker_place(claim: &Features, place: &Token) -> bool {
    claim.tokens.iter().any(|t| t.speech && t.pos > place.pos && t.pos - place.pos <= 2)
}

/// Whether the sentence's pronoun may stand for the claim's subject: it has
/// one, and no full name ("Olaf Scholz", "Chancellor Scholz") the claim lacks
/// comes before it ("…Olaf Scholz said he had asked…").
fn resolves_subject(claim: &Features, evidence: &Features) -> bool {
    let Some(pronoun) = evidence.anaphor else { return false };
    let tokens = &evidence.tokens;
    // A surname is required; the given name or title just before it is not.
    let other_person = tokens.windows(2).any(|w| {
        w[1].pos < pronoun
            && w[1].required
            && w[1].kind == Kind::Proper
            && w[0].kind == Kind::Proper
            && !w[0].required
            && w[0].pos + 1 == w[1].pos
            && !claim.mentions(&w[1].term)
    });
    !other_person
}

impl StanceScorer for RuleScorer {
    fn assess(&self, pair: &Pair<'_>) -> Assessment {
        let (claim, evidence) = (pair.claim, pair.evidence);
        let weight = |t: &Token| (pair.idf)(&t.term) * if t.speech { SPEECH_WEIGHT } else { 1.0 };
        let aligned: Vec<Option<Alignment>> = claim.tokens.iter().map(|c| align(c, &evidence.tokens)).collect();
        let swap = slot_swap(claim, evidence, &aligned);
        let exclusive_swap = swap.as_ref().filter(|s| s.exclusive);
        let numbers = check_numbers(claim, evidence);

        // Weighted coverage of the claim. Numbers and dates weigh like rare terms.
        let number_weight = NUMBER_WEIGHT * pair.max_idf;
        let mut total = number_weight * numbers.stated as f32;
        let mut matched = number_weight * numbers.found as f32;
        let mut flipped = 0.0f32;
        // The claim's plain words (its predicate), apart from the names.
        let (mut words, mut words_matched) = (0.0f32, 0.0f32);
        // The claim's subject: its first name.
        let subject = claim.tokens.iter().position(|t| t.required && t.kind == Kind::Proper);
        let (mut subject_missing, mut other_name_missing, mut missing_date) = (false, false, false);
        let mut heaviest_missing = 0.0f32;
        // "She was…": the sentence names its subject in an earlier one, and
        // the pronoun half-matches it.
        let pronoun_subject = resolves_subject(claim, evidence);
        for (k, (c, a)) in claim.tokens.iter().zip(&aligned).enumerate() {
            let w = weight(c);
            let by_pronoun = a.is_none() && Some(k) == subject && pronoun_subject;
            let quality = a.as_ref().map_or(if by_pronoun { PARTIAL } else { 0.0 }, |a| a.quality);
            total += w;
            matched += w * quality;
            if c.kind == Kind::Word {
                words += w;
                words_matched += w * quality;
            }
            match a {
                Some(a) if a.flipped => flipped += w,
                Some(_) => {}
                None if exclusive_swap.is_some_and(|s| std::ptr::eq(s.claimed, c)) || by_pronoun => {}
                None => {
                    if c.required {
                        match c.kind {
                            Kind::Calendar => missing_date = true,
                            Kind::Geo => {} // places: below
                            _ if Some(k) == subject => subject_missing = true,
                            _ => other_name_missing = true,
                        }
                    }
                    heaviest_missing = heaviest_missing.max(w);
                }
            }
        }
        if total <= 0.0 {
            return Assessment::neutral(0.0, Gap::Fact);
        }
        let coverage = matched / total;
        let negations = claim.tokens.iter().zip(&aligned).filter_map(|(c, a)| a.as_ref().filter(|_| c.negated));
        let (agree, differ) = negations.fold((0, 0), |(s, d), a| if a.flipped { (s, d + 1) } else { (s + 1, d) });
        // Another place where the predicate is open-ended ("will visit India" /
        // "will visit China") is no contradiction, whatever the model reads.
        let open_swap = swap.as_ref().is_some_and(|s| !s.exclusive);
        let model_may_refute = agree <= differ && !open_swap;
        // A missing place is a gap (a model reads "imports from Turkey" into a
        // sentence about China), but "the country's…" may stand for one, and
        // one that qualifies a name ("the US Treasury Department") is not;
        // nor is the claim's speaker's ("US officials said") where the
        // sentence reports someone named before ("…,” he said").
        let places_missing = claim.tokens.iter().zip(&aligned).filter(|(t, a)| {
            t.kind == Kind::Geo
                && t.required
                && a.is_none()
                && !exclusive_swap.is_some_and(|s| std::ptr::eq(s.claimed, *t))
                && !(evidence.reported && speaker_place(claim, t))
        });
        let place_missing = places_missing.count() > usize::from(evidence.place_anaphoric);
        let missing_name = missing_date || subject_missing || other_name_missing || place_missing;
        // A sentence whose first name is one the claim lacks is about someone else.
        let own_subject = evidence.tokens.iter().find(|t| t.required && t.kind == Kind::Proper).is_some_and(|t| t.pos < SUBJECT_REACH && !claim.mentions(&t.term));
        let figures_complete = numbers.found + numbers.conflicting + numbers.unstated_ranks == numbers.stated;
        let gap = if missing_date || other_name_missing || place_missing || !figures_complete || subject_missing && own_subject {
            Gap::Fact
        } else if subject_missing {
            Gap::Minor
        } else {
            Gap::None
        };

        // Refutation: the rest of the claim is found, one part conflicts. The
        // conflicting part counts as found: it is what the two sentences share
        // a slot for.
        let swapped_weight = exclusive_swap
            .filter(|s| !evidence.mentions(&s.claimed.term))
            .map_or(0.0, |s| weight(s.claimed));
        let rest = (matched + swapped_weight + number_weight * numbers.conflicting as f32) / total;
        // What the two sentences share besides the numbers: two figures about
        // different things ("30 years" / "130,000 years ago") do not conflict.
        let numbers_weight = number_weight * numbers.stated as f32;
        let context = if total > numbers_weight { (matched + swapped_weight - number_weight * numbers.found as f32) / (total - numbers_weight) } else { 1.0 };
        let negated = matched > 0.0 && flipped / matched >= self.flip_share;
        // Another name refutes only in a sentence with all the claim's figures:
        // "Japan pledged 5 billion dollars" is not about a sentence without it.
        let reason = numbers
            .conflict
            .or_else(|| exclusive_swap.filter(|_| figures_complete).map(|s| format!("the evidence names {}, not {}", s.found.text, s.claimed.text)))
            .or_else(|| negated.then(|| "the evidence states the opposite".to_string()));
        let key_term_missing = |share: f32, of: f32| heaviest_missing >= share * of;
        if let Some(reason) = reason {
            // No conflict refutes in a sentence about another subject ("Lost …
            // aired in 2004" against "Death Note … first aired in 2015").
            if rest >= self.refute_coverage && context >= self.refute_coverage && !subject_missing && !key_term_missing(self.max_missing_share_refute, total - swapped_weight) {
                return Assessment { stance: Stance::Refutes, score: rest.min(1.0), reason: Some(reason), coverage, gap: Gap::None, refutable: false };
            }
            // Too little shared to refute, but a sentence that states another
            // figure, name or the opposite never supports the claim.
            return Assessment { refutable: model_may_refute, ..Assessment::neutral(coverage, Gap::Fact) };
        }
        let predicate_found = words == 0.0 || words_matched / words >= self.predicate_coverage;
        let supports = coverage >= self.support_coverage
            && predicate_found
            && !key_term_missing(self.max_missing_share, total)
            && !missing_name
            && numbers.found == numbers.stated
            && flipped == 0.0
            && swap.is_none()
            && (!claim.restrictive || evidence.restrictive);
        if supports {
            let refutable = model_may_refute && words_matched < words;
            Assessment { stance: Stance::Supports, score: coverage.min(1.0), reason: None, coverage, gap, refutable }
        } else {
            Assessment { refutable: model_may_refute, ..Assessment::neutral(coverage, gap) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::normalize::analyze;

    fn assess(claim: &str, evidence: &str) -> Assessment {
        let (c, e) = (analyze(claim), analyze(evidence));
        RuleScorer::default().assess(&Pair { claim: &c, evidence: &e, idf: &|_| 1.0, max_idf: 1.0 })
    }

    #[test]
    fn a_name_place_or_date_the_sentence_lacks_is_a_gap() {
        let evidence = "Blinken also plans to visit China in the coming weeks, following a visit by Treasury Secretary Janet Yellen.";
        assert_eq!(assess("Janet Yellen visited Moscow.", evidence).gap, Gap::Fact);
        assert_eq!(assess("Blinken plans to visit China in 2025.", evidence).gap, Gap::Fact);
        assert_eq!(assess("Blinken plans to visit China.", evidence).gap, Gap::None);
        // The subject may be named before; not when the sentence names another.
        assert_eq!(assess("Sullivan plans to visit China.", "The adviser plans to visit China in the coming weeks.").gap, Gap::Minor);
        assert_eq!(assess("Sullivan plans to visit China.", evidence).gap, Gap::Fact);
        assert_eq!(assess("Blinken met Putin.", "Blinken met officials.").gap, Gap::Fact);
        // "He" may be Blinken; it cannot also be Sullivan.
        let anaphoric = "He also plans to visit China in the coming weeks.";
        assert_eq!(assess("Blinken plans to visit China.", anaphoric).gap, Gap::None);
        assert_eq!(assess("Blinken and Sullivan plan to visit China.", anaphoric).gap, Gap::Fact);
        // "He" is Scholz, named before it, not Campbell.
        let scholz = "Visiting Beijing, German Chancellor Olaf Scholz said he had asked Xi Jinping to act.";
        assert_eq!(assess("Kurt Campbell asked Xi Jinping to act.", scholz).gap, Gap::Fact);
        assert_eq!(assess("Scholz asked Xi Jinping to act.", scholz).gap, Gap::None);
        // A name far into the sentence is an object, not its subject.
        let website = "The website is ranked as the second most popular site in the world by the analysis company Alexa Internet.";
        assert_eq!(assess("YouTube is ranked as the second most popular site in the world.", website).gap, Gap::Minor);
        // A pronoun that opens the sentence stands for the subject, and counts
        // towards what the sentence shares with the claim; a speaker does not.
        let (claim, evidence) = (analyze("Ingushetia was established in 1993."), analyze("It was established on June 4, 1992 after the republic was split in two."));
        let rare_name = |t: &str| if t == "ingushetia" { 5.0 } else { 1.0 };
        let a = RuleScorer::default().assess(&Pair { claim: &claim, evidence: &evidence, idf: &rare_name, max_idf: 5.0 });
        assert_eq!(a.reason.as_deref(), Some("the evidence dates it 1992, not 1993"));
        let a = assess("Russia's GDP grew by 3% in 2023.", "They also said that 90% of Russia's imports came from China in 2023.");
        assert_ne!(a.stance, Stance::Refutes);
        // The speaker's place, where the sentence reports someone named before.
        let quote = "“Russia will struggle to continue its war effort without China,” he said.";
        assert_eq!(assess("US officials said Russia will struggle to continue its war effort without China.", quote).gap, Gap::None);
        assert_eq!(assess("US officials said Russia will struggle to continue its war effort without China.", "Russia will struggle to continue its war effort without China.").gap, Gap::Fact);
        // A place that qualifies a name is not a gap.
        let treasury = "Metal exchanges play a central role, the Treasury Department said.";
        assert_eq!(assess("The US Treasury Department said metal exchanges play a central role.", treasury).gap, Gap::None);
        let country = "Russian forces are launching missile attacks on the country's power plants.";
        assert_eq!(assess("Russian forces launch missile attacks on power plants in Ukraine.", country).gap, Gap::None);
        assert_eq!(assess("Russian forces launch missile attacks on power plants in Ukraine and Poland.", country).gap, Gap::Fact);
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

    #[test]
    fn ranks_conflict_only_with_the_same_noun() {
        let evidence = "Blinken's trip to China marks his second visit since a previous mission.";
        let a = assess("Blinken's trip to China was his third visit.", evidence);
        assert_eq!((a.stance, a.reason.as_deref()), (Stance::Refutes, Some("the evidence says second, not third")));
        // A rank the sentence does not give: the rules cannot support, the model may.
        let a = assess("Blinken's trip to China was his third visit.", "Blinken plans a trip to China to visit Beijing.");
        assert_eq!((a.stance, a.gap), (Stance::Neutral, Gap::None));
        let a = assess("Russia imported $900 million of tools in the first quarter of 2023.", "Russia imported $900 million of tools in the last quarter of 2023.");
        assert_eq!(a.stance, Stance::Refutes);
    }

    #[test]
    fn shares_in_words_compare_with_percentages() {
        let evidence = "More than 70% of Russia's machine tool imports in late 2023 came from China.";
        assert_eq!(assess("Most of Russia's machine tool imports in late 2023 came from China.", evidence).stance, Stance::Supports);
        assert_eq!(assess("Less than half of Russia's machine tool imports in late 2023 came from China.", evidence).stance, Stance::Refutes);
    }

    #[test]
    fn restrictive_claims_need_restrictive_evidence() {
        let a = assess("Lalla Ward has only ever been an actress.", "Lalla Ward is an English actress and author.");
        assert_eq!(a.stance, Stance::Neutral);
        let a = assess("Lalla Ward has only ever been an actress.", "Lalla Ward has only ever been an actress.");
        assert_eq!(a.stance, Stance::Supports);
    }

    #[test]
    fn supports_paraphrase() {
        let a = assess("Italy holds the G7 presidency this year.", "the G7 includes Canada, France, Germany, Japan and Italy, which holds the presidency this year.");
        assert_eq!(a.stance, Stance::Supports);
    }

    #[test]
    fn refutes_number_mismatch() {
        let a = assess("The envelope was 16 billion dollars.", "a budgetary envelope of 61 billion dollars was blocked");
        assert_eq!(a.stance, Stance::Refutes);
        assert_eq!(a.reason.as_deref(), Some("the evidence says 61 billion dollars, not 16 billion dollars"));
        let a = assess("Annalena Baerbock is the German Chancellor.", "German Foreign Minister Annalena Baerbock, who attended the meeting, echoed Blinken's concerns.");
        assert_eq!(a.reason.as_deref(), Some("the evidence calls Baerbock Foreign Minister, not Chancellor"));
        assert_eq!(a.stance, Stance::Refutes);
        let a = assess("Less than 20% of machine tool imports came from China.", "more than 70% of machine tool imports came from China");
        assert_eq!(a.stance, Stance::Refutes);
        let a = assess("The envelope was 61 billion euros.", "a budgetary envelope of 61 billion dollars was blocked");
        assert_eq!(a.reason.as_deref(), Some("the evidence says 61 billion dollars, not 61 billion euros"));
        // Bare numbers may count different things; ordinals rank different nouns.
        let a = assess("Sea levels could rise 30 by 2100.", "Sea levels could rise between 50 and 130 cm by 2100.");
        assert_ne!(a.stance, Stance::Refutes);
        let a = assess("This is the 5th-warmest start of a year.", "It was the warmest start of a year in the 20th century.");
        assert_ne!(a.stance, Stance::Refutes);
    }

    #[test]
    fn refutes_negation_both_ways() {
        let a = assess("China has been directly supplying weapons to Russia.", "Beijing has stopped short of directly providing weapons to Russia.");
        assert_eq!(a.stance, Stance::Refutes);
        let a = assess("Japan is not a member of the G7.", "The G7 includes Canada, Japan and Italy.");
        assert_eq!(a.stance, Stance::Refutes);
        let a = assess("China has not directly supplied weapons to Russia.", "China has not directly provided weapons to Russia.");
        assert_eq!(a.stance, Stance::Supports);
    }

    #[test]
    fn a_shortage_is_a_lack() {
        let a = assess("Ukraine lacks ammunition and military equipment.", "Facing a shortage of ammunition and insufficient military equipment, Ukraine is striving to resist.");
        assert_ne!(a.stance, Stance::Refutes);
    }

    #[test]
    fn a_name_anchors_only_the_place_right_after_it() {
        let a = assess("Kurt Campbell said Japan would hold China responsible.", "Deputy Secretary of State Kurt Campbell reiterated the US commitment to Europe's stability.");
        assert_ne!(a.stance, Stance::Refutes);
    }

    #[test]
    fn refutes_place_in_same_slot() {
        let a = assess("The ministers met in Capri, Greece.", "The ministers' talks in Capri, Italy.");
        assert_eq!(a.stance, Stance::Refutes);
        let a = assess("Germany holds the G7 presidency this year.", "the G7 includes France, Germany, Japan and Italy, which holds the presidency this year.");
        assert_eq!(a.stance, Stance::Refutes);
        let a = assess("Japan pledged 5 billion dollars to the G7 this year.", "Italy pledged to the G7 this year.");
        assert_ne!(a.stance, Stance::Refutes, "not about the sum the claim states");
        let a = assess("Death Note is a Japanese drama series that first aired in 2015.", "Lost is an American drama series that first aired in 2004.");
        assert_ne!(a.stance, Stance::Refutes, "about another subject");
    }

    #[test]
    fn visiting_another_place_is_neither_support_nor_contradiction() {
        let a = assess("Blinken visited Moscow.", "Blinken is due to visit China soon.");
        assert_eq!(a.stance, Stance::Neutral);
        let a = assess("Xi will visit Washington next month.", "US officials said Blinken will visit China next month, Xi said.");
        assert_eq!(a.stance, Stance::Neutral);

    }

    #[test]
    fn refutes_another_weekday() {
        let a = assess("The US blocked imports of Russian nickel on Monday.", "Also on Friday, the US blocked imports of Russian nickel.");
        assert_eq!(a.stance, Stance::Refutes);
        assert_eq!(a.reason.as_deref(), Some("the evidence says Friday, not Monday"));
    }

    #[test]
    fn open_ended_predicates_leave_room_for_other_names() {
        let a = assess("North Korea sent artillery shells to Russia.", "China also delivers nitrocellulose to Russia, used to make artillery shells.");
        assert_eq!(a.stance, Stance::Neutral);
        let a = assess("The G7 ministers will meet again in Tokyo next year.", "G7 ministers meet next week in Italy.");
        assert_eq!(a.stance, Stance::Neutral);
    }

    #[test]
    fn counts_match_on_value() {
        let a = assess("Russian strikes killed 18 people in Ukraine.", "Ukraine was the target of deadly Russian strikes (18 dead).");
        assert_eq!(a.stance, Stance::Supports);
    }

    #[test]
    fn names_without_the_predicate_are_not_support() {
        let a = assess("North Korea supplied tanks to Iran.", "Russia turned to North Korea and Iran to replenish its arms supplies.");
        assert_eq!(a.stance, Stance::Neutral);
    }

    #[test]
    fn missing_name_is_not_support() {
        let a = assess("Zelensky met Olaf Scholz in Berlin.", "German Chancellor Olaf Scholz met officials in Berlin.");
        assert_eq!(a.stance, Stance::Neutral);
    }
}
