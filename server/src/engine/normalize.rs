//! Turns a sentence into the features the lexical engine compares: content
//! terms (stemmed, synonyms and place aliases folded), each with its negation
//! polarity and position, plus quantities (numbers with units and comparators)
//! and dates.

use std::cell::RefCell;
use std::sync::LazyLock;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use super::lexicon;

/// How a quantity's number is qualified: "more than 70%" is `Gt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Gt,
    Lt,
    Approx,
}

/// What a number counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Percent,
    /// ISO-like currency code, lowercase.
    Currency(&'static str),
    /// A count of the (stemmed) noun that follows the number, "" if none.
    Count(String),
    /// A rank of the noun that follows ("20th century", "second visit"): it
    /// compares only with the same noun's rank.
    Rank(String),
}

/// A number as the text states it, scaled ("$900m" is 9e8 usd).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub unit: Unit,
    pub cmp: Cmp,
    /// The words that stated it, for reasons shown to people.
    pub surface: String,
}

impl Quantity {
    /// The interval of values the statement allows.
    fn range(&self) -> (f64, f64) {
        let v = self.value;
        match self.cmp {
            Cmp::Eq => (v * 0.99 - 1e-9, v * 1.01 + 1e-9),
            Cmp::Approx => (v * 0.9, v * 1.1),
            Cmp::Gt => (v, f64::INFINITY),
            Cmp::Lt => (f64::NEG_INFINITY, v),
        }
    }

    /// Whether both statements can be true at once (same unit assumed).
    pub fn compatible(&self, other: &Quantity) -> bool {
        let (a0, a1) = self.range();
        let (b0, b1) = other.range();
        a0 <= b1 && b0 <= a1
    }
}

/// A calendar reference: a year, optionally with its month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRef {
    pub year: i32,
    pub month: Option<u8>,
}

/// What a term names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    /// A country, nation or capital (canonical id in `term`).
    Geo,
    /// Another capitalised name.
    Proper,
    /// A weekday or month name.
    Calendar,
}

/// One content term of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Canonical term: stem with synonyms folded, or a place id.
    pub term: String,
    pub kind: Kind,
    /// Inside a negation's scope ("not directly supplying").
    pub negated: bool,
    /// Word position in the text, for proximity.
    pub pos: usize,
    /// A name the evidence must mention for the claim to be supported
    /// (first names and titles before a surname are not).
    pub required: bool,
    /// The term this word negates, if any: "unlimited" negates "limit",
    /// "decrease" negates "increase".
    pub opposite: Option<String>,
    /// A reporting verb ("said", "noted"): weak evidence of content.
    pub speech: bool,
    /// For a place named by its capital, the capital ("moscow").
    pub city: Option<&'static str>,
    /// The words as written, for reasons shown to people.
    pub text: String,
}

/// Everything the engine compares about one text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub tokens: Vec<Token>,
    pub quantities: Vec<Quantity>,
    pub dates: Vec<DateRef>,
    /// Where the text's first third-person pronoun that opens a clause stands
    /// ("She was…", "…, it signifies", "…,” he said"): the clause's subject
    /// may be named in an earlier sentence. One further on ("…allowed
    /// Russians to increase their production") refers within the sentence.
    pub anaphor: Option<usize>,
    /// The text refers to a place or party named before ("the country's",
    /// "these supplies").
    pub place_anaphoric: bool,
    /// People and the offices the text gives them.
    pub roles: Vec<Role>,
    /// The text reports what someone named before said: "…,” he said", "the
    /// official said", "They also said that…".
    pub reported: bool,
    /// The text excludes alternatives ("is only known as", "solely"): a
    /// sentence supports it only if it excludes them too.
    pub restrictive: bool,
}

/// "Foreign Minister Annalena Baerbock", "Blinken is the Treasury Secretary".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The person's surname, as a term.
    pub name: String,
    /// The office, as `lexicon::OFFICES` names it.
    pub office: &'static str,
    /// The surname as written.
    pub text: String,
}

/// How many content words a negation cue reaches at most: "without any
/// notion of Russia withdrawing its troops from occupied Ukrainian territory".
const NEGATION_REACH: usize = 8;

/// The unit of a day's number in a date.
const DAY_OF_MONTH: &str = "#day";

/// What follows a number written as an ordinal ("20th", "1st").
const ORDINAL_SUFFIXES: [&str; 4] = ["st", "nd", "rd", "th"];

/// Nouns that, after "the", refer to a place named before.
const PLACE_ANAPHORS: [&str; 2] = ["country", "nation"];

/// Determiners that refer back to things named before ("these supplies").
const DEMONSTRATIVES: [&str; 2] = ["these", "those"];

/// Words that exclude alternatives, unless after "not" ("not only").
const RESTRICTIVES: [&str; 4] = ["only", "solely", "exclusively", "sole"];

/// How many words open a clause: "In 2013 she was ranked…".
const CLAUSE_OPENING: usize = 3;

/// Pronouns that stand for a subject named before.
const ANAPHORS: [&str; 8] = ["he", "she", "it", "they", "his", "her", "its", "their"];

