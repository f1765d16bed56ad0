//! Dense vectors of claim units for semantic retrieval: int8 with one scale per
//! vector (a quarter of f32's memory; cosine order barely moves), stored beside
//! each article. Searched exhaustively (a few ms per 50k units), or through an
//! HNSW graph (`super::ann`) once a store holds [`ANN_MIN_UNITS`]. A graph
//! outlives the index it was built for: the next one, after a write, maps its
//! keys to its own unit ids and scans the units stored since.

use std::sync::Arc;

use super::ann::{Ann, AnnError};
use crate::engine::models::DIM;

/// Units from which dense search goes through the graph: below, the exhaustive
/// scan is exact and about as fast (BENCHMARKS.md, "Dense retrieval").
pub const ANN_MIN_UNITS: usize = 50_000;

/// An article's unit vectors as stored: `[id len][embedder id][n × (f32 scale, DIM × i8)]`.
pub fn encode(embedder_id: &str, vectors: &[f32]) -> Vec<u8> {
    let id = &embedder_id.as_bytes()[..embedder_id.len().min(255)];
    let mut out = Vec::with_capacity(1 + id.len() + vectors.len() / DIM * (4 + DIM));
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    for v in vectors.chunks_exact(DIM) {
        let (scale, q) = quantize(v);
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend(q.iter().map(|&x| x as u8));
    }
    out
}

/// The stored vectors of an article with `units` units, if they were made by
/// `embedder_id` and are whole.
pub fn decode<'a>(embedder_id: &str, bytes: &'a [u8], units: usize) -> Option<Vec<(f32, &'a [u8])>> {
    let (&len, rest) = bytes.split_first()?;
    let (id, rest) = rest.split_at_checked(usize::from(len))?;
    if id != embedder_id.as_bytes() || rest.len() != units * (4 + DIM) {
        return None;
    }
    Some(rest.chunks_exact(4 + DIM).map(|c| (f32::from_le_bytes([c[0], c[1], c[2], c[3]]), &c[4..])).collect())
}

fn quantize(v: &[f32]) -> (f32, Vec<i8>) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-9);
    (max / 127.0, v.iter().map(|x| (x / max * 127.0).round() as i8).collect())
}

/// A graph key whose unit is gone from the store (its article deleted or changed).
const GONE: u32 = u32::MAX;
/// A graph is built again once the units it lacks and its nodes gone from
/// the store reach this share of it (1 in …): until then writes cost no
/// graph build (11 min at 1M sentences), and the units it lacks are scanned.
const REBUILD_SHARE: usize = 10;

/// All unit vectors of an index, in unit-id order, and their graph if large.
#[derive(Default)]
pub struct Dense {
    data: Vec<i8>,
    scales: Vec<f32>,
    graph: Option<Graphed>,
}

/// A graph, built for this index or an earlier one, as this index sees it.
struct Graphed {
    ann: Arc<Ann>,
    /// Each graph key (a unit id of the index it was built for): its unit id here, or [`GONE`].
    units: Vec<u32>,
    /// Units here with a vector that the graph lacks (stored since it was built): scanned.
    outside: Vec<u32>,
    /// Graph nodes whose unit is gone: searches filter them out.
    gone: usize,
}

impl Graphed {
    /// `ann` seen from an index whose units with a vector are those with a
    /// positive scale in `scales`, given each key's unit id there.
    fn new(ann: Arc<Ann>, units: Vec<u32>, scales: &[f32]) -> Graphed {
        let mut inside = vec![false; scales.len()];
        units.iter().filter(|&&u| u != GONE).for_each(|&u| inside[u as usize] = true);
        let outside = (0..scales.len() as u32).filter(|&u| scales[u as usize] > 0.0 && !inside[u as usize]).collect();
        let gone = ann.len().saturating_sub(inside.iter().filter(|&&i| i).count());
        Graphed { ann, units, outside, gone }
    }

    /// Whether it still holds enough of the store to be worth searching.
    fn current(&self) -> bool {
        (self.outside.len() + self.gone) * REBUILD_SHARE < self.ann.len().max(1)
    }
}

impl Dense {
    /// Appends one unit's stored vector (`None`: a unit without one never matches).
    pub fn push(&mut self, stored: Option<(f32, &[u8])>) {
        match stored {
            Some((scale, q)) => {
                self.scales.push(scale);
                self.data.extend(q.iter().map(|&x| x as i8));
            }
            None => {
                self.scales.push(0.0);
                self.data.extend(std::iter::repeat_n(0, DIM));
            }
        }
    }

