//! Who asserts a sentence: "…,” a senior US official told reporters",
//! "Blinken said", "according to a US assessment", "Blinken: China is…".

use crate::engine::language::lexicon::SPEECH_VERBS;

/// Nouns that can head a speaker phrase even without a capital letter.
const SPEAKER_NOUNS: &[&str] = &[
    "official", "officials", "spokesperson", "spokesman", "spokeswoman", "minister", "president",
    "secretary", "chancellor", "department", "ministry", "government", "embassy", "administration",
    "assessment", "source", "sources", "analyst", "analysts", "expert", "experts", "report",
    "statement", "diplomat", "diplomats", "leader", "leaders", "authorities", "agency", "he", "she",
    "they", "intelligence", "findings", "officer", "envoy", "ambassador", "director", "chief",
    "ceo", "chairman", "chairwoman", "head", "researchers", "scientists", "study", "police",
    "witnesses", "prosecutors", "lawmakers", "senator", "governor", "mayor", "court", "judge",
    "company", "committee", "agency", "union", "observers", "critics",
];

/// Words that end a speaker phrase when walking away from the verb.
const STOPS: &[&str] = &[
    "that", "which", "who", "and", "but", "as", "while", "when", "because", "if", "on", "in", "at",
    "to", "for", "with", "after", "before", "during", "this", "last", "is", "are", "was", "were",
    "has", "have", "had", "will", "would", "can", "could", "also", "then", "not", "it",
];

#[derive(Debug, Clone)]
struct Word<'a> {
    text: &'a str,
    /// A clause delimiter (comma, colon, dash, bracket) precedes this word.
    delim_before: bool,
    /// A closing quotation mark precedes this word.
    quote_before: bool,
}

fn words(sentence: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut delim = true;
    let mut quote = false;
    for piece in sentence.split_whitespace() {
        let lead: String = piece.chars().take_while(|c| !c.is_alphanumeric()).collect();
        let core = piece.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '’' && c != '\'');
        let core = core.trim_end_matches(['.', '’', '\'']);
        if lead.contains(['“', '"', '(', '[', '—', '–']) {
            delim = true;
        }
        if !core.is_empty() {
            out.push(Word { text: core, delim_before: delim, quote_before: quote });
        }
        let tail: String = piece.chars().rev().take_while(|c| !c.is_alphanumeric()).collect();
        delim = tail.contains([',', ';', ':', '”', '"', ')', ']', '—', '–']) || piece == "—" || piece == "–";
        quote = tail.contains(['”', '"']);
    }
    out
}

fn valid_speaker(np: &[Word]) -> bool {
    !np.is_empty()
        && np.len() <= 8
        && np.iter().any(|w| {
            w.text.chars().next().is_some_and(char::is_uppercase)
                || SPEAKER_NOUNS.contains(&w.text.to_lowercase().as_str())
        })
        && !np[0].text.ends_with("ing")
}

fn join(np: &[Word]) -> String {
    np.iter().map(|w| w.text).collect::<Vec<_>>().join(" ")
}

