//! Signals: what the rules measure about one (claim, sentence) pair before
//! any of them decides: how much of the claim's weighted content the
//! sentence holds, what it lacks, which shared words flip polarity, how the
//! figures fare and whether another place fills the claim's slot.

use super::align::{Alignment, PARTIAL, align};
use super::numbers::{NumberCheck, check_numbers};
use super::slots::{SlotSwap, slot_swap};
use crate::engine::judge::assessment::{Gap, Pair};
use crate::engine::language::{Features, Kind, Token};

/// Reporting verbs say little about content: "X said Y" is mostly Y.
const SPEECH_WEIGHT: f32 = 0.3;
/// How far into a sentence (in words) its subject stands: a name further on
/// ("…ranked second by Alexa Internet") is an object, not what it is about.
const SUBJECT_REACH: usize = 8;
/// A stated number or date weighs this share of a never-seen term.
const NUMBER_WEIGHT: f32 = 0.5;

/// What the claim states that the sentence lacks.
#[derive(Default)]
pub(super) struct Missing {
    /// The claim's subject (its first name), not stood for by a pronoun.
    pub subject: bool,
    pub other_name: bool,
    pub date: bool,
    /// More places than "the country's" may stand for.
    pub place: bool,
    /// Weight of the heaviest missing term, and the term as written.
    pub heaviest: f32,
    pub heaviest_text: String,
}

pub(super) struct Signals<'a> {
    pub claim: &'a Features,
    pub evidence: &'a Features,
    pub swap: Option<SlotSwap<'a>>,
    pub numbers: NumberCheck,
    /// Weight of one stated figure.
    pub number_weight: f32,
    /// The claim's weighted content, and what of it the sentence holds.
    pub total: f32,
    pub matched: f32,
    /// Weight of the shared terms whose polarity differs.
    pub flipped: f32,
    /// The claim's plain words (its predicate), apart from the names.
    pub words: f32,
    pub words_matched: f32,
    pub missing: Missing,
    /// The claim place an exclusive swap replaces, counted as shared when refuting.
    pub swapped_weight: f32,
    /// The claim's negated terms found negated too, and found not negated.
    pub negations_agree: usize,
    pub negations_differ: usize,
    /// The sentence's first name, early on, is one the claim lacks.
    pub own_subject: bool,
}

impl<'a> Signals<'a> {
    pub fn measure(pair: &Pair<'a>) -> Signals<'a> {
        let (claim, evidence) = (pair.claim, pair.evidence);
        let aligned: Vec<Option<Alignment>> = claim.tokens.iter().map(|c| align(c, &evidence.tokens)).collect();
        let numbers = check_numbers(claim, evidence);
        let number_weight = NUMBER_WEIGHT * pair.max_idf;
        let mut s = Signals {
            claim,
            evidence,
            swap: slot_swap(claim, evidence, &aligned),
            total: number_weight * numbers.stated as f32,
            matched: number_weight * numbers.found as f32,
            numbers,
            number_weight,
            flipped: 0.0,
            words: 0.0,
            words_matched: 0.0,
            missing: Missing::default(),
            swapped_weight: 0.0,
            negations_agree: 0,
            negations_differ: 0,
            own_subject: false,
        };
        s.tally(pair, &aligned);
        s.missing.place = s.place_missing(&aligned);
        s.swapped_weight = s.exclusive_swap().filter(|w| !evidence.mentions(&w.claimed.term)).map_or(0.0, |w| weight(pair, w.claimed));
        for a in claim.tokens.iter().zip(&aligned).filter_map(|(c, a)| a.as_ref().filter(|_| c.negated)) {
            if a.flipped { s.negations_differ += 1 } else { s.negations_agree += 1 }
        }
        s.own_subject = evidence.tokens.iter().find(|t| t.required && t.kind == Kind::Proper).is_some_and(|t| t.pos < SUBJECT_REACH && !claim.mentions(&t.term));
        s
    }

    /// Weighs each claim term by how well the sentence holds it.
    fn tally(&mut self, pair: &Pair<'_>, aligned: &[Option<Alignment>]) {
        let claim = self.claim;
        let subject = claim.tokens.iter().position(|t| t.required && t.kind == Kind::Proper);
        // "She was…": the sentence names its subject in an earlier one, and
        // the pronoun half-matches it.
        let pronoun_subject = resolves_subject(claim, self.evidence);
        for (k, (c, a)) in claim.tokens.iter().zip(aligned).enumerate() {
            let w = weight(pair, c);
            let by_pronoun = a.is_none() && Some(k) == subject && pronoun_subject;
            let quality = a.as_ref().map_or(if by_pronoun { PARTIAL } else { 0.0 }, |a| a.quality);
            self.total += w;
            self.matched += w * quality;
            if c.kind == Kind::Word {
                self.words += w;
                self.words_matched += w * quality;
            }
            match a {
                Some(a) if a.flipped => self.flipped += w,
                Some(_) => {}
                None if self.swapped(c) || by_pronoun => {}
                None => {
                    if c.required {
                        match c.kind {
                            Kind::Calendar => self.missing.date = true,
                            Kind::Geo => {} // places: `place_missing`
                            _ if Some(k) == subject => self.missing.subject = true,
                            _ => self.missing.other_name = true,
                        }
                    }
                    if w > self.missing.heaviest {
                        (self.missing.heaviest, self.missing.heaviest_text) = (w, c.text.clone());
                    }
                }
            }
        }
    }

    /// A missing place is a gap (a model reads "imports from Turkey" into a
    /// sentence about China), but "the country's…" may stand for one, and
    /// one that qualifies a name ("the US Treasury Department") is not; nor
    /// is the claim's speaker's ("US officials said") where the sentence
    /// reports someone named before ("…,” he said").
    fn place_missing(&self, aligned: &[Option<Alignment>]) -> bool {
        let (claim, evidence) = (self.claim, self.evidence);
        let missing = claim.tokens.iter().zip(aligned).filter(|(t, a)| {
            t.kind == Kind::Geo && t.required && a.is_none() && !self.swapped(t) && !(evidence.reported && speaker_place(claim, t))
        });
        missing.count() > usize::from(evidence.place_anaphoric)
    }

    /// The swap, where the slot holds one place at a time.
    pub fn exclusive_swap(&self) -> Option<&SlotSwap<'a>> {
        self.swap.as_ref().filter(|s| s.exclusive)
    }

