//! Splitting a sentence into words, the structure every pass reads and marks.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use super::dictionary::LEX;
use super::features::Features;

/// One sentence while the passes run: its words, marked as the passes go,
/// and the features found so far.
pub(super) struct Sentence {
    pub words: Vec<Word>,
    pub features: Features,
}

/// One word of the sentence, with what the passes found about it.
#[derive(Debug)]
pub(super) struct Word {
    /// As written.
    pub text: String,
    /// Lowercase, accents folded.
    pub lower: String,
    /// A clause boundary (comma, dash, bracket, quote…) precedes it.
    pub boundary: bool,
    /// Taken by a pass (a negation cue, a quantity): no content term.
    pub consumed: bool,
    /// Inside a negation's scope.
    pub negated: bool,
}

/// Titles whose dot ends no sentence ("Mr. Blinken").
const TITLES: &[&str] = &["mr", "mrs", "ms", "dr", "st", "gen", "prof", "sen", "rep", "gov", "lt", "col", "sgt", "capt", "rev"];

pub(super) fn is_upper_word(s: &str) -> bool {
    s.chars().any(|c| c.is_alphabetic()) && s.chars().all(|c| !c.is_lowercase())
}

pub(super) fn capitalised(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_uppercase())
}

/// Whether a word continues a name begun before it ("Olaf Scholz"): the
/// word before it is then a given name or title.
pub(super) fn continues_name(w: &Word) -> bool {
    capitalised(&w.text) && !w.boundary && !LEX.stopwords.contains(w.lower.as_str())
}

/// The words as written, spaced.
pub(super) fn join(words: &[Word]) -> String {
    words.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// Whether `phrase` (lowercase) stands in `words` from position `i`.
pub(super) fn phrase_at(words: &[Word], i: usize, phrase: &[&str]) -> bool {
    phrase.iter().enumerate().all(|(k, w)| words.get(i + k).is_some_and(|r| r.lower == *w))
}

/// Words as they are found, with the boundary pending for the next one.
struct Collector {
    out: Vec<Word>,
    boundary: bool,
}

impl Collector {
    fn push(&mut self, w: &str) {
        if w.is_empty() {
            return;
        }
        self.out.push(Word { text: w.to_string(), lower: fold(w), boundary: self.boundary, consumed: false, negated: false });
        self.boundary = false;
    }
}

/// Splits text into words, marking clause boundaries. Keeps "U.S", "1,000",
/// "3.5" whole; splits "$900m" into "$", "900", "m" and "70%" into "70", "%";
/// turns "can't" into "can not" and drops possessive "'s".
pub(super) fn split(text: &str) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = Collector { out: Vec::new(), boundary: true };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let (word, next) = scan_word(&chars, i);
            i = next;
            split_word(&word, &mut words);
            continue;
        }
        match c {
            '$' | '£' | '€' | '¥' | '%' => {
                let mut buf = [0u8; 4];
                words.push(c.encode_utf8(&mut buf));
            }
            '.' if words.out.last().is_some_and(|w| TITLES.contains(&w.lower.as_str())) => {}
            '.' | '!' | '?' | '…' => words.boundary = true,
            '-' => {}
            c if c.is_whitespace() => {}
            _ => words.boundary = true,
        }
        i += 1;
    }
    words.out
}

/// The word starting at `i`, and where scanning goes on.
fn scan_word(chars: &[char], mut i: usize) -> (String, usize) {
    let mut word = String::new();
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_alphanumeric() {
            word.push(c);
        } else if (c == '.' || c == ',') && word.chars().last().is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit()) {
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
    (word, i)
}

/// Contractions, possessives and numbers glued to letters.
fn split_word(word: &str, words: &mut Collector) {
    let lower = word.to_lowercase();
    if let Some(base) = lower.strip_suffix("n't") {
        let base = match base {
            "ca" => "can",
            "wo" => "will",
            "sha" => "shall",
            b => b,
        };
        words.push(base);
        words.push("not");
        return;
    }
    let word = match word.find('\'') {
        Some(at) => &word[..at],
        None => word,
    };
    // "900m", "1990s", "12ft": digits then letters.
    let digits_end = word.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).unwrap_or(word.len());
    if digits_end > 0 && digits_end < word.len() && word.as_bytes()[0].is_ascii_digit() {
        words.push(&word[..digits_end]);
        words.push(&word[digits_end..]);
    } else {
        words.push(word);
    }
}

/// Lowercase without accents: "communiqué" and "communique" are one word.
fn fold(word: &str) -> String {
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    word.nfd().filter(|c| !is_combining_mark(*c)).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(text: &str) -> Vec<String> {
        split(text).into_iter().map(|w| w.lower).collect()
    }

    #[test]
    fn keeps_abbreviations_and_numbers_whole() {
        assert_eq!(lower("The U.S. paid $900m (3.5%)."), ["the", "u.s", "paid", "$", "900", "m", "3.5", "%"]);
        assert_eq!(lower("1,000 can't"), ["1,000", "can", "not"]);
        assert_eq!(lower("Russia's Communiqué"), ["russia", "communique"]);
    }

    #[test]
    fn marks_clause_boundaries() {
        let w = split("Mr. Blinken said, “China helps.”");
        assert_eq!(w.iter().map(|w| w.boundary).collect::<Vec<_>>(), [true, false, false, true, false]);
    }
}
