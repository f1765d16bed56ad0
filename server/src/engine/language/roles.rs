//! Roles pass: the offices the text gives people, "Foreign Minister Annalena
//! Baerbock" (the name follows) or "Baerbock is the German Foreign Minister"
//! (it precedes).

use super::dictionary::LEX;
use super::features::Role;
use super::lexicon::{MONTHS, OFFICES, WEEKDAYS};
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
        // A past office ("former finance minister X") is no conflict with the present one.
        if words[i.saturating_sub(2)..i].iter().any(|r| matches!(r.lower.as_str(), "former" | "ex")) {
            i = end;
            continue;
        }
        // "Director Graham Pettifer" or "the agency's director, Graham Pettifer".
        let run = if words.get(end).is_some_and(may_name) { 1 + words[end + 1..].iter().take_while(|r| continues_name(r)).count() } else { 0 };
        let name = if run > 0 {
            Some(&words[end + run - 1])
        } else {
            // Back over "the", a few qualifiers ("US", "German") and "is"/"was" (or "serves as").
            let before = words[..i].iter().rev().take(4).position(|r| matches!(r.lower.as_str(), "is" | "was" | "as"));
            let k = before.and_then(|b| i.checked_sub(b + 2));
            let k = k.and_then(|k| if matches!(words[k].lower.as_str(), "serves" | "served" | "works" | "worked" | "acts" | "acted") { k.checked_sub(1) } else { Some(k) });
            k.map(|k| &words[k]).filter(|r| capitalised(&r.text)).or_else(|| apposed(words, i))
        };
        if let Some(name) = name {
            s.features.roles.push(Role { name: lex.word_term(&name.lower), office, text: name.text.clone() });
        }
        i = end;
    }
}

/// Whether a word may be a person's name: capitalised, and no stopword,
/// month, weekday or place ("On Monday, the mayor…", "In Leeds, the mayor…").
fn may_name(w: &Word) -> bool {
    let lower = w.lower.as_str();
    capitalised(&w.text) && !LEX.stopwords.contains(lower) && !MONTHS.contains(&lower) && !WEEKDAYS.contains(&lower) && !LEX.geo_starts.contains(lower)
}

/// The name an apposition that holds the office at `i` follows: "Gareth
/// Mold, the union's regional organiser", "Rosalind Ford, Pellham's
/// executive director", "Ada Kerr, president and chief executive". The
/// apposition opens with an office, an article or a name (the possessor,
/// its "'s" dropped): "Kerr, who succeeded the director" is none.
fn apposed(words: &[Word], i: usize) -> Option<&Word> {
    let opening = (i.saturating_sub(4)..=i).rev().find(|&k| words[k].boundary)?;
    let first = &words[opening];
    let opens = matches!(first.lower.as_str(), "the" | "a" | "an") || capitalised(&first.text) || OFFICES.iter().any(|(p, _)| phrase_at(words, opening, p));
    let name = &words[opening.checked_sub(1)?];
    (opens && may_name(name)).then_some(name)
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
        assert_eq!(offices("On Monday, the mayor said"), [], "no name before the apposition");
        assert_eq!(offices("Ada Kerr, who succeeded the director, said"), []);
        assert_eq!(offices("Former finance minister Ada Kerr said"), [], "a past office");
    }
}
