//! Roles pass: the offices the text gives people, "Foreign Minister Annalena
//! Baerbock" (the name follows) or "Baerbock is the German Foreign Minister"
//! (it precedes).

use super::dictionary::LEX;
use super::features::Role;
use super::lexicon::OFFICES;
use super::words::{Sentence, Word, capitalised, continues_name, phrase_at};

pub(super) fn pass(s: &mut Sentence) {
    let (words, lex) = (&s.words, &*LEX);
    let mut i = 0;
    while i < words.len() {
        let office = OFFICES.iter().find(|(phrase, _)| phrase_at(words, i, phrase));
        let Some((phrase, office)) = office else {
            i += 1;
            continue;
        };
        let end = i + phrase.len();
        // "Director Graham Pettifer" or "the agency's director, Graham Pettifer".
        let opens = |k: usize| words.get(k).is_some_and(|r| capitalised(&r.text) && !lex.stopwords.contains(r.lower.as_str()));
        let run = if opens(end) { 1 + words[end + 1..].iter().take_while(|r| continues_name(r)).count() } else { 0 };
        let name = if run > 0 {
            Some(&words[end + run - 1])
        } else {
            // Back over "the", a few qualifiers ("US", "German") and "is"/"was" (or "serves as").
            let before = words[..i].iter().rev().take(4).position(|r| matches!(r.lower.as_str(), "is" | "was" | "as"));
            let k = before.and_then(|b| i.checked_sub(b + 2));
            let k = k.map(|k| if matches!(words[k].lower.as_str(), "serves" | "served" | "works" | "worked" | "acts" | "acted") { k.saturating_sub(1) } else { k });
            k.map(|k| &words[k]).filter(|r| capitalised(&r.text)).or_else(|| apposed(words, i))
        };
        if let Some(name) = name {
            s.features.roles.push(Role { name: lex.word_term(&name.lower), office, text: name.text.clone() });
        }
        i = end;
    }
}

/// The name an apposition that holds the office at `i` follows: "Gareth
/// Mold, the union's regional organiser", "Rosalind Ford, Pellham's
/// executive director".
fn apposed(words: &[Word], i: usize) -> Option<&Word> {
    let opening = (i.saturating_sub(4)..=i).rev().find(|&k| words[k].boundary)?;
    let name = &words[opening.checked_sub(1)?];
    (capitalised(&name.text) && !LEX.stopwords.contains(name.lower.as_str())).then_some(name)
}

#[cfg(test)]
mod tests {
    use crate::engine::language::analyze;

    #[test]
    fn finds_offices_before_and_after_names() {
        let offices = |t: &str| analyze(t).roles.into_iter().map(|r| (r.text, r.office)).collect::<Vec<_>>();
        assert_eq!(offices("German Foreign Minister Annalena Baerbock echoed his concerns."), [("Baerbock".to_string(), "Foreign Minister")]);
        assert_eq!(offices("Annalena Baerbock is the German Chancellor."), [("Baerbock".to_string(), "Chancellor")]);
        assert_eq!(offices("Deputy Secretary of State Kurt Campbell said"), [("Campbell".to_string(), "Deputy Secretary of State")]);
        assert_eq!(offices("the president said"), []);
        assert_eq!(offices("Ada Kerr serves as the town's treasurer."), [("Kerr".to_string(), "Treasurer")]);
        // In an apposition, before or after the name.
        assert_eq!(offices("\"We want it in writing,\" said Ada Kerr, the union's regional organiser."), [("Kerr".to_string(), "Organiser")]);
        assert_eq!(offices("said Ada Kerr, Holt's executive director, on Monday"), [("Kerr".to_string(), "Executive Director")]);
        assert_eq!(offices("The board's chief executive, Ada Kerr, said"), [("Kerr".to_string(), "Chief Executive")]);
        assert_eq!(offices("Ada Kerr, president and chief executive of Holt, said"), [("Kerr".to_string(), "President"), ("Kerr".to_string(), "Chief Executive")]);
        assert_eq!(offices("On the new road, the mayor said"), [], "no name before the apposition");
    }
}
