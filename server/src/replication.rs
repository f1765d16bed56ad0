//! Replicated ingest through NATS JetStream (`--ingest-stream URL`).
//!
//! IngestArticles and DeleteArticle append their writes to one durable
//! stream instead of writing locally; every replica follows that stream from
//! the last entry it applied (kept in its store, in the same transaction as
//! the write: `Engine::apply`) and applies each entry in order, so all
//! replicas hold the same articles at the same `store_version`. A caller is
//! answered once the stream has acknowledged its writes and this replica has
//! applied them (read-your-writes here). The log is JetStream's: this module
//! only maps writes to messages and back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, consumer, stream};
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use crate::config::StreamUrls;
use crate::engine::{Applied, Change, Engine, Write};
use crate::error::{Error, Reason};
use crate::metrics::Metrics;

/// How long one publication of a write waits for the stream's
/// acknowledgement, and how often it is sent: every copy carries the same
/// message id, so the stream stores the write once however many arrive.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
const PUBLISH_ATTEMPTS: usize = 3;
/// The stream's deduplication window (JetStream's default), longer than a
/// write's attempts.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How often a catching-up replica logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// How long an acknowledged write may take to be applied on this replica.
const APPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Entries (and payload bytes) applied before one reindex (the index is
/// rebuilt per batch).
const MAX_BATCH: usize = 256;
const MAX_BATCH_BYTES: usize = 16 << 20;
/// Outcomes kept for callers still to collect them (other replicas' writes
/// are never collected here).
const KEPT_OUTCOMES: usize = 65_536;
/// Pause before following the stream again after an error.
const RETRY: Duration = Duration::from_secs(1);

/// One message of the stream.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    write: Write,
    /// Written by 0.1.0 (Unix ms after which its writer gave up), and still
    /// honoured for those entries so that every replica decides the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_unix_ms: Option<i64>,
}

pub struct Replication {
    js: jetstream::Context,
    client: async_nats::Client,
    stream: String,
    subject: String,
    /// JetStream replicas of the stream when this server creates it.
    replicas: usize,
    engine: Arc<Engine>,
    metrics: Arc<Metrics>,
    applied: watch::Sender<u64>,
    outcomes: Mutex<BTreeMap<u64, Applied>>,
    /// Signalled on every (re)connection to NATS: a restarted server has lost
    /// the follower's consumer, which is made again at once rather than after
    /// missed heartbeats.
    reconnected: Arc<Notify>,
    /// Caught up with the stream at start: until then writes are refused
    /// (they would wait behind the whole backlog). Health reports it.
    ready: watch::Sender<bool>,
}

/// Where the ingest log is and how to reach it (`--ingest-stream*`).
pub struct StreamConfig {
    pub urls: StreamUrls,
    /// The JetStream stream's name.
    pub name: String,
    /// Its replicas when this server creates it.
    pub replicas: usize,
    /// A NATS `.creds` file.
    pub credentials: Option<PathBuf>,
    /// TLS only, trusting this CA.
    pub tls_ca: Option<PathBuf>,
}

impl Replication {
    /// Connects to NATS (in the background, retrying: the server serves
    /// verification while NATS is away) for the stream of `config`.
    pub async fn connect(config: &StreamConfig, engine: Arc<Engine>, metrics: Arc<Metrics>) -> anyhow::Result<Arc<Replication>> {
        let reconnected = Arc::new(Notify::new());
        let signal = reconnected.clone();
        // Credentials in the URLs go to the client as such, never in a URL it may log.
        let (urls, user) = config.urls.credentials();
        let mut options = async_nats::ConnectOptions::new();
        if let Some((name, password)) = user {
            options = options.user_and_password(name, password);
        }
        if let Some(file) = &config.credentials {
            options = options.credentials_file(file).await.with_context(|| format!("NATS credentials {}", file.display()))?;
        }
        if let Some(ca) = &config.tls_ca {
            options = options.require_tls(true).add_root_certificates(ca.clone());
        }
        let (stream, replicas) = (config.name.as_str(), config.replicas);
        let client = options
            .name(format!("factcheck-server {}", env!("CARGO_PKG_VERSION")))
            .event_callback(move |event| {
                if matches!(event, async_nats::Event::Connected) {
                    signal.notify_one();
                }
                tracing::info!(%event, "nats");
                async {}
            })
            .retry_on_initial_connect()
            .connect(urls)
            .await?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(ACK_TIMEOUT);
        let applied = watch::Sender::new(engine.applied_sequence()?);
        Ok(Arc::new(Replication {
            js,
            client,
            stream: stream.to_string(),
            subject: format!("factcheck.ingest.{stream}"),
            replicas,
            engine,
            metrics,
            applied,
            outcomes: Mutex::default(),
            reconnected,
            ready: watch::Sender::new(false),
        }))
    }

