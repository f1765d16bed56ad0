//! Server configuration: flags, then `FACTCHECK_*` environment variables, then
//! an optional TOML file (`--config`), then defaults. Validated at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::engine::judge::thresholds::ModelGate;

/// A setting that must not reach logs: Debug prints "[redacted]".
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(Secret(s.to_string()))
    }
}

/// NATS server URLs (comma-separated), which may carry `user:password@`:
/// Debug and [`StreamUrls::redacted`] print them without it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StreamUrls(String);

impl StreamUrls {
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The URLs with any userinfo replaced by `[redacted]`, for logs.
    pub fn redacted(&self) -> String {
        self.split().iter().map(|(url, user)| if user.is_some() { url.replacen("://", "://[redacted]@", 1) } else { url.clone() }).collect::<Vec<_>>().join(",")
    }

    /// The URLs without userinfo, and the first `user:password` given.
    pub fn credentials(&self) -> (String, Option<(String, String)>) {
        let split = self.split();
        let user = split.iter().find_map(|(_, user)| user.as_deref()).map(|u| {
            let (name, password) = u.split_once(':').unwrap_or((u, ""));
            (name.to_string(), password.to_string())
        });
        (split.into_iter().map(|(url, _)| url).collect::<Vec<_>>().join(","), user)
    }

    /// Each URL without its userinfo, and the userinfo.
    fn split(&self) -> Vec<(String, Option<String>)> {
        let one = |url: &str| {
            let (scheme, rest) = url.split_once("://").unwrap_or(("nats", url));
            match rest.rsplit_once('@') {
                Some((user, host)) => (format!("{scheme}://{host}"), Some(user.to_string())),
                None => (format!("{scheme}://{rest}"), None),
            }
        };
        self.0.split(',').map(|u| one(u.trim())).collect()
    }
}

