//! The index as one file beside the store, so that a restart reads it back
//! instead of decoding every article and analysing every sentence again
//! (5.7 s at 1M sentences). Written at shutdown and after the start-up
//! warm-up; used only if it was made from this very store version, by this
//! analyser (a hash of its sources, `build.rs`) and with the same embedder,
//! so a stale or foreign file is never served: it is rebuilt instead.
//!
//! Layout: `FCI4`, then two length-prefixed postcard records (the [`Header`],
//! then the articles, unit table and postings), then the dense vectors raw
//! (`n × DIM` i8, then `n` little-endian f32 scales),
//! then, with a graph, the unit id of each graph key (little-endian u32),
//! then the SHA-256 of all the bytes before it. A restart checks that
//! digest before it decodes anything (a damaged file is rebuilt, never
//! trusted), then maps the file and decodes it in place; the vectors stay
//! mapped. A large store's vector graph (`super::ann`) is a second file, in
//! usearch's own format, named by the store version of the snapshot, written
//! first and mapped, not read, on restart; the header holds its length and
//! SHA-256, checked before the graph is handed to usearch.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ann::Ann;
use super::dense::{Dense, MappedRows};
use super::index::{Index, UnitRef};
use crate::engine::domain::Article;
use crate::engine::models::DIM;

const MAGIC: &[u8; 4] = b"FCI4";
/// The trailing SHA-256.
const DIGEST: usize = 32;
const FILE: &str = "factcheck-index.bin";
const GRAPH_PREFIX: &str = "factcheck-index-";
const GRAPH_SUFFIX: &str = ".graph";
/// The analyser's identity: a snapshot's terms are only valid for the code that made them.
const ANALYZER: &str = env!("FACTCHECK_ANALYZER_HASH");

/// What a snapshot was made from.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub analyzer: String,
    pub store_version: u64,
    /// The embedder of the dense vectors; `None`: none stored.
    pub embedder: Option<String>,
    pub units: u64,
    /// The length of the graph file; 0: no graph.
    pub graph_bytes: u64,
    /// The graph's keys (the units of the index it was built for).
    pub graph_keys: u64,
    /// The graph file's SHA-256.
    pub graph_sha256: [u8; DIGEST],
}

#[derive(Serialize, Deserialize)]
struct Body<'a> {
    articles: Cow<'a, [Arc<Article>]>,
    units: Cow<'a, [UnitRef]>,
    postings: Cow<'a, HashMap<String, Vec<(u32, u16)>>>,
    avg_len: f32,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The graph file of the snapshot made from `store_version`.
fn graph_path(dir: &Path, store_version: u64) -> PathBuf {
    dir.join(format!("{GRAPH_PREFIX}{store_version}{GRAPH_SUFFIX}"))
}

