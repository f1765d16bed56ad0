//! The API beyond VerifyClaim, against a real server: the VerifyClaims stream,
//! CheckText, admin ingest and delete, GetArticle and ListArticles, evidence
//! scopes.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{TestServer, seeds_dir};
use factcheck_client::{Client, pb};
use factcheck_proto::pbjson_types;
use factcheck_server::ServeOptions;
use factcheck_server::engine::Engine;
use factcheck_server::engine::judge::rules::RuleScorer;
use factcheck_server::engine::judge::{Assessment, Pair, StanceScorer};
use pb::verify_claims_response::Result as ItemResult;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request};

const TOKEN: &str = "test-admin-token-0123456789";

fn admin_options() -> ServeOptions {
    ServeOptions { admin_token: Some(TOKEN.parse().unwrap()), ..ServeOptions::default() }
}

fn admin<T>(message: T) -> Request<T> {
    let mut r = Request::new(message);
    r.metadata_mut().insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    r
}

async fn start(options: ServeOptions) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Engine::open(dir.path()).unwrap(), Some(&seeds_dir()), options).await;
    (server, dir)
}

fn article(id: &str, text: &str) -> pb::Article {
    pb::Article { id: id.into(), text: text.into(), ..pb::Article::default() }
}

fn ingest_stream(articles: Vec<pb::Article>) -> impl futures::Stream<Item = pb::IngestArticlesRequest> {
    futures::stream::iter(articles.into_iter().map(|a| pb::IngestArticlesRequest { article: Some(a) }))
}

async fn verify(client: &mut Client, claim: &str) -> pb::VerifyClaimResponse {
    factcheck_client::verify(client, claim, 0).await.unwrap()
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_ten_thousand_claims_each_answered_once_with_bounded_memory() {
    let (server, _dir) = start(ServeOptions::default()).await;
    let mut client = server.client().await;
    let claims = ["Italy holds the G7 presidency this year.", "Japan is not a member of the G7.", "Janet Yellen visited Moscow.", ""];
    let n = 10_000;
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        for i in 0..n {
            let claim = claims[i % claims.len()].to_string();
            if tx.send(pb::VerifyClaimsRequest { request_id: i.to_string(), claim, max_citations: 1, explain: false, ..Default::default() }).await.is_err() {
                break;
            }
        }
    });
    let before = vm_hwm_kib();
    let mut answers = client.verify_claims(ReceiverStream::new(rx)).await.unwrap().into_inner();
    let mut seen = vec![false; n];
    let (mut errors, mut verdicts) = (0, 0);
    while let Some(a) = answers.message().await.unwrap() {
        let i: usize = a.request_id.parse().unwrap();
        assert!(!seen[i], "request {i} answered twice");
        seen[i] = true;
        match a.result.unwrap() {
            ItemResult::Verification(v) => {
                verdicts += 1;
                assert_ne!(v.verdict(), pb::Verdict::Unspecified);
            }
            ItemResult::Error(e) => {
                errors += 1;
                assert_eq!(i % claims.len(), 3, "only the empty claims fail");
                assert_eq!((e.code, e.reason.as_str(), e.field.as_str()), (Code::InvalidArgument as i32, "CLAIM_EMPTY", "claim"));
            }
        }
    }
    assert!(seen.iter().all(|s| *s), "every request answered");
    assert_eq!((verdicts, errors), (7_500, 2_500));
    let growth_mib = vm_hwm_kib().saturating_sub(before) / 1024;
    assert!(growth_mib < 64, "peak memory grew by {growth_mib} MiB over a 10k stream");
    server.stop().await;
}