impl std::fmt::Debug for StreamUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl std::str::FromStr for StreamUrls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(StreamUrls(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// factcheck gRPC server: verifies claims against a store of articles.
#[derive(Debug, Clone, Parser)]
#[command(name = "factcheck-server", version, about)]
pub struct Config {
    /// TOML file with any of the settings below (keys as the flags, with
    /// underscores: `request_timeout = "5s"`). Flags and env win over it.
    #[arg(long, env = "FACTCHECK_CONFIG")]
    pub config: Option<PathBuf>,

    /// Address to listen on for gRPC.
    #[arg(long, env = "FACTCHECK_LISTEN", default_value = "0.0.0.0:50051")]
    pub listen: SocketAddr,

    /// Folder of the sled claim store (created if missing).
    #[arg(long, env = "FACTCHECK_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Corpus to ingest at start: a folder of .txt articles or a JSONL file of
    /// {doc_id, title, text} rows. Empty: serve the store as it is.
    // A String, not a PathBuf: clap's path parser refuses the empty value.
    #[arg(long, env = "FACTCHECK_CORPUS", default_value = "seeds")]
    pub corpus: String,

    /// Folder of the models (`scripts/setup-models.sh` fills it): with them the
    /// engine adds dense retrieval and the trained stance model; without them
    /// (or empty) it serves with the lexical engine and logs why.
    #[arg(long, env = "FACTCHECK_MODELS", default_value = "models")]
    pub models: String,

    /// The learned aggregator (`train/fit_judge.py`); unset:
    /// `MODELS/stance/judge.json` (one for every corpus, fitted on many
    /// corpora pooled) if present; a file fitted on labelled claims about
    /// the corpus served is an opt-in; empty: the hand-tuned aggregation alone.
    #[arg(long, env = "FACTCHECK_JUDGE")]
    pub judge: Option<String>,

    /// How sure the stance model must be (0..1) to call a sentence SUPPORTS or
    /// REFUTES: higher trades recall for precision.
    #[arg(long, env = "FACTCHECK_MODEL_THRESHOLD", default_value_t = ModelGate::default().threshold)]
    pub model_threshold: f32,

    /// The least weighted share (0..1) of a claim a sentence must contain for
    /// the stance model to judge it.
    #[arg(long, env = "FACTCHECK_MODEL_MIN_COVERAGE", default_value_t = ModelGate::default().min_coverage)]
    pub model_min_coverage: f32,

    /// Analysed stored sentences kept in memory for the judge (about 2 KB
    /// each); a candidate beyond them is analysed again when retrieved.
    #[arg(long, env = "FACTCHECK_CACHED_SENTENCES", default_value_t = crate::engine::DEFAULT_CACHED_SENTENCES)]
    pub cached_sentences: usize,

    /// Log output format.
    #[arg(long, env = "FACTCHECK_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Address of the Prometheus /metrics endpoint; empty disables it.
    #[arg(long, env = "FACTCHECK_METRICS_LISTEN", default_value = "0.0.0.0:9090")]
    pub metrics_listen: String,

    /// Plaintext address serving only grpc.health.v1 (for Kubernetes gRPC
    /// probes when the main port uses TLS); empty disables it.
    #[arg(long, env = "FACTCHECK_HEALTH_LISTEN", default_value = "")]
    pub health_listen: String,

    /// Server-side deadline per call; a shorter `grpc-timeout` from the caller wins.
    #[arg(long, env = "FACTCHECK_REQUEST_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Calls served at once; more are refused at once with RESOURCE_EXHAUSTED.
    #[arg(long, env = "FACTCHECK_MAX_CONCURRENT_REQUESTS", default_value_t = 64)]
    pub max_concurrent_requests: usize,

    /// Largest accepted request message in bytes; larger is RESOURCE_EXHAUSTED.
    #[arg(long, env = "FACTCHECK_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
    pub max_request_bytes: usize,

    /// On SIGTERM/SIGINT, how long in-flight calls may take to finish.
    #[arg(long, env = "FACTCHECK_SHUTDOWN_GRACE", default_value = "20s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,

    /// PEM certificate chain: serve gRPC over TLS (needs --tls-key).
    #[arg(long, env = "FACTCHECK_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "FACTCHECK_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// PEM CA bundle: require client certificates signed by it (mTLS).
    #[arg(long, env = "FACTCHECK_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,

    /// Bearer token that admin calls (IngestArticles, DeleteArticle) must
    /// present; without one they are refused. Prefer the environment variable.
    #[arg(long, env = "FACTCHECK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,

    /// NATS server(s) of a JetStream ingest log, e.g. `nats://nats:4222`: admin
    /// writes are appended to it and every replica applies it in order.
    /// Empty: writes are applied locally (one replica).
    /// `nats://user:password@host:4222` is accepted and never logged; prefer
    /// `--ingest-stream-credentials`.
    #[arg(long, env = "FACTCHECK_INGEST_STREAM", default_value = "", hide_env_values = true)]
    pub ingest_stream: StreamUrls,

    /// NATS credentials file (`.creds`: a user JWT and its NKey seed) for the
    /// ingest stream.
    #[arg(long, env = "FACTCHECK_INGEST_STREAM_CREDENTIALS")]
    pub ingest_stream_credentials: Option<PathBuf>,

    /// PEM CA bundle: talk to NATS over TLS only, trusting this CA.
    #[arg(long, env = "FACTCHECK_INGEST_STREAM_TLS_CA")]
    pub ingest_stream_tls_ca: Option<PathBuf>,

    /// Name of the JetStream stream of that log (one per deployment).
    #[arg(long, env = "FACTCHECK_INGEST_STREAM_NAME", default_value = "FACTCHECK_INGEST")]
    pub ingest_stream_name: String,

    /// JetStream replicas of that stream when this server creates it (3 on a
    /// 3-node NATS cluster).
    #[arg(long, env = "FACTCHECK_INGEST_STREAM_REPLICAS", default_value_t = 1)]
    pub ingest_stream_replicas: usize,

    /// Serve gRPC server reflection (v1 and v1alpha), which lets tools such as
    /// grpcurl call without the .proto files; `false` hides the schema.
    #[arg(long, env = "FACTCHECK_REFLECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub reflection: bool,

    /// Validate the configuration, print it, and exit.
    #[arg(long)]
    pub check_config: bool,
}

fn optional_addr(name: &str, value: &str) -> Result<Option<SocketAddr>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|e| format!("{name} {value:?}: {e}"))
}

