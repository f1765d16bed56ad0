//! Word lists the lexical engine relies on. They describe English and news
//! language in general, never a particular article or claim.

/// Function words that carry no claim content. Negation cues and comparators
/// are handled before this list applies.
pub const STOPWORDS: &[&str] = &[
    "a", "about", "above", "across", "again", "against", "all", "also", "am", "among", "an",
    "and", "any", "are", "as", "at", "be", "because", "been", "being", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "done", "during", "each", "either", "else", "ever",
    "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself",
    "just", "may", "me", "might", "mine", "more", "most", "much", "must", "my", "myself", "of", "off",
    "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "per",
    "quite", "rather", "really", "same", "shall", "she", "should", "so", "some", "such", "than",
    "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
    "those", "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "via",
    "was", "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom", "whose",
    "why", "will", "with", "within", "would", "yet", "you", "your", "yours", "yourself", "s", "mr",
    "mrs", "ms", "dr", "one", "ones", "another", "many", "several", "few", "less", "least", "still",
    "already", "even", "now", "well", "instead", "whereas", "although", "though", "since",
    "like", "unto", "onto", "toward", "towards", "amid", "amidst", "amongst", "around",
    "according", "moreover", "furthermore", "meanwhile", "cca", "eg", "ie", "etc", "let",
];

/// Words that negate what follows them, up to the end of the clause.
pub const NEGATION_CUES: &[&str] = &[
    "not", "no", "never", "neither", "nor", "without", "none", "nobody", "nothing", "cannot",
    "nowhere", "lack", "lacks", "lacked", "absence",
];

/// Multi-word negative implicatives: "stopped short of doing X" means X did not happen.
pub const NEGATION_PHRASES: &[&[&str]] = &[
    &["stopped", "short", "of"],
    &["stop", "short", "of"],
    &["stops", "short", "of"],
    &["refrain", "from"],
    &["refrained", "from"],
    &["refraining", "from"],
    &["refrains", "from"],
    &["failed", "to"],
    &["fails", "to"],
    &["fail", "to"],
    &["declined", "to"],
    &["declines", "to"],
    &["refused", "to"],
    &["refuses", "to"],
    &["avoided"],
    &["avoids"],
    &["avoiding"],
    &["far", "from"],
    &["denied", "that"],
    &["denies", "that"],
    &["no", "longer"],
    &["yet", "to"],
    &["shortage", "of"],
    &["shortages", "of"],
    &["lack", "of"],
];

/// Words that end a negation's scope (clause changes).
pub const SCOPE_BREAKERS: &[&str] =
    &["but", "while", "which", "whereas", "although", "though", "instead", "and", "however", "yet"];

/// Places and nations with the names, adjectives and seats of government that
/// refer to them. The first entry is the canonical id.
pub const GEO_ALIASES: &[&[&str]] = &[
    &["us", "u.s", "u.s.a", "usa", "united states", "united states of america", "america", "american", "americans", "washington"],
    &["china", "chinese", "beijing", "prc", "ccp", "people republic of china", "peoples republic of china"],
    &["russia", "russian", "russians", "moscow", "kremlin", "russian federation"],
    &["ukraine", "ukrainian", "ukrainians", "kyiv", "kiev"],
    &["uk", "u.k", "britain", "great britain", "united kingdom", "british"],
    &["germany", "german", "germans", "berlin"],
    &["france", "french", "paris"],
    &["italy", "italian", "italians", "rome"],
    &["japan", "japanese", "tokyo"],
    &["canada", "canadian", "canadians", "ottawa"],
    &["india", "indian", "indians", "new delhi"],
    &["iran", "iranian", "iranians", "tehran"],
    &["north korea", "north korean", "north koreans", "pyongyang", "dprk"],
    &["south korea", "south korean", "south koreans", "seoul"],
    &["greece", "greek", "greeks", "athens"],
    &["spain", "spanish", "madrid"],
    &["poland", "polish", "warsaw"],
    &["turkey", "turkish", "ankara"],
    &["israel", "israeli", "israelis"],
    &["taiwan", "taiwanese", "taipei"],
    &["australia", "australian", "australians", "canberra"],
    &["brazil", "brazilian", "brasilia"],
    &["mexico", "mexican"],
    &["belarus", "belarusian", "minsk"],
    &["sri lanka", "sri lankan"],
    &["pakistan", "pakistani", "islamabad"],
    &["saudi arabia", "saudi", "riyadh"],
    &["european union", "eu", "brussels"],
    &["europe", "european", "europeans"],
    &["soviet union", "soviet", "ussr"],
    &["nato"],
    &["united nations", "un"],
];

