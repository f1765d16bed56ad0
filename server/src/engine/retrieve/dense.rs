//! Dense vectors of claim units for semantic retrieval: int8 with one scale per
//! vector (a quarter of f32's memory; cosine order barely moves), stored beside
//! each article, mapped from the index snapshot after a restart (and shared
//! by the indexes after it), else held in memory. Searched exhaustively (a few ms per 50k units), or through an
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

/// All unit vectors of an index, by unit id, and their graph if large.
#[derive(Default)]
pub struct Dense {
    /// Rows mapped from the snapshot read at restart, shared by the indexes after it.
    mapped: Option<Arc<MappedRows>>,
    /// Rows in memory: vectors stored since that snapshot, or all of them without one.
    own: Vec<i8>,
    /// Each unit's row: below the mapped row count, a mapped row, else the own row past it.
    rows: Vec<u32>,
    scales: Vec<f32>,
    graph: Option<Graphed>,
}

/// Rows of `DIM` i8 in a file mapped read-only: a snapshot's vectors. Only the
/// rows read are paged in, so a restart reads none and the resident memory
/// holds what searches touch (at 1M sentences the graph has its own copy).
pub struct MappedRows {
    map: Arc<memmap2::Mmap>,
    offset: usize,
    rows: usize,
}

impl MappedRows {
    /// `rows` rows from byte `offset` of `map`.
    pub fn new(map: Arc<memmap2::Mmap>, offset: usize, rows: usize) -> Result<MappedRows, String> {
        if offset.checked_add(rows.saturating_mul(DIM)).is_none_or(|end| end > map.len()) {
            return Err(format!("{rows} vectors from byte {offset} pass the end of a {}-byte file", map.len()));
        }
        Ok(MappedRows { map, offset, rows })
    }