fn readable(name: &str, path: &Option<PathBuf>) -> Result<(), String> {
    match path {
        Some(p) if !p.is_file() => Err(format!("{name} {}: no such file", p.display())),
        _ => Ok(()),
    }
}

impl Config {
    /// Parses flags and env, then fills what neither gave from the TOML file.
    pub fn load() -> Result<Config, String> {
        Self::load_from(std::env::args_os().collect())
    }

    pub fn load_from(args: Vec<std::ffi::OsString>) -> Result<Config, String> {
        let matches = Self::command().try_get_matches_from(&args).map_err(|e| {
            // --help and --version are answers, not errors.
            if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) {
                e.exit()
            }
            e.to_string()
        })?;
        let first = Config::from_arg_matches(&matches).map_err(|e| e.to_string())?;
        let Some(file) = &first.config else { return Ok(first) };
        let table = read_toml(file)?;
        let mut args = args;
        for (key, value) in table {
            let id = key.replace('-', "_");
            if id == "config" || !Self::command().get_arguments().any(|a| a.get_id() == id.as_str()) {
                return Err(format!("{}: unknown setting {key:?}", file.display()));
            }
            // Flags and environment variables win over the file.
            if matches.value_source(&id) == Some(ValueSource::DefaultValue) || matches.value_source(&id).is_none() {
                let value = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    _ => return Err(format!("{}: {key:?} must be a string, number or boolean", file.display())),
                };
                args.push(format!("--{}={value}", id.replace('_', "-")).into());
            }
        }
        Config::try_parse_from(args).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Checks settings that parse but cannot work together.
    pub fn validate(&self) -> Result<(), String> {
        optional_addr("metrics_listen", &self.metrics_listen)?;
        optional_addr("health_listen", &self.health_listen)?;
        if self.max_concurrent_requests == 0 {
            return Err("max_concurrent_requests must be at least 1".into());
        }
        if self.cached_sentences == 0 {
            return Err("cached_sentences must be at least 1".into());
        }
        if self.max_request_bytes < 1024 {
            return Err("max_request_bytes must be at least 1024".into());
        }
        for (name, v) in [("model_threshold", self.model_threshold), ("model_min_coverage", self.model_min_coverage)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be within 0..=1"));
            }
        }
        if self.request_timeout.is_zero() {
            return Err("request_timeout must be positive".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err("tls_cert and tls_key go together".into());
        }
        if self.tls_client_ca.is_some() && self.tls_cert.is_none() {
            return Err("tls_client_ca needs tls_cert and tls_key".into());
        }
        readable("tls_cert", &self.tls_cert)?;
        readable("tls_key", &self.tls_key)?;
        readable("tls_client_ca", &self.tls_client_ca)?;
        readable("ingest_stream_credentials", &self.ingest_stream_credentials)?;
        readable("ingest_stream_tls_ca", &self.ingest_stream_tls_ca)?;
        if !(1..=5).contains(&self.ingest_stream_replicas) {
            return Err("ingest_stream_replicas must be 1..=5 (JetStream's limit)".into());
        }
        let name = &self.ingest_stream_name;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err("ingest_stream_name must be letters, digits, '_' or '-'".into());
        }
        if self.admin_token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err("admin_token must be at least 16 characters".into());
        }
        Ok(())
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        optional_addr("metrics_listen", &self.metrics_listen).ok().flatten()
    }

    pub fn health_addr(&self) -> Option<SocketAddr> {
        optional_addr("health_listen", &self.health_listen).ok().flatten()
    }
}