/// Writes `index` (made from `store_version`) atomically: a crash leaves the old file or none.
pub fn save(dir: &Path, index: &Index, store_version: u64, embedder: Option<&str>) -> std::io::Result<()> {
    let dense = index.dense().filter(|_| embedder.is_some());
    // Without its graph the snapshot is still worth saving: a restart builds the graph again.
    let graph = match dense.and_then(Dense::graph_parts).map(|(ann, keys)| save_graph(dir, ann, store_version).map(|len| (len, keys))) {
        Some(Ok(saved)) => Some(saved),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "vector graph not saved; a restart will build it");
            None
        }
        None => None,
    };
    let (graph_bytes, graph_keys, graph_sha256) = graph.map_or((0, 0, [0; DIGEST]), |((len, digest), keys)| (len, keys.len() as u64, digest));
    let header = Header { analyzer: ANALYZER.into(), store_version, embedder: dense.and(embedder).map(str::to_string), units: index.units.len() as u64, graph_bytes, graph_keys, graph_sha256 };
    let body = Body { articles: Cow::Borrowed(&index.articles), units: Cow::Borrowed(&index.units), postings: Cow::Borrowed(&index.postings), avg_len: index.avg_len };
    let tmp = dir.join(format!("{FILE}.tmp"));
    let mut out = Hashing { out: BufWriter::new(File::create(&tmp)?), sha: Sha256::new() };
    out.write_all(MAGIC)?;
    for record in [postcard::to_stdvec(&header), postcard::to_stdvec(&body)] {
        let record = record.map_err(std::io::Error::other)?;
        out.write_all(&(record.len() as u64).to_le_bytes())?;
        out.write_all(&record)?;
    }
    if let Some(dense) = dense {
        // Row by row: a copy of all of them would cost 390 MB at 1M sentences.
        let mut row = [0u8; DIM];
        for u in 0..dense.len() as u32 {
            row.iter_mut().zip(dense.vector(u)).for_each(|(b, &x)| *b = x as u8);
            out.write_all(&row)?;
        }
        dense.scales().iter().try_for_each(|s| out.write_all(&s.to_le_bytes()))?;
    }
    if let Some((_, keys)) = graph {
        keys.iter().try_for_each(|u| out.write_all(&u.to_le_bytes()))?;
    }
    let Hashing { mut out, sha } = out;
    out.write_all(&sha.finalize())?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path(dir))?;
    File::open(dir)?.sync_all()?; // the renames, durable
    remove_other_graphs(dir, (graph_bytes > 0).then(|| graph_path(dir, store_version)));
    Ok(())
}

/// Deletes the graph files of earlier snapshots (one still mapped stays
/// readable until it is unmapped).
fn remove_other_graphs(dir: &Path, keep: Option<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(GRAPH_PREFIX) && Some(entry.path()) != keep {
            if let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::debug!(error = %e, file = %name, "old vector graph not removed");
            }
        }
    }
}

/// A writer that hashes what it writes.
struct Hashing<W> {
    out: W,
    sha: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(bytes)?;
        self.sha.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The SHA-256 of a file, read in pieces.
fn file_sha256(file: &Path) -> std::io::Result<[u8; DIGEST]> {
    let mut sha = Sha256::new();
    std::io::copy(&mut File::open(file)?, &mut sha)?;
    Ok(sha.finalize().into())
}

/// Writes the graph file atomically; returns its length and SHA-256.
fn save_graph(dir: &Path, ann: &Ann, store_version: u64) -> std::io::Result<(u64, [u8; DIGEST])> {
    let file = graph_path(dir, store_version);
    let tmp = file.with_extension("graph.tmp");
    ann.save(&tmp).map_err(std::io::Error::other)?;
    File::open(&tmp)?.sync_all()?;
    let (len, digest) = (std::fs::metadata(&tmp)?.len(), file_sha256(&tmp)?);
    std::fs::rename(&tmp, file)?;
    Ok((len, digest))
}

/// Why a snapshot was not used.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("no snapshot")]
    Missing,
    #[error("made from another store, analyser or embedder: {0:?}")]
    Stale(Header),
    #[error("unreadable: {0}")]
    Unreadable(String),
}

