//! Approximate nearest neighbours over the unit vectors: an HNSW graph
//! (usearch) for stores where the exhaustive scan gets slow. It holds the
//! same int8 vectors as [`super::dense::Dense`] (cosine is blind to their
//! per-vector scales), keyed by the unit ids of the index it was built for
//! (`super::dense` maps them to a later index's), and is saved in the index snapshot.

use std::path::Path;

use usearch::{Index as Graph, IndexOptions, MetricKind, ScalarKind};

use crate::engine::models::DIM;

/// Contexts in the graph: one per search running at once (a search beyond
/// them falls back to the exhaustive scan), and what makes the graph the
/// same on every machine. usearch keeps at least one per CPU, each with its
/// own level generator, and an insert takes the next in turn, so the graph
/// depends on their count: a fixed count above any machine's CPUs keeps it
/// from depending on the host. They cost a few hundred bytes each.
const CONTEXTS: usize = 1024;
/// Candidates the graph search keeps while it walks (usearch's `ef`): recall
/// against cost, chosen on the scale corpus (BENCHMARKS.md, "Dense retrieval").
pub const EXPANSION_SEARCH: usize = 256;
/// Candidates kept while inserting (`ef_construction`).
const EXPANSION_ADD: usize = 256;
/// Neighbours per node (`M`).
const CONNECTIVITY: usize = 32;

pub struct Ann {
    graph: Graph,
}

/// A failure of the graph library, with what we asked of it.
#[derive(Debug, thiserror::Error)]
#[error("vector graph: {0}")]
pub struct AnnError(String);

fn error<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> AnnError + '_ {
    move |e| AnnError(format!("{what}: {e}"))
}

/// The library takes paths as UTF-8 strings.
fn utf8(path: &Path) -> Result<&str, AnnError> {
    path.to_str().ok_or_else(|| AnnError(format!("{}: not a UTF-8 path", path.display())))
}

impl Ann {
    fn empty() -> Result<Graph, AnnError> {
        let options = IndexOptions {
            dimensions: DIM,
            metric: MetricKind::Cos,
            quantization: ScalarKind::I8,
            connectivity: CONNECTIVITY,
            expansion_add: EXPANSION_ADD,
            expansion_search: EXPANSION_SEARCH,
            multi: false,
        };
        Graph::new(&options).map_err(error("create"))
    }

