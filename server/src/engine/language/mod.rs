//! Language: the analysis of one sentence into the [`Features`] the judge
//! compares and the index posts. The sentence is split into words (`words`),
//! then named passes read and mark them in turn (`PASSES`): discourse
//! facts, offices, negation scopes, quantities and dates, content terms. The
//! word lists are in `lexicon`, compiled for lookup in `dictionary`.

mod dictionary;
mod discourse;
mod features;
pub mod lexicon;
mod negation;
mod quantities;
mod roles;
mod terms;
mod words;

pub use self::dictionary::{canonical_word, open_ended};
pub use self::features::{Cmp, DateRef, Features, Kind, Measure, Quantity, Role, Token};
use self::words::Sentence;

/// A pass reads the words (and what earlier passes marked) and adds to the
/// features.
type Pass = fn(&mut Sentence);

/// The passes, in order, each named by its module: negation marks the words
/// quantities and terms read; quantities consume the words that are then no
/// terms.
const PASSES: [Pass; 5] = [discourse::pass, roles::pass, negation::pass, quantities::pass, terms::pass];

/// Analyses a text into comparable features. Never panics, on any input.
pub fn analyze(text: &str) -> Features {
    let mut sentence = Sentence { words: words::split(text), features: Features::default() };
    for pass in PASSES {
        pass(&mut sentence);
    }
    sentence.features
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

    proptest::proptest! {
        #[test]
        fn analysis_never_panics(text in proptest::prelude::any::<String>()) {
            let f = analyze(&text);
            proptest::prop_assert!(f.tokens.iter().all(|t| !t.term.is_empty()));
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in ["", " ", "\0\u{1}", "’’’", "1,", "$", "U.S.", "..", "٣٤٥ مرحبا", "🙂🙂", "a\u{301}", "can't't", "9".repeat(400).as_str()] {
            let _ = analyze(t);
        }
    }

    #[test]
    fn quantities_are_no_terms() {
        let f = analyze("Russia imported 61 billion dollars of chips in 2023.");
        assert!(f.tokens.iter().all(|t| !["61", "billion", "dollar", "2023"].contains(&t.term.as_str())), "{:?}", f.tokens);
        assert_eq!((f.quantities.len(), f.dates.len()), (1, 1));
    }
}