/// The index saved for exactly `store_version`, this analyser and `embedder`,
/// keeping up to `cached_features` analysed units once they are asked for.
pub fn load(dir: &Path, store_version: u64, embedder: Option<&str>, cached_features: usize) -> Result<Index, Unusable> {
    let file = match File::open(path(dir)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
        Err(e) => return Err(Unusable::Unreadable(e.to_string())),
    };
    let unreadable = |e: &dyn std::fmt::Display| Unusable::Unreadable(e.to_string());
    // Mapped, not read: the records decode straight from it, and the vectors
    // (384 MB at 1M sentences, of which searches touch little) stay there.
    // SAFETY: snapshot files are written under another name and renamed into
    // place (`save`), never changed in place, so the mapped bytes cannot change.
    let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.map_err(|e| unreadable(&e))?);
    let signed = map.len().checked_sub(DIGEST).ok_or_else(|| unreadable(&"shorter than its digest"))?;
    if Sha256::digest(&map[..signed])[..] != map[signed..] {
        return Err(Unusable::Unreadable("its SHA-256 does not match: the file is damaged".into()));
    }
    let mut input = Cursor { bytes: &map[..signed], at: 0 };
    if input.take(MAGIC.len()).map_err(|e| unreadable(&e))? != MAGIC {
        return Err(Unusable::Unreadable("not a factcheck index of this format".into()));
    }
    let header: Header = postcard::from_bytes(input.record().map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
    if header.analyzer != ANALYZER || header.store_version != store_version || header.embedder.as_deref() != embedder {
        return Err(Unusable::Stale(header));
    }
    let body: Body<'static> = postcard::from_bytes(input.record().map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
    let units = body.units.len();
    if units as u64 != header.units {
        return Err(Unusable::Unreadable(format!("{units} units, header says {}", header.units)));
    }
    let dense = match embedder {
        Some(_) => {
            let mapped = MappedRows::new(map.clone(), input.at, units).map_err(|e| unreadable(&e))?;
            input.take(units * DIM).map_err(|e| unreadable(&e))?;
            let scales: Vec<f32> = input.take(units * 4).map_err(|e| unreadable(&e))?.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            let graph = match header.graph_bytes {
                0 => None,
                len => {
                    let keys = usize::try_from(header.graph_keys).ok().and_then(|n| n.checked_mul(4)).ok_or_else(|| unreadable(&"a graph key count past memory"))?;
                    let keys: Vec<u32> = input.take(keys).map_err(|e| unreadable(&e))?.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                    Some((load_graph(&graph_path(dir, store_version), (len, &header.graph_sha256), &keys, units).map_err(|e| unreadable(&e))?, keys))
                }
            };
            Some(Dense::from_mapped(mapped, scales, graph))
        }
        None => None,
    };
    let index = Index::from_parts(body.articles.into_owned(), body.units.into_owned(), body.postings.into_owned(), body.avg_len, cached_features);
    Ok(match dense {
        Some(dense) => index.with_dense(dense, None),
        None => index,
    })
}

/// Fuzzing: `data` as the content of a snapshot file, with its digest
/// appended so that the decoding behind the check is reached, loaded for the
/// store version and embedder its header names (if it has one). It must be
/// read or refused, never panic.
pub fn fuzz_one(data: &[u8]) {
    let dir = std::env::temp_dir().join(format!("factcheck-fuzz-snapshot-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut file = data.to_vec();
    file.extend_from_slice(&Sha256::digest(data));
    if std::fs::write(path(&dir), &file).is_err() {
        return;
    }
    let mut input = Cursor { bytes: data, at: MAGIC.len().min(data.len()) };
    let header = input.record().ok().and_then(|r| postcard::from_bytes::<Header>(r).ok());
    let (version, embedder) = header.map_or((0, None), |h| (h.store_version, h.embedder));
    let _ = load(&dir, version, embedder.as_deref(), 16);
}

/// Reads a mapped snapshot front to back.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or_else(|| format!("{n} bytes from byte {} pass the end of the file", self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// The next length-prefixed record.
    fn record(&mut self) -> Result<&'a [u8], String> {
        let len = self.take(8)?;
        let len = u64::from_le_bytes([len[0], len[1], len[2], len[3], len[4], len[5], len[6], len[7]]);
        self.take(usize::try_from(len).map_err(|e| e.to_string())?)
    }
}