/// Capitals and seats of government among the aliases above. Used for the
/// government they match the country ("Beijing says"), but a claim about the
/// city itself ("visited Moscow") needs the city.
pub const CAPITALS: &[&str] = &[
    "washington", "beijing", "moscow", "kremlin", "kyiv", "kiev", "berlin", "paris", "rome", "tokyo",
    "ottawa", "new delhi", "tehran", "pyongyang", "seoul", "athens", "madrid", "warsaw", "ankara",
    "taipei", "canberra", "brasilia", "minsk", "islamabad", "riyadh", "brussels",
];

/// Words with (for this purpose) the same meaning; the first is canonical.
pub const SYNONYMS: &[&[&str]] = &[
    &["supply", "supplier", "provide", "deliver", "give", "send", "furnish", "export", "sell", "ship", "transfer", "sponsor", "source"],
    &["say", "state", "tell", "note", "assert", "claim", "announce", "declare", "explain", "highlight", "emphasize", "emphasise", "underscore", "stress", "elaborate", "insist", "argue", "reiterate", "remark", "add", "accuse"],
    &["help", "assist", "aid", "support", "back", "facilitate"],
    &["main", "primary", "principal", "chief", "leading", "top"],
    &["big", "biggest", "large", "largest", "great", "greatest", "major", "huge", "massive", "extensive"],
    &["small", "smallest", "little", "minor"],
    &["visit", "trip", "travel", "tour"],
    &["meet", "gather", "talk", "summit"],
    &["buy", "purchase", "import", "acquire", "procure"],
    &["block", "bar", "prevent", "ban", "prohibit", "forbid"],
    &["stop", "halt", "cease", "suspend"],
    &["include", "member", "comprise", "part"],
    &["weapon", "arm", "armament", "munition"],
    &["produce", "production", "make", "manufacture", "build"],
    &["rebuild", "reconstitute", "revitalize", "revitalise", "rejuvenate", "restore", "revive"],
    &["increase", "rise", "grow", "growth", "expand", "expansion", "boost", "raise", "climb", "surge"],
    &["decrease", "fall", "decline", "drop", "shrink", "reduce", "reduction", "cut", "plunge"],
    &["war", "conflict", "invasion"],
    &["threat", "danger", "risk", "menace"],
    &["company", "entity", "business", "corporation"],
    &["before", "prior", "earlier", "ago"],
    &["after", "following", "later"],
    &["concern", "worry", "fear", "alarm"],
    &["accept", "approve", "allow", "permit"],
    &["reject", "refuse", "deny"],
    &["begin", "start", "launch", "commence"],
    &["island", "isle"],
    &["kill", "dead", "death"],
    &["presidency", "chair", "chairmanship"],
    &["fuel", "drive"],
    &["win", "gain"],
    &["end", "conclude", "finish"],
    &["together", "joint"],
];

/// Canonical words whose meanings exclude each other.
pub const ANTONYMS: &[(&str, &str)] = &[
    ("increase", "decrease"),
    ("accept", "reject"),
    ("big", "small"),
    ("win", "lose"),
    ("support", "oppose"),
    ("strengthen", "weaken"),
    ("first", "last"),
    ("high", "low"),
    ("success", "failure"),
    ("true", "false"),
    ("legal", "illegal"),
    ("open", "close"),
    ("private", "public"),
    ("rich", "poor"),
    ("strong", "weak"),
    ("maximum", "minimum"),
    ("deadly", "harmless"),
];

