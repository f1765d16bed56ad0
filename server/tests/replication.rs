//! Replicated ingest through a real NATS JetStream server (`nats-server`,
//! Debian's package; `.ci/run` installs it): three server processes follow
//! one stream while writes go through two of them; one replica is killed
//! with SIGKILL and restarted mid-stream, and so is nats-server; a fourth
//! joins with an empty store at the end. Then all of them hold the same
//! articles at the same store version and give the same verdicts, and every
//! write acknowledged to a caller is there. NATS asks for a password
//! throughout, which no replica's log shows.
//!
//! Skipped when `nats-server` is not installed, unless
//! `FACTCHECK_REQUIRE_NATS=1` (CI) makes that a failure.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use factcheck_client::{Client, pb, verify, with_token};
use tonic::Code;

const TOKEN: &str = "replication-test-admin-token";
/// NATS's user and password: every test's nats-server asks for them.
const USER: &str = "fc";
const PASSWORD: &str = "pa55word-not-for-logs";

fn nats_installed() -> bool {
    let found = Command::new("nats-server").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found {
        assert!(std::env::var_os("FACTCHECK_REQUIRE_NATS").is_none(), "FACTCHECK_REQUIRE_NATS is set but nats-server is not installed");
        eprintln!("skipped: nats-server is not installed (apt-get install nats-server)");
    }
    found
}

/// nats-server with JetStream and a password on `port` (0: one it picks),
/// storing in `dir`; returns it and its port once it accepts clients.
fn start_nats(dir: &Path, port: u16) -> (Child, u16) {
    let port_arg = if port == 0 { "-1".to_string() } else { port.to_string() };
    let mut child = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port_arg, "--user", USER, "--pass", PASSWORD, "-sd"])
        .arg(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::{BufRead, BufReader};
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let mut port = None;
    for line in lines.map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if let Some(addr) = line.split("Listening for client connections on ").nth(1) {
            port = addr.trim().rsplit(':').next().and_then(|p| p.parse().ok());
        }
        if line.contains("Server is ready") {
            break;
        }
    }
    let port = port.unwrap_or_else(|| panic!("nats-server did not start:\n{seen}"));
    (child, port)
}

struct Replica {
    data: PathBuf,
    child: Child,
    addr: String,
    /// Its log, once it has exited.
    log: Option<std::thread::JoinHandle<String>>,
}