/// The graph file saved with this snapshot (`len` bytes with this SHA-256,
/// at most a node per key, each key a unit id below `units` or gone), mapped.
fn load_graph(file: &Path, (len, digest): (u64, &[u8; DIGEST]), keys: &[u32], units: usize) -> Result<Ann, String> {
    let found = std::fs::metadata(file).map_err(|e| format!("graph: {e}"))?.len();
    if found != len {
        return Err(format!("graph of {found} bytes, header says {len}"));
    }
    if file_sha256(file).map_err(|e| format!("graph: {e}"))? != *digest {
        return Err("the graph's SHA-256 does not match: the file is damaged".into());
    }
    if keys.iter().any(|&u| u != u32::MAX && u as usize >= units) {
        return Err(format!("a graph key maps past the {units} units"));
    }
    let ann = Ann::view(file).map_err(|e| e.to_string())?;
    if ann.len() > keys.len() {
        return Err(format!("graph of {} vectors, {} keys", ann.len(), keys.len()));
    }
    Ok(ann)
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ingest::segment::segment;
    use crate::engine::language::analyze;

    fn index(with_dense: bool) -> Index {
        let text = "Beijing provides machine tools to Moscow every month. The weather in Paris was sunny on Tuesday.";
        let article = Arc::new(Article { id: "a".into(), title: "Trade".into(), text: text.into(), source: Default::default(), content_hash: "h".into(), units: segment(text) });
        let index = Index::build(vec![article], 16);
        if !with_dense {
            return index;
        }
        let mut dense = Dense::default();
        for i in 0..index.unit_count() {
            let q: Vec<u8> = (0..DIM).map(|d| ((d * 7 + i * 13) % 251) as u8).collect();
            dense.push(Some((0.5 + i as f32, &q)));
        }
        index.with_dense(dense, None)
    }

    #[test]
    fn a_graph_is_saved_beside_the_index_mapped_back_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let plain = index(true);
        let dense = plain.dense().unwrap();
        let graphed = index(false).with_dense(dense.without_graph().with_graph(0, None), None);
        save(dir.path(), &graphed, 5, Some("m")).unwrap();
        let loaded = load(dir.path(), 5, Some("m"), 16).unwrap();
        let (saved, loaded) = (graphed.dense().unwrap(), loaded.dense().unwrap());
        assert!(loaded.ann().is_some(), "the graph is read back, not rebuilt or dropped");
        let probe: Vec<f32> = (0..DIM).map(|d| if d == 1 { 1.0 } else { 0.0 }).collect();
        assert_eq!(loaded.search(&probe, 2).iter().map(|h| h.0).collect::<Vec<_>>(), saved.exhaustive(&probe, 2).iter().map(|h| h.0).collect::<Vec<_>>());
        // Saved again for a later version: the earlier graph file goes.
        save(dir.path(), &graphed, 6, Some("m")).unwrap();
        assert!(!graph_path(dir.path(), 5).exists() && graph_path(dir.path(), 6).exists());
        // A graph file that is not the one the index was saved with is never used.
        let graph = graph_path(dir.path(), 6);
        let bytes = std::fs::read(&graph).unwrap();
        std::fs::write(&graph, &bytes[..bytes.len() - 1]).unwrap();
        assert!(matches!(load(dir.path(), 6, Some("m"), 16), Err(Unusable::Unreadable(_))));
        std::fs::rename(&graph, graph_path(dir.path(), 5)).unwrap();
        assert!(matches!(load(dir.path(), 6, Some("m"), 16), Err(Unusable::Unreadable(_))), "another version's graph");
    }

    #[test]
    fn a_carried_graph_is_saved_with_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        let plain = index(true);
        let dense = plain.dense().unwrap();
        // Built for an earlier index whose first unit is gone and whose second is unit 0 here; unit 1 is newer.
        let ann = Ann::build([(dense.vector(1), true), (dense.vector(0), true)].into_iter()).unwrap();
        let data: Vec<i8> = (0..2).flat_map(|u| dense.vector(u).to_vec()).collect();
        let carried = Dense::from_parts(data, dense.scales().to_vec(), Some((ann, vec![u32::MAX, 0])));
        let saved = index(false).with_dense(carried, None);
        save(dir.path(), &saved, 7, Some("m")).unwrap();
        let loaded = load(dir.path(), 7, Some("m"), 16).unwrap();
        assert_eq!(loaded.dense().unwrap().graph_parts().unwrap().1, &[u32::MAX, 0]);
        for d in [1, 2, 3] {
            let probe: Vec<f32> = (0..DIM).map(|i| if i == d { 1.0 } else { 0.0 }).collect();
            let found = loaded.dense().unwrap().search(&probe, 5);
            assert_eq!(found, saved.dense().unwrap().search(&probe, 5));
            assert_eq!(found.iter().map(|h| h.0).collect::<Vec<_>>(), saved.dense().unwrap().exhaustive(&probe, 5).iter().map(|h| h.0).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_saved_index_loads_back_the_same_for_its_store_version_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(dir.path(), 3, None, 16), Err(Unusable::Missing)));
        let saved = index(true);
        save(dir.path(), &saved, 3, Some("m")).unwrap();
        let loaded = load(dir.path(), 3, Some("m"), 16).unwrap();
        let query = analyze("China supplies Russia with machine tools");
        assert_eq!(loaded.search(&query, 5), saved.search(&query, 5));
        assert_eq!(loaded.unit(0).0.as_ref(), saved.unit(0).0.as_ref());
        let probe: Vec<f32> = (0..DIM).map(|d| if d == 1 { 1.0 } else { 0.0 }).collect();
        assert_eq!(loaded.dense().unwrap().search(&probe, 2), saved.dense().unwrap().search(&probe, 2));
        assert_eq!(*loaded.features(1), *saved.features(1), "analyses are made again on demand");
        for (version, embedder) in [(4, Some("m")), (3, Some("other")), (3, None)] {
            assert!(matches!(load(dir.path(), version, embedder, 16), Err(Unusable::Stale(_))), "{version} {embedder:?}");
        }
    }

    #[test]
    fn a_lexical_index_has_no_vectors_and_a_damaged_file_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &index(false), 1, None).unwrap();
        assert!(load(dir.path(), 1, None, 16).unwrap().dense().is_none());
        let bytes = std::fs::read(path(dir.path())).unwrap();
        std::fs::write(path(dir.path()), &bytes[..bytes.len() - 3]).unwrap();
        assert!(matches!(load(dir.path(), 1, None, 16), Err(Unusable::Unreadable(_))));
        std::fs::write(path(dir.path()), b"nonsense").unwrap();
        assert!(matches!(load(dir.path(), 1, None, 16), Err(Unusable::Unreadable(_))));
    }

    #[test]
    fn a_flipped_byte_in_the_snapshot_or_its_graph_is_caught_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let graphed = index(false).with_dense(index(true).dense().unwrap().without_graph().with_graph(0, None), None);
        save(dir.path(), &graphed, 2, Some("m")).unwrap();
        let flip = |file: &Path, at: usize| {
            let mut bytes = std::fs::read(file).unwrap();
            let at = at % bytes.len();
            bytes[at] ^= 0x10;
            std::fs::write(file, bytes).unwrap();
        };
        // A byte of a vector: decodable, so only the digest can tell.
        let vectors_at = std::fs::metadata(path(dir.path())).unwrap().len() as usize - DIGEST - 40;
        flip(&path(dir.path()), vectors_at);
        let Err(Unusable::Unreadable(why)) = load(dir.path(), 2, Some("m"), 16) else { panic!("a damaged snapshot was read") };
        assert!(why.contains("SHA-256"), "{why}");
        save(dir.path(), &graphed, 2, Some("m")).unwrap();
        flip(&graph_path(dir.path(), 2), 1000);
        let Err(Unusable::Unreadable(why)) = load(dir.path(), 2, Some("m"), 16) else { panic!("a damaged graph was used") };
        assert!(why.contains("SHA-256"), "{why}");
    }

    /// The fuzz target's corpus (`fuzz/corpus/snapshot/`) starts from these.
    #[test]
    fn fuzzing_reaches_the_decoding_of_a_real_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &index(true), 9, Some("m")).unwrap();
        let bytes = std::fs::read(path(dir.path())).unwrap();
        let content = &bytes[..bytes.len() - DIGEST];
        fuzz_one(content);
        let mut damaged = content.to_vec();
        damaged.truncate(content.len() / 2);
        fuzz_one(&damaged);
        damaged = content.to_vec();
        damaged[30] ^= 0xff;
        fuzz_one(&damaged);
    }
}