/// Those of them that can open a clause further into a sentence ("…, she
/// made her debut"); a possessive there ("“its largest expansion”") refers
/// within the sentence.
const SUBJECT_PRONOUNS: [&str; 4] = ["he", "she", "it", "they"];

impl Features {
    /// Whether one of the text's terms is `term`.
    pub fn mentions(&self, term: &str) -> bool {
        self.tokens.iter().any(|t| t.term == term)
    }

    /// The terms to index or query, including negated roots so that
    /// "limits" finds "unlimited".
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.tokens
            .iter()
            .flat_map(|t| std::iter::once(t.term.as_str()).chain(t.opposite.as_deref()))
    }
}

/// Canonical term for one word, as the index and the matcher see it.
pub fn canonical_word(word: &str) -> String {
    LEX.word_term(&word.to_lowercase())
}

struct Lexicon {
    stemmer: Stemmer,
    stopwords: HashSet<&'static str>,
    cues: HashSet<&'static str>,
    breakers: HashSet<&'static str>,
    /// Alias phrase (lowercase words) to canonical place id and, for a
    /// capital, the capital.
    geo: HashMap<Vec<&'static str>, (&'static str, Option<&'static str>)>,
    geo_max_words: usize,
    /// First words of place aliases: most words start none, and skip the lookups.
    geo_starts: HashSet<&'static str>,
    /// Stem to canonical stem.
    synonyms: HashMap<String, String>,
    antonyms: HashMap<String, String>,
    irregular: HashMap<&'static str, &'static str>,
}

static LEX: LazyLock<Lexicon> = LazyLock::new(Lexicon::new);

impl Lexicon {
    fn new() -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let irregular: HashMap<_, _> = lexicon::IRREGULAR.iter().copied().collect();
        let stem = |w: &str| {
            let w = irregular.get(w).copied().unwrap_or(w);
            stemmer.stem(w).into_owned()
        };
        let mut synonyms = HashMap::default();
        for group in lexicon::SYNONYMS {
            let canon = stem(group[0]);
            for w in *group {
                synonyms.entry(stem(w)).or_insert_with(|| canon.clone());
            }
        }
        let canon = |w: &str| {
            let s = stem(w);
            synonyms.get(&s).cloned().unwrap_or(s)
        };
        let mut antonyms = HashMap::default();
        for (a, b) in lexicon::ANTONYMS {
            antonyms.insert(canon(a), canon(b));
            antonyms.insert(canon(b), canon(a));
        }
        let mut geo = HashMap::default();
        for group in lexicon::GEO_ALIASES {
            for alias in *group {
                let city = lexicon::CAPITALS.contains(alias).then_some(*alias);
                geo.insert(alias.split(' ').collect::<Vec<_>>(), (group[0], city));
            }
        }
        let geo_max_words = geo.keys().map(Vec::len).max().unwrap_or(1);
        let geo_starts = geo.keys().map(|k| k[0]).collect();
        Lexicon {
            stemmer,
            stopwords: lexicon::STOPWORDS.iter().copied().collect(),
            cues: lexicon::NEGATION_CUES.iter().copied().collect(),
            breakers: lexicon::SCOPE_BREAKERS.iter().copied().collect(),
            geo,
            geo_max_words,
            geo_starts,
            synonyms,
            antonyms,
            irregular,
        }
    }

    fn stem(&self, lower: &str) -> String {
        let w = self.irregular.get(lower).copied().unwrap_or(lower);
        self.stemmer.stem(w).into_owned()
    }

    fn word_term(&self, lower: &str) -> String {
        // Stemming dominates analysis and words repeat endlessly: memoise per
        // thread, bounded by clearing when full.
        thread_local!(static TERMS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::default()));
        const MAX_MEMO: usize = 50_000;
        if let Some(t) = TERMS.with_borrow(|m| m.get(lower).cloned()) {
            return t;
        }
        let s = self.stem(lower);
        let term = self.synonyms.get(&s).cloned().unwrap_or(s);
        TERMS.with_borrow_mut(|m| {
            if m.len() >= MAX_MEMO {
                m.clear();
            }
            m.insert(lower.to_string(), term.clone());
        });
        term
    }

    /// The term a word negates: an antonym, or the root of a negative prefix
    /// ("unlimited" → "limit"). Roots are only kept when long enough to be words.
    fn opposite(&self, lower: &str, term: &str) -> Option<String> {
        if let Some(a) = self.antonyms.get(term) {
            return Some(a.clone());
        }
        ["non", "un", "dis", "in", "im", "il", "ir"].iter().find_map(|p| {
            let root = lower.strip_prefix(p)?;
            (root.len() >= 4).then(|| self.word_term(root))
        })
    }
}

/// One word of the raw text.
#[derive(Debug)]
struct Raw {
    text: String,
    lower: String,
    /// A clause boundary (comma, dash, bracket, quote…) precedes it.
    boundary: bool,
}

const TITLES: &[&str] = &["mr", "mrs", "ms", "dr", "st", "gen", "prof", "sen", "rep", "gov", "lt", "col", "sgt", "capt", "rev"];

