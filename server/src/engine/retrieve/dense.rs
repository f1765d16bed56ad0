//! Dense vectors of claim units for semantic retrieval: int8 with one scale per
//! vector (a quarter of f32's memory; cosine order barely moves), stored beside
//! each article. Searched exhaustively (a few ms per 50k units), or through an
//! HNSW graph (`super::ann`) once a store holds [`ANN_MIN_UNITS`].

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

/// All unit vectors of an index, in unit-id order, and their graph if large.
#[derive(Default)]
pub struct Dense {
    data: Vec<i8>,
    scales: Vec<f32>,
    ann: Option<Ann>,
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

    pub fn from_parts(data: Vec<i8>, scales: Vec<f32>, ann: Option<Ann>) -> Dense {
        debug_assert_eq!(data.len(), scales.len() * DIM);
        Dense { data, scales, ann }
    }

    /// The graph, if this store is large enough to have one.
    pub fn ann(&self) -> Option<&Ann> {
        self.ann.as_ref()
    }

    /// Builds the graph when the store holds at least `min_units`; if the
    /// library fails, searches stay exhaustive (and say so).
    pub fn with_ann(self, min_units: usize) -> Dense {
        if self.len() < min_units {
            return Dense { ann: None, ..self };
        }
        let started = std::time::Instant::now();
        let vectors = self.data.chunks_exact(DIM).zip(&self.scales).map(|(v, &s)| (v, s > 0.0));
        match Ann::build(vectors) {
            Ok(ann) => {
                tracing::info!(units = ann.len(), elapsed_ms = started.elapsed().as_millis() as u64, "vector graph built");
                Dense { ann: Some(ann), ..self }
            }
            Err(e) => {
                tracing::warn!(error = %e, "vector graph not built: dense search stays exhaustive");
                Dense { ann: None, ..self }
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

    /// The `k` nearest units through the graph (`None`: there is none).
    pub fn graph_search(&self, query: &[f32], k: usize) -> Option<Result<Vec<(u32, f32)>, AnnError>> {
        self.ann.as_ref().map(|ann| ann.search(&quantize(query).1, k))
    }

    /// The exact `k` nearest units (what the graph's recall is measured against).
    pub fn exhaustive(&self, query: &[f32], k: usize) -> Vec<(u32, f32)> {
        let (qs, q) = quantize(query);
        let mut scored: Vec<(u32, f32)> = self
            .data
            .chunks_exact(DIM)
            .zip(&self.scales)
            .enumerate()
            .map(|(i, (v, &s))| {
                let dot: i32 = v.iter().zip(&q).map(|(&a, &b)| i32::from(a) * i32::from(b)).sum();
                (i as u32, dot as f32 * s * qs)
            })
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
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
        let dense = dense.with_ann(6);
        assert_eq!(dense.ann().map(|a| a.len()), Some(5), "from the bar on, a graph over the units with a vector");
        for i in 0..5 {
            assert_eq!(dense.search(&unit(i), 1)[0].0, i as u32);
        }
        assert!(dense.with_ann(7).ann().is_none(), "below the bar, none");
    }
}
