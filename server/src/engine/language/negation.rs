//! Negation pass: marks the words a negation cue ("not", "without",
//! "stopped short of", "a shortage of") puts in its scope, from the cue to the
//! end of its clause and at most `NEGATION_REACH` content words. A cue is no
//! content term; a word in two scopes is negated twice, so not at all.

use super::dictionary::LEX;
use super::lexicon::NEGATION_PHRASES;
use super::words::{Sentence, phrase_at};

/// How many content words a negation cue reaches at most: "without any
/// notion of Russia withdrawing its troops from occupied Ukrainian territory".
const NEGATION_REACH: usize = 8;

pub(super) fn pass(s: &mut Sentence) {
    let (words, lex) = (&mut s.words, &*LEX);
    let mut i = 0;
    while i < words.len() {
        let phrase = NEGATION_PHRASES.iter().find(|p| phrase_at(words, i, p));
        let cue_len = match phrase {
            Some(p) => p.len(),
            None if lex.cues.contains(words[i].lower.as_str()) => 1,
            None => 0,
        };
        if cue_len == 0 {
            i += 1;
            continue;
        }
        words[i..i + cue_len].iter_mut().for_each(|w| w.consumed = true);
        let (mut j, mut reach) = (i + cue_len, 0);
        while j < words.len() && reach < NEGATION_REACH {
            if (j > i + cue_len && words[j].boundary) || lex.breakers.contains(words[j].lower.as_str()) {
                break;
            }
            words[j].negated = !words[j].negated;
            reach += usize::from(!lex.stopwords.contains(words[j].lower.as_str()));
            j += 1;
        }
        i += cue_len;
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::language::{analyze, canonical_word};

    fn negated(text: &str) -> Vec<String> {
        analyze(text).tokens.into_iter().filter(|t| t.negated).map(|t| t.term).collect()
    }

    #[test]
    fn marks_negation_scope_to_clause_end() {
        let f = analyze("Beijing has stopped short of directly providing weapons to Russia, which has turned to Iran.");
        let neg: Vec<_> = f.tokens.iter().filter(|t| t.negated).map(|t| t.term.as_str()).collect();
        assert_eq!(neg, ["direct", &canonical_word("supply"), "weapon", "russia"]);
        assert!(f.tokens.iter().any(|t| t.term == "iran" && !t.negated));
        assert!(negated("China can't have it both ways.").contains(&canonical_word("way")));
        // The reach counts content words: "any", "of", "its", "from" do not use it up.
        let f = analyze("without any notion of Russia withdrawing its troops from occupied Ukrainian territory");
        assert!(f.tokens.iter().all(|t| t.negated), "{:?}", f.tokens);
        assert!(negated("He has yet to write a book.").contains(&canonical_word("write")));
    }

    #[test]
    fn a_shortage_negates() {
        assert!(negated("Facing a shortage of ammunition, Ukraine held.").contains(&canonical_word("ammunition")));
    }

    #[test]
    fn two_cues_cancel() {
        assert!(negated("It is not without merit.").is_empty());
    }
}