fn is_upper_word(s: &str) -> bool {
    s.chars().any(|c| c.is_alphabetic()) && s.chars().all(|c| !c.is_lowercase())
}

fn capitalised(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_uppercase())
}

/// Splits text into words, marking clause boundaries. Keeps "U.S", "1,000",
/// "3.5" whole; splits "$900m" into "$", "900", "m" and "70%" into "70", "%";
/// turns "can't" into "can not" and drops possessive "'s".
fn raw_words(text: &str) -> Vec<Raw> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Raw> = Vec::new();
    let mut boundary = true;
    let mut i = 0;
    let push = |out: &mut Vec<Raw>, w: &str, boundary: &mut bool| {
        if w.is_empty() {
            return;
        }
        out.push(Raw { text: w.to_string(), lower: fold(w), boundary: *boundary });
        *boundary = false;
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let mut word = String::new();
            while i < chars.len() {
                let c = chars[i];
                let next = chars.get(i + 1).copied();
                if c.is_alphanumeric() {
                    word.push(c);
                } else if (c == '.' || c == ',')
                    && word.chars().last().is_some_and(|p| p.is_ascii_digit())
                    && next.is_some_and(|n| n.is_ascii_digit())
                {
                    word.push(c); // 1,000 and 3.5
                } else if c == '.'
                    && next.is_some_and(|n| n.is_alphabetic())
                    && word.rsplit('.').next().is_some_and(|seg| seg.chars().count() == 1)
                    && chars.get(i + 2).is_none_or(|n| !n.is_alphanumeric())
                {
                    word.push(c); // U.S, U.K, e.g
                } else if (c == '\'' || c == '’') && next.is_some_and(|n| n.is_alphabetic()) {
                    word.push('\'');
                } else {
                    break;
                }
                i += 1;
            }
            // "U.S." ends with an abbreviation dot, which is not a sentence end.
            if word.contains('.') && chars.get(i) == Some(&'.') {
                i += 1;
            }
            split_word(&word, &mut out, &mut boundary, push);
            continue;
        }
        match c {
            '$' | '£' | '€' | '¥' | '%' => {
                let mut buf = [0u8; 4];
                push(&mut out, c.encode_utf8(&mut buf), &mut boundary);
            }
            // "Mr. Blinken": a title's dot ends no sentence.
            '.' if out.last().is_some_and(|w| TITLES.contains(&w.lower.as_str())) => {}
            '.' | '!' | '?' | '…' => boundary = true,
            '-' => {}
            c if c.is_whitespace() => {}
            _ => boundary = true,
        }
        i += 1;
    }
    out
}

fn split_word(
    word: &str,
    out: &mut Vec<Raw>,
    boundary: &mut bool,
    push: impl Fn(&mut Vec<Raw>, &str, &mut bool),
) {
    let lower = word.to_lowercase();
    // Contractions and possessives.
    if let Some(base) = lower.strip_suffix("n't") {
        let base = match base {
            "ca" => "can",
            "wo" => "will",
            "sha" => "shall",
            b => b,
        };
        push(out, base, boundary);
        push(out, "not", boundary);
        return;
    }
    let word = match word.find('\'') {
        Some(at) => &word[..at],
        None => word,
    };
    // "900m", "1990s", "12ft": digits then letters.
    let digits_end = word.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).unwrap_or(word.len());
    if digits_end > 0 && digits_end < word.len() && word.as_bytes()[0].is_ascii_digit() {
        push(out, &word[..digits_end], boundary);
        push(out, &word[digits_end..], boundary);
    } else {
        push(out, word, boundary);
    }
}

/// Lowercase without accents: "communiqué" and "communique" are one word.
fn fold(word: &str) -> String {
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    word.nfd().filter(|c| !is_combining_mark(*c)).collect::<String>().to_lowercase()
}

fn parse_number(lower: &str) -> Option<f64> {
    if lower.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return lower.replace(',', "").parse().ok();
    }
    lexicon::NUMBER_WORDS.iter().find(|(w, _)| *w == lower).map(|(_, v)| *v)
}

fn lookup<T: Copy>(table: &[(&str, T)], lower: &str) -> Option<T> {
    table.iter().find(|(w, _)| *w == lower).map(|(_, v)| *v)
}

/// Whether `words` (lowercase) stand in `raw` from position `i`.
fn phrase_at(raw: &[Raw], i: usize, words: &[&str]) -> bool {
    words.iter().enumerate().all(|(k, w)| raw.get(i + k).is_some_and(|r| r.lower == *w))
}

/// A comparator ending just before position `at` ("more than" 70%): where it
/// starts, and what it means.
fn comparator_before(raw: &[Raw], at: usize) -> Option<(usize, Cmp)> {
    lexicon::COMPARATORS.iter().find_map(|(words, c)| {
        let start = at.checked_sub(words.len())?;
        phrase_at(raw, start, words).then_some((start, *c))
    })
}