/// Slow for claims that say "slowly", to show answers overtaking each other.
struct SlowWhenAsked;
impl StanceScorer for SlowWhenAsked {
    fn assess(&self, pair: &Pair<'_>) -> Assessment {
        if pair.claim.tokens.iter().any(|t| t.text == "slowly") {
            std::thread::sleep(Duration::from_millis(20));
        }
        RuleScorer::default().assess(pair)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_answers_may_complete_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder(dir.path()).scorer(Box::new(SlowWhenAsked)).open().unwrap();
    let server = TestServer::start_with(engine, Some(&seeds_dir()), ServeOptions::default()).await;
    let mut client = server.client().await;
    let items = ["Italy slowly holds the G7 presidency.", "Italy holds the G7 presidency.", "Japan is a G7 member."]
        .iter()
        .enumerate()
        .map(|(i, c)| pb::VerifyClaimsRequest { request_id: format!("r{i}"), claim: c.to_string(), max_citations: 0, explain: false, ..Default::default() })
        .collect::<Vec<_>>();
    let mut answers = client.verify_claims(futures::stream::iter(items)).await.unwrap().into_inner();
    let mut order = Vec::new();
    while let Some(a) = answers.message().await.unwrap() {
        order.push(a.request_id);
    }
    assert_eq!(order.len(), 3);
    assert_eq!(order.last().map(String::as_str), Some("r0"), "the slow first item finishes last: {order:?}");
    server.stop().await;
}

#[tokio::test]
async fn checks_a_paragraph_claim_by_claim() {
    let (server, _dir) = start(ServeOptions::default()).await;
    let mut client = server.client().await;
    let text = "Hello everyone! Italy holds the G7 presidency this year. Did Blinken visit Moscow? \
                I think the sanctions are too weak. Japan is not a member of the G7.\n\
                The Bank of Japan raised interest rates in March.";
    let r = client.check_text(pb::CheckTextRequest { text: text.into(), max_citations: 2, ..Default::default() }).await.unwrap().into_inner();
    let got: Vec<_> = r.claims.iter().map(|c| (c.text.as_str(), c.verdict())).collect();
    assert_eq!(
        got,
        [
            ("Italy holds the G7 presidency this year.", pb::Verdict::Supported),
            ("Japan is not a member of the G7.", pb::Verdict::Contradicted),
            ("The Bank of Japan raised interest rates in March.", pb::Verdict::Unknown),
        ]
    );
    for c in &r.claims {
        assert_eq!(&text[c.start as usize..c.end as usize], c.text);
        assert!(c.citations.len() <= 2);
    }
    let s = r.summary.unwrap();
    assert_eq!((s.supported, s.contradicted, s.unknown, s.skipped), (1, 1, 1, 3));
    assert!(r.store_version > 0);
    let err = client.check_text(pb::CheckTextRequest { text: " ".into(), max_citations: 0, ..Default::default() }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn admin_calls_need_the_token() {
    // No token configured: refused outright.
    let (server, _dir) = start(ServeOptions::default()).await;
    let mut client = server.client().await;
    let err = client.ingest_articles(admin(ingest_stream(vec![article("x", "Some text here now.")]))).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = client.delete_article(admin(pb::DeleteArticleRequest { id: "x".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    server.stop().await;

    // Token configured: missing or wrong is UNAUTHENTICATED, and nothing is stored.
    let (server, _dir) = start(admin_options()).await;
    let mut client = server.client().await;
    let err = client.ingest_articles(Request::new(ingest_stream(vec![article("x", "Some text here now.")]))).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut wrong = Request::new(ingest_stream(vec![article("x", "Some text here now.")]));
    wrong.metadata_mut().insert("authorization", "Bearer nope".parse().unwrap());
    assert_eq!(client.ingest_articles(wrong).await.unwrap_err().code(), Code::Unauthenticated);
    let err = client.get_article(pb::GetArticleRequest { id: "x".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn ingest_is_idempotent_and_delete_removes_citations() {
    let (server, _dir) = start(admin_options()).await;
    let mut client = server.client().await;
    let claim = "The Atlantis Institute opened its new observatory in Reykjavik in 2025.";
    assert_eq!(verify(&mut client, claim).await.verdict(), pb::Verdict::Unknown);
    let published = pbjson_types::Timestamp { seconds: 1_735_689_600, nanos: 0 };
    let news = pb::Article {
        id: "atlantis".into(),
        title: "Atlantis opens observatory".into(),
        text: "The Atlantis Institute opened its new observatory in Reykjavik in 2025, its director said.".into(),
        url: "https://example.org/atlantis".into(),
        publisher: "Example News".into(),
        published_time: Some(published),
        language: "en".into(),
        ..pb::Article::default()
    };
    let batch = vec![news.clone(), article("other", "A second article says something else entirely today."), article("broken", "  ")];
    let r = client.ingest_articles(admin(ingest_stream(batch.clone()))).await.unwrap().into_inner();
    assert_eq!((r.added, r.updated, r.unchanged, r.rejected), (2, 0, 0, 1));
    assert_eq!(r.rejections[0], pb::IngestRejection { article_id: "broken".into(), index: 2, reason: "TEXT_EMPTY".into() });
    let version = r.store_version;

    let v = verify(&mut client, claim).await;
    assert_eq!(v.verdict(), pb::Verdict::Supported);
    assert_eq!(v.citations[0].article_id, "atlantis");
    assert_eq!(v.citations[0].attribution, "its director");
    assert_eq!(v.store_version, version);

    let got = client.get_article(pb::GetArticleRequest { id: "atlantis".into() }).await.unwrap().into_inner();
    assert_eq!((got.publisher.as_str(), got.published_time, got.url.as_str()), ("Example News", Some(published), "https://example.org/atlantis"));
    assert_eq!(got.claims.len(), 1);
    assert_eq!(&got.text[got.claims[0].start as usize..got.claims[0].end as usize], got.claims[0].text);

    // The same content again: unchanged, same version. New content: updated.
    let r = client.ingest_articles(admin(ingest_stream(batch[..2].to_vec()))).await.unwrap().into_inner();
    assert_eq!((r.added, r.updated, r.unchanged, r.store_version), (0, 0, 2, version));
    let edited = pb::Article { publisher: "Other Desk".into(), ..news.clone() };
    let r = client.ingest_articles(admin(ingest_stream(vec![edited]))).await.unwrap().into_inner();
    assert_eq!((r.added, r.updated, r.unchanged), (0, 1, 0));
    assert!(r.store_version > version);

    // Deleting makes its citations disappear.
    let d = client.delete_article(admin(pb::DeleteArticleRequest { id: "atlantis".into() })).await.unwrap().into_inner();
    assert!(d.store_version > r.store_version);
    let v = verify(&mut client, claim).await;
    assert_eq!(v.verdict(), pb::Verdict::Unknown);
    assert!(v.citations.iter().all(|c| c.article_id != "atlantis"));
    let err = client.delete_article(admin(pb::DeleteArticleRequest { id: "atlantis".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn pagination_visits_every_article_exactly_once() {
    let (server, _dir) = start(admin_options()).await;
    let mut client = server.client().await;
    let extra: Vec<_> = (0..103)
        .map(|i| pb::Article {
            publisher: if i % 3 == 0 { "Desk A".into() } else { "Desk B".into() },
            published_time: Some(pbjson_types::Timestamp { seconds: 1_700_000_000 + i * 86_400, nanos: 0 }),
            ..article(&format!("gen-{i:03}"), &format!("Generated article number {i} reports a plain fact."))
        })
        .collect();
    client.ingest_articles(admin(ingest_stream(extra))).await.unwrap();

    let list = |size: i32, token: String, publisher: &str, after: Option<i64>| pb::ListArticlesRequest {
        page_size: size,
        page_token: token,
        publisher: publisher.into(),
        published_after: after.map(|s| pbjson_types::Timestamp { seconds: s, nanos: 0 }),
        published_before: None,
    };
    let all = |publisher: &'static str, after: Option<i64>| {
        let mut client = client.clone();
        async move {
            let (mut ids, mut token, mut pages) = (Vec::new(), String::new(), 0);
            loop {
                let page = client.list_articles(list(7, token, publisher, after)).await.unwrap().into_inner();
                pages += 1;
                assert!(page.articles.len() <= 7);
                assert!(page.articles.iter().all(|a| a.text.is_empty() && a.claims.is_empty()));
                ids.extend(page.articles.into_iter().map(|a| a.id));
                if page.next_page_token.is_empty() {
                    return (ids, pages);
                }
                token = page.next_page_token;
            }
        }
    };
    let (ids, pages) = all("", None).await;
    assert_eq!(ids.len(), 108, "5 seeds + 103 generated");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 108, "no article twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id order");
    assert_eq!(pages, 16);
    let (desk_a, _) = all("Desk A", None).await;
    assert_eq!(desk_a.len(), 35);
    let (recent, _) = all("", Some(1_700_000_000 + 100 * 86_400)).await;
    assert_eq!(recent, ["gen-100", "gen-101", "gen-102"]);

    for bad in [list(-1, String::new(), "", None), list(1001, String::new(), "", None), list(5, "zz".into(), "", None)] {
        assert_eq!(client.list_articles(bad).await.unwrap_err().code(), Code::InvalidArgument);
    }
    server.stop().await;
}

#[tokio::test]
async fn explains_citations_only_when_asked() {
    let (server, _dir) = start(ServeOptions::default()).await;
    let mut client = server.client().await;
    let claim = "Japan is not a member of the G7.";
    let plain = factcheck_client::verify(&mut client, claim, 1).await.unwrap();
    assert!(plain.citations.iter().all(|c| c.explanation.is_none()), "no explanation unless asked");
    let request = pb::VerifyClaimRequest { claim: claim.into(), max_citations: 1, explain: true, ..Default::default() };
    let explained = client.verify_claim(request).await.unwrap().into_inner();
    assert_eq!(explained.verdict, pb::Verdict::Contradicted as i32);
    let e = explained.citations[0].explanation.as_ref().expect("an explanation");
    let decisive: Vec<_> = e.rules.iter().filter(|r| r.decisive).collect();
    assert_eq!(decisive.len(), 1, "{:?}", e.rules);
    assert_eq!((decisive[0].rule.as_str(), decisive[0].effect), ("negation", pb::RuleEffect::Refutes as i32));
    assert_eq!(decisive[0].message, explained.reason);
    assert!(e.model.is_none(), "the lexical engine has no stance model");
}

/// A scope narrows the evidence to chosen publishers or times: two reports of
/// one vote disagree on the sum, and each scope sees only its own.
#[tokio::test]
async fn a_scope_limits_the_evidence_to_its_articles() {
    let (server, _dir) = start(admin_options()).await;
    let mut client = server.client().await;
    let at = |days: i64| Some(pbjson_types::Timestamp { seconds: 1_704_067_200 + days * 86_400, nanos: 0 });
    let report = |id: &str, publisher: &str, day: i64, millions: u32| pb::Article {
        id: id.into(),
        title: "Harbor bridge".into(),
        text: format!("The Harbor Council approved a budget of {millions} million dollars for the Lumen bridge on Monday."),
        publisher: publisher.into(),
        published_time: at(day),
        ..pb::Article::default()
    };
    let reports = vec![report("ledger-jan", "Ledger", 10, 40), report("courier-jun", "Courier", 160, 55)];
    client.ingest_articles(admin(ingest_stream(reports))).await.unwrap();
    let claim = "The Harbor Council approved a budget of 55 million dollars for the Lumen bridge.";
    let ask = |scope: pb::ArticleScope| pb::VerifyClaimRequest { claim: claim.into(), max_citations: 5, scope: Some(scope), ..Default::default() };
    let cited = |r: &pb::VerifyClaimResponse| r.citations.iter().map(|c| c.article_id.clone()).collect::<HashSet<_>>();

    let everything = client.verify_claim(ask(pb::ArticleScope::default())).await.unwrap().into_inner();
    assert!(cited(&everything).contains("courier-jun") && cited(&everything).contains("ledger-jan"), "{everything:?}");

    let ledger = client.verify_claim(ask(pb::ArticleScope { publisher: "Ledger".into(), ..Default::default() })).await.unwrap().into_inner();
    assert_eq!(cited(&ledger), HashSet::from(["ledger-jan".to_string()]));
    assert_eq!(ledger.verdict(), pb::Verdict::Contradicted, "{ledger:?}");

    // As of March: only January's report; from March on: only June's.
    let as_of_march = client.verify_claim(ask(pb::ArticleScope { published_before: at(60), ..Default::default() })).await.unwrap().into_inner();
    assert_eq!((cited(&as_of_march), as_of_march.verdict()), (HashSet::from(["ledger-jan".to_string()]), pb::Verdict::Contradicted));
    let since_march = client.verify_claim(ask(pb::ArticleScope { published_after: at(60), ..Default::default() })).await.unwrap().into_inner();
    assert_eq!((cited(&since_march), since_march.verdict()), (HashSet::from(["courier-jun".to_string()]), pb::Verdict::Supported));

    // A scope nothing is in: no evidence. CheckText and the stream take scopes too.
    let nobody = client.verify_claim(ask(pb::ArticleScope { publisher: "Nobody".into(), ..Default::default() })).await.unwrap().into_inner();
    assert_eq!((nobody.verdict(), nobody.citations.len()), (pb::Verdict::Unknown, 0));
    let text = pb::CheckTextRequest { text: claim.into(), scope: Some(pb::ArticleScope { publisher: "Ledger".into(), ..Default::default() }), ..Default::default() };
    let checked = client.check_text(text).await.unwrap().into_inner();
    assert_eq!(checked.claims[0].verdict(), pb::Verdict::Contradicted);
    let item = pb::VerifyClaimsRequest { claim: claim.into(), scope: Some(pb::ArticleScope { published_after: at(60), ..Default::default() }), ..Default::default() };
    let mut answers = client.verify_claims(futures::stream::iter([item])).await.unwrap().into_inner();
    let Some(ItemResult::Verification(v)) = answers.message().await.unwrap().unwrap().result else { panic!("no verification") };
    assert_eq!(cited(&v), HashSet::from(["courier-jun".to_string()]));

    // A time range that ends before it starts is refused, naming the field.
    let backwards = pb::ArticleScope { published_after: at(60), published_before: at(10), ..Default::default() };
    let err = client.verify_claim(ask(backwards)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(format!("{:?}", tonic_types::StatusExt::get_error_details(&err)).contains("scope.published_before"), "{err:?}");
    server.stop().await;
}
