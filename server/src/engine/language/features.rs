//! What the analysis of one sentence yields: its content terms, each with
//! its negation polarity and position, its quantities, dates and offices, and
//! a few discourse facts (a pronoun that refers back, reported speech). The
//! judge compares these; the index posts their terms.

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
pub enum Measure {
    Percent,
    /// ISO-like currency code, lowercase.
    Currency(&'static str),
    /// A count of the (stemmed) noun that follows the number, "" if none.
    Count(String),
    /// A rank of the noun that follows ("20th century", "second visit"): it
    /// compares only with the same noun's rank.
    Rank(String),
}

/// What a day of the month counts ("on December 15th").
pub const DAY_OF_MONTH: &str = "#day";

impl Measure {
    /// Whether sums and differences of such figures mean something: not of
    /// ranks, nor of days of the month.
    pub fn additive(&self) -> bool {
        !matches!(self, Measure::Rank(_)) && !matches!(self, Measure::Count(n) if n == DAY_OF_MONTH)
    }

    /// Whether two counts may count the same things: one of them names none
    /// ("nine researchers, four of them").
    pub fn counts_with(&self, other: &Measure) -> bool {
        matches!((self, other), (Measure::Count(a), Measure::Count(b)) if a.is_empty() || b.is_empty())
    }
}

/// A number as the text states it, scaled ("$900m" is 9e8 usd).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub unit: Measure,
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
    /// The text opens with a definite description, "the" and a common noun
    /// ("The agency said…", "The 42-year-old…"): it stands for something
    /// named in an earlier sentence.
    pub definite: bool,
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
    /// The office, as `super::lexicon::OFFICES` names it.
    pub office: &'static str,
    /// The surname as written.
    pub text: String,
}

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