/// Noun phrase right after `from`, up to a stop word or delimiter.
fn forward_np<'a>(ws: &'a [Word<'a>], from: usize) -> &'a [Word<'a>] {
    let mut end = from;
    while end < ws.len() && end - from < 8 {
        if end > from && ws[end].delim_before || STOPS.contains(&ws[end].text.to_lowercase().as_str()) {
            break;
        }
        end += 1;
    }
    &ws[from..end]
}

/// Noun phrase ending right before `verb`: the last clause segment, or the one
/// before it when the last is a parenthetical ("A senior official, speaking on
/// condition of anonymity, emphasized…").
fn backward_np<'a>(ws: &'a [Word<'a>], verb: usize) -> &'a [Word<'a>] {
    let mut segments = Vec::new();
    let mut end = verb;
    let mut start = verb;
    while start > 0 && verb - start < 14 {
        start -= 1;
        if ws[start].delim_before || start == 0 {
            segments.push((start, end));
            end = start;
        }
    }
    for (s, e) in segments {
        let seg = &ws[s..e];
        let parenthetical = seg.first().is_some_and(|w| w.text.ends_with("ing") && w.text.chars().next().is_some_and(char::is_lowercase));
        if seg.is_empty() || parenthetical {
            continue;
        }
        // Keep the phrase closest to the verb, cut at clause words ("which Washington says").
        let cut = seg.iter().rposition(|w| STOPS.contains(&w.text.to_lowercase().as_str())).map_or(0, |p| p + 1);
        return &seg[cut..];
    }
    &[]
}

/// The speaker of a sentence, if the sentence reports speech.
pub fn find(sentence: &str) -> Option<String> {
    let ws = words(sentence);
    let lower: Vec<String> = ws.iter().map(|w| w.text.to_lowercase()).collect();
    // "according to X"
    if let Some(p) = lower.windows(2).position(|w| w[0] == "according" && w[1] == "to") {
        let np = forward_np(&ws, p + 2);
        if valid_speaker(np) || np.len() == 1 && np[0].text.to_lowercase() == "them" {
            return Some(join(np));
        }
    }
    // Verbs are lowercase mid-sentence: "United States" is no "states".
    let verbs: Vec<usize> = (1..ws.len()).filter(|&i| SPEECH_VERBS.contains(&ws[i].text)).collect();
    // After a closing quote: "…,” the official said." / "…,” said Blinken."
    for &v in &verbs {
        let np = backward_np(&ws, v);
        let after_quote = np.first().is_some_and(|w| w.quote_before) || ws[v].quote_before;
        if after_quote {
            if valid_speaker(np) && !ws[v].quote_before {
                return Some(join(np));
            }
            let np = forward_np(&ws, v + 1);
            if valid_speaker(np) {
                return Some(join(np));
            }
        }
    }
    for &v in &verbs {
        let np = backward_np(&ws, v);
        if valid_speaker(np) {
            return Some(join(np));
        }
    }
    // Headline form "Blinken: China is …"
    let (head, _) = sentence.split_once(':')?;
    let head_words = words(head);
    (head_words.len() <= 4 && valid_speaker(&head_words) && !sentence.contains('“')).then(|| join(&head_words))
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn finds_speakers() {
        let cases = [
            ("China is “helping Russia fight this war,” a senior US official told reporters under the guise of anonymity.", "a senior US official"),
            ("“Russia is undertaking its most ambitious defense expansion,” the official said.", "the official"),
            ("China is helping Russia carry out its biggest military expansion, according to a US assessment.", "a US assessment"),
            ("Blinken says China is Russia’s primary military complex supplier", "Blinken"),
            ("US officials said China provided more than 70% of the $900m worth of machine tools.", "US officials"),
            ("Deputy Secretary of State Kurt Campbell said this week that European stability has been a top concern.", "Deputy Secretary of State Kurt Campbell"),
            ("A senior US official, speaking on condition of anonymity, emphasized that China has played a pivotal role.", "A senior US official"),
            ("Announcing the US findings, the officials said China was helping Russia produce drones.", "the officials"),
            ("“It is a question of life and death,” argued the Ukrainian minister, for whom the provision is the priority.", "the Ukrainian minister"),
            ("Blinken: China is the main military supplier for Russian invasion in Ukraine.", "Blinken"),
        ];
        for (sentence, speaker) in cases {
            assert_eq!(find(sentence).as_deref(), Some(speaker), "{sentence}");
        }
    }

    #[test]
    fn own_voice_has_no_speaker() {
        assert_eq!(find("The G7 foreign ministers meeting concluded on Capri Island in Italy on Friday."), None);
        assert_eq!(find("In addition to the United States, the G7 includes Canada, the United Kingdom and Italy."), None);
        assert_eq!(find("China also delivers drone engines to Russia."), None);
    }
}
