//! Discourse pass: what a sentence takes from the ones before it. A pronoun
//! that opens a clause ("She was…") stands for a subject named earlier; "the
//! country's" and "these supplies" refer back to a place or party; "…,” he
//! said" reports someone named before; "only" and "solely" exclude
//! alternatives.

use super::lexicon::SPEECH_VERBS;
use super::words::{Sentence, Word, capitalised};

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

pub(super) fn pass(s: &mut Sentence) {
    let words = &s.words;
    // A speaker ("They also said that…") is not what the text is about.
    s.features.anaphor = words.iter().enumerate().position(|(i, r)| {
        let w = r.lower.as_str();
        (ANAPHORS.contains(&w) && i < CLAUSE_OPENING || SUBJECT_PRONOUNS.contains(&w) && r.boundary) && !speaker_pronoun(words, i)
    });
    // "The agency said…", not "The river Lumen rose…" (a name follows: it names its subject).
    let common = |i: usize| words.get(i).is_some_and(|w| !capitalised(&w.text) && !w.boundary);
    s.features.definite = words.first().is_some_and(|w| w.lower == "the") && common(1) && common(2);
    s.features.reported = reported_by_someone_named_before(words);
    s.features.place_anaphoric = words.windows(2).any(|w| {
        w[0].lower == "the" && PLACE_ANAPHORS.contains(&w[1].lower.as_str()) || DEMONSTRATIVES.contains(&w[0].lower.as_str())
    });
    s.features.restrictive = words.iter().enumerate().any(|(i, r)| RESTRICTIVES.contains(&r.lower.as_str()) && (i == 0 || words[i - 1].lower != "not"));
}

/// Whether the word at `i` reports speech.
fn speech_at(words: &[Word], i: usize) -> bool {
    words.get(i).is_some_and(|r| SPEECH_VERBS.contains(&r.lower.as_str()))
}

/// A pronoun that names a speaker: "they (also) said", "said he".
fn speaker_pronoun(words: &[Word], i: usize) -> bool {
    SUBJECT_PRONOUNS.contains(&words[i].lower.as_str()) && (speech_at(words, i + 1) || speech_at(words, i + 2) || i > 0 && speech_at(words, i - 1))
}

/// Whether the text reports someone named before: a speaker pronoun, or "the
/// official said" / "said the official".
fn reported_by_someone_named_before(words: &[Word]) -> bool {
    let the_noun = |i: usize| words.get(i).is_some_and(|r| !capitalised(&r.text)) && i > 0 && words[i - 1].lower == "the";
    (0..words.len()).any(|i| speaker_pronoun(words, i) || speech_at(words, i) && (i > 0 && the_noun(i - 1) || the_noun(i + 2)))
}

#[cfg(test)]
mod tests {
    use crate::engine::language::analyze;

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
    fn definite_descriptions_refer_back() {
        assert!(analyze("The agency said fares would rise.").definite);
        assert!(analyze("The 42-year-old won the race.").definite);
        assert!(!analyze("The Northwind Port Agency said fares would rise.").definite, "a name");
        assert!(!analyze("Fares will rise, the agency said.").definite, "the speaker, not the subject");
        assert!(!analyze("The river Lumen12 rose by 40 centimetres.").definite, "a name follows the noun");
    }

    #[test]
    fn places_named_before() {
        assert!(analyze("Russian forces attack the country's power plants.").place_anaphoric);
        assert!(analyze("These supplies keep arriving.").place_anaphoric);
        assert!(!analyze("Russian forces attack Ukraine's power plants.").place_anaphoric);
    }

    #[test]
    fn restrictive_words_are_noted() {
        assert!(analyze("He is only known as Bolivar.").restrictive);
        assert!(!analyze("He is not only an actor but a writer.").restrictive);
    }
}