    /// The vectors (`len() × DIM`) and their scales, as a snapshot saves them.
    pub fn parts(&self) -> (&[i8], &[f32]) {
        (&self.data, &self.scales)
    }

    /// The graph and each of its keys' unit id here ([`u32::MAX`]: gone), as a snapshot saves them.
    pub fn graph_parts(&self) -> Option<(&Ann, &[u32])> {
        self.graph.as_ref().map(|g| (&*g.ann, g.units.as_slice()))
    }

    pub fn from_parts(data: Vec<i8>, scales: Vec<f32>, graph: Option<(Ann, Vec<u32>)>) -> Dense {
        debug_assert_eq!(data.len(), scales.len() * DIM);
        let graph = graph.map(|(ann, units)| Graphed::new(Arc::new(ann), units, &scales));
        Dense { data, scales, graph }
    }

    /// The graph, if this store is large enough to have one.
    pub fn ann(&self) -> Option<&Ann> {
        self.graph.as_ref().map(|g| &*g.ann)
    }

    /// Gives the vectors a graph if the store holds at least `min_units`:
    /// `earlier`'s, carried over through `moved` (each of its unit ids → the
    /// id here, or `u32::MAX`: gone), while it is current, else a new one.
    /// If the library fails, searches stay exhaustive (and say so).
    pub fn with_graph(self, min_units: usize, earlier: Option<(&Dense, &[u32])>) -> Dense {
        if self.len() < min_units {
            return Dense { graph: None, ..self };
        }
        if let Some(g) = earlier.and_then(|(d, moved)| d.graph.as_ref().map(|g| (g, moved))).map(|(g, moved)| {
            let units = g.units.iter().map(|&u| moved.get(u as usize).copied().unwrap_or(GONE)).collect();
            Graphed::new(g.ann.clone(), units, &self.scales)
        }) {
            if g.current() {
                return Dense { graph: Some(g), ..self };
            }
            tracing::info!(lacks = g.outside.len(), gone = g.gone, nodes = g.ann.len(), "vector graph out of date: building it again");
        }
        let started = std::time::Instant::now();
        let vectors = self.data.chunks_exact(DIM).zip(&self.scales).map(|(v, &s)| (v, s > 0.0));
        match Ann::build(vectors) {
            Ok(ann) => {
                tracing::info!(units = ann.len(), elapsed_ms = started.elapsed().as_millis() as u64, "vector graph built");
                // Units without a vector have no node: keyed as gone, they are scanned if they get one.
                let units = (0..self.len() as u32).map(|u| if self.scales[u as usize] > 0.0 { u } else { GONE }).collect();
                let graph = Graphed::new(Arc::new(ann), units, &self.scales);
                Dense { graph: Some(graph), ..self }
            }
            Err(e) => {
                tracing::warn!(error = %e, "vector graph not built: dense search stays exhaustive");
                Dense { graph: None, ..self }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.scales.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// The `k` units most similar to the unit-length `query`, best first, with
    /// cosines: through the graph if there is one, else exhaustively.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(u32, f32)> {
        match self.graph_search(query, k) {
            Some(Ok(found)) => found,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "graph search failed: exhaustive scan");
                self.exhaustive(query, k)
            }
            None => self.exhaustive(query, k),
        }
    }

    /// The `k` nearest units through the graph, and among the units it
    /// lacks (`None`: there is no graph).
    pub fn graph_search(&self, query: &[f32], k: usize) -> Option<Result<Vec<(u32, f32)>, AnnError>> {
        let g = self.graph.as_ref()?;
        let (scale, q) = quantize(query);
        let live = |key: u64| g.units.get(key as usize).is_some_and(|&u| u != GONE);
        let found = match g.ann.search(&q, k, (g.gone > 0).then_some(&live as &dyn Fn(u64) -> bool)) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        let mut hits: Vec<(u32, f32)> = found.into_iter().map(|(key, cosine)| (g.units[key as usize], cosine)).collect();
        hits.extend(self.scan(g.outside.iter().copied(), scale, &q, k));
        Some(Ok(best(hits, k)))
    }

    /// The exact `k` nearest units (what the graph's recall is measured against).
    pub fn exhaustive(&self, query: &[f32], k: usize) -> Vec<(u32, f32)> {
        let (scale, q) = quantize(query);
        self.scan(0..self.len() as u32, scale, &q, k)
    }