/// Predicates that relate a subject to many places at once: visiting or meeting
/// in one place does not exclude another, so a different place there is not a
/// contradiction.
pub const NON_EXCLUSIVE: &[&str] = &[
    "visit", "meet", "go", "arrive", "fly", "call", "attend", "return", "head", "plan", "supply",
    "help", "work", "trade", "speak",
];

/// Irregular forms, mapped to the form the stemmer handles.
pub const IRREGULAR: &[(&str, &str)] = &[
    ("met", "meet"), ("said", "say"), ("told", "tell"), ("gave", "give"),
    ("given", "give"), ("sent", "send"), ("sold", "sell"), ("made", "make"), ("bought", "buy"),
    ("went", "go"), ("gone", "go"), ("held", "hold"), ("led", "lead"), ("began", "begin"),
    ("begun", "begin"), ("became", "become"), ("took", "take"), ("taken", "take"), ("saw", "see"),
    ("seen", "see"), ("won", "win"), ("lost", "lose"), ("grew", "grow"), ("grown", "grow"),
    ("rose", "rise"), ("risen", "rise"), ("fell", "fall"), ("fallen", "fall"), ("paid", "pay"),
    ("built", "build"), ("spent", "spend"), ("thought", "think"), ("brought", "bring"),
    ("found", "find"), ("left", "leave"), ("kept", "keep"), ("sought", "seek"), ("struck", "strike"),
    ("spoke", "speak"), ("spoken", "speak"), ("wrote", "write"), ("written", "write"), ("ran", "run"),
    ("chose", "choose"), ("chosen", "choose"), ("drove", "drive"), ("fought", "fight"),
    ("taught", "teach"), ("caught", "catch"), ("meant", "mean"), ("shown", "show"), ("knew", "know"),
    ("known", "know"), ("flew", "fly"), ("flown", "fly"),
];

/// Verbs that introduce reported speech, for attribution.
pub const SPEECH_VERBS: &[&str] = &[
    "said", "says", "say", "told", "tells", "stated", "states", "noted", "notes", "added", "adds",
    "explained", "explains", "highlighted", "highlights", "elaborated", "emphasized", "emphasised",
    "emphasizes", "underscored", "underscores", "argued", "argues", "warned", "warns", "insisted",
    "insists", "assured", "claimed", "claims", "announced", "announces", "revealed", "reveals",
    "confirmed", "confirms", "reported", "reports", "reiterated", "reiterates", "stressed",
    "stresses", "asserted", "asserts", "asserting", "acknowledged", "admitted", "denied", "denies",
    "accused", "accuses", "believe", "believes", "cautioned", "wrote", "writes", "tweeted",
    "pointed", "disclosed",
];

/// Word numbers understood in quantities.
pub const NUMBER_WORDS: &[(&str, f64)] = &[
    ("zero", 0.0), ("two", 2.0), ("three", 3.0), ("four", 4.0), ("five", 5.0), ("six", 6.0),
    ("seven", 7.0), ("eight", 8.0), ("nine", 9.0), ("ten", 10.0), ("eleven", 11.0),
    ("twelve", 12.0), ("thirteen", 13.0), ("fourteen", 14.0), ("fifteen", 15.0),
    ("sixteen", 16.0), ("seventeen", 17.0), ("eighteen", 18.0), ("nineteen", 19.0),
    ("twenty", 20.0), ("thirty", 30.0), ("forty", 40.0), ("fifty", 50.0), ("sixty", 60.0),
    ("seventy", 70.0), ("eighty", 80.0), ("ninety", 90.0), ("hundred", 100.0),
    ("dozen", 12.0), ("dozens", 24.0),
];

