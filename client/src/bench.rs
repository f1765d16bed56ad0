//! A closed-loop load generator: `concurrency` callers, each sending its next
//! request as soon as the last is answered, for a duration or a count.
//! Latencies go into an HDR histogram; gRPC errors are counted by status code
//! (a gRPC error is not a success, unlike in h2load or oha).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::mpsc;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use factcheck_proto::code_name;

use crate::{Client, pb};

/// What each request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// VerifyClaim only.
    Verify,
    /// Mixed: VerifyClaim 70%, CheckText 10%, a 5-claim VerifyClaims stream
    /// 10%, ListArticles 5%, GetArticle 5%.
    Mixed,
    /// grpc.health.v1.Health/Check: the floor of what the server can answer.
    Health,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub concurrency: usize,
    pub duration: Option<Duration>,
    pub requests: Option<u64>,
    pub workload: Workload,
    /// Print a line per interval (for soaks); None prints nothing.
    pub report_every: Option<Duration>,
}

/// Measured outcome of a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub workload: String,
    pub concurrency: usize,
    pub requests: u64,
    pub ok: u64,
    pub seconds: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// gRPC status code name → count, for failed requests.
    pub errors: BTreeMap<String, u64>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<8} c={:<3} {:>8} req {:>9.1} rps  p50 {:>7.2} ms  p90 {:>7.2}  p99 {:>7.2}  p99.9 {:>7.2}  max {:>7.2}  errors {}",
            self.workload,
            self.concurrency,
            self.requests,
            self.rps,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms,
            if self.errors.is_empty() { "0".to_string() } else { format!("{:?}", self.errors) }
        )
    }
}

/// Claims with variation: each request gets a distinct text (an opening
/// phrase and a nonce word the store has never seen), so no cache can answer.
pub struct Claims {
    claims: Vec<String>,
    next: AtomicU64,
}

const OPENINGS: [&str; 4] = ["", "Reportedly, ", "According to reports, ", "It is said that "];

impl Claims {
    pub fn new(claims: Vec<String>) -> anyhow::Result<Claims> {
        anyhow::ensure!(!claims.is_empty(), "no claims to send");
        Ok(Claims { claims, next: AtomicU64::new(0) })
    }

    pub fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let claim = &self.claims[(n % self.claims.len() as u64) as usize];
        let opening = OPENINGS[((n / self.claims.len() as u64) % OPENINGS.len() as u64) as usize];
        // A nonce word: "zq" and n in base 26 letters.
        let mut nonce = String::from("zq");
        let mut k = n;
        loop {
            nonce.push((b'a' + (k % 26) as u8) as char);
            k /= 26;
            if k == 0 {
                break;
            }
        }
        format!("{opening}{claim} {nonce}")
    }
}

