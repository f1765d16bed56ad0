//! The semantic engine (dense retrieval + the trained stance model) through
//! gRPC, and the lexical fallback when the models are missing. The semantic
//! tests skip when `models/` is not set up (scripts/setup-models.sh; CI runs it).

mod common;

use common::{TestServer, models_or_skip, seeds_dir};
use factcheck_client::verify;
use factcheck_proto::v1::{Stance, Verdict};
use factcheck_proto::v1 as pb;
use factcheck_server::engine::models::Models;
use factcheck_server::engine::ingest::corpus;
use factcheck_server::engine::models::EMBEDDER;
use factcheck_server::engine::{Engine, IndexOrigin, NewArticle};
use factcheck_server::error::Error;
use factcheck_server::{SEMANTIC_HEALTH_NAME, ServeOptions};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

async fn semantic_status(server: &TestServer) -> i32 {
    let mut health = HealthClient::new(server.channel().await);
    let request = HealthCheckRequest { service: SEMANTIC_HEALTH_NAME.into() };
    health.check(request).await.unwrap().into_inner().status
}

#[test]
fn missing_models_say_how_to_get_them() {
    let dir = tempfile::tempdir().unwrap();
    match Models::load(dir.path(), 1) {
        Err(Error::Model(m)) => assert!(m.contains("setup-models.sh"), "{m}"),
        other => panic!("expected a model error, got {:?}", other.err()),
    }
}

#[tokio::test]
async fn lexical_server_reports_it_in_health_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Some(&seeds_dir())).await;
    assert_eq!(semantic_status(&server).await, ServingStatus::NotServing as i32);
    let r = verify(&mut server.client().await, "Italy holds the G7 presidency this year.", 1).await.unwrap();
    let by = r.answered_by.unwrap();
    assert_eq!((by.engine(), by.stance_model.as_str(), by.server_version.as_str()), (pb::Engine::Lexical, "", env!("CARGO_PKG_VERSION")));
    server.stop().await;
}

/// `models_from` loads the models while the snapshot is read: the engine
/// is semantic and takes the snapshot; when the models fail to load, it is
/// lexical and rebuilds its index rather than serve one made with vectors.
#[test]
fn models_load_while_the_snapshot_is_read() {
    let Some(models) = models_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let engine = Engine::builder(&data).models(Some(models.clone())).open().unwrap();
    engine.ingest(corpus::load(&seeds_dir()).unwrap()).unwrap();
    engine.save_index().unwrap();
    drop(engine);

    let engine = Engine::builder(&data).models_from(&models.dir).open().unwrap();
    assert_eq!((engine.mode(), engine.index_origin()), ("semantic", IndexOrigin::Snapshot));
    assert!(engine.index().dense().is_some());
    drop(engine);

    // The embedder's file alone: its identity is known, the models do not load.
    let broken = dir.path().join("models");
    std::fs::create_dir_all(broken.join(EMBEDDER).parent().unwrap()).unwrap();
    std::fs::copy(models.dir.join(EMBEDDER), broken.join(EMBEDDER)).unwrap();
    let engine = Engine::builder(&data).models_from(&broken).open().unwrap();
    assert_eq!((engine.mode(), engine.index_origin()), ("lexical", IndexOrigin::Store));
    assert!(engine.index().dense().is_none());
}

/// After a restart from the snapshot (its vectors mapped), writes carry the
/// other articles' vectors over: the engine answers as one rebuilt from the store.
#[test]
fn writes_after_a_snapshot_restart_answer_as_a_rebuild() {
    let Some(models) = models_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let open = || Engine::builder(&data).models(Some(models.clone())).open().unwrap();
    let engine = open();
    engine.ingest(corpus::load(&seeds_dir()).unwrap()).unwrap();
    engine.save_index().unwrap();
    drop(engine);

    let claims = ["China supplied most of Russia's machine tools.", "Tallinn's port handled 90,000 containers in March.", "A budget of 61 billion dollars was blocked."];
    let engine = open();
    assert_eq!(engine.index_origin(), IndexOrigin::Snapshot);
    let first = engine.index().articles()[0].id.clone();
    assert!(engine.delete(&first).unwrap());
    let harbour = NewArticle { id: "harbour".into(), text: "The harbour of Tallinn handled 90,000 containers in March.".into(), ..NewArticle::default() };
    engine.ingest(vec![harbour]).unwrap();
    let answers = claims.map(|c| engine.verify(c, 3, false, &Default::default()).unwrap());
    drop(engine);

    let rebuilt = open();
    assert_eq!(rebuilt.index_origin(), IndexOrigin::Store, "the writes moved the store past the snapshot");
    assert_eq!(claims.map(|c| rebuilt.verify(c, 3, false, &Default::default()).unwrap()), answers);
    assert_eq!(answers[1].verdict, factcheck_server::engine::Verdict::Supported, "the new article is found");
}

