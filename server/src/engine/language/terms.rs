//! Terms pass: the content terms of what the other passes left. A place
//! ("the United States", "Beijing") becomes its canonical id; a weekday or
//! month is a calendar name; any other word its stem with synonyms folded,
//! a name when capitalised. Each term keeps its position and polarity.

use super::dictionary::LEX;
use super::features::{Kind, Token};
use super::lexicon::{LOCATIVES, MONTHS, WEEKDAYS};
use super::words::{Sentence, Word, capitalised, continues_name, is_upper_word, join};

pub(super) fn pass(s: &mut Sentence) {
    let mut i = 0;
    while i < s.words.len() {
        if s.words[i].consumed {
            i += 1;
            continue;
        }
        if let Some((n, token)) = place(&s.words, i) {
            s.features.tokens.push(token);
            i += n;
            continue;
        }
        if let Some(token) = word(&s.words, i) {
            s.features.tokens.push(token);
        }
        i += 1;
    }
}

/// Whether the word at `after` continues a name: the one before it is then a
/// given name or title, not required.
fn next_capitalised(words: &[Word], after: usize) -> bool {
    words.get(after).is_some_and(continues_name)
}

/// The longest place alias starting at `i`: its length in words, and its
/// token. Short all-caps
/// aliases (US, UK, EU) must be written in capitals so that the pronoun "us"
/// is no country.
fn place(words: &[Word], i: usize) -> Option<(usize, Token)> {
    let (lex, r) = (&*LEX, &words[i]);
    if !lex.geo_starts.contains(r.lower.trim_end_matches('.')) {
        return None;
    }
    let (n, id, city) = (1..=lex.geo_max_words.min(words.len() - i)).rev().find_map(|n| {
        let key: Vec<&str> = words[i..i + n].iter().map(|r| r.lower.trim_end_matches('.')).collect();
        let id = lex.geo.get(&key)?;
        let short = n == 1 && key[0].replace('.', "").len() <= 4 && !key[0].contains(' ');
        let ok = !short || is_upper_word(&r.text) || key[0].len() > 3 && capitalised(&r.text);
        (ok && !(n == 1 && lex.stopwords.contains(key[0]) && !is_upper_word(&r.text))).then_some((n, id.0, id.1))
    })?;
    // A capital is the city only where something happens in or goes to it;
    // elsewhere it stands for its government.
    let from = i.saturating_sub(3);
    let clause = words[from..=i].iter().rposition(|r| r.boundary).map_or(from, |p| from + p);
    let located = words[clause..i].iter().any(|r| LOCATIVES.contains(&r.lower.as_str()));
    let token = Token {
        city: city.filter(|_| located),
        text: join(&words[i..i + n]),
        term: id.to_string(),
        kind: Kind::Geo,
        negated: r.negated,
        pos: i,
        required: !next_capitalised(words, i + n),
        opposite: None,
        speech: false,
    };
    Some((n, token))
}

/// The word at `i` as a term: a calendar name, a name or a plain word; none
/// for stopwords and punctuation.
fn word(words: &[Word], i: usize) -> Option<Token> {
    let (lex, r) = (&*LEX, &words[i]);
    let lower = r.lower.as_str();
    // "May" is the month where capitalised and not part of a name ("Theresa May").
    let may = lower == "may" && capitalised(&r.text) && !i.checked_sub(1).is_some_and(|p| capitalised(&words[p].text) && !r.boundary);
    let calendar = WEEKDAYS.contains(&lower) || (MONTHS.contains(&lower) && (lower != "may" || may));
    if !calendar && (lower.chars().all(|c| !c.is_alphanumeric()) || lex.stopwords.contains(lower)) {
        return None;
    }
    let (term, kind) = if calendar {
        (lower.to_string(), Kind::Calendar)
    } else {
        let kind = if capitalised(&r.text) && lower != "i" { Kind::Proper } else { Kind::Word };
        (lex.word_term(lower), kind)
    };
    let opposite = (kind == Kind::Word).then(|| lex.opposite(lower, &term)).flatten();
    Some(Token {
        city: None,
        text: r.text.clone(),
        speech: term == "say",
        required: kind == Kind::Proper && !next_capitalised(words, i + 1) || kind == Kind::Calendar,
        term,
        kind,
        negated: r.negated,
        pos: i,
        opposite,
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::language::{Kind, analyze, canonical_word};

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
    fn negative_prefix_gives_opposite() {
        let f = analyze("an unlimited partnership");
        assert_eq!(f.tokens[0].opposite.as_deref(), Some(canonical_word("limits").as_str()));
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
    fn first_names_and_titles_are_not_required() {
        let f = analyze("German Chancellor Olaf Scholz visited Beijing");
        let req: Vec<_> = f.tokens.iter().filter(|t| t.required).map(|t| t.term.as_str()).collect();
        assert_eq!(req, ["scholz", "china"]);
    }
}
