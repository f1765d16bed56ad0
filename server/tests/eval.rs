//! Verdict quality through the gRPC API, with the metric definitions of the
//! `factcheck eval` command: the project's own held-out claims always, the
//! shared seed dev set when `../shared/eval` is present.

mod common;

use std::path::Path;

use common::{TestServer, seeds_dir, shared_eval};
use factcheck_client::eval::{self, Outcome, Report};
use factcheck_client::verify;

async fn evaluate(file: &Path) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    let mut client = server.client().await;
    let examples = eval::parse(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut outcomes = Vec::new();
    for e in &examples {
        let r = verify(&mut client, &e.claim, 1).await.unwrap();
        outcomes.push(Outcome::of(e, &r, 0.0));
    }
    server.stop().await;
    eval::report(&outcomes)
}

#[tokio::test]
async fn held_out_seed_claims() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seed-claims.heldout.jsonl");
    let report = evaluate(&file).await;
    println!("{report}");
    assert_eq!(report.n, 32);
    assert!(report.accuracy >= 0.90, "accuracy {}", report.accuracy);
    assert!(report.citation_at_1.unwrap() >= 0.90);
}

#[tokio::test]
async fn shared_seed_dev_claims() {
    let Some(dir) = shared_eval() else {
        eprintln!("skipped: ../shared/eval not present");
        return;
    };
    let report = evaluate(&dir.join("seed-claims.dev.jsonl")).await;
    println!("{report}");
    assert!(report.accuracy >= 0.95, "accuracy {}", report.accuracy);
    assert!(report.citation_at_1.unwrap() >= 0.95);
}