fn read_toml(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.parse::<toml::Table>().map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str]) -> Result<Config, String> {
        Config::load_from(std::iter::once("factcheck-server").chain(args.iter().copied()).map(Into::into).collect())
    }

    #[test]
    fn file_fills_what_flags_do_not_give() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:7000\"\nrequest_timeout = \"250ms\"\nmax_concurrent_requests = 8\n").unwrap();
        let c = load(&["--config", file.to_str().unwrap(), "--max-concurrent-requests", "3"]).unwrap();
        assert_eq!(c.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(c.request_timeout, Duration::from_millis(250));
        assert_eq!(c.max_concurrent_requests, 3, "the flag wins over the file");
        c.validate().unwrap();
    }

    #[test]
    fn rejects_unknown_keys_and_bad_combinations() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        assert!(load(&["--config", file.to_str().unwrap()]).unwrap_err().contains("unknown setting"));
        assert!(load(&["--tls-cert", "/nope"]).unwrap().validate().unwrap_err().contains("go together"));
        assert!(load(&["--max-concurrent-requests", "0"]).unwrap().validate().is_err());
        assert!(load(&["--metrics-listen", "nope"]).unwrap().validate().is_err());
        assert_eq!(load(&["--metrics-listen", ""]).unwrap().metrics_addr(), None);
        assert!(load(&["--admin-token", "short"]).unwrap().validate().is_err());
        assert!(load(&["--ingest-stream-name", "a.b"]).unwrap().validate().unwrap_err().contains("ingest_stream_name"));
        load(&["--ingest-stream", "nats://127.0.0.1:4222", "--ingest-stream-name", "FC_prod-1"]).unwrap().validate().unwrap();
    }

    #[test]
    fn reflection_is_on_unless_switched_off() {
        assert!(load(&[]).unwrap().reflection);
        assert!(!load(&["--reflection", "false"]).unwrap().reflection);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "reflection = false\n").unwrap();
        assert!(!load(&["--config", file.to_str().unwrap()]).unwrap().reflection);
    }

    #[test]
    fn an_empty_corpus_means_the_store_alone() {
        assert_eq!(load(&["--corpus", ""]).unwrap().corpus, "");
        assert_eq!(load(&[]).unwrap().corpus, "seeds");
    }

    #[test]
    fn never_prints_nats_credentials() {
        let c = load(&["--ingest-stream", "nats://fc:pa55word@nats-0:4222, tls://nats-1:4222"]).unwrap();
        assert_eq!(c.ingest_stream.redacted(), "nats://[redacted]@nats-0:4222,tls://nats-1:4222");
        assert!(!format!("{c:?}").contains("pa55word"));
        let (urls, user) = c.ingest_stream.credentials();
        assert_eq!((urls.as_str(), user), ("nats://nats-0:4222,tls://nats-1:4222", Some(("fc".into(), "pa55word".into()))));
        assert!(load(&["--ingest-stream-credentials", "/nope.creds"]).unwrap().validate().unwrap_err().contains("no such file"));
    }

    #[test]
    fn never_prints_the_admin_token() {
        let c = load(&["--admin-token", "s3cr3t-s3cr3t-s3cr3t"]).unwrap();
        c.validate().unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.admin_token.unwrap().expose(), "s3cr3t-s3cr3t-s3cr3t");
    }

    /// docs/configuration.md is the users' reference: every flag and its
    /// environment variable must be in it.
    #[test]
    fn the_configuration_reference_lists_every_setting() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md")).unwrap();
        let mut missing = Vec::new();
        for arg in Config::command().get_arguments().filter(|a| !["help", "version"].contains(&a.get_id().as_str())) {
            let names = arg.get_long().map(|l| format!("`--{l}`")).into_iter().chain(arg.get_env().map(|e| format!("`{}`", e.to_string_lossy())));
            missing.extend(names.filter(|n| !doc.contains(n.as_str())));
        }
        assert!(missing.is_empty(), "docs/configuration.md lacks {missing:?}");
    }
}