    /// The `k` units of `ids` nearest to the quantised query.
    fn scan(&self, ids: impl Iterator<Item = u32>, scale: f32, query: &[i8], k: usize) -> Vec<(u32, f32)> {
        let scored = ids
            .map(|i| {
                let v = &self.data[i as usize * DIM..(i as usize + 1) * DIM];
                let dot: i32 = v.iter().zip(query).map(|(&a, &b)| i32::from(a) * i32::from(b)).sum();
                (i, dot as f32 * self.scales[i as usize] * scale)
            })
            .collect();
        best(scored, k)
    }
}

/// The `k` best of `scored`, best first (ties: the lower unit id).
fn best(mut scored: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let k = k.min(scored.len());
    if k == 0 {
        return Vec::new();
    }
    scored.select_nth_unstable_by(k - 1, order);
    scored.truncate(k);
    scored.sort_by(order);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..DIM).map(|i| (((i * 31 + seed * 17) % 97) as f32 - 48.0) / 48.0).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn stored_vectors_round_trip_and_find_themselves() {
        let vectors: Vec<f32> = (0..5).flat_map(unit).collect();
        let bytes = encode("m", &vectors);
        assert!(decode("other", &bytes, 5).is_none(), "another embedder's vectors are not used");
        assert!(decode("m", &bytes, 4).is_none(), "a unit count mismatch is not used");
        let stored = decode("m", &bytes, 5).unwrap();
        let mut dense = Dense::default();
        stored.iter().for_each(|&s| dense.push(Some(s)));
        dense.push(None);
        for i in 0..5 {
            let hits = dense.search(&unit(i), 2);
            assert_eq!(hits[0].0, i as u32);
            assert!((hits[0].1 - 1.0).abs() < 0.02, "cosine with itself ≈ 1, got {}", hits[0].1);
        }
        assert_eq!(dense.search(&unit(0), 100).len(), 6);

        assert!(dense.ann().is_none());
        let dense = dense.with_graph(6, None);
        assert_eq!(dense.ann().map(|a| a.len()), Some(5), "from the bar on, a graph over the units with a vector");
        for i in 0..5 {
            assert_eq!(dense.search(&unit(i), 1)[0].0, i as u32);
        }
        assert!(dense.with_graph(7, None).ann().is_none(), "below the bar, none");
    }

    fn dense(seeds: &[usize]) -> Dense {
        let vectors: Vec<f32> = seeds.iter().flat_map(|&s| unit(s)).collect();
        let bytes = encode("m", &vectors);
        let mut dense = Dense::default();
        decode("m", &bytes, seeds.len()).unwrap().into_iter().for_each(|s| dense.push(Some(s)));
        dense
    }

    #[test]
    fn a_graph_is_carried_to_the_next_index_until_it_is_out_of_date() {
        let first = dense(&(0..40).collect::<Vec<_>>()).with_graph(0, None);
        // The next index: seed 5's article deleted (ids after it shift down), seeds 60 and 61 stored.
        let seeds: Vec<usize> = (0..40).filter(|&s| s != 5).chain([60, 61]).collect();
        let moved: Vec<u32> = (0..40).map(|i| if i == 5 { GONE } else if i < 5 { i } else { i - 1 }).collect();
        let next = dense(&seeds).with_graph(0, Some((&first, &moved)));
        assert!(std::ptr::eq(next.ann().unwrap(), first.ann().unwrap()), "carried over, not built again");
        for (id, &seed) in seeds.iter().enumerate() {
            assert_eq!(next.search(&unit(seed), 1)[0].0, id as u32, "seed {seed}: found under its new id, in the graph or outside it");
        }
        let all = next.search(&unit(5), 100);
        let mut ids: Vec<u32> = all.iter().map(|h| h.0).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..41).collect::<Vec<u32>>(), "every live unit once, the gone one never");

        // Twenty more stored: the graph lacks a tenth of the store or more, and is built again.
        let more: Vec<usize> = seeds.iter().copied().chain(62..82).collect();
        let moved: Vec<u32> = (0..41).collect();
        let rebuilt = dense(&more).with_graph(0, Some((&next, &moved)));
        assert!(!std::ptr::eq(rebuilt.ann().unwrap(), first.ann().unwrap()));
        assert_eq!(rebuilt.ann().unwrap().len(), 61);
    }
}
