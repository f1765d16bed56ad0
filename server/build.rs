//! FACTCHECK_ANALYZER_HASH: a hash of the code that turns sentences into
//! index terms, so that an index snapshot made by other code is not used
//! (engine/retrieve/snapshot.rs).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const SOURCES: [&str; 3] = ["src/engine/language", "src/engine/retrieve/index.rs", "src/engine/domain.rs"];

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => entries.flatten().for_each(|e| files(&e.path(), out)),
        Err(_) => out.push(path.to_path_buf()),
    }
}

fn main() {
    let mut all = Vec::new();
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
        files(Path::new(source), &mut all);
    }
    all.sort();
    let mut hash = Sha256::new();
    for file in &all {
        hash.update(file.to_string_lossy().as_bytes());
        hash.update(std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display())));
    }
    hash.update(std::env::var("CARGO_PKG_VERSION").unwrap_or_default());
    let digest = hash.finalize();
    println!("cargo:rustc-env=FACTCHECK_ANALYZER_HASH={}", digest[..8].iter().map(|b| format!("{b:02x}")).collect::<String>());
}
