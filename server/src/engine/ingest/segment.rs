//! From raw article text to claim units: drops navigation and comment-form
//! boilerplate, splits sentences (surviving "U.S.", "Mr.", "$900m (£723m)" and
//! quotes that span sentences) and keeps each unit's byte offsets into the
//! verbatim text.

use super::attribution;
use crate::engine::domain::Unit;

/// Line or sentence openings that mark navigation, widgets or comment forms.
const BOILERPLATE: &[&str] = &[
    "see also", "also read", "read also", "read more", "related:", "related articles",
    "related stories", "leave a reply", "leave a comment", "your email address will not be published",
    "required fields are marked", "(reference", "reference:", "source:", "sources:", "share this",
    "share on", "click here", "subscribe", "sign up for", "advertisement", "follow us", "posted in",
    "tags:", "filed under", "cancel reply", "save my name", "post comment", "all rights reserved",
    "copyright", "©", "photo:", "image:", "credit:", "(photo", "(image", "watch:", "listen:",
];

/// Abbreviations whose dot ends no sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "col", "lt", "sgt", "capt", "gov",
    "sen", "rep", "rev", "hon", "inc", "ltd", "co", "corp", "vs", "no", "nos", "fig", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "dept", "est",
];

/// Longest unit kept whole inside an open quotation before splitting anyway.
const MAX_QUOTED_UNIT: usize = 800;

pub fn is_boilerplate(piece: &str) -> bool {
    let lower = piece.trim_start().to_lowercase();
    BOILERPLATE.iter().any(|b| lower.starts_with(b))
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}

/// The title of a folder-corpus article: its first line when that reads like a
/// headline (short, and followed by a blank line or lacking a final stop).
pub fn detect_title(text: &str) -> Option<&str> {
    let mut lines = text.lines();
    let first = lines.next()?.trim();
    let blank_after = lines.next().is_some_and(|l| l.trim().is_empty());
    let words = word_count(first);
    let unpunctuated = !first.ends_with(['.', '!', '?', '”', '"']);
    let headline = (1..=20).contains(&words) && first.len() <= 200 && (blank_after || unpunctuated);
    headline.then_some(first)
}

/// Sentence spans (byte offsets) of the text's content lines: boilerplate
/// lines ("See also …", comment forms) are left out whole.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !is_boilerplate(trimmed) {
            let lead = line.len() - line.trim_start().len();
            spans.extend(sentences(trimmed).into_iter().map(|(s, e)| (offset + lead + s, offset + lead + e)));
        }
        offset += line.len();
    }
    spans
}

/// A sentence worth storing as a claim unit: four words or more, not boilerplate.
fn is_claim_unit(piece: &str) -> bool {
    word_count(piece) >= 4 && !is_boilerplate(piece)
}

/// Openings of sentences that state no checkable fact.
const NOT_CHECKABLE: &[&str] = &[
    "i think", "i believe", "i feel", "i guess", "i hope", "in my opinion", "in my view", "imho",
    "personally", "we believe", "we think", "hi", "hello", "hey", "thanks", "thank you", "dear",
    "good morning", "good evening", "cheers", "regards", "best regards", "sincerely", "welcome",
    "please", "let's", "let us",
];

/// Whether a sentence of free text is a check-worthy claim: a statement of
/// fact, not a question, exclamation, greeting, opinion or prescription.
pub fn check_worthy(sentence: &str) -> bool {
    let lower = sentence.trim().to_lowercase();
    let opens_with = |p: &&str| lower.starts_with(p) && !lower[p.len()..].starts_with(char::is_alphanumeric);
    is_claim_unit(sentence)
        && !lower.ends_with(['?', '!'])
        && !NOT_CHECKABLE.iter().any(opens_with)
        && !lower.split(|c: char| !c.is_alphanumeric() && c != '\'').any(|w| matches!(w, "should" | "ought" | "must" | "shouldn't"))
}

/// Splits an article into claim units with offsets and attribution.
pub fn segment(text: &str) -> Vec<Unit> {
    let spans: Vec<(usize, usize)> = sentence_spans(text).into_iter().filter(|&(s, e)| is_claim_unit(&text[s..e])).collect();
    let mut units: Vec<Unit> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        let found = attribution::find(&text[start..end]);
        // "…,” she said." names the speaker of the sentence before.
        let attribution = match found.as_deref() {
            Some("he" | "she" | "they" | "He" | "She" | "They") => {
                units.last().map(|u| u.attribution.clone()).unwrap_or_default()
            }
            _ => found.unwrap_or_default(),
        };
        units.push(Unit { start, end, attribution });
    }
    units
}