    fn row(&self, r: usize) -> &[i8] {
        let bytes = &self.map[self.offset + r * DIM..self.offset + (r + 1) * DIM];
        // SAFETY: i8 and u8 have the same size and alignment, and every bit pattern is valid for both.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<i8>(), DIM) }
    }
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
        self.rows.push(self.next_own_row());
        match stored {
            Some((scale, q)) => {
                self.scales.push(scale);
                self.own.extend(q.iter().map(|&x| x as i8));
            }
            None => {
                self.scales.push(0.0);
                self.own.extend(std::iter::repeat_n(0, DIM));
            }
        }
    }

    /// Empty vectors for the index after `earlier`, sharing its mapped rows.
    pub fn after(earlier: &Dense) -> Dense {
        Dense { mapped: earlier.mapped.clone(), ..Dense::default() }
    }

    /// Appends `earlier`'s vector of its unit `unit` (made by `Dense::after(earlier)`):
    /// a mapped row is shared, not copied.
    pub fn carry(&mut self, earlier: &Dense, unit: u32) {
        let row = earlier.rows[unit as usize];
        let shared = |m: &Arc<MappedRows>| (row as usize) < m.rows && earlier.mapped.as_ref().is_some_and(|e| Arc::ptr_eq(e, m));
        if self.mapped.as_ref().is_some_and(shared) {
            self.rows.push(row);
        } else {
            self.rows.push(self.next_own_row());
            self.own.extend_from_slice(earlier.vector(unit));
        }
        self.scales.push(earlier.scales[unit as usize]);
    }

    /// The same vectors, without a graph.
    pub fn without_graph(&self) -> Dense {
        let mut copy = Dense::after(self);
        (0..self.len() as u32).for_each(|u| copy.carry(self, u));
        copy
    }

    fn mapped_rows(&self) -> usize {
        self.mapped.as_ref().map_or(0, |m| m.rows)
    }

    /// The row id of the next vector held in memory.
    fn next_own_row(&self) -> u32 {
        (self.mapped_rows() + self.own.len() / DIM) as u32
    }

    /// The vector of `unit` (`DIM` i8; all zero without one).
    pub fn vector(&self, unit: u32) -> &[i8] {
        let row = self.rows[unit as usize] as usize;
        match &self.mapped {
            Some(m) if row < m.rows => m.row(row),
            _ => {
                let r = row - self.mapped_rows();
                &self.own[r * DIM..(r + 1) * DIM]
            }
        }
    }

    /// Each unit's scale (0: no vector), as a snapshot saves them.
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }

    /// The graph and each of its keys' unit id here ([`u32::MAX`]: gone), as a snapshot saves them.
    pub fn graph_parts(&self) -> Option<(&Ann, &[u32])> {
        self.graph.as_ref().map(|g| (&*g.ann, g.units.as_slice()))
    }

    /// Vectors held in memory (`scales.len() × DIM`, in unit order).
    pub fn from_parts(data: Vec<i8>, scales: Vec<f32>, graph: Option<(Ann, Vec<u32>)>) -> Dense {
        debug_assert_eq!(data.len(), scales.len() * DIM);
        let rows = (0..scales.len() as u32).collect();
        Self::with_parts(Dense { mapped: None, own: data, rows, scales, graph: None }, graph)
    }

    /// Vectors mapped from a snapshot (one row per scale, in unit order).
    pub fn from_mapped(mapped: MappedRows, scales: Vec<f32>, graph: Option<(Ann, Vec<u32>)>) -> Dense {
        debug_assert_eq!(mapped.rows, scales.len());
        let rows = (0..scales.len() as u32).collect();
        Self::with_parts(Dense { mapped: Some(Arc::new(mapped)), own: Vec::new(), rows, scales, graph: None }, graph)
    }

    fn with_parts(self, graph: Option<(Ann, Vec<u32>)>) -> Dense {
        let graph = graph.map(|(ann, units)| Graphed::new(Arc::new(ann), units, &self.scales));
        Dense { graph, ..self }
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
        let vectors = (0..self.len() as u32).map(|u| (self.vector(u), self.scales[u as usize] > 0.0));
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
        self.search_in(query, k, None)
    }

    /// [`Dense::search`] among the units `keep` accepts (all, for `None`).
    pub fn search_in(&self, query: &[f32], k: usize, keep: Option<&dyn Fn(u32) -> bool>) -> Vec<(u32, f32)> {
        match self.graph_search_in(query, k, keep) {
            Some(Ok(found)) => found,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "graph search failed: exhaustive scan");
                self.exhaustive_in(query, k, keep)
            }
            None => self.exhaustive_in(query, k, keep),
        }
    }

    /// The `k` nearest units through the graph, and among the units it
    /// lacks (`None`: there is no graph).
    pub fn graph_search(&self, query: &[f32], k: usize) -> Option<Result<Vec<(u32, f32)>, AnnError>> {
        self.graph_search_in(query, k, None)
    }

    fn graph_search_in(&self, query: &[f32], k: usize, keep: Option<&dyn Fn(u32) -> bool>) -> Option<Result<Vec<(u32, f32)>, AnnError>> {
        let g = self.graph.as_ref()?;
        let (scale, q) = quantize(query);
        let wanted = |key: u64| g.units.get(key as usize).is_some_and(|&u| u != GONE && keep.is_none_or(|keep| keep(u)));
        let filter = (g.gone > 0 || keep.is_some()).then_some(&wanted as &dyn Fn(u64) -> bool);
        let found = match g.ann.search(&q, k, filter) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        let mut hits: Vec<(u32, f32)> = found.into_iter().map(|(key, cosine)| (g.units[key as usize], cosine)).collect();
        hits.extend(self.scan(g.outside.iter().copied().filter(|&u| keep.is_none_or(|keep| keep(u))), scale, &q, k));
        Some(Ok(best(hits, k)))
    }

    /// The exact `k` nearest units (what the graph's recall is measured against).
    pub fn exhaustive(&self, query: &[f32], k: usize) -> Vec<(u32, f32)> {
        self.exhaustive_in(query, k, None)
    }

    fn exhaustive_in(&self, query: &[f32], k: usize, keep: Option<&dyn Fn(u32) -> bool>) -> Vec<(u32, f32)> {
        let (scale, q) = quantize(query);
        self.scan((0..self.len() as u32).filter(|&u| keep.is_none_or(|keep| keep(u))), scale, &q, k)
    }

    /// The `k` units of `ids` nearest to the quantised query.
    fn scan(&self, ids: impl Iterator<Item = u32>, scale: f32, query: &[i8], k: usize) -> Vec<(u32, f32)> {
        let scored = ids
            .map(|i| {
                let v = self.vector(i);
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
    fn mapped_vectors_are_shared_by_the_next_index_not_copied() {
        let plain = dense(&[1, 2, 3]);
        let mut file = tempfile::tempfile().unwrap();
        let bytes: Vec<u8> = (0..3).flat_map(|u| plain.vector(u).iter().map(|&x| x as u8).collect::<Vec<_>>()).collect();
        std::io::Write::write_all(&mut file, &[[7u8; 5].as_slice(), &bytes].concat()).unwrap();
        // SAFETY (test): nothing else has the file.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap());
        assert!(MappedRows::new(map.clone(), 5, 4).is_err(), "past the end of the file");
        let mapped = Dense::from_mapped(MappedRows::new(map, 5, 3).unwrap(), plain.scales().to_vec(), None);
        assert_eq!(mapped.search(&unit(2), 3), plain.search(&unit(2), 3));
        // The next index: unit 0 gone, units 1 and 2 unchanged, one unit stored since.
        let mut next = Dense::after(&mapped);
        next.carry(&mapped, 2);
        next.carry(&mapped, 1);
        let four = dense(&[4]);
        let stored: Vec<u8> = four.vector(0).iter().map(|&x| x as u8).collect();
        next.push(Some((four.scales()[0], &stored)));
        assert_eq!(next.own.len(), DIM, "only the new vector is held in memory");
        assert_eq!([next.vector(0), next.vector(1), next.vector(2)], [plain.vector(2), plain.vector(1), four.vector(0)]);
        // Carried again, the in-memory row is copied and the mapped ones shared.
        let mut after = Dense::after(&next);
        (0..3).for_each(|u| after.carry(&next, u));
        assert_eq!((after.own.len(), after.vector(2)), (DIM, next.vector(2)));
        assert_eq!(after.search(&unit(4), 1)[0].0, 2);
    }

    #[test]
    fn a_search_in_a_scope_finds_only_its_units_with_or_without_a_graph() {
        let plain = dense(&(0..40).collect::<Vec<_>>());
        let graphed = dense(&(0..40).collect::<Vec<_>>()).with_graph(0, None);
        let even = |u: u32| u % 2 == 0;
        for d in [&plain, &graphed] {
            let found = d.search_in(&unit(7), 10, Some(&even));
            assert_eq!(found.len(), 10);
            assert!(found.iter().all(|h| even(h.0)), "{found:?}");
            let ids = |hits: &[(u32, f32)]| hits.iter().map(|h| h.0).collect::<Vec<_>>();
            let best: Vec<(u32, f32)> = plain.exhaustive(&unit(7), 40).into_iter().filter(|h| even(h.0)).take(10).collect();
            assert_eq!(ids(&found), ids(&best));
        }
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
