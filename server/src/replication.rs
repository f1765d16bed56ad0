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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::{FutureExt, StreamExt};
use tokio::sync::{Notify, watch};

use crate::engine::{Applied, Change, Engine, Write};
use crate::error::Error;
use crate::metrics::Metrics;

/// How long a write may wait for the stream's acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an acknowledged write may take to be applied on this replica.
const APPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Entries applied before one reindex (the index is rebuilt per batch).
const MAX_BATCH: usize = 256;
/// Outcomes kept for callers still to collect them (other replicas' writes
/// are never collected here).
const KEPT_OUTCOMES: usize = 65_536;
/// Pause before following the stream again after an error.
const RETRY: Duration = Duration::from_secs(1);

pub struct Replication {
    js: jetstream::Context,
    stream: String,
    subject: String,
    engine: Arc<Engine>,
    metrics: Arc<Metrics>,
    applied: watch::Sender<u64>,
    outcomes: Mutex<BTreeMap<u64, Applied>>,
    /// Signalled on every (re)connection to NATS: a restarted server has lost
    /// the follower's consumer, which is made again at once rather than after
    /// missed heartbeats.
    reconnected: Arc<Notify>,
}

impl Replication {
    /// Connects to NATS at `url` (in the background, retrying: the server
    /// serves verification while NATS is away) for the stream `stream`.
    pub async fn connect(url: &str, stream: &str, engine: Arc<Engine>, metrics: Arc<Metrics>) -> anyhow::Result<Arc<Replication>> {
        let reconnected = Arc::new(Notify::new());
        let signal = reconnected.clone();
        let client = async_nats::ConnectOptions::new()
            .name(format!("factcheck-server {}", env!("CARGO_PKG_VERSION")))
            .event_callback(move |event| {
                if matches!(event, async_nats::Event::Connected) {
                    signal.notify_one();
                }
                tracing::info!(%event, "nats");
                async {}
            })
            .retry_on_initial_connect()
            .connect(url)
            .await?;
        let mut js = jetstream::new(client);
        js.set_timeout(ACK_TIMEOUT);
        let applied = watch::Sender::new(engine.applied_sequence()?);
        Ok(Arc::new(Replication {
            js,
            stream: stream.to_string(),
            subject: format!("factcheck.ingest.{stream}"),
            engine,
            metrics,
            applied,
            outcomes: Mutex::default(),
            reconnected,
        }))
    }

    /// Appends writes to the stream; returns each one's sequence once the
    /// stream has it durably. Call [`Replication::outcomes`] with them.
    pub async fn append(&self, write: &Write) -> Result<u64, Error> {
        let payload = serde_json::to_vec(write).map_err(|e| Error::Internal(e.to_string()))?;
        let ack = self.js.publish(self.subject.clone(), payload.into()).await.map_err(unavailable)?;
        Ok(ack.await.map_err(unavailable)?.sequence)
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
        // Evicted outcomes (a very slow caller) read as "no change".
        Ok(sequences.iter().map(|s| outcomes.remove(s).unwrap_or(Applied::Stored(Change::Unchanged))).collect())
    }

    /// The stream's last sequence, creating the stream if it is not there.
    pub async fn last_sequence(&self) -> anyhow::Result<u64> {
        Ok(self.stream().await?.info().await?.state.last_sequence)
    }

    /// Waits until this replica has applied the stream up to `sequence`.
    pub async fn caught_up(&self, sequence: u64) {
        let _ = self.applied.subscribe().wait_for(|a| *a >= sequence).await;
    }

    async fn stream(&self) -> anyhow::Result<stream::Stream> {
        let config = stream::Config {
            name: self.stream.clone(),
            subjects: vec![self.subject.clone()],
            // Kept on disk, forever: a new replica rebuilds from the first entry.
            storage: stream::StorageType::File,
            ..Default::default()
        };
        Ok(self.js.get_or_create_stream(config).await?)
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
        let start = *self.applied.borrow() + 1;
        let config = consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence: start },
            ..Default::default()
        };
        let mut messages = self.stream().await?.create_consumer(config).await?.messages().await?;
        tracing::info!(stream = %self.stream, from = start, "following the ingest stream");
        loop {
            let first = tokio::select! {
                m = messages.next() => m,
                () = self.reconnected.notified() => return Ok(()),
            };
            let Some(first) = first else { return Ok(()) };
            let mut batch = vec![first?];
            while batch.len() < MAX_BATCH {
                match messages.next().now_or_never() {
                    Some(Some(m)) => batch.push(m?),
                    _ => break,
                }
            }
            let (mut entries, mut pending) = (Vec::with_capacity(batch.len()), 0);
            for m in &batch {
                let info = m.info().map_err(|e| anyhow::anyhow!("{e}"))?;
                entries.push((info.stream_sequence, serde_json::from_slice::<Write>(&m.payload)));
                pending = info.pending;
            }
            self.apply(entries).await?;
            self.metrics.record_replication_lag(pending);
        }
    }

    /// Applies a batch in order, then makes it visible at once.
    async fn apply(&self, entries: Vec<(u64, serde_json::Result<Write>)>) -> anyhow::Result<()> {
        let engine = self.engine.clone();
        let done = tokio::task::spawn_blocking(move || -> crate::error::Result<Vec<(u64, Applied)>> {
            let mut done = Vec::with_capacity(entries.len());
            let mut changed = false;
            for (sequence, write) in entries {
                // An entry no replica can read is skipped by all of them alike.
                let write = write.unwrap_or_else(|e| {
                    tracing::error!(sequence, error = %e, "ingest stream: unreadable entry skipped");
                    Write::Delete { id: String::new() }
                });
                let applied = engine.apply(write, sequence)?;
                changed |= matches!(applied, Applied::Stored(Change::Added | Change::Replaced) | Applied::Deleted(true));
                done.push((sequence, applied));
            }
            if changed {
                engine.publish()?;
            }
            Ok(done)
        })
        .await??;
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

fn unavailable(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(e.to_string())
}