async fn one(workload: Workload, channel: &Channel, claims: &Claims, n: u64) -> Result<(), tonic::Status> {
    let mut client = Client::new(channel.clone());
    let verify = |claim: String| pb::VerifyClaimRequest { claim, max_citations: 3, explain: false, ..Default::default() };
    match (workload, n % 20) {
        (Workload::Health, _) => {
            HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await?;
        }
        (Workload::Verify, _) | (Workload::Mixed, 0..=13) => {
            client.verify_claim(verify(claims.next())).await?;
        }
        (Workload::Mixed, 14..=15) => {
            let text = format!("{} {} Is this true? {}", claims.next(), claims.next(), claims.next());
            client.check_text(pb::CheckTextRequest { text, max_citations: 2, ..Default::default() }).await?;
        }
        (Workload::Mixed, 16..=17) => {
            let items: Vec<_> = (0..5).map(|i| pb::VerifyClaimsRequest { request_id: i.to_string(), claim: claims.next(), max_citations: 1, explain: false, ..Default::default() }).collect();
            let mut answers = client.verify_claims(futures::stream::iter(items)).await?.into_inner();
            while answers.message().await?.is_some() {}
        }
        (Workload::Mixed, 18) => {
            client.list_articles(pb::ListArticlesRequest { page_size: 20, ..pb::ListArticlesRequest::default() }).await?;
        }
        (Workload::Mixed, _) => {
            let page = client.list_articles(pb::ListArticlesRequest { page_size: 1, ..pb::ListArticlesRequest::default() }).await?.into_inner();
            if let Some(a) = page.articles.first() {
                client.get_article(pb::GetArticleRequest { id: a.id.clone() }).await?;
            }
        }
    }
    Ok(())
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 60 s at 3 significant digits; the bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

fn summarize(workload: Workload, concurrency: usize, h: &Histogram<u64>, errors: BTreeMap<String, u64>, seconds: f64) -> Summary {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let failed: u64 = errors.values().sum();
    let requests = h.len();
    Summary {
        workload: format!("{workload:?}").to_lowercase(),
        concurrency,
        requests,
        ok: requests - failed,
        seconds,
        rps: requests as f64 / seconds.max(1e-9),
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: h.max() as f64 / 1000.0,
        errors,
    }
}

/// Runs the plan over `channels` (callers spread across them).
pub async fn run(channels: &[Channel], claims: Arc<Claims>, plan: &Plan) -> anyhow::Result<Summary> {
    anyhow::ensure!(!channels.is_empty() && plan.concurrency > 0, "need a channel and a caller");
    let started = Instant::now();
    let deadline = plan.duration.map(|d| started + d);
    let budget = Arc::new(AtomicU64::new(plan.requests.unwrap_or(u64::MAX)));
    let (tx, mut rx) = mpsc::channel::<(u64, Option<tonic::Code>)>(4096);
    for caller in 0..plan.concurrency {
        let (channel, claims, budget, tx, workload) = (channels[caller % channels.len()].clone(), claims.clone(), budget.clone(), tx.clone(), plan.workload);
        tokio::spawn(async move {
            let mut n = caller as u64;
            while deadline.is_none_or(|d| Instant::now() < d) && budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1)).is_ok() {
                let t = Instant::now();
                let result = one(workload, &channel, &claims, n).await;
                let micros = t.elapsed().as_micros().max(1) as u64;
                if tx.send((micros, result.err().map(|s| s.code()))).await.is_err() {
                    break;
                }
                n += STRIDE;
            }
        });
    }
    drop(tx);
    let (mut all, mut interval) = (histogram(), histogram());
    let mut errors = BTreeMap::new();
    let mut interval_started = Instant::now();
    while let Some((micros, code)) = rx.recv().await {
        all.saturating_record(micros);
        interval.saturating_record(micros);
        if let Some(code) = code {
            *errors.entry(code_name(code)).or_insert(0) += 1;
        }
        if let Some(every) = plan.report_every {
            if interval_started.elapsed() >= every {
                let secs = interval_started.elapsed().as_secs_f64();
                println!(
                    "t={:>6.0}s  {:>8.1} rps  p50 {:>6.2} ms  p99 {:>6.2} ms  errors so far {:?}",
                    started.elapsed().as_secs_f64(),
                    interval.len() as f64 / secs,
                    interval.value_at_quantile(0.5) as f64 / 1000.0,
                    interval.value_at_quantile(0.99) as f64 / 1000.0,
                    errors
                );
                interval.reset();
                interval_started = Instant::now();
            }
        }
    }
    Ok(summarize(plan.workload, plan.concurrency, &all, errors, started.elapsed().as_secs_f64()))
}

/// Callers step through the mix with a stride coprime to 20, so that every
/// caller visits every kind of request.
const STRIDE: u64 = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_vary_on_every_request() {
        let claims = Claims::new(vec!["A claim.".into(), "B claim.".into()]).unwrap();
        let sent: Vec<String> = (0..200).map(|_| claims.next()).collect();
        let distinct: std::collections::HashSet<_> = sent.iter().collect();
        assert_eq!(distinct.len(), 200);
        assert!(sent[0].starts_with("A claim."));
        assert!(Claims::new(vec![]).is_err());
    }

    #[test]
    fn summary_counts_errors_apart() {
        let mut h = histogram();
        for v in [1000, 2000, 3000, 4000] {
            h.record(v).unwrap();
        }
        let s = summarize(Workload::Verify, 2, &h, BTreeMap::from([("UNAVAILABLE".to_string(), 1)]), 2.0);
        assert_eq!((s.requests, s.ok, s.rps), (4, 3, 2.0));
        assert!((s.p50_ms - 2.0).abs() < 0.01);
    }
}