/// Scale words after a number: "$900m", "61 billion".
pub const SCALES: &[(&str, f64)] = &[
    ("k", 1e3), ("thousand", 1e3), ("m", 1e6), ("mn", 1e6), ("mln", 1e6), ("million", 1e6),
    ("millions", 1e6), ("b", 1e9), ("bn", 1e9), ("billion", 1e9), ("billions", 1e9),
    ("tn", 1e12), ("trillion", 1e12), ("hundred", 1e2),
];

/// Currency markers, before or after the number.
pub const CURRENCIES: &[(&str, &str)] = &[
    ("$", "usd"), ("us$", "usd"), ("usd", "usd"), ("dollar", "usd"), ("dollars", "usd"),
    ("£", "gbp"), ("gbp", "gbp"), ("pound", "gbp"), ("pounds", "gbp"), ("€", "eur"),
    ("eur", "eur"), ("euro", "eur"), ("euros", "eur"), ("¥", "jpy"), ("yen", "jpy"),
    ("yuan", "cny"), ("rmb", "cny"), ("ruble", "rub"), ("rubles", "rub"), ("rouble", "rub"),
    ("roubles", "rub"),
];

/// Comparators before a number, with their meaning.
pub const COMPARATORS: &[(&[&str], super::features::Cmp)] = {
    use super::features::Cmp::*;
    &[
        (&["more", "than"], Gt), (&["over"], Gt), (&["above"], Gt), (&["exceeding"], Gt),
        (&["at", "least"], Gt), (&["greater", "than"], Gt), (&["upwards", "of"], Gt),
        (&["less", "than"], Lt), (&["fewer", "than"], Lt), (&["under"], Lt), (&["below"], Lt),
        (&["at", "most"], Lt), (&["up", "to"], Lt), (&["about"], Approx), (&["around"], Approx),
        (&["nearly"], Approx), (&["almost"], Approx), (&["roughly"], Approx),
        (&["approximately"], Approx), (&["some"], Approx), (&["an", "estimated"], Approx),
        (&["estimated"], Approx),
    ]
};

/// Words that state a share, as a percentage: "most of" is more than half.
pub const PROPORTIONS: &[(&[&str], f64, super::features::Cmp)] = {
    use super::features::Cmp::*;
    &[
        (&["most", "of"], 50.0, Gt), (&["majority", "of"], 50.0, Gt), (&["minority", "of"], 50.0, Lt),
        (&["half", "of"], 50.0, Eq), (&["half", "the"], 50.0, Eq), (&["a", "third", "of"], 33.3, Approx),
        (&["one", "third", "of"], 33.3, Approx), (&["two", "thirds", "of"], 66.7, Approx),
        (&["a", "quarter", "of"], 25.0, Approx), (&["one", "quarter", "of"], 25.0, Approx),
        (&["three", "quarters", "of"], 75.0, Approx),
    ]
};

/// Words before "half" that make it a part of a period, not a share ("the second half of 2023").
pub const NOT_A_SHARE: &[&str] = &["the", "first", "second", "latter", "former"];

/// Ordinal words, which rank the noun that follows ("his second visit").
/// "Last" is any rank but the first: "the last quarter" may be the fourth.
pub const ORDINAL_WORDS: &[(&str, f64, super::features::Cmp)] = {
    use super::features::Cmp::*;
    &[
        ("first", 1.0, Eq), ("second", 2.0, Eq), ("third", 3.0, Eq), ("fourth", 4.0, Eq), ("fifth", 5.0, Eq),
        ("sixth", 6.0, Eq), ("seventh", 7.0, Eq), ("eighth", 8.0, Eq), ("ninth", 9.0, Eq), ("tenth", 10.0, Eq),
        ("last", 2.0, Gt),
    ]
};

/// Words just before a capital that make it the city, not its government:
/// "visited Moscow", "talks in Beijing", but "arms to Moscow", "Beijing says".
pub const LOCATIVES: &[&str] = &[
    "in", "at", "visit", "visits", "visited", "visiting", "trip", "travel", "travels", "traveled",
    "travelled", "traveling", "travelling", "arrive", "arrives", "arrived", "arriving", "went", "go",
    "goes", "going", "flew", "fly", "flies", "head", "heads", "headed", "heading", "return",
    "returns", "returned", "returning", "near", "outside",
];

