//! Server configuration from flags and `FACTCHECK_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// factcheck gRPC server: verifies claims against a store of articles.
#[derive(Debug, Clone, Parser)]
#[command(name = "factcheck-server", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "FACTCHECK_LISTEN", default_value = "0.0.0.0:50051")]
    pub listen: SocketAddr,

    /// Folder of the sled claim store (created if missing).
    #[arg(long, env = "FACTCHECK_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Corpus to ingest at start: a folder of .txt articles or a JSONL file of
    /// {doc_id, title, text} rows. Empty: serve the store as it is.
    #[arg(long, env = "FACTCHECK_CORPUS", default_value = "seeds")]
    pub corpus: PathBuf,

    /// Log output format.
    #[arg(long, env = "FACTCHECK_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}
