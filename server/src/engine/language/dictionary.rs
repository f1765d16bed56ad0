//! The word lists compiled for lookup: the stemmer, synonym and antonym
//! folding, place aliases and the sets the passes test words against. Built
//! once per process; the lists themselves are in `lexicon`.

use std::cell::RefCell;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::lexicon;

/// Canonical term for one word, as the index and the matcher see it.
pub fn canonical_word(word: &str) -> String {
    LEX.word_term(&word.to_lowercase())
}

/// Whether a canonical term is a predicate that relates its subject to many
/// places at once ("visit", "supply"): another place there is no conflict.
pub fn open_ended(term: &str) -> bool {
    LEX.open_ended(term)
}

pub(super) struct Lexicon {
    stemmer: Stemmer,
    pub stopwords: HashSet<&'static str>,
    pub cues: HashSet<&'static str>,
    pub breakers: HashSet<&'static str>,
    /// Alias phrase (lowercase words) to canonical place id and, for a
    /// capital, the capital.
    pub geo: HashMap<Vec<&'static str>, (&'static str, Option<&'static str>)>,
    pub geo_max_words: usize,
    /// First words of place aliases: most words start none, and skip the lookups.
    pub geo_starts: HashSet<&'static str>,
    /// Stem to canonical stem.
    synonyms: HashMap<String, String>,
    antonyms: HashMap<String, String>,
    /// Canonical terms of the open-ended predicates.
    open_ended: HashSet<String>,
    irregular: HashMap<&'static str, &'static str>,
}

pub(super) static LEX: LazyLock<Lexicon> = LazyLock::new(Lexicon::new);

impl Lexicon {
    fn new() -> Self {
        let mut geo = HashMap::default();
        for group in lexicon::GEO_ALIASES {
            for alias in *group {
                let city = lexicon::CAPITALS.contains(alias).then_some(*alias);
                geo.insert(alias.split(' ').collect::<Vec<_>>(), (group[0], city));
            }
        }
        let mut lex = Lexicon {
            stemmer: Stemmer::create(Algorithm::English),
            stopwords: lexicon::STOPWORDS.iter().copied().collect(),
            cues: lexicon::NEGATION_CUES.iter().copied().collect(),
            breakers: lexicon::SCOPE_BREAKERS.iter().copied().collect(),
            geo_max_words: geo.keys().map(Vec::len).max().unwrap_or(1),
            geo_starts: geo.keys().map(|k| k[0]).collect(),
            geo,
            synonyms: HashMap::default(),
            antonyms: HashMap::default(),
            open_ended: HashSet::default(),
            irregular: lexicon::IRREGULAR.iter().copied().collect(),
        };
        // The first word of a group is its canonical term; a word in an
        // earlier group keeps that one.
        for group in lexicon::SYNONYMS {
            let canon = lex.stem(group[0]);
            for w in *group {
                let s = lex.stem(w);
                lex.synonyms.entry(s).or_insert_with(|| canon.clone());
            }
        }
        for (a, b) in lexicon::ANTONYMS {
            let (a, b) = (lex.canonical(a), lex.canonical(b));
            lex.antonyms.insert(a.clone(), b.clone());
            lex.antonyms.insert(b, a);
        }
        lex.open_ended = lexicon::NON_EXCLUSIVE.iter().map(|w| lex.canonical(w)).collect();
        lex
    }

    /// The canonical term of a lowercase word: its stem, synonyms folded.
    fn canonical(&self, lower: &str) -> String {
        let s = self.stem(lower);
        self.synonyms.get(&s).cloned().unwrap_or(s)
    }

    /// Whether a term is an open-ended predicate (`lexicon::NON_EXCLUSIVE`).
    pub fn open_ended(&self, term: &str) -> bool {
        self.open_ended.contains(term)
    }

    pub fn stem(&self, lower: &str) -> String {
        let w = self.irregular.get(lower).copied().unwrap_or(lower);
        self.stemmer.stem(w).into_owned()
    }

    pub fn word_term(&self, lower: &str) -> String {
        // Stemming dominates analysis and words repeat endlessly: memoise per
        // thread, bounded by clearing when full.
        thread_local!(static TERMS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::default()));
        const MAX_MEMO: usize = 50_000;
        if let Some(t) = TERMS.with_borrow(|m| m.get(lower).cloned()) {
            return t;
        }
        let term = self.canonical(lower);
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
    pub fn opposite(&self, lower: &str, term: &str) -> Option<String> {
        if let Some(a) = self.antonyms.get(term) {
            return Some(a.clone());
        }
        ["non", "un", "dis", "in", "im", "il", "ir"].iter().find_map(|p| {
            let root = lower.strip_prefix(p)?;
            (root.len() >= 4).then(|| self.word_term(root))
        })
    }
}

/// The invariants of the word lists: each failure is an entry that does
/// nothing (a repeat, an inflection the stemmer folds anyway, a phrase that a
/// shorter one before it always wins over) or a word with two meanings.
#[cfg(test)]
mod tests {
    use std::collections::HashMap as StdMap;

    use super::*;
    use crate::engine::language::lexicon::*;