pub const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
];

pub const WEEKDAYS: &[&str] =
    &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Offices a person holds, as written, and the office each names. Longer
/// forms come first.
pub const OFFICES: &[(&[&str], &str)] = &[
    (&["deputy", "secretary", "of", "state"], "Deputy Secretary of State"),
    (&["secretary", "of", "state"], "Secretary of State"),
    (&["secretary", "of", "the", "treasury"], "Treasury Secretary"),
    (&["treasury", "secretary"], "Treasury Secretary"),
    (&["foreign", "minister"], "Foreign Minister"),
    (&["foreign", "secretary"], "Foreign Secretary"),
    (&["defense", "minister"], "Defense Minister"),
    (&["defence", "minister"], "Defense Minister"),
    (&["defense", "secretary"], "Defense Secretary"),
    (&["secretary", "of", "defense"], "Defense Secretary"),
    (&["secretary", "of", "defence"], "Defense Secretary"),
    (&["finance", "minister"], "Finance Minister"),
    (&["prime", "minister"], "Prime Minister"),
    (&["vice", "president"], "Vice President"),
    (&["national", "security", "adviser"], "National Security Adviser"),
    (&["health", "minister"], "Health Minister"),
    (&["education", "minister"], "Education Minister"),
    (&["interior", "minister"], "Interior Minister"),
    (&["justice", "minister"], "Justice Minister"),
    (&["trade", "minister"], "Trade Minister"),
    (&["energy", "minister"], "Energy Minister"),
    (&["transport", "minister"], "Transport Minister"),
    (&["chancellor"], "Chancellor"),
    (&["president"], "President"),
    (&["ambassador"], "Ambassador"),
    (&["spokesperson"], "spokesperson"),
    (&["spokesman"], "spokesperson"),
    (&["spokeswoman"], "spokesperson"),
    // The offices of firms, public bodies, courts and schools.
    (&["chief", "executive", "officer"], "Chief Executive"),
    (&["chief", "executive"], "Chief Executive"),
    (&["ceo"], "Chief Executive"),
    (&["chief", "financial", "officer"], "Finance Director"),
    (&["cfo"], "Finance Director"),
    (&["finance", "director"], "Finance Director"),
    (&["financial", "director"], "Finance Director"),
    (&["chief", "operating", "officer"], "Chief Operating Officer"),
    (&["chief", "medical", "officer"], "Chief Medical Officer"),
    (&["chief", "nursing", "officer"], "Chief Nursing Officer"),
    (&["chief", "constable"], "Chief Constable"),
    (&["police", "chief"], "Police Chief"),
    (&["managing", "director"], "Managing Director"),
    (&["executive", "director"], "Executive Director"),
    (&["medical", "director"], "Medical Director"),
    (&["general", "counsel"], "General Counsel"),
    (&["general", "secretary"], "General Secretary"),
    (&["chairman"], "Chair"),
    (&["chairwoman"], "Chair"),
    (&["chairperson"], "Chair"),
    (&["deputy", "leader"], "Deputy Leader"),
    (&["deputy", "mayor"], "Deputy Mayor"),
    (&["mayor"], "Mayor"),
    (&["governor"], "Governor"),
    (&["senator"], "Senator"),
    (&["superintendent"], "Superintendent"),
    (&["head", "teacher"], "Head Teacher"),
    (&["headteacher"], "Head Teacher"),
    (&["town", "manager"], "Town Manager"),
    (&["city", "manager"], "City Manager"),
    (&["town", "clerk"], "Town Clerk"),
    (&["city", "clerk"], "City Clerk"),
    (&["treasurer"], "Treasurer"),
    (&["prosecutor"], "Prosecutor"),
    (&["organiser"], "Organiser"),
    (&["organizer"], "Organiser"),
    // Any other director ("elections director"): not one of those above.
    (&["director"], "Director"),
];
