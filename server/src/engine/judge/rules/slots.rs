//! Slots: a claim place whose slot the sentence fills with another place,
//! found next to the words the two share ("Capri, Greece" / "Capri, Italy").

use super::align::Alignment;
use crate::engine::language::{Features, Kind, Token, open_ended};

/// How far (in words) a name may be from the word it qualifies: in the claim,
/// and in the evidence, which may phrase the slot more loosely.
const CLAIM_SLOT_DISTANCE: usize = 2;
const SLOT_DISTANCE: usize = 3;

/// A claim place whose slot the evidence fills with another place: "Capri,
/// Greece" against "Capri, Italy", "Germany holds the presidency" against
/// "Italy, which holds the presidency". Only places: for people and other
/// names, a different name nearby is far more often another actor than a
/// contradiction.
pub(super) struct SlotSwap<'a> {
    pub claimed: &'a Token,
    pub found: &'a Token,
    /// The slot holds one name at a time ("holds the presidency", "Capri,
    /// Italy"), unlike "visited China", which leaves room for Moscow.
    pub exclusive: bool,
}

pub(super) fn slot_swap<'a>(claim: &'a Features, evidence: &'a Features, aligned: &[Option<Alignment>]) -> Option<SlotSwap<'a>> {
    let near = |a: &Token, b: &Token, d: usize| a.pos.abs_diff(b.pos) <= d;
    claim.tokens.iter().filter(|g| g.kind == Kind::Geo).find_map(|g| {
        // The aligned words next to the place anchor its slot; reporting
        // verbs do not ("Washington says" names a speaker, not a slot).
        let mut anchors: Vec<(&Token, usize)> = claim
            .tokens
            .iter()
            .zip(aligned)
            // A name anchors only the place next to it ("Capri, Greece"); one
            // further off is another actor ("Campbell said Japan would…").
            .filter(|(t, _)| t.kind != Kind::Geo && !t.speech && near(t, g, CLAIM_SLOT_DISTANCE) && (t.kind == Kind::Word || t.pos.abs_diff(g.pos) == 1))
            .filter_map(|(t, a)| Some((t, a.as_ref()?.pos)))
            .collect();
        anchors.sort_by_key(|(t, _)| (t.pos.abs_diff(g.pos), t.kind == Kind::Word));
        let window = |at: usize| {
            let mut w: Vec<&Token> = evidence.tokens.iter().filter(|e| e.kind == Kind::Geo && e.pos.abs_diff(at) <= SLOT_DISTANCE).collect();
            w.sort_by_key(|e| e.pos.abs_diff(at));
            w
        };
        // The claimed place next to any anchor fills the slot as claimed
        // ("…cannot accept China seeking…" / "If China seeks…, we cannot accept that").
        if anchors.iter().any(|&(_, at)| window(at).iter().any(|e| e.term == g.term)) {
            return None;
        }
        let found = window(anchors.first()?.1).into_iter().find(|e| !claim.mentions(&e.term))?;
        // "Capri, Greece": a place right after a name is an attribute of it.
        // Otherwise the slot is exclusive unless an open-ended predicate
        // (visit, supply) governs it.
        let apposition = claim.tokens.iter().any(|t| t.pos + 1 == g.pos && matches!(t.kind, Kind::Proper | Kind::Geo));
        let open_ended = claim.tokens.iter().any(|t| {
            t.kind == Kind::Word && near(t, g, SLOT_DISTANCE) && open_ended(&t.term)
        });
        let exclusive = apposition || !open_ended;
        Some(SlotSwap { claimed: g, found, exclusive })
    })
}