    /// Whether `t` is the claim place an exclusive swap replaces.
    fn swapped(&self, t: &Token) -> bool {
        self.exclusive_swap().is_some_and(|s| std::ptr::eq(s.claimed, t))
    }

    /// Weighted share of the claim the sentence holds.
    pub fn coverage(&self) -> f32 {
        self.matched / self.total
    }

    /// Share of the claim shared when a conflict is counted as shared: it is
    /// what the two sentences share a slot for.
    pub fn rest(&self) -> f32 {
        (self.matched + self.swapped_weight + self.number_weight * self.numbers.conflicting as f32) / self.total
    }

    /// What the two sentences share besides the figures: two figures about
    /// different things ("30 years" / "130,000 years ago") do not conflict.
    pub fn context(&self) -> f32 {
        let figures = self.number_weight * self.numbers.stated as f32;
        if self.total > figures {
            (self.matched + self.swapped_weight - self.number_weight * self.numbers.found as f32) / (self.total - figures)
        } else {
            1.0
        }
    }

    /// Whether the heaviest missing term carries `share` of `of`.
    pub fn key_term_missing(&self, share: f32, of: f32) -> bool {
        self.missing.heaviest >= share * of
    }

    pub fn name_missing(&self) -> bool {
        let m = &self.missing;
        m.date || m.subject || m.other_name || m.place
    }

    /// What the sentence lacks, as the model's gate reads it, and why.
    pub fn gap(&self) -> (Gap, &'static str) {
        let m = &self.missing;
        match () {
            _ if m.date => (Gap::Fact, "date"),
            _ if m.other_name => (Gap::Fact, "name"),
            _ if m.place => (Gap::Fact, "place"),
            _ if !self.numbers.complete() => (Gap::Fact, "figure"),
            _ if m.subject && self.own_subject => (Gap::Fact, "another subject"),
            _ if m.subject => (Gap::Minor, "subject"),
            _ => (Gap::None, ""),
        }
    }
}

fn weight(pair: &Pair<'_>, t: &Token) -> f32 {
    (pair.idf)(&t.term) * if t.speech { SPEECH_WEIGHT } else { 1.0 }
}

/// A place that names the claim's speaker: "US officials said", "Washington says".
fn speaker_place(claim: &Features, place: &Token) -> bool {
    claim.tokens.iter().any(|t| t.speech && t.pos > place.pos && t.pos - place.pos <= 2)
}

/// Whether the sentence's pronoun may stand for the claim's subject: it has
/// one, and no full name ("Olaf Scholz", "Chancellor Scholz") the claim lacks
/// comes before it ("…Olaf Scholz said he had asked…").
fn resolves_subject(claim: &Features, evidence: &Features) -> bool {
    // "The agency said…" stands for its subject as "It said…" does.
    let Some(pronoun) = evidence.anaphor.or(evidence.definite.then_some(0)) else { return false };
    // A surname is required; the given name or title just before it is not.
    let other_person = evidence.tokens.windows(2).any(|w| {
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