/// A share stated in words from position `i` ("most of", "half of", "nine
/// out of ten"): its length in words, and its value as a percentage.
fn proportion_at(raw: &[Raw], i: usize) -> Option<(usize, f64, Cmp)> {
    if phrase_at(raw, i + 1, &["out", "of"]) {
        let part = if raw[i].lower == "one" { Some(1.0) } else { parse_number(&raw[i].lower) }?;
        let whole = raw.get(i + 3).and_then(|r| parse_number(&r.lower)).filter(|w| *w > 0.0 && *w >= part)?;
        return Some((4, 100.0 * part / whole, Cmp::Eq));
    }
    let (words, value, cmp) = lexicon::PROPORTIONS.iter().find(|(words, ..)| phrase_at(raw, i, words))?;
    let period = words[0] == "half" && i.checked_sub(1).is_some_and(|p| lexicon::NOT_A_SHARE.contains(&raw[p].lower.as_str()));
    (!period).then_some((words.len(), *value, *cmp))
}

/// The noun a number or rank applies to: the word after it, if a content word.
fn noun_after(raw: &[Raw], at: usize) -> Option<String> {
    let lex = &*LEX;
    raw.get(at + 1).filter(|r| !r.boundary && !lex.stopwords.contains(r.lower.as_str()) && r.lower.chars().all(char::is_alphabetic)).map(|r| lex.word_term(&r.lower))
}

/// Whether the word at `i` reports speech.
fn speech_at(raw: &[Raw], i: usize) -> bool {
    raw.get(i).is_some_and(|r| lexicon::SPEECH_VERBS.contains(&r.lower.as_str()))
}

/// A pronoun that names a speaker: "they (also) said", "said he".
fn speaker_pronoun(raw: &[Raw], i: usize) -> bool {
    SUBJECT_PRONOUNS.contains(&raw[i].lower.as_str()) && (speech_at(raw, i + 1) || speech_at(raw, i + 2) || i > 0 && speech_at(raw, i - 1))
}

/// Whether the text reports someone named before: a speaker pronoun, or "the
/// official said" / "said the official".
fn reported_by_someone_named_before(raw: &[Raw]) -> bool {
    let the_noun = |i: usize| raw.get(i).is_some_and(|r| !capitalised(&r.text)) && i > 0 && raw[i - 1].lower == "the";
    (0..raw.len()).any(|i| speaker_pronoun(raw, i) || speech_at(raw, i) && (i > 0 && the_noun(i - 1) || the_noun(i + 2)))
}

/// The offices the text gives people: "Foreign Minister Annalena Baerbock"
/// (the name follows) or "Baerbock is the German Foreign Minister" (it precedes).
fn roles(raw: &[Raw]) -> Vec<Role> {
    let lex = &*LEX;
    let mut roles = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let office = lexicon::OFFICES.iter().find(|(words, _)| phrase_at(raw, i, words));
        let Some((words, office)) = office else {
            i += 1;
            continue;
        };
        let end = i + words.len();
        let run = raw[end..].iter().take_while(|r| capitalised(&r.text) && !r.boundary && !lex.stopwords.contains(r.lower.as_str())).count();
        let name = if run > 0 {
            Some(&raw[end + run - 1])
        } else {
            // Back over "the", a few qualifiers ("US", "German") and "is"/"was".
            let before = raw[..i].iter().rev().take(4).position(|r| matches!(r.lower.as_str(), "is" | "was" | "as"));
            before.and_then(|b| i.checked_sub(b + 2)).map(|k| &raw[k]).filter(|r| capitalised(&r.text))
        };
        if let Some(name) = name {
            roles.push(Role { name: lex.word_term(&name.lower), office, text: name.text.clone() });
        }
        i = end;
    }
    roles
}

