//! Quantities pass: numbers with their units and comparators ("more than
//! 70%", "$900m", "61 billion dollars"), shares in words ("most of", "nine out
//! of ten"), ranks ("his second visit", "the 20th century") and dates ("in
//! February 2023", "15 December 2006"). The words they take are consumed.

use super::dictionary::LEX;
use super::features::{Cmp, DAY_OF_MONTH, DateRef, Measure, Quantity};
use super::lexicon::{COMPARATORS, CURRENCIES, MONTHS, NOT_A_SHARE, NUMBER_WORDS, ORDINAL_WORDS, PROPORTIONS, SCALES};
use super::words::{Sentence, Word, join, phrase_at};

/// What follows a number written as an ordinal ("20th", "1st").
const ORDINAL_SUFFIXES: [&str; 4] = ["st", "nd", "rd", "th"];

pub(super) fn pass(s: &mut Sentence) {
    for i in 0..s.words.len() {
        if s.words[i].consumed || proportion(s, i) || ordinal_word(s, i) {
            continue;
        }
        number(s, i);
    }
}

/// A share stated in words at `i`, recorded as a percentage.
fn proportion(s: &mut Sentence, i: usize) -> bool {
    let Some((len, value, own)) = proportion_at(&s.words, i) else { return false };
    let (first, cmp) = comparator_before(&s.words, i).unwrap_or((i, own));
    // "most of" reads "most".
    let end = if matches!(s.words[i + len - 1].lower.as_str(), "of" | "the") { i + len - 1 } else { i + len };
    let surface = join(&s.words[first..end]);
    s.features.quantities.push(Quantity { value, unit: Measure::Percent, cmp, surface });
    s.words[first..i + len].iter_mut().for_each(|w| w.consumed = true);
    true
}

/// An ordinal word at `i` ("second", "the last"): it ranks the noun after it.
fn ordinal_word(s: &mut Sentence, i: usize) -> bool {
    let words = &s.words;
    let Some((_, rank, cmp)) = ORDINAL_WORDS.iter().find(|(w, ..)| *w == words[i].lower) else { return false };
    // "the last quarter" ranks; "last year" is a date relative to now.
    let relative = words[i].lower == "last" && i.checked_sub(1).is_none_or(|p| words[p].lower != "the");
    if let Some(noun) = noun_after(words, i).filter(|_| !relative) {
        s.features.quantities.push(Quantity { value: *rank, unit: Measure::Rank(noun), cmp: *cmp, surface: words[i].text.clone() });
        s.words[i].consumed = true;
    }
    true
}

/// A number and the words around it that qualify it.
struct Scan {
    value: f64,
    /// The words it spans.
    first: usize,
    last: usize,
    currency: Option<&'static str>,
    cmp: Cmp,
    ordinal: bool,
    day_of_month: bool,
    unit: Option<Measure>,
}

/// A number at `i`, as a quantity or a date.
fn number(s: &mut Sentence, i: usize) {
    let Some(n) = scan(&s.words, i) else { return };
    let year = s.words[i].lower.len() == 4 && (1800.0..=2100.0).contains(&n.value);
    if year && n.currency.is_none() && n.unit.is_none() && n.last == i && n.cmp == Cmp::Eq && !n.ordinal {
        let month = (i > 0).then(|| MONTHS.iter().position(|m| *m == s.words[i - 1].lower)).flatten().map(|m| m as u8 + 1);
        s.features.dates.push(DateRef { year: n.value as i32, month });
        s.words[i].consumed = true;
        return;
    }
    let unit = match (n.unit, n.currency) {
        (Some(u), _) => u,
        (None, Some(c)) => Measure::Currency(c),
        (None, None) if n.day_of_month => Measure::Count(DAY_OF_MONTH.into()),
        (None, None) => {
            let noun = noun_after(&s.words, n.last).unwrap_or_default();
            if n.ordinal { Measure::Rank(noun) } else { Measure::Count(noun) }
        }
    };
    let mut surface = join(&s.words[n.first..=n.last]);
    if n.ordinal && n.last == i + 1 {
        surface.retain(|c| c != ' '); // "20th", as written
    }
    s.features.quantities.push(Quantity { value: n.value, unit, cmp: n.cmp, surface });
    s.words[n.first..=n.last].iter_mut().for_each(|w| w.consumed = true);
}