    fn repeats<T: std::hash::Hash + Eq + std::fmt::Debug + Clone>(name: &str, entries: impl IntoIterator<Item = T>) -> Vec<String> {
        let mut seen = HashSet::default();
        entries.into_iter().filter(|e| !seen.insert(e.clone())).map(|e| format!("{name}: {e:?}")).collect()
    }

    /// The stem of a word as the dictionary folds it, without synonyms.
    fn stem(w: &str) -> String {
        LEX.stem(w)
    }

    fn firsts<A: Copy, B>(table: &[(A, B)]) -> Vec<A> {
        table.iter().map(|(a, _)| *a).collect()
    }

    #[test]
    fn no_list_repeats_an_entry() {
        let mut found = Vec::new();
        for (name, list) in [
            ("STOPWORDS", STOPWORDS),
            ("NEGATION_CUES", NEGATION_CUES),
            ("SCOPE_BREAKERS", SCOPE_BREAKERS),
            ("CAPITALS", CAPITALS),
            ("SPEECH_VERBS", SPEECH_VERBS),
            ("LOCATIVES", LOCATIVES),
            ("MONTHS", MONTHS),
            ("WEEKDAYS", WEEKDAYS),
            ("NOT_A_SHARE", NOT_A_SHARE),
        ] {
            found.extend(repeats(name, list.iter().copied()));
        }
        found.extend(repeats("NEGATION_PHRASES", NEGATION_PHRASES.iter().copied()));
        found.extend(repeats("IRREGULAR", firsts(IRREGULAR)));
        found.extend(repeats("NUMBER_WORDS", firsts(NUMBER_WORDS)));
        found.extend(repeats("SCALES", firsts(SCALES)));
        found.extend(repeats("CURRENCIES", firsts(CURRENCIES)));
        found.extend(repeats("COMPARATORS", firsts(COMPARATORS)));
        found.extend(repeats("OFFICES", firsts(OFFICES)));
        found.extend(repeats("PROPORTIONS", PROPORTIONS.iter().map(|p| p.0)));
        found.extend(repeats("ORDINAL_WORDS", ORDINAL_WORDS.iter().map(|p| p.0)));
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_word_sits_in_one_group_of_a_kind() {
        let mut found = Vec::new();
        let mut group_of: StdMap<String, &str> = StdMap::new();
        for group in SYNONYMS {
            for w in *group {
                if let Some(first) = group_of.insert(stem(w), group[0]).filter(|g| *g != group[0]) {
                    found.push(format!("SYNONYMS: {w:?} in the {first:?} and the {:?} groups", group[0]));
                }
            }
        }
        found.extend(repeats("GEO_ALIASES", GEO_ALIASES.iter().flat_map(|g| g.iter().copied())));
        // An antonym pair overwrites an earlier one that shares a word.
        found.extend(repeats("ANTONYMS", ANTONYMS.iter().flat_map(|(a, b)| [canonical_word(a), canonical_word(b)])));
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn capitals_are_place_aliases() {
        let aliases: Vec<&str> = GEO_ALIASES.iter().flat_map(|g| g.iter().copied()).collect();
        let missing: Vec<_> = CAPITALS.iter().filter(|c| !aliases.contains(c)).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn no_entry_is_an_inflection_the_stemmer_folds() {
        let mut found = Vec::new();
        for group in SYNONYMS {
            found.extend(repeats("SYNONYMS (by stem)", group.iter().map(|w| stem(w))));
        }
        for (from, to) in IRREGULAR {
            if LEX.stemmer.stem(from) == LEX.stemmer.stem(to) {
                found.push(format!("IRREGULAR: {from:?} stems like {to:?} already"));
            }
        }
        found.extend(repeats("NON_EXCLUSIVE (by term)", NON_EXCLUSIVE.iter().map(|w| canonical_word(w))));
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn phrases_are_matched_longest_first() {
        // Matched from a position onwards, the first that fits wins: a phrase
        // that starts a later one must come after it.
        let prefix = |a: &[&str], b: &[&str]| a.len() < b.len() && b.starts_with(a);
        let suffix = |a: &[&str], b: &[&str]| a.len() < b.len() && b.ends_with(a);
        let mut found = Vec::new();
        let mut check = |name: &str, phrases: Vec<&[&str]>, shadows: &dyn Fn(&[&str], &[&str]) -> bool| {
            for (i, a) in phrases.iter().enumerate() {
                for b in &phrases[i + 1..] {
                    if shadows(a, b) {
                        found.push(format!("{name}: {a:?} comes before {b:?}"));
                    }
                }
            }
        };
        check("NEGATION_PHRASES", NEGATION_PHRASES.to_vec(), &prefix);
        check("OFFICES", firsts(OFFICES), &prefix);
        check("PROPORTIONS", PROPORTIONS.iter().map(|p| p.0).collect(), &prefix);
        // Comparators are matched backwards from the number they qualify.
        check("COMPARATORS", firsts(COMPARATORS), &suffix);
        assert!(found.is_empty(), "{found:#?}");
        // Place aliases are looked up longest first by the terms pass.
        assert!(LEX.geo.contains_key(&vec!["north", "korea"]) && LEX.geo_max_words >= 2);
    }
}
