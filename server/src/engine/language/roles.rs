//! Roles pass: the offices the text gives people, "Foreign Minister Annalena
//! Baerbock" (the name follows) or "Baerbock is the German Foreign Minister"
//! (it precedes).

use super::dictionary::LEX;
use super::features::Role;
use super::lexicon::OFFICES;
use super::words::{Sentence, capitalised, continues_name, phrase_at};

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
        let run = words[end..].iter().take_while(|r| continues_name(r)).count();
        let name = if run > 0 {
            Some(&words[end + run - 1])
        } else {
            // Back over "the", a few qualifiers ("US", "German") and "is"/"was".
            let before = words[..i].iter().rev().take(4).position(|r| matches!(r.lower.as_str(), "is" | "was" | "as"));
            before.and_then(|b| i.checked_sub(b + 2)).map(|k| &words[k]).filter(|r| capitalised(&r.text))
        };
        if let Some(name) = name {
            s.features.roles.push(Role { name: lex.word_term(&name.lower), office, text: name.text.clone() });
        }
        i = end;
    }
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
    }
}