    /// Appends a write to the stream; returns its sequence once the stream
    /// has it durably. Call [`Replication::outcomes`] with them. A write not
    /// acknowledged after every attempt is UNAVAILABLE to its caller; the
    /// stream may still hold it (sending the same write again is safe).
    pub async fn append(&self, write: Write) -> Result<u64, Error> {
        if !*self.ready.borrow() {
            return Err(Error::Unavailable("this replica is still catching up with the ingest stream".into()));
        }
        let payload = serde_json::to_vec(&Entry { write, expires_unix_ms: None }).map_err(|e| Error::Internal(e.to_string()))?;
        let max = self.client.server_info().max_payload;
        if payload.len() > max {
            let description = format!("the article takes {} bytes in the ingest stream, over its limit of {max}", payload.len());
            return Err(Error::InvalidArgument { field: "article.text", reason: Reason::TextTooLong, description });
        }
        let id = nuid::next();
        let mut last_error = String::new();
        for _ in 0..PUBLISH_ATTEMPTS {
            // Not queued while disconnected: a queued copy would be sent after its caller gave up.
            if self.client.connection_state() != async_nats::connection::State::Connected {
                return Err(Error::Unavailable("not connected to NATS".into()));
            }
            let message = PublishMessage::build().payload(payload.clone().into()).message_id(id.as_str());
            let ack = match self.js.send_publish(self.subject.clone(), message).await {
                Ok(ack) => ack.await,
                Err(e) => Err(e.into()),
            };
            match ack {
                Ok(ack) => return Ok(ack.sequence),
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(Error::Unavailable(format!("the ingest stream did not acknowledge the write ({last_error}); it may still be applied: sending it again is safe")))
    }

    /// What applying the writes at `sequences` did, once this replica has
    /// applied them all.
    pub async fn outcomes(&self, sequences: &[u64]) -> Result<Vec<Applied>, Error> {
        let Some(&last) = sequences.iter().max() else { return Ok(Vec::new()) };
        let mut applied = self.applied.subscribe();
        match tokio::time::timeout(APPLY_TIMEOUT, applied.wait_for(|a| *a >= last)).await {
            Ok(Ok(_)) => {}
            _ => return Err(Error::Unavailable(format!("entry {last} is in the stream but not yet applied on this replica"))),
        }
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        sequences
            .iter()
            .map(|s| outcomes.remove(s).ok_or_else(|| Error::Unavailable(format!("entry {s} was applied, but its outcome was not kept here"))))
            .collect()
    }

    /// The stream's last sequence, creating the stream if it is not there.
    pub async fn last_sequence(&self) -> anyhow::Result<u64> {
        let config = stream::Config {
            name: self.stream.clone(),
            subjects: vec![self.subject.clone()],
            // Kept on disk, forever: a new replica rebuilds from the first entry.
            storage: stream::StorageType::File,
            num_replicas: self.replicas,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        };
        Ok(self.js.get_or_create_stream(config).await?.info().await?.state.last_sequence)
    }

    /// From now on, writes are taken (called once the start-up catch-up is over).
    pub fn set_ready(&self) {
        self.ready.send_replace(true);
    }

    /// Whether writes are taken: false until the start-up catch-up is over.
    pub fn ready(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// Waits until this replica has applied the stream up to `sequence`, or
    /// for `bound` at most (true if it got there), logging its progress and
    /// keeping the lag metric current meanwhile.
    pub async fn caught_up(&self, sequence: u64, bound: Option<Duration>) -> bool {
        let mut applied = self.applied.subscribe();
        let started = tokio::time::Instant::now();
        let from = *applied.borrow();
        loop {
            let now = *applied.borrow_and_update();
            self.metrics.record_replication_lag(sequence.saturating_sub(now));
            if now >= sequence {
                return true;
            }
            let elapsed = started.elapsed();
            if bound.is_some_and(|b| elapsed >= b) {
                return false;
            }
            let per_s = (now - from.min(now)) as f64 / elapsed.as_secs_f64().max(1e-3);
            tracing::info!(applied = now, last = sequence, per_s = per_s.round() as u64, "catching up with the ingest stream");
            let wait = bound.map_or(PROGRESS_EVERY, |b| PROGRESS_EVERY.min(b - elapsed));
            let _ = tokio::time::timeout(wait, applied.wait_for(|a| *a >= sequence)).await;
        }
    }

    /// Applies the stream's entries from the last one applied, forever,
    /// following again after an error (NATS restarted or unreachable).
    pub async fn follow(self: Arc<Self>) {
        loop {
            if let Err(e) = self.follow_once().await {
                tracing::warn!(error = %e, stream = %self.stream, "ingest stream: following again shortly");
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    async fn follow_once(&self) -> anyhow::Result<()> {
        // From what the store holds: a batch that failed half-way is not redone.
        let stored = self.engine.applied_sequence()?;
        if stored > *self.applied.borrow() {
            let engine = self.engine.clone();
            tokio::task::spawn_blocking(move || engine.publish()).await??;
            self.applied.send_replace(stored);
        }
        let mut stream = match self.js.get_stream(&self.stream).await {
            Ok(stream) => stream,
            // A new deployment whose stream is not made yet (NATS was away at start).
            Err(_) if stored == 0 => {
                self.last_sequence().await?;
                self.js.get_stream(&self.stream).await?
            }
            Err(e) => anyhow::bail!("ingest stream {}: {e}", self.stream),
        };
        let state = &stream.info().await?.state;
        // A stream made again, or purged past this replica, must not be followed
        // from here: entries this replica needs are gone, or numbers mean other writes.
        if state.last_sequence < stored || state.first_sequence > stored + 1 {
            tracing::error!(stream = %self.stream, applied = stored, first = state.first_sequence, last = state.last_sequence, "the ingest stream was reset or purged past this replica; rebuild its store");
            anyhow::bail!("ingest stream {} no longer holds this replica's position {stored}", self.stream);
        }
        let config = consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence: stored + 1 },
            ..Default::default()
        };
        let mut messages = stream.create_consumer(config).await?.messages().await?;
        tracing::info!(stream = %self.stream, from = stored + 1, "following the ingest stream");
        loop {
            let first = tokio::select! {
                m = messages.next() => m,
                () = self.reconnected.notified() => return Ok(()),
            };
            let Some(first) = first else { return Ok(()) };
            let mut batch = vec![first?];
            let mut bytes = batch[0].payload.len();
            while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
                match messages.next().now_or_never() {
                    Some(Some(m)) => {
                        let m = m?;
                        bytes += m.payload.len();
                        batch.push(m);
                    }
                    _ => break,
                }
            }
            let (mut entries, mut pending) = (Vec::with_capacity(batch.len()), 0);
            for m in &batch {
                let info = m.info().map_err(|e| anyhow::anyhow!("{e}"))?;
                let stored_ms = (info.published.unix_timestamp_nanos() / 1_000_000) as i64;
                entries.push((info.stream_sequence, stored_ms, serde_json::from_slice::<Entry>(&m.payload)));
                pending = info.pending;
            }
            self.apply(entries).await?;
            self.metrics.record_replication_lag(pending);
        }
    }

    /// Applies a batch in order, then makes it visible at once.
    async fn apply(&self, entries: Vec<(u64, i64, serde_json::Result<Entry>)>) -> anyhow::Result<()> {
        let engine = self.engine.clone();
        let (done, parked) = tokio::task::spawn_blocking(move || -> crate::error::Result<(Vec<(u64, Applied)>, Vec<Parked>)> {
            let (mut done, mut parked) = (Vec::with_capacity(entries.len()), Vec::new());
            let mut changed = false;
            for (sequence, stored_ms, entry) in entries {
                // Every replica decides the same from the entry and the stream alone.
                let write = match entry.map_err(|e| format!("unreadable: {e}")).and_then(|e| checked(e, stored_ms)) {
                    Ok(write) => write,
                    Err(reason) => {
                        tracing::error!(sequence, %reason, "ingest stream: entry parked, not applied");
                        parked.push(Parked { sequence, reason });
                        done.push((sequence, engine.skip(sequence)?));
                        continue;
                    }
                };
                let applied = engine.apply(write, sequence)?;
                changed |= matches!(applied, Applied::Stored(Change::Added | Change::Replaced) | Applied::Deleted(true));
                done.push((sequence, applied));
            }
            if changed {
                engine.publish()?;
            }
            Ok((done, parked))
        })
        .await??;
        self.park(parked).await;
        let Some(&(last, _)) = done.last() else { return Ok(()) };
        self.metrics.record_ingested(done.iter().filter(|(_, a)| matches!(a, Applied::Stored(Change::Added | Change::Replaced))).count() as u64);
        {
            let mut outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
            outcomes.extend(done);
            while outcomes.len() > KEPT_OUTCOMES {
                outcomes.pop_first();
            }
        }
        self.applied.send_replace(last);
        Ok(())
    }
}

/// An entry of the log that no replica applies.
#[derive(Debug, Serialize)]
struct Parked {
    sequence: u64,
    reason: String,
}

impl Replication {
    /// Reports parked entries on the dead-letter subject (`<subject>.parked`,
    /// one JSON message each: sequence and reason) and counts them.
    async fn park(&self, parked: Vec<Parked>) {
        self.metrics.record_parked(parked.len() as u64);
        for p in parked {
            let message = serde_json::to_vec(&p).unwrap_or_default();
            if let Err(e) = self.client.publish(format!("{}.parked", self.subject), message.into()).await {
                tracing::warn!(sequence = p.sequence, error = %e, "ingest stream: cannot report a parked entry");
            }
        }
    }
}

/// The write of an entry, if it may be applied: valid (an entry from another
/// publisher may be anything), and for a 0.1.0 entry, stored before its
/// writer gave up.
fn checked(entry: Entry, stored_ms: i64) -> Result<Write, String> {
    if let Some(expires) = entry.expires_unix_ms.filter(|e| stored_ms > *e) {
        return Err(format!("stored {} ms after its writer gave up", stored_ms - expires));
    }
    match &entry.write {
        Write::Upsert(article) => article.validate().map_err(|r| format!("invalid article {:?}: {}", article.id, r.as_str()))?,
        Write::Delete { id } if id.trim().is_empty() => return Err("a delete without an id".into()),
        Write::Delete { .. } => {}
    }
    Ok(entry.write)
}