    /// A graph over `vectors` (`DIM` i8 each, in unit-id order), leaving out
    /// the units without one (`present` false). Inserted on one thread in a
    /// fixed order, so that every replica builds the same graph and answers alike.
    pub fn build<'a>(vectors: impl ExactSizeIterator<Item = (&'a [i8], bool)>) -> Result<Ann, AnnError> {
        let vectors: Vec<(&[i8], bool)> = vectors.collect();
        let graph = Self::empty()?;
        graph.reserve_capacity_and_threads(vectors.len(), CONTEXTS).map_err(error("reserve"))?;
        for id in insertion_order(vectors.len()) {
            if let (v, true) = vectors[id] {
                graph.add(id as u64, v).map_err(error("add"))?;
            }
        }
        Ok(Ann { graph })
    }

    /// The `k` nearest nodes to the int8 `query` that `keep` accepts (none:
    /// all), best first, as (key, cosine).
    pub fn search(&self, query: &[i8], k: usize, keep: Option<&dyn Fn(u64) -> bool>) -> Result<Vec<(u64, f32)>, AnnError> {
        let found = match keep {
            Some(keep) => self.graph.filtered_search(query, k, keep),
            None => self.graph.search(query, k),
        }
        .map_err(error("search"))?;
        Ok(found.keys.iter().zip(&found.distances).map(|(&key, &d)| (key, 1.0 - d)).collect())
    }

    /// Sets how many candidates a search keeps while it walks (recall against cost).
    pub fn set_expansion(&self, expansion: usize) {
        self.graph.change_expansion_search(expansion);
    }

    pub fn len(&self) -> usize {
        self.graph.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the graph to `path` (the snapshot's second file).
    pub fn save(&self, path: &Path) -> Result<(), AnnError> {
        self.graph.save(utf8(path)?).map_err(error("save"))
    }

    /// The graph saved at `path`, memory-mapped: a restart reads none of it
    /// up front. The file must not change while mapped (saves replace it by a rename).
    pub fn view(path: &Path) -> Result<Ann, AnnError> {
        let graph = Graph::restore_view(utf8(path)?).map_err(error("load"))?;
        if graph.dimensions() != DIM {
            return Err(AnnError(format!("{} dimensions, not {DIM}", graph.dimensions())));
        }
        graph.reserve_capacity_and_threads(graph.size(), CONTEXTS).map_err(error("reserve"))?;
        graph.change_expansion_search(EXPANSION_SEARCH);
        Ok(Ann { graph })
    }
}

/// Visits `0..n` once each, consecutive steps far apart. Unit ids follow
/// article ids, so a store ingested source by source holds its topics in
/// runs; inserted in that order, a topic inserted last is reached from the
/// others' entry point by few links, and the graph missed 2 in 3 of the
/// exact neighbours at 1M sentences (BENCHMARKS.md, "Dense retrieval").
fn insertion_order(n: usize) -> impl Iterator<Item = usize> {
    /// A prime (Knuth's multiplicative hash): coprime with any `n` it does not divide.
    const STRIDE: u128 = 2_654_435_761;
    let stride = if n as u128 % STRIDE == 0 { 1 } else { STRIDE };
    (0..n as u128).map(move |i| (i * stride % n.max(1) as u128) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` pseudo-random int8 vectors (a fixed LCG: the same on every run).
    fn vectors(n: usize) -> Vec<i8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..n * DIM)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as i8
            })
            .collect()
    }

    fn exact(data: &[i8], query: &[i8], k: usize) -> Vec<u64> {
        let norm = |v: &[i8]| v.iter().map(|&x| f32::from(x).powi(2)).sum::<f32>().sqrt();
        let mut scored: Vec<(u64, f32)> = data
            .chunks_exact(DIM)
            .enumerate()
            .map(|(i, v)| (i as u64, v.iter().zip(query).map(|(&a, &b)| f32::from(a) * f32::from(b)).sum::<f32>() / norm(v) / norm(query)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.into_iter().take(k).map(|(i, _)| i).collect()
    }

    #[test]
    fn the_insertion_order_visits_every_unit_once_and_spreads_them() {
        for n in [0, 1, 2, 7, 1_000, 65_536] {
            let mut order: Vec<usize> = insertion_order(n).collect();
            if n >= 1_000 {
                assert!(order.windows(2).take(100).all(|w| w[0].abs_diff(w[1]) > 1), "neighbouring ids are not inserted together");
            }
            order.sort_unstable();
            assert_eq!(order, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn finds_what_the_exhaustive_scan_finds_and_maps_back_from_its_file() {
        let data = vectors(3_000);
        // Unit 7 has no vector: it is left out of the graph.
        let ann = Ann::build(data.chunks_exact(DIM).enumerate().map(|(i, v)| (v, i != 7))).unwrap();
        assert_eq!(ann.len(), 2_999);
        let (mut hits, mut total) = (0, 0);
        for q in (0..3_000).step_by(150).filter(|&q| q != 7) {
            let query = &data[q * DIM..(q + 1) * DIM];
            let found = ann.search(query, 30, None).unwrap();
            assert_eq!(found[0].0, q as u64, "a stored vector finds itself first");
            assert!((found[0].1 - 1.0).abs() < 1e-3, "cosine with itself: {}", found[0].1);
            assert!(found.iter().all(|&(id, _)| id != 7));
            let truth: Vec<u64> = exact(&data, query, 31).into_iter().filter(|&i| i != 7).take(30).collect();
            hits += found.iter().filter(|(id, _)| truth.contains(id)).count();
            total += truth.len();
        }
        let recall = hits as f64 / total as f64;
        assert!(recall >= 0.95, "recall@30 {recall}");
        let again = Ann::build(data.chunks_exact(DIM).enumerate().map(|(i, v)| (v, i != 7))).unwrap();
        let query = &data[300 * DIM..301 * DIM];
        assert_eq!(again.search(query, 30, None).unwrap(), ann.search(query, 30, None).unwrap(), "built alike, the same graph");
        let odd = ann.search(query, 30, Some(&|key| key % 2 == 1)).unwrap();
        assert_eq!(odd.len(), 30);
        assert!(odd.iter().all(|(key, _)| key % 2 == 1), "a filter leaves out the nodes it rejects");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("graph");
        ann.save(&file).unwrap();
        let mapped = Ann::view(&file).unwrap();
        let query = &data[150 * DIM..151 * DIM];
        assert_eq!(mapped.search(query, 30, None).unwrap(), ann.search(query, 30, None).unwrap());
        std::fs::write(&file, b"not a graph").unwrap();
        assert!(Ann::view(&file).is_err());
    }
}