impl Replica {
    /// A replica given NATS's credentials in its URL.
    fn spawn(data: &Path, nats_port: u16) -> Replica {
        let mut child = Command::new(env!("CARGO_BIN_EXE_factcheck-server"))
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "", "--models", "", "--data-dir"])
            .arg(data)
            .arg("--corpus")
            .arg(common::seeds_dir())
            .arg("--ingest-stream")
            .arg(format!("nats://{USER}:{PASSWORD}@127.0.0.1:{nats_port}"))
            .env("FACTCHECK_ADMIN_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, log) = common::serving_addr(&mut child);
        Replica { data: data.to_path_buf(), child, addr, log: Some(log) }
    }

    async fn client(&self) -> Client {
        Client::new(common::wait_ready(&self.addr).await)
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Kills it and checks its log: no NATS password in it.
    fn kill_9_log(&mut self) -> String {
        self.kill_9();
        let log = self.log.take().unwrap().join().unwrap();
        assert!(!log.contains(PASSWORD), "the NATS password is in a log:\n{log}");
        log
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn article(i: usize, version: usize) -> pb::Article {
    let text = format!("The river Lumen{i} rose by {} centimetres on Monday, officials in Brook{i} said.", (i * 7 + version) % 90 + 5);
    pb::Article { id: format!("river-{i:03}"), title: format!("River {i}"), text, ..Default::default() }
}

fn claim(i: usize, version: usize) -> String {
    format!("The river Lumen{i} rose by {} centimetres on Monday.", (i * 7 + version) % 90 + 5)
}

/// Ingests one article; Ok(true) once acknowledged, Ok(false) if the stream
/// was unavailable (the caller may retry).
async fn ingest(client: &mut Client, a: pb::Article) -> bool {
    let request = with_token(futures::stream::iter([pb::IngestArticlesRequest { article: Some(a) }]), TOKEN).unwrap();
    match client.ingest_articles(request).await {
        Ok(_) => true,
        Err(s) if matches!(s.code(), Code::Unavailable | Code::DeadlineExceeded) => false,
        Err(s) => panic!("ingest failed: {s:?}"),
    }
}

async fn delete(client: &mut Client, id: &str) -> bool {
    match client.delete_article(with_token(pb::DeleteArticleRequest { id: id.into() }, TOKEN).unwrap()).await {
        Ok(_) => true,
        // A retry after an unconfirmed delete may find it done already.
        Err(s) if s.code() == Code::NotFound => true,
        Err(s) if matches!(s.code(), Code::Unavailable | Code::DeadlineExceeded) => false,
        Err(s) => panic!("delete failed: {s:?}"),
    }
}

/// Retries a write until it is acknowledged (NATS may be restarting).
macro_rules! until_acknowledged {
    ($write:expr) => {{
        let started = Instant::now();
        while !$write {
            assert!(started.elapsed() < Duration::from_secs(60), "a write was never acknowledged");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }};
}

/// Every stored article id, and the store version.
async fn contents(client: &mut Client) -> (BTreeSet<String>, u64) {
    let (mut ids, mut token, mut version) = (BTreeSet::new(), String::new(), 0);
    loop {
        let page = client.list_articles(pb::ListArticlesRequest { page_size: 1000, page_token: token, ..Default::default() }).await.unwrap().into_inner();
        ids.extend(page.articles.into_iter().map(|a| a.id));
        version = version.max(page.store_version);
        if page.next_page_token.is_empty() {
            return (ids, version);
        }
        token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_converge_through_kills_and_a_nats_restart() {
    if !nats_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut nats, nats_port) = start_nats(&dir.path().join("js"), 0);
    let mut replicas: Vec<Replica> = (0..3).map(|i| Replica::spawn(&dir.path().join(format!("r{i}")), nats_port)).collect();
    let mut writer = replicas[0].client().await;
    // What callers were told: id → the version acknowledged (None: deleted).
    let mut acknowledged: BTreeMap<String, Option<usize>> = BTreeMap::new();

    // The others serve verification meanwhile.
    let readers: Vec<_> = [replicas[1].addr.clone(), replicas[2].addr.clone()]
        .into_iter()
        .map(|addr| {
            tokio::spawn(async move {
                let (mut ok, started) = (0, Instant::now());
                while started.elapsed() < Duration::from_secs(3) {
                    if let Ok(ch) = factcheck_client::channel(&addr).await {
                        ok += verify(&mut Client::new(ch), &claim(1, 0), 0).await.is_ok() as usize;
                    }
                }
                ok
            })
        })
        .collect();
    for i in 0..30 {
        until_acknowledged!(ingest(&mut writer, article(i, 0)).await);
        acknowledged.insert(article(i, 0).id, Some(0));
    }
    for r in readers {
        assert!(r.await.unwrap() > 0, "a replica stopped serving verification during ingest");
    }

    // Read-your-writes on the replica that took the write.
    let r = verify(&mut writer, &claim(29, 0), 0).await.unwrap();
    assert_eq!((r.verdict(), r.citations[0].article_id.as_str()), (pb::Verdict::Supported, "river-029"));

    // Replica 2 dies mid-stream; writes go on through replica 1.
    replicas[2].kill_9();
    let mut second = replicas[1].client().await;
    for i in 20..40 {
        until_acknowledged!(ingest(&mut second, article(i, 1)).await);
        acknowledged.insert(article(i, 1).id, Some(1));
    }
    for i in (0..10).step_by(3) {
        until_acknowledged!(delete(&mut writer, &format!("river-{i:03}")).await);
        acknowledged.insert(format!("river-{i:03}"), None);
    }
    let data = replicas[2].data.clone();
    replicas[2] = Replica::spawn(&data, nats_port);

    // nats-server restarts mid-stream (same port, same storage).
    nats.kill().unwrap();
    nats.wait().unwrap();
    for i in 40..42 {
        assert!(!ingest(&mut writer, article(i, 0)).await, "a write was acknowledged while NATS was down");
        // Verification keeps serving meanwhile.
        verify(&mut writer, &claim(11, 0), 0).await.unwrap();
    }
    let (restarted, _) = start_nats(&dir.path().join("js"), nats_port);
    nats = restarted;
    for i in 40..50 {
        until_acknowledged!(ingest(&mut writer, article(i, 2)).await);
        acknowledged.insert(article(i, 2).id, Some(2));
    }
    until_acknowledged!(delete(&mut second, "river-045").await);
    acknowledged.insert("river-045".into(), None);

    // A replica that joins now (an empty store) rebuilds from the whole stream.
    replicas.push(Replica::spawn(&dir.path().join("r3"), nats_port));

    // All four converge on the same store.
    let mut clients = Vec::new();
    for r in &replicas {
        clients.push(r.client().await);
    }
    let started = Instant::now();
    let states = loop {
        let mut states = Vec::new();
        for c in &mut clients {
            states.push(contents(c).await);
        }
        if states.windows(2).all(|w| w[0] == w[1]) {
            break states;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "replicas did not converge: {:?}", states.iter().map(|s| (s.0.len(), s.1)).collect::<Vec<_>>());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (ids, _) = &states[0];
    for (id, version) in &acknowledged {
        assert_eq!(ids.contains(id), version.is_some(), "{id}: acknowledged as {version:?}");
    }
    assert!(ids.len() >= 5 + 40, "the seeds and the rivers: {}", ids.len());

    // The same verdicts everywhere, on the latest text of each river.
    for (id, version) in &acknowledged {
        let i: usize = id.trim_start_matches("river-").parse().unwrap();
        let mut verdicts = Vec::new();
        for c in &mut clients {
            verdicts.push(verify(c, &claim(i, version.unwrap_or(0)), 0).await.unwrap().verdict());
        }
        assert!(verdicts.windows(2).all(|w| w[0] == w[1]), "{id}: {verdicts:?}");
        assert_eq!(verdicts[0] == pb::Verdict::Supported, version.is_some(), "{id}: {:?}", verdicts[0]);
    }
    // Each reports in health that it has caught up and takes writes.
    for r in &mut replicas {
        common::wait_serving(&r.addr, factcheck_server::INGEST_HEALTH_NAME).await;
        r.kill_9_log();
    }
    let _ = nats.kill();
    let _ = nats.wait();
}

/// An entry no replica can apply (valid JSON, an invalid article) is parked:
/// reported on the dead-letter subject, and the replicas go on applying the
/// stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poisoned_entry_is_parked_and_the_password_never_logged() {
    if !nats_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut nats, port) = start_nats(&dir.path().join("js"), 0);
    let mut replicas: Vec<Replica> = (0..2).map(|i| Replica::spawn(&dir.path().join(format!("r{i}")), port)).collect();
    let mut writer = replicas[0].client().await;
    until_acknowledged!(ingest(&mut writer, article(1, 0)).await);

    let nats_client = async_nats::ConnectOptions::with_user_and_password(USER.into(), PASSWORD.into()).connect(format!("127.0.0.1:{port}")).await.unwrap();
    let mut parked = nats_client.subscribe("factcheck.ingest.FACTCHECK_INGEST.parked").await.unwrap();
    nats_client.flush().await.unwrap();
    let poison = factcheck_server::engine::Write::Upsert(factcheck_server::engine::NewArticle { id: " ".into(), text: "No id.".into(), ..Default::default() });
    let entry = serde_json::json!({ "write": poison });
    let js = async_nats::jetstream::new(nats_client.clone());
    let sequence = js.publish("factcheck.ingest.FACTCHECK_INGEST", serde_json::to_vec(&entry).unwrap().into()).await.unwrap().await.unwrap().sequence;
    // A write carries a message id, so that JetStream stores it once however often it is sent.
    let first = js.get_stream("FACTCHECK_INGEST").await.unwrap().get_raw_message(1).await.unwrap();
    assert!(first.headers.get("Nats-Msg-Id").is_some_and(|id| !id.as_str().is_empty()), "a write without a message id");
    // Each replica reports it (one message each).
    for _ in 0..replicas.len() {
        let message = tokio::time::timeout(Duration::from_secs(20), futures::StreamExt::next(&mut parked)).await.unwrap().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(report["sequence"], sequence, "{report}");
        assert!(report["reason"].as_str().unwrap().contains("invalid article"), "{report}");
    }
    // The stream goes on past it on both.
    until_acknowledged!(ingest(&mut writer, article(2, 0)).await);
    let mut other = replicas[1].client().await;
    let started = Instant::now();
    while verify(&mut other, &claim(2, 0), 0).await.unwrap().verdict() != pb::Verdict::Supported {
        assert!(started.elapsed() < Duration::from_secs(20), "the other replica stopped at the parked entry");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for r in &mut replicas {
        let log = r.kill_9_log();
        assert!(log.contains("entry parked"), "{log}");
    }
    let _ = nats.kill();
    let _ = nats.wait();
}