/// Analyses a text into comparable features. Never panics, on any input.
pub fn analyze(text: &str) -> Features {
    let lex = &*LEX;
    let raw = raw_words(text);
    let mut f = Features {
        // A speaker ("They also said that…") is not what the text is about.
        anaphor: raw.iter().enumerate().position(|(i, r)| {
            let w = r.lower.as_str();
            (ANAPHORS.contains(&w) && i < CLAUSE_OPENING || SUBJECT_PRONOUNS.contains(&w) && r.boundary) && !speaker_pronoun(&raw, i)
        }),
        reported: reported_by_someone_named_before(&raw),
        place_anaphoric: raw.windows(2).any(|w| {
            w[0].lower == "the" && PLACE_ANAPHORS.contains(&w[1].lower.as_str()) || DEMONSTRATIVES.contains(&w[0].lower.as_str())
        }),
        roles: roles(&raw),
        restrictive: raw.iter().enumerate().any(|(i, r)| RESTRICTIVES.contains(&r.lower.as_str()) && (i == 0 || raw[i - 1].lower != "not")),
        ..Features::default()
    };
    let mut consumed = vec![false; raw.len()];
    let mut negated = vec![false; raw.len()];

    // Negation scopes: from a cue to the end of its clause, at most
    // NEGATION_REACH content words.
    let mut i = 0;
    while i < raw.len() {
        let phrase = lexicon::NEGATION_PHRASES.iter().find(|p| phrase_at(&raw, i, p));
        let cue_len = match phrase {
            Some(p) => p.len(),
            None if lex.cues.contains(raw[i].lower.as_str()) => 1,
            None => 0,
        };
        if cue_len == 0 {
            i += 1;
            continue;
        }
        for k in i..i + cue_len {
            consumed[k] = true;
        }
        let (mut j, mut reach) = (i + cue_len, 0);
        while j < raw.len() && reach < NEGATION_REACH {
            if (j > i + cue_len && raw[j].boundary) || lex.breakers.contains(raw[j].lower.as_str()) {
                break;
            }
            negated[j] = !negated[j];
            reach += usize::from(!lex.stopwords.contains(raw[j].lower.as_str()));
            j += 1;
        }
        i += cue_len;
    }

    // Quantities and dates.
    for i in 0..raw.len() {
        if consumed[i] {
            continue;
        }
        if let Some((len, value, own)) = proportion_at(&raw, i) {
            let (first, cmp) = comparator_before(&raw, i).unwrap_or((i, own));
            // "most of" reads "most".
            let end = if matches!(raw[i + len - 1].lower.as_str(), "of" | "the") { i + len - 1 } else { i + len };
            let surface = raw[first..end].iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" ");
            f.quantities.push(Quantity { value, unit: Unit::Percent, cmp, surface });
            consumed[first..i + len].fill(true);
            continue;
        }
        if let Some((_, rank, cmp)) = lexicon::ORDINAL_WORDS.iter().find(|(w, ..)| *w == raw[i].lower) {
            // "the last quarter" ranks; "last year" is a date relative to now.
            let relative = raw[i].lower == "last" && i.checked_sub(1).is_none_or(|p| raw[p].lower != "the");
            if let Some(noun) = noun_after(&raw, i).filter(|_| !relative) {
                f.quantities.push(Quantity { value: *rank, unit: Unit::Rank(noun), cmp: *cmp, surface: raw[i].text.clone() });
                consumed[i] = true;
            }
            continue;
        }
        // "less than a year": an article after a comparator is one.
        let article = matches!(raw[i].lower.as_str(), "a" | "an" | "one") && comparator_before(&raw, i).is_some_and(|(start, _)| i - start == 2);
        let Some(mut value) = parse_number(&raw[i].lower).or(article.then_some(1.0)) else { continue };
        let mut first = i;
        let mut last = i;
        let mut currency = None;
        if i > 0 && !consumed[i - 1] {
            if let Some(cur) = lookup(lexicon::CURRENCIES, &raw[i - 1].lower) {
                currency = Some(cur);
                first = i - 1;
            }
        }
        let mut cmp = Cmp::Eq;
        if let Some((start, c)) = comparator_before(&raw, first) {
            (first, cmp) = (start, c);
        }
        // "m" after a number is a million only for money ("$900m", not "700 m").
        let scale = raw.get(last + 1).filter(|r| currency.is_some() || r.lower.len() > 1).and_then(|r| lookup(lexicon::SCALES, &r.lower));
        if let Some(scale) = scale {
            value *= scale;
            last += 1;
        }
        // An ordinal ("20th century") ranks, it does not count: it compares
        // only with the same ordinal noun.
        let ordinal = raw.get(last + 1).is_some_and(|r| ORDINAL_SUFFIXES.contains(&r.lower.as_str()));
        if ordinal {
            last += 1;
        }
        // "15 December" and "December 15th" name the same day.
        let is_month = |r: Option<&Raw>| r.is_some_and(|r| lexicon::MONTHS.contains(&r.lower.as_str()));
        let day_of_month = cmp == Cmp::Eq
            && currency.is_none()
            && value.fract() == 0.0
            && (1.0..=31.0).contains(&value)
            && (is_month(i.checked_sub(1).map(|p| &raw[p])) || is_month(raw.get(last + 1)));
        let next = raw.get(last + 1).map(|r| r.lower.as_str());
        let unit = match next {
            Some("%" | "percent") => Some(Unit::Percent),
            Some("per") if raw.get(last + 2).is_some_and(|r| r.lower == "cent") => {
                last += 1;
                Some(Unit::Percent)
            }
            // Only words follow a number as its currency ("61 billion dollars").
            Some(w) if w.chars().all(char::is_alphabetic) => lookup(lexicon::CURRENCIES, w).map(|c| {
                currency = currency.or(Some(c));
                Unit::Currency(c)
            }),
            _ => None,
        };
        if unit.is_some() {
            last += 1;
        }
        let year = raw[i].lower.len() == 4 && (1800.0..=2100.0).contains(&value);
        if year && currency.is_none() && unit.is_none() && last == i && cmp == Cmp::Eq && !ordinal {
            let month = (i > 0)
                .then(|| lexicon::MONTHS.iter().position(|m| *m == raw[i - 1].lower))
                .flatten()
                .map(|m| m as u8 + 1);
            f.dates.push(DateRef { year: value as i32, month });
            consumed[i] = true;
            continue;
        }
        let unit = match (unit, currency) {
            (Some(u), _) => u,
            (None, Some(c)) => Unit::Currency(c),
            (None, None) if day_of_month => Unit::Count(DAY_OF_MONTH.into()),
            (None, None) => {
                let noun = noun_after(&raw, last).unwrap_or_default();
                if ordinal { Unit::Rank(noun) } else { Unit::Count(noun) }
            }
        };
        let mut surface = raw[first..=last].iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" ");
        if ordinal && last == i + 1 {
            surface.retain(|c| c != ' '); // "20th", as written
        }
        f.quantities.push(Quantity { value, unit, cmp, surface });
        for c in &mut consumed[first..=last] {
            *c = true;
        }
    }

    // Content terms.
    let mut i = 0;
    while i < raw.len() {
        if consumed[i] {
            i += 1;
            continue;
        }
        let r = &raw[i];
        // Longest place alias starting here; short all-caps aliases (US, UK, EU)
        // must be written in capitals so the pronoun "us" is not a country.
        let may_be_place = lex.geo_starts.contains(r.lower.trim_end_matches('.'));
        let geo = (1..=lex.geo_max_words.min(raw.len() - i)).rev().filter(|_| may_be_place).find_map(|n| {
            let key: Vec<&str> = raw[i..i + n].iter().map(|r| r.lower.trim_end_matches('.')).collect();
            let id = lex.geo.get(&key)?;
            let short = n == 1 && key[0].replace('.', "").len() <= 4 && !key[0].contains(' ');
            let ok = !short || is_upper_word(&r.text) || key[0].len() > 3 && capitalised(&r.text);
            (ok && !(n == 1 && lex.stopwords.contains(key[0]) && !is_upper_word(&r.text))).then_some((n, id.0, id.1))
        });
        let next_capitalised = |after: usize| {
            raw.get(after).is_some_and(|n| capitalised(&n.text) && !n.boundary && !lex.stopwords.contains(n.lower.as_str()))
        };
        if let Some((n, id, city)) = geo {
            // A capital is the city only where something happens in or goes to
            // it; elsewhere it stands for its government.
            let from = i.saturating_sub(3);
            let clause = raw[from..=i].iter().rposition(|r| r.boundary).map_or(from, |p| from + p);
            let located = raw[clause..i].iter().any(|r| lexicon::LOCATIVES.contains(&r.lower.as_str()));
            f.tokens.push(Token {
                city: city.filter(|_| located),
                text: raw[i..i + n].iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" "),
                term: id.to_string(),
                kind: Kind::Geo,
                negated: negated[i],
                pos: i,
                required: !next_capitalised(i + n),
                opposite: None,
                speech: false,
            });
            i += n;
            continue;
        }
        let lower = r.lower.as_str();
        // "May" is the month where capitalised and not part of a name ("Theresa May").
        let may = lower == "may" && capitalised(&r.text) && !i.checked_sub(1).is_some_and(|p| capitalised(&raw[p].text) && !raw[i].boundary);
        let calendar = lexicon::WEEKDAYS.contains(&lower) || (lexicon::MONTHS.contains(&lower) && (lower != "may" || may));
        if !calendar && (lower.chars().all(|c| !c.is_alphanumeric()) || lex.stopwords.contains(lower)) {
            i += 1;
            continue;
        }
        let (term, kind) = if calendar {
            (lower.to_string(), Kind::Calendar)
        } else {
            let kind = if capitalised(&r.text) && lower != "i" { Kind::Proper } else { Kind::Word };
            (lex.word_term(lower), kind)
        };
        let opposite = (kind == Kind::Word).then(|| lex.opposite(lower, &term)).flatten();
        f.tokens.push(Token {
            city: None,
            text: r.text.clone(),
            speech: term == "say",
            required: kind == Kind::Proper && !next_capitalised(i + 1) || kind == Kind::Calendar,
            term,
            kind,
            negated: negated[i],
            pos: i,
            opposite,
        });
        i += 1;
    }
    f
}