/// The invariants every stored unit keeps: inside the text, on character
/// boundaries, non-empty, trimmed, in order and not overlapping. Used by
/// property tests, the fuzzers and the crash test on a reopened store.
pub fn check_units(text: &str, units: &[Unit]) -> Result<(), String> {
    let mut last_end = 0;
    for u in units {
        let piece = text.get(u.start..u.end).ok_or_else(|| format!("unit {}..{} does not slice the text", u.start, u.end))?;
        if piece.is_empty() || piece.trim() != piece {
            return Err(format!("unit {}..{} is empty or untrimmed: {piece:?}", u.start, u.end));
        }
        if u.start < last_end {
            return Err(format!("unit {}..{} overlaps the one before", u.start, u.end));
        }
        last_end = u.end;
    }
    Ok(())
}

/// One fuzzing input (`fuzz/`, and the corpus replay in CI): whatever the
/// bytes, parsing must not panic and every unit must keep its invariants.
pub fn fuzz_one(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = check_units(&text, &segment(&text)) {
        panic!("{e}");
    }
    let _ = detect_title(&text);
    for (s, e) in sentence_spans(&text) {
        let _ = check_worthy(&text[s..e]);
    }
}

fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || "(“\"'‘[".contains(c))
        .next()
        .unwrap_or("");
    let lower = word.to_lowercase();
    word.chars().count() == 1 && word.chars().all(char::is_alphabetic)
        || word.contains('.')
        || ABBREVIATIONS.contains(&lower.as_str())
}