/// Reads the number at `i` with its currency and comparator before it and
/// its scale, ordinal suffix and unit after it.
fn scan(words: &[Word], i: usize) -> Option<Scan> {
    // "less than a year": an article after a comparator is one.
    let article = matches!(words[i].lower.as_str(), "a" | "an" | "one") && comparator_before(words, i).is_some_and(|(start, _)| i - start == 2);
    let mut value = parse_number(&words[i].lower).or(article.then_some(1.0))?;
    let (mut first, mut last) = (i, i);
    let mut currency = None;
    if i > 0 && !words[i - 1].consumed {
        if let Some(cur) = lookup(CURRENCIES, &words[i - 1].lower) {
            currency = Some(cur);
            first = i - 1;
        }
    }
    let mut cmp = Cmp::Eq;
    if let Some((start, c)) = comparator_before(words, first) {
        (first, cmp) = (start, c);
    }
    // "m" after a number is a million only for money ("$900m", not "700 m").
    let scale = words.get(last + 1).filter(|r| currency.is_some() || r.lower.len() > 1).and_then(|r| lookup(SCALES, &r.lower));
    if let Some(scale) = scale {
        value *= scale;
        last += 1;
    }
    // An ordinal ("20th century") ranks, it does not count: it compares
    // only with the same ordinal noun.
    let ordinal = words.get(last + 1).is_some_and(|r| ORDINAL_SUFFIXES.contains(&r.lower.as_str()));
    last += usize::from(ordinal);
    // "15 December" and "December 15th" name the same day.
    let is_month = |r: Option<&Word>| r.is_some_and(|r| MONTHS.contains(&r.lower.as_str()));
    let day_of_month = cmp == Cmp::Eq
        && currency.is_none()
        && value.fract() == 0.0
        && (1.0..=31.0).contains(&value)
        && (is_month(i.checked_sub(1).map(|p| &words[p])) || is_month(words.get(last + 1)));
    let unit = unit_after(words, &mut last, &mut currency);
    Some(Scan { value, first, last, currency, cmp, ordinal, day_of_month, unit })
}

/// The unit right after the number's last word ("%", "per cent", "dollars"),
/// extending `last` over it; a currency word also sets `currency`.
fn unit_after(words: &[Word], last: &mut usize, currency: &mut Option<&'static str>) -> Option<Measure> {
    let unit = match words.get(*last + 1).map(|r| r.lower.as_str()) {
        Some("%" | "percent") => Some(Measure::Percent),
        Some("per") if words.get(*last + 2).is_some_and(|r| r.lower == "cent") => {
            *last += 1;
            Some(Measure::Percent)
        }
        // Only words follow a number as its currency ("61 billion dollars").
        Some(w) if w.chars().all(char::is_alphabetic) => lookup(CURRENCIES, w).map(|c| {
            *currency = currency.or(Some(c));
            Measure::Currency(c)
        }),
        _ => None,
    };
    *last += usize::from(unit.is_some());
    unit
}

fn parse_number(lower: &str) -> Option<f64> {
    if lower.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return lower.replace(',', "").parse().ok();
    }
    lookup(NUMBER_WORDS, lower)
}

fn lookup<T: Copy>(table: &[(&str, T)], lower: &str) -> Option<T> {
    table.iter().find(|(w, _)| *w == lower).map(|(_, v)| *v)
}

/// A comparator ending just before position `at` ("more than" 70%): where it
/// starts, and what it means.
fn comparator_before(words: &[Word], at: usize) -> Option<(usize, Cmp)> {
    COMPARATORS.iter().find_map(|(phrase, c)| {
        let start = at.checked_sub(phrase.len())?;
        phrase_at(words, start, phrase).then_some((start, *c))
    })
}

/// A share stated in words from position `i` ("most of", "half of", "nine
/// out of ten"): its length in words, and its value as a percentage.
fn proportion_at(words: &[Word], i: usize) -> Option<(usize, f64, Cmp)> {
    if phrase_at(words, i + 1, &["out", "of"]) {
        let part = if words[i].lower == "one" { Some(1.0) } else { parse_number(&words[i].lower) }?;
        let whole = words.get(i + 3).and_then(|r| parse_number(&r.lower)).filter(|w| *w > 0.0 && *w >= part)?;
        return Some((4, 100.0 * part / whole, Cmp::Eq));
    }
    let (phrase, value, cmp) = PROPORTIONS.iter().find(|(phrase, ..)| phrase_at(words, i, phrase))?;
    let period = phrase[0] == "half" && i.checked_sub(1).is_some_and(|p| NOT_A_SHARE.contains(&words[p].lower.as_str()));
    (!period).then_some((phrase.len(), *value, *cmp))
}