/// One fuzzing input (`fuzz/`, and the corpus replay in CI): analysis must
/// not panic, and what it yields must be usable.
pub fn fuzz_one(data: &[u8]) {
    let f = analyze(&String::from_utf8_lossy(data));
    assert!(f.tokens.iter().all(|t| !t.term.is_empty()), "empty term");
    assert!(f.quantities.iter().all(|q| !q.value.is_nan()), "NaN quantity");
    for a in &f.quantities {
        for b in &f.quantities {
            let _ = a.compatible(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        analyze(text).tokens.into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn folds_place_aliases() {
        for t in ["the US said", "the U.S. said", "the United States said", "Washington said", "American officials"] {
            assert!(terms(t).contains(&"us".to_string()), "{t}: {:?}", terms(t));
        }
        assert!(!terms("let us go").contains(&"us".to_string()));
        assert_eq!(terms("Beijing")[0], "china");
        assert_eq!(terms("the People's Republic of China")[0], "china");
        assert_eq!(terms("North Korea and Iran")[..2], ["north korea".to_string(), "iran".to_string()]);
    }

    #[test]
    fn folds_synonyms_and_irregular_verbs() {
        assert_eq!(terms("supplier"), terms("provides"));
        assert_eq!(terms("met"), terms("meeting"));
        assert_eq!(terms("primary"), terms("main"));
    }

    #[test]
    fn marks_negation_scope_to_clause_end() {
        let f = analyze("Beijing has stopped short of directly providing weapons to Russia, which has turned to Iran.");
        let neg: Vec<_> = f.tokens.iter().filter(|t| t.negated).map(|t| t.term.as_str()).collect();
        assert_eq!(neg, ["direct", &canonical_word("supply"), "weapon", "russia"]);
        assert!(f.tokens.iter().any(|t| t.term == "iran" && !t.negated));
        let f = analyze("China can't have it both ways.");
        assert!(f.tokens.iter().any(|t| t.term == "way" && t.negated));
        // The reach counts content words: "any", "of", "its", "from" do not use it up.
        let f = analyze("without any notion of Russia withdrawing its troops from occupied Ukrainian territory");
        assert!(f.tokens.iter().all(|t| t.negated), "{:?}", f.tokens);
        let f = analyze("He has yet to write a book.");
        assert!(f.tokens.iter().any(|t| t.term == canonical_word("write") && t.negated));
    }

    #[test]
    fn a_shortage_negates() {
        let negated = |t: &str, w: &str| analyze(t).tokens.iter().any(|t| t.term == canonical_word(w) && t.negated);
        assert!(negated("Facing a shortage of ammunition, Ukraine held.", "ammunition"));
    }

    #[test]
    fn negative_prefix_gives_opposite() {
        let f = analyze("an unlimited partnership");
        assert_eq!(f.tokens[0].opposite.as_deref(), Some(canonical_word("limits").as_str()));
    }

    #[test]
    fn parses_quantities_with_units_and_comparators() {
        let q = analyze("more than 70% of the $900m (£723m) worth").quantities;
        assert_eq!(q.len(), 3);
        assert_eq!((q[0].value, &q[0].unit, q[0].cmp), (70.0, &Unit::Percent, Cmp::Gt));
        assert_eq!((q[1].value, &q[1].unit), (9e8, &Unit::Currency("usd")));
        assert_eq!((q[2].value, &q[2].unit), (7.23e8, &Unit::Currency("gbp")));
        let q = analyze("more than 70 percent of the USD 900 million").quantities;
        assert_eq!((q[0].value, &q[0].unit), (70.0, &Unit::Percent));
        assert_eq!((q[1].value, &q[1].unit), (9e8, &Unit::Currency("usd")));
        let q = analyze("an envelope of 61 billion dollars").quantities;
        assert_eq!((q[0].value, &q[0].unit), (61e9, &Unit::Currency("usd")));
        let q = analyze("Less than 20 per cent").quantities;
        assert_eq!((q[0].value, &q[0].unit, q[0].cmp), (20.0, &Unit::Percent, Cmp::Lt));
        // "m" is a million only for money; an ordinal counts its noun apart.
        let q = analyze("a depth of 700 m in the 20th century").quantities;
        assert_eq!((q[0].value, &q[0].unit), (700.0, &Unit::Count("m".into())));
        assert_eq!((q[1].value, &q[1].unit, q[1].surface.as_str()), (20.0, &Unit::Rank(canonical_word("century")), "20th"));
        let day = |t: &str| analyze(t).quantities.into_iter().map(|q| (q.value, q.unit)).collect::<Vec<_>>();
        assert_eq!(day("It first flew on 15 December 2006."), day("It first flew on December 15th, 2006."));
        assert_eq!(day("on December 15th"), [(15.0, Unit::Count(DAY_OF_MONTH.into()))]);
    }

    #[test]
    fn shares_in_words_are_percentages() {
        let q = |t: &str| analyze(t).quantities.into_iter().map(|q| (q.value, q.unit, q.cmp, q.surface)).collect::<Vec<_>>();
        assert_eq!(q("Most of the machine tools were Chinese"), [(50.0, Unit::Percent, Cmp::Gt, "Most".into())]);
        assert_eq!(q("less than half of the imports"), [(50.0, Unit::Percent, Cmp::Lt, "less than half".into())]);
        assert_eq!(q("nine out of ten chips"), [(90.0, Unit::Percent, Cmp::Eq, "nine out of ten".into())]);
        assert!(q("in the second half of 2023").iter().all(|q| q.1 != Unit::Percent), "a part of a period, not a share");
        let most = analyze("Most of the tools").quantities.remove(0);
        assert!(most.compatible(&analyze("more than 70 percent").quantities[0]));
        assert!(!analyze("less than half of").quantities[0].compatible(&analyze("more than 70%").quantities[0]));
    }

    #[test]
    fn ordinal_words_rank_their_noun() {
        let q = |t: &str| analyze(t).quantities.remove(0);
        assert_eq!(q("his second visit").unit, Unit::Rank(canonical_word("visit")));
        assert!(!q("his second visit").compatible(&q("his third visit")));
        assert!(!q("the first quarter").compatible(&q("the last quarter")));
        assert!(q("the fourth quarter").compatible(&q("the last quarter")), "the last may be the fourth");
        assert!(analyze("she was the first to arrive").quantities.is_empty(), "no noun to rank");
    }

    #[test]
    fn folds_accents() {
        assert_eq!(terms("the final communiqué"), terms("the final communique"));
    }

    #[test]
    fn capital_is_the_city_only_where_something_happens_there() {
        let city = |t: &str| analyze(t).tokens.into_iter().find(|t| t.kind == Kind::Geo).and_then(|t| t.city);
        assert_eq!(city("Blinken visited Moscow."), Some("moscow"));
        assert_eq!(city("talks in Beijing on Friday"), Some("beijing"));
        assert_eq!(city("sending arms directly to Moscow"), None);
        assert_eq!(city("Russian troops advance in Ukraine, Washington admits."), None, "another clause");
    }

    #[test]
    fn may_is_a_month_unless_part_of_a_name() {
        let calendar = |t: &str| analyze(t).tokens.iter().any(|t| t.kind == Kind::Calendar);
        assert!(calendar("She was born in May."));
        assert!(!calendar("Theresa May spoke."));
        assert!(!calendar("China may help."));
    }

    #[test]
    fn pronouns_that_open_a_clause_refer_back_and_speakers_report() {
        assert_eq!(analyze("She was an executive producer of the sitcom.").anaphor, Some(0));
        assert_eq!(analyze("After a Telugu film, she made her debut.").anaphor, Some(4));
        assert_eq!(analyze("It allowed Russians to increase their production.").anaphor, Some(0));
        assert_eq!(analyze("Officials say this allowed Russians to increase their production.").anaphor, None);
        let quote = analyze("“Russia will struggle without China,” he said.");
        assert_eq!((quote.anaphor, quote.reported), (None, true), "the pronoun is the speaker");
        assert!(analyze("They also said that 90% came from China.").reported);
        assert!(analyze("“Russia is undertaking its biggest expansion,” the official said.").reported);
        assert!(!analyze("Blinken said China is the main supplier.").reported);
    }

    #[test]
    fn restrictive_words_are_noted() {
        assert!(analyze("He is only known as Bolivar.").restrictive);
        assert!(!analyze("He is not only an actor but a writer.").restrictive);
    }

    #[test]
    fn quantity_compatibility() {
        let q = |t: &str| analyze(t).quantities.remove(0);
        assert!(q("more than 70%").compatible(&q("more than 70 percent")));
        assert!(q("about 90%").compatible(&q("90%")));
        assert!(!q("less than 20%").compatible(&q("more than 70%")));
        assert!(!q("for less than a year").compatible(&q("for more than two years")));
        assert!(analyze("a dispute over a border").quantities.is_empty());
        assert!(!q("$9 billion").compatible(&q("$900m")));
        assert!(!q("16 billion dollars").compatible(&q("61 billion dollars")));
    }

    #[test]
    fn finds_offices_before_and_after_names() {
        let offices = |t: &str| analyze(t).roles.into_iter().map(|r| (r.text, r.office)).collect::<Vec<_>>();
        assert_eq!(offices("German Foreign Minister Annalena Baerbock echoed his concerns."), [("Baerbock".to_string(), "Foreign Minister")]);
        assert_eq!(offices("Annalena Baerbock is the German Chancellor."), [("Baerbock".to_string(), "Chancellor")]);
        assert_eq!(offices("Deputy Secretary of State Kurt Campbell said"), [("Campbell".to_string(), "Deputy Secretary of State")]);
        assert_eq!(offices("the president said"), []);
    }

    #[test]
    fn parses_years_and_months() {
        let f = analyze("In February 2023, China proposed a plan; in 2024 it did not.");
        assert_eq!(f.dates, [DateRef { year: 2023, month: Some(2) }, DateRef { year: 2024, month: None }]);
        assert!(f.quantities.is_empty());
    }

    #[test]
    fn first_names_and_titles_are_not_required() {
        let f = analyze("German Chancellor Olaf Scholz visited Beijing");
        let req: Vec<_> = f.tokens.iter().filter(|t| t.required).map(|t| t.term.as_str()).collect();
        assert_eq!(req, ["scholz", "china"]);
    }

    proptest::proptest! {
        #[test]
        fn analysis_never_panics(text in proptest::prelude::any::<String>()) {
            let f = analyze(&text);
            proptest::prop_assert!(f.tokens.iter().all(|t| !t.term.is_empty()));
        }

        #[test]
        fn numbers_with_units_never_panic(n in 0u64..u64::MAX, unit in "(%| percent| per cent|m|bn| billion| dollars| people)", cmp in "(more than |less than |about |)") {
            let _ = analyze(&format!("{cmp}${n}{unit} and {cmp}{n}{unit}"));
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in ["", " ", "\0\u{1}", "’’’", "1,", "$", "U.S.", "..", "٣٤٥ مرحبا", "🙂🙂", "a\u{301}", "can't't", "9".repeat(400).as_str()] {
            let _ = analyze(t);
        }
    }
}