/// Sentence spans (byte offsets) in one line of text.
fn sentences(line: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize; // open curly quotes
    let mut straight_open = false;
    let mut k = 0;
    while k < chars.len() {
        let (idx, c) = chars[k];
        match c {
            '“' => depth += 1,
            '”' => depth = depth.saturating_sub(1),
            '"' => straight_open = !straight_open,
            _ => {}
        }
        if !matches!(c, '.' | '!' | '?') {
            k += 1;
            continue;
        }
        // Closing quotes and brackets belong to the sentence they end.
        let mut j = k + 1;
        while let Some(&(_, n)) = chars.get(j) {
            match n {
                '”' => depth = depth.saturating_sub(1),
                '"' => straight_open = !straight_open,
                '’' | ')' | ']' | '\'' => {}
                _ => break,
            }
            j += 1;
        }
        let end = chars.get(j).map_or(line.len(), |&(i, _)| i);
        let mut n = j;
        while chars.get(n).is_some_and(|&(_, c)| c.is_whitespace()) {
            n += 1;
        }
        let Some(&(next_idx, next)) = chars.get(n) else { break };
        let spaced = n > j;
        let opens = next.is_uppercase() || next.is_ascii_digit() || "“\"‘([".contains(next);
        // "2023.The" – pieces glued together without a space.
        let glued = !spaced
            && next.is_uppercase()
            && k > 0
            && (chars[k - 1].1.is_lowercase() || chars[k - 1].1.is_ascii_digit())
            && chars.get(n + 1).is_some_and(|&(_, c)| c.is_lowercase());
        let quoted = (depth > 0 || straight_open) && end - start < MAX_QUOTED_UNIT;
        let boundary = ((spaced && opens) || glued)
            && !(c == '.' && spaced && is_abbreviation(&line[start..idx]))
            && !quoted;
        if boundary {
            out.push((start, end));
            start = next_idx;
        }
        k = n;
    }
    if start < line.len() {
        out.push((start, line.len()));
    }
    out.into_iter()
        .map(|(s, e)| {
            let piece = &line[s..e];
            let s2 = s + (piece.len() - piece.trim_start().len());
            (s2, s2 + piece.trim().len())
        })
        .filter(|(s, e)| e > s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        segment(text).into_iter().map(|u| &text[u.start..u.end]).collect()
    }

    #[test]
    fn splits_sentences_and_keeps_offsets() {
        let text = "  First point is here. Second one follows now!\nThird line sentence stands alone.";
        assert_eq!(texts(text), ["First point is here.", "Second one follows now!", "Third line sentence stands alone."]);
    }

    #[test]
    fn survives_abbreviations_and_money() {
        let text = "U.S. Secretary Mr. Blinken said $900m (£723m) was spent. It came from China.";
        assert_eq!(texts(text), ["U.S. Secretary Mr. Blinken said $900m (£723m) was spent.", "It came from China."]);
    }

    #[test]
    fn keeps_quotes_spanning_sentences_together() {
        let text = "“China can’t have it both ways. It can’t afford the consequences,” Blinken explained. Next comes here now.";
        let units = segment(text);
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].attribution, "Blinken");
    }

    #[test]
    fn splits_glued_pieces() {
        assert_eq!(texts("The talks ended in 2023.The ministers went home then."), ["The talks ended in 2023.", "The ministers went home then."]);
    }

    #[test]
    fn drops_boilerplate_and_headings() {
        let text = "Real news sentence is here.\nSee also  India says it will protect its interests\nAlso Read | Tensions Mount as Russia Sets Preconditions\nBlinken in China\nLeave a Reply\n\nYour email address will not be published. Required fields are marked *\n(Reference: Reuters and Bloomberg articles)";
        assert_eq!(texts(text), ["Real news sentence is here."]);
    }

    #[test]
    fn resolves_pronoun_speakers_to_previous_unit() {
        let text = "Baerbock stated after the meeting, “We cannot accept that.” “We urge China to act,” she said.";
        let units = segment(text);
        assert_eq!(units[1].attribution, "Baerbock");
    }

    #[test]
    fn tells_check_worthy_claims() {
        for yes in ["China supplied 70% of Russia's machine tools.", "The G7 includes Japan and Italy."] {
            assert!(check_worthy(yes), "{yes}");
        }
        for no in [
            "Did China supply Russia with machine tools?",
            "Hello everyone, here is my summary of it.",
            "I think the sanctions are far too weak.",
            "The G7 should do much more about this.",
            "What a remarkable week it has been!",
            "Too short.",
        ] {
            assert!(!check_worthy(no), "{no}");
        }
    }

    #[test]
    fn detects_headlines() {
        assert_eq!(detect_title("Blinken says China is a supplier\n\nBody text here."), Some("Blinken says China is a supplier"));
        assert_eq!(detect_title("At the G7 foreign ministers, meeting Thursday on the Italian island of Capri, Americans sought to rally Europeans to put pressure on China.\nNext."), None);
    }

    #[test]
    fn offsets_always_slice_on_char_boundaries() {
        for text in ["é. É. ü“”. ‘x’. 🙂 A. B.", "...", "“", "a.B", "Mr.", "\u{301}. X y z w."] {
            check_units(text, &segment(text)).unwrap();
        }
    }

    #[test]
    fn check_units_catches_bad_offsets() {
        let u = |start, end| Unit { start, end, attribution: String::new() };
        assert!(check_units("héllo world", &[u(0, 2)]).is_err(), "inside a character");
        assert!(check_units("hello world", &[u(0, 6)]).is_err(), "untrimmed");
        assert!(check_units("hello world", &[u(6, 11), u(0, 5)]).is_err(), "out of order");
        assert!(check_units("hello", &[u(0, 9)]).is_err(), "past the end");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Text shaped like news: words, punctuation, quotes, abbreviations, newlines.
        fn newsy() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                "[A-Za-z]{1,9}", "[0-9]{1,4}", Just(".".to_string()), Just(", ".to_string()), Just(" ".to_string()),
                Just("\n".to_string()), Just("“".to_string()), Just("”".to_string()), Just("\"".to_string()),
                Just("U.S.".to_string()), Just("Mr.".to_string()), Just("$900m".to_string()), Just("?".to_string()),
                Just("é".to_string()), Just("🙂".to_string()), Just("\u{301}".to_string()), Just("See also ".to_string()),
            ];
            prop::collection::vec(piece, 0..80).prop_map(|p| p.concat())
        }

        proptest! {
            #[test]
            fn units_always_slice_the_text(text in newsy()) {
                let units = segment(&text);
                prop_assert_eq!(check_units(&text, &units), Ok(()));
            }

            #[test]
            fn any_string_segments_without_panic(text in any::<String>()) {
                prop_assert_eq!(check_units(&text, &segment(&text)), Ok(()));
                for (s, e) in sentence_spans(&text) {
                    let _ = check_worthy(&text[s..e]);
                }
            }
        }
    }
}
