//! Crash consistency: the real server is killed with SIGKILL at random points
//! while it ingests a large corpus, again and again. Runs alternate between
//! two versions of the corpus (same ids, other text), so every run rewrites
//! articles until it is killed. After every kill the reopened store must hold
//! only whole articles (each record decodes, its units slice its text, its
//! hash matches its content); at the end the corpus is complete, the index
//! agrees with the store, and verification is right.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use factcheck_client::{Client, pb, verify};
use factcheck_server::engine::ingest::segment::check_units;
use factcheck_server::engine::store::Store;
use factcheck_server::engine::Article;
use factcheck_server::engine::Engine;

const ARTICLES: usize = 30_000;
const KILLS: usize = 30;
/// Every third kill lands in the start-up (reopen and reindex), the others
/// in the ingest: those are timed from the server's "serving" line, not from
/// its spawn, since the start-up grows with the store and the machine.
const STARTUP_KILL_EVERY: usize = 3;
/// Of the kills timed into the ingest, how many must find a store that the
/// run wrote to (a kill in the first milliseconds may precede the first batch).
const KILLS_DURING_WRITES: usize = 18;

fn river(i: usize) -> String {
    format!("Report {i} says the river Lumen{i} rose by {} centimetres on Monday.", i % 97 + 3)
}

fn write_corpus(dir: &Path, version: usize) -> PathBuf {
    let path = dir.join(format!("corpus-{version}.jsonl"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..ARTICLES {
        let text = format!("{} Officials in the town of Brook{i} confirmed the reading {version}. The measurement was taken at noon.", river(i));
        writeln!(f, "{}", serde_json::json!({"doc_id": format!("gen-{i:05}"), "title": format!("Report {i}"), "text": text})).unwrap();
    }
    path
}

/// Starts the server on a port of its choosing; its log goes to `log`.
fn start(data: &Path, corpus: &Path, log: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_factcheck-server"))
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", ""])
        .arg("--data-dir")
        .arg(data)
        .arg("--corpus")
        .arg(corpus)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}


/// Every stored record is a whole article; returns how many there are and
/// the store version.
fn check_store(data: &Path) -> (usize, u64) {
    let store = Store::open(data).expect("store reopens after a crash");
    let mut n = 0;
    for article in store.articles() {
        let a = article.expect("every record decodes");
        check_units(&a.text, &a.units).unwrap_or_else(|e| panic!("{}: {e}", a.id));
        assert_eq!(a.content_hash, Article::hash(&a.title, &a.text, &a.source), "{}: content and hash agree", a.id);
        assert!(!a.units.is_empty(), "{}: units stored with the text", a.id);
        n += 1;
    }
    assert_eq!(n, store.len());
    (n, store.version().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_repeated_kill_9_during_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let corpora = [write_corpus(dir.path(), 0), write_corpus(dir.path(), 1)];
    let corpus = &corpora[0];
    let data = dir.path().join("data");
    // A fixed-seed LCG: kill points spread over start-up and ingest.
    let mut seed: u64 = 0x5eed_cafe;
    let (mut counts, mut during_writes, mut last_version) = (Vec::new(), 0, 0);
    // Ingest runs alternate between the versions, so each one has text to rewrite.
    let mut ingest_runs = 0;
    for k in 0..KILLS {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let jitter = Duration::from_millis((seed >> 33) % 1500);
        let in_startup = k % STARTUP_KILL_EVERY == 0;
        let mut child = if in_startup {
            let child = start(&data, &corpora[k % 2], Stdio::null());
            tokio::time::sleep(jitter / 2).await;
            child
        } else {
            ingest_runs += 1;
            let mut child = start(&data, &corpora[ingest_runs % 2], Stdio::piped());
            let _log = common::serving_addr(&mut child);
            tokio::time::sleep(Duration::from_millis(150) + jitter).await;
            child
        };
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (count, version) = check_store(&data);
        if version != last_version && !in_startup {
            during_writes += 1;
        }
        last_version = version;
        counts.push(count);
    }
    println!("articles stored after each kill: {counts:?}; ingest runs killed after writing: {during_writes}");
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "nothing stored is ever lost: {counts:?}");
    assert!(during_writes >= KILLS_DURING_WRITES, "only {during_writes} ingest runs wrote before the kill");

    // A last run completes the corpus and serves it correctly.
    let mut child = start(&data, corpus, Stdio::piped());
    let (addr, _log) = common::serving_addr(&mut child);
    let mut client = Client::new(common::wait_ready(&addr).await);
    let r = verify(&mut client, &river(12_345), 0).await.unwrap();
    assert_eq!(r.verdict(), pb::Verdict::Supported);
    assert_eq!(r.citations[0].article_id, "gen-12345");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());

    assert_eq!(check_store(&data).0, ARTICLES);
    let engine = Engine::open(&data).unwrap();
    assert_eq!(engine.article_count(), ARTICLES, "the index holds every stored article");
    let units: usize = (0..ARTICLES).map(|i| engine.get(&format!("gen-{i:05}")).unwrap().unwrap().units.len()).sum();
    assert_eq!(engine.unit_count(), units, "the index holds every stored unit");
}
