//! The gRPC contract end to end: verdicts and citations on the seeds, offsets,
//! validation errors with details, health, and restart on an existing store.

mod common;

use common::{TestServer, seeds_dir};
use factcheck_client::{pb, verify};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_types::StatusExt;

fn seed_text(article_id: &str) -> String {
    std::fs::read_to_string(seeds_dir().join(format!("{article_id}.txt"))).unwrap()
}

#[tokio::test]
async fn verifies_claims_with_exact_citations() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    assert_eq!(server.ingest.added, 5);
    let mut client = server.client().await;

    let r = verify(&mut client, "The US and UK blocked metal exchanges from accepting new Russian aluminium.", 0).await.unwrap();
    assert_eq!(r.verdict(), pb::Verdict::Supported);
    assert!(r.confidence > 0.5 && r.confidence <= 1.0);
    let first = &r.citations[0];
    assert_eq!(first.stance(), pb::Stance::Supports);
    assert_eq!(first.article_id, "002_5164c0c69b710b45");
    assert!(r.store_version >= 5);

    let r = verify(&mut client, "The budget envelope for Ukraine awaiting a vote in Congress was 16 billion dollars.", 3).await.unwrap();
    assert_eq!(r.verdict(), pb::Verdict::Contradicted);
    assert_eq!(r.citations[0].stance(), pb::Stance::Refutes);
    assert!(r.reason.contains("61 billion dollars"), "{}", r.reason);
    assert!(r.citations.len() <= 3);

    let r = verify(&mut client, "The Bank of Japan raised interest rates in March.", 0).await.unwrap();
    assert_eq!(r.verdict(), pb::Verdict::Unknown);

    // Every citation is the verbatim slice of the stored article at its offsets.
    let r = verify(&mut client, "A senior US official said China is helping Russia.", 20).await.unwrap();
    assert!(!r.citations.is_empty());
    for c in &r.citations {
        let text = seed_text(&c.article_id);
        assert_eq!(&text[c.start as usize..c.end as usize], c.text);
    }
    assert!(r.citations.iter().any(|c| c.attribution == "a senior US official"), "{:?}", r.citations);
    server.stop().await;
}

#[tokio::test]
async fn rejects_bad_requests_with_details() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    let mut client = server.client().await;
    for (claim, max, field, reason) in [
        ("", 0, "claim", "CLAIM_EMPTY"),
        ("  \t\n ", 0, "claim", "CLAIM_EMPTY"),
        (&*"word ".repeat(500), 0, "claim", "CLAIM_TOO_LONG"),
        ("China supplies Russia.", 21, "max_citations", "MAX_CITATIONS_OUT_OF_RANGE"),
    ] {
        let status = verify(&mut client, claim, max).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{claim:?}");
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, field);
        let info = details.error_info().unwrap();
        assert_eq!((info.reason.as_str(), info.domain.as_str()), (reason, "factcheck.v1"));
    }
    // Odd but valid input gets an answer, not an error.
    for claim in [
        "\u{0}China\u{7}",
        "🙂🙂🙂",
        "Путин посетил Пекин.",
        "مرحبا بالعالم",
        "e\u{301}\u{301}\u{301}",
        "\u{202E}Italy holds the G7 presidency\u{202C}",
        "a\u{300}\u{301}\u{302}\u{303}\u{304} b\u{200B}c\u{FEFF}",
        "中国向俄罗斯提供了机床。",
    ] {
        let r = verify(&mut client, claim, 0).await.unwrap();
        assert_ne!(r.verdict(), pb::Verdict::Unspecified);
    }
    // And the server is still serving.
    let mut health = HealthClient::new(server.channel().await);
    let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status();
    assert_eq!(status, ServingStatus::Serving);
    server.stop().await;
}

#[tokio::test]
async fn reports_health_for_server_and_service() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "factcheck.v1.FactCheckService"] {
        let r = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{service:?}");
    }
    let err = health.check(HealthCheckRequest { service: "nope".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn restarts_on_an_existing_store() {
    let dir = tempfile::tempdir().unwrap();
    let claim = "German Chancellor Olaf Scholz visited Beijing.";
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    let before = verify(&mut server.client().await, claim, 0).await.unwrap();
    server.stop().await;

    // Same corpus again: nothing changes, same answer.
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    assert_eq!((server.ingest.added, server.ingest.replaced, server.ingest.unchanged), (0, 0, 5));
    let again = verify(&mut server.client().await, claim, 0).await.unwrap();
    assert_eq!(again, before);
    server.stop().await;

    // No corpus at all: the store alone still answers.
    let server = TestServer::start(dir.path(), None).await;
    let stored = verify(&mut server.client().await, claim, 0).await.unwrap();
    assert_eq!(stored.verdict(), pb::Verdict::Supported);
    server.stop().await;

    // A changed article replaces the stored one.
    let corpus = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(seeds_dir()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, corpus.path().join(p.file_name().unwrap())).unwrap();
    }
    let edited = corpus.path().join("000_fbbe073d80e5598f.txt");
    std::fs::write(&edited, "Edited text about nothing in particular at all.\n").unwrap();
    let server = TestServer::start(dir.path(), Some(corpus.path())).await;
    assert_eq!((server.ingest.added, server.ingest.replaced, server.ingest.unchanged), (0, 1, 4));
    let r = verify(&mut server.client().await, "Italy holds the G7 presidency this year.", 0).await.unwrap();
    assert_eq!(r.verdict(), pb::Verdict::Unknown, "the replaced article's sentences are gone");
    assert!(r.store_version > stored.store_version);
    server.stop().await;
}
