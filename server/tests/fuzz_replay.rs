//! Replays the committed fuzzing corpus (`fuzz/corpus/<target>/`) through the
//! same checks the fuzz targets run, so CI needs no nightly toolchain.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        check(&std::fs::read(&path).unwrap());
        n += 1;
    }
    n
}

#[test]
fn segment_corpus() {
    assert!(replay("segment", factcheck_server::engine::ingest::segment::fuzz_one) >= 5);
}

#[test]
fn normalize_corpus() {
    assert!(replay("normalize", factcheck_server::engine::language::fuzz_one) >= 5);
}

#[test]
fn request_corpus() {
    assert!(replay("request", factcheck_server::service::fuzz_one) >= 5);
}

#[test]
fn snapshot_corpus() {
    assert!(replay("snapshot", factcheck_server::engine::retrieve::snapshot::fuzz_one) >= 2);
}