/// The noun a number or rank applies to: the word after it, if a content word.
fn noun_after(words: &[Word], at: usize) -> Option<String> {
    let lex = &*LEX;
    words.get(at + 1).filter(|r| !r.boundary && !lex.stopwords.contains(r.lower.as_str()) && r.lower.chars().all(char::is_alphabetic)).map(|r| lex.word_term(&r.lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::language::{analyze, canonical_word};

    #[test]
    fn parses_quantities_with_units_and_comparators() {
        let q = analyze("more than 70% of the $900m (£723m) worth").quantities;
        assert_eq!(q.len(), 3);
        assert_eq!((q[0].value, &q[0].unit, q[0].cmp), (70.0, &Measure::Percent, Cmp::Gt));
        assert_eq!((q[1].value, &q[1].unit), (9e8, &Measure::Currency("usd")));
        assert_eq!((q[2].value, &q[2].unit), (7.23e8, &Measure::Currency("gbp")));
        let q = analyze("more than 70 percent of the USD 900 million").quantities;
        assert_eq!((q[0].value, &q[0].unit), (70.0, &Measure::Percent));
        assert_eq!((q[1].value, &q[1].unit), (9e8, &Measure::Currency("usd")));
        let q = analyze("an envelope of 61 billion dollars").quantities;
        assert_eq!((q[0].value, &q[0].unit), (61e9, &Measure::Currency("usd")));
        let q = analyze("Less than 20 per cent").quantities;
        assert_eq!((q[0].value, &q[0].unit, q[0].cmp), (20.0, &Measure::Percent, Cmp::Lt));
        // "m" is a million only for money; an ordinal counts its noun apart.
        let q = analyze("a depth of 700 m in the 20th century").quantities;
        assert_eq!((q[0].value, &q[0].unit), (700.0, &Measure::Count("m".into())));
        assert_eq!((q[1].value, &q[1].unit, q[1].surface.as_str()), (20.0, &Measure::Rank(canonical_word("century")), "20th"));
    }

    #[test]
    fn days_of_the_month_in_either_order() {
        let day = |t: &str| analyze(t).quantities.into_iter().map(|q| (q.value, q.unit)).collect::<Vec<_>>();
        assert_eq!(day("It first flew on 15 December 2006."), day("It first flew on December 15th, 2006."));
        assert_eq!(day("on December 15th"), [(15.0, Measure::Count(DAY_OF_MONTH.into()))]);
    }

    #[test]
    fn shares_in_words_are_percentages() {
        let q = |t: &str| analyze(t).quantities.into_iter().map(|q| (q.value, q.unit, q.cmp, q.surface)).collect::<Vec<_>>();
        assert_eq!(q("Most of the machine tools were Chinese"), [(50.0, Measure::Percent, Cmp::Gt, "Most".into())]);
        assert_eq!(q("less than half of the imports"), [(50.0, Measure::Percent, Cmp::Lt, "less than half".into())]);
        assert_eq!(q("nine out of ten chips"), [(90.0, Measure::Percent, Cmp::Eq, "nine out of ten".into())]);
        assert!(q("in the second half of 2023").iter().all(|q| q.1 != Measure::Percent), "a part of a period, not a share");
        let most = analyze("Most of the tools").quantities.remove(0);
        assert!(most.compatible(&analyze("more than 70 percent").quantities[0]));
        assert!(!analyze("less than half of").quantities[0].compatible(&analyze("more than 70%").quantities[0]));
    }

    #[test]
    fn ordinal_words_rank_their_noun() {
        let q = |t: &str| analyze(t).quantities.remove(0);
        assert_eq!(q("his second visit").unit, Measure::Rank(canonical_word("visit")));
        assert!(!q("his second visit").compatible(&q("his third visit")));
        assert!(!q("the first quarter").compatible(&q("the last quarter")));
        assert!(q("the fourth quarter").compatible(&q("the last quarter")), "the last may be the fourth");
        assert!(analyze("she was the first to arrive").quantities.is_empty(), "no noun to rank");
    }

    #[test]
    fn quantity_compatibility() {
        let q = |t: &str| analyze(t).quantities.remove(0);
        assert!(q("more than 70%").compatible(&q("more than 70 percent")));
        assert!(q("about 90%").compatible(&q("90%")));
        assert!(!q("less than 20%").compatible(&q("more than 70%")));
        assert!(!q("for less than a year").compatible(&q("for more than two years")));
        assert!(analyze("a dispute over a border").quantities.is_empty());
        assert!(!q("$9 billion").compatible(&q("$900m")));
        assert!(!q("16 billion dollars").compatible(&q("61 billion dollars")));
    }

    #[test]
    fn parses_years_and_months() {
        let f = analyze("In February 2023, China proposed a plan; in 2024 it did not.");
        assert_eq!(f.dates, [DateRef { year: 2023, month: Some(2) }, DateRef { year: 2024, month: None }]);
        assert!(f.quantities.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn numbers_with_units_never_panic(n in 0u64..u64::MAX, unit in "(%| percent| per cent|m|bn| billion| dollars| people)", cmp in "(more than |less than |about |)") {
            let _ = analyze(&format!("{cmp}${n}{unit} and {cmp}{n}{unit}"));
        }
    }
}