/// A restart serves on one session per model; the others are made beside it,
/// once, and answer alike.
#[test]
fn further_model_sessions_open_after_the_first() {
    let Some(shared) = models_or_skip() else { return };
    let models = Models::load(&shared.dir, 2).unwrap();
    assert_eq!(models.sessions(), (1, 1));
    let text = ["China supplied machine tools to Russia."];
    let first = models.embed(&text).unwrap();
    for opening in models.open_sessions() {
        opening.join().unwrap();
    }
    assert_eq!(models.sessions(), (2, 2));
    assert!(models.open_sessions().is_empty(), "once only");
    for _ in 0..2 {
        assert_eq!(models.embed(&text).unwrap(), first, "whichever session runs it");
    }
}

#[tokio::test]
async fn paraphrases_find_their_evidence() {
    let Some(models) = models_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder(dir.path()).models(Some(models)).open().unwrap();
    let server = TestServer::start_with(engine, Some(&seeds_dir()), ServeOptions::default()).await;
    assert_eq!(semantic_status(&server).await, ServingStatus::Serving as i32);
    let mut client = server.client().await;
    let by = verify(&mut client, "Italy holds the G7 presidency this year.", 1).await.unwrap().answered_by.unwrap();
    assert_eq!(by.engine(), pb::Engine::Semantic);
    assert!(by.stance_model.starts_with("sha256:") && by.stance_model.len() == 19 && by.judge.starts_with("sha256:"), "{by:?}");
    // Dense retrieval ranks the evidence first although the words differ.
    let r = verify(&mut client, "Most of the machine tools Russia bought in late 2023 were Chinese", 3).await.unwrap();
    assert!(r.citations[0].text.contains("70"), "the 70% sentence is cited first: {:?}", r.citations[0]);
    // Both phrasings of the figure are found, and a sentence that states it is cited as support.
    // (The verdict is the aggregator's: the stance model reads "at the end of 2023" against "in
    // the last quarter of 2023" as a refutation, and the default aggregator follows it.)
    let r = verify(&mut client, "China provided more than 70% of the machine tools Russia imported at the end of 2023", 3).await.unwrap();
    assert!(r.citations.iter().filter(|c| c.text.contains("70")).count() >= 2, "{r:?}");
    assert!(r.citations.iter().any(|c| c.stance() == Stance::Supports && c.text.contains("70")), "{r:?}");
    let r = verify(&mut client, "The price of coffee in Brazil fell sharply last winter", 3).await.unwrap();
    assert_eq!(r.verdict(), Verdict::Unknown, "{r:?}");
    server.stop().await;
}

/// The stance model tells support, refutation and an unrelated sentence
/// apart, on every x86 CPU: its weights are uint8 (int8 ones overflow
/// silently without VNNI and read about the same for every pair).
#[test]
fn the_stance_model_reads_plain_pairs() {
    let Some(models) = models_or_skip() else { return };
    let claim = "The G7 foreign ministers met on Capri.";
    let evidence = ["The G7 foreign ministers met on the Italian island of Capri.", "The G7 foreign ministers met in Rome, not on Capri.", "Coffee prices in Brazil fell sharply last winter."];
    let p = models.stance(claim, &evidence.map(|e| format!("Reuters | {e}"))).unwrap();
    assert!(p[0].supports > 0.8 && p[1].refutes > 0.6 && p[2].nei > 0.6, "{p:?}");
}

#[test]
fn batched_embeddings_equal_single_ones_in_order() {
    let Some(models) = models_or_skip() else { return };
    // Lengths vary so that sorting by length reorders them, over several batches and sessions.
    let texts: Vec<String> = (0..37).map(|i| format!("Sentence {i} about {}", "the river and the town ".repeat(i % 7 + 1))).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batched = models.embed(&refs).unwrap();
    assert_eq!(batched.len(), texts.len() * factcheck_server::engine::models::DIM);
    for (i, text) in refs.iter().enumerate() {
        let alone = models.embed(&[text]).unwrap();
        let row = &batched[i * alone.len()..(i + 1) * alone.len()];
        let cosine: f32 = row.iter().zip(&alone).map(|(a, b)| a * b).sum();
        assert!(cosine > 0.999, "{i}: cosine {cosine}");
    }
}
