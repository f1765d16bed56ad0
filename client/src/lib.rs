//! A small typed client for factcheck, for the `factcheck` command and for
//! other Rust services to copy: connect, verify, check health, evaluate.

pub mod bench;
pub mod eval;
pub mod ingest;

pub use factcheck_proto::v1 as pb;
use factcheck_proto::v1::fact_check_service_client::FactCheckServiceClient;
use factcheck_proto::pbjson_types;
use std::path::PathBuf;

use anyhow::Context;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

pub type Client = FactCheckServiceClient<Channel>;

/// Normalises "host:port" to a URI tonic accepts.
pub fn endpoint_uri(addr: &str) -> String {
    if addr.contains("://") { addr.to_string() } else { format!("http://{addr}") }
}

/// Opens a channel to a factcheck server ("host:port" or "http://host:port").
pub async fn channel(addr: &str) -> anyhow::Result<Channel> {
    connect(addr, &Tls::default()).await
}

/// TLS to the server, from PEM files: the CA that signed its certificate and,
/// for mutual TLS, the client's certificate and key.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The name the server's certificate must carry (default: the address's host).
    pub domain: Option<String>,
}

impl Tls {
    /// Whether any TLS setting is given.
    pub fn enabled(&self) -> bool {
        self.ca.is_some() || self.cert.is_some() || self.key.is_some() || self.domain.is_some()
    }

    fn config(&self) -> anyhow::Result<ClientTlsConfig> {
        let read = |path: &PathBuf| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
        let mut config = ClientTlsConfig::new();
        if let Some(ca) = &self.ca {
            config = config.ca_certificate(Certificate::from_pem(read(ca)?));
        }
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => config = config.identity(Identity::from_pem(read(cert)?, read(key)?)),
            (None, None) => {}
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        }
        if let Some(domain) = &self.domain {
            config = config.domain_name(domain.clone());
        }
        Ok(config)
    }
}

/// Opens a channel to a factcheck server: in plaintext, or over TLS where
/// `tls` sets anything or the address is "https://…".
pub async fn connect(addr: &str, tls: &Tls) -> anyhow::Result<Channel> {
    let uri = endpoint_uri(addr);
    let endpoint = if tls.enabled() || uri.starts_with("https://") {
        let uri = uri.replacen("http://", "https://", 1);
        Endpoint::from_shared(uri)?.tls_config(tls.config()?)?
    } else {
        Endpoint::from_shared(uri)?
    };
    Ok(endpoint.connect_timeout(std::time::Duration::from_secs(5)).connect().await?)
}

/// Verifies one claim.
pub async fn verify(client: &mut Client, claim: &str, max_citations: u32) -> Result<pb::VerifyClaimResponse, tonic::Status> {
    let request = pb::VerifyClaimRequest { claim: claim.to_string(), max_citations, ..Default::default() };
    Ok(client.verify_claim(request).await?.into_inner())
}

/// Attaches the admin bearer token to a request.
pub fn with_token<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}

/// Short lowercase name of a verdict: "supported", "contradicted", "unknown".
pub fn verdict_name(verdict: i32) -> &'static str {
    match pb::Verdict::try_from(verdict) {
        Ok(pb::Verdict::Supported) => "supported",
        Ok(pb::Verdict::Contradicted) => "contradicted",
        Ok(pb::Verdict::Unknown) => "unknown",
        _ => "unspecified",
    }
}

pub fn stance_name(stance: i32) -> &'static str {
    match pb::Stance::try_from(stance) {
        Ok(pb::Stance::Supports) => "supports",
        Ok(pb::Stance::Refutes) => "refutes",
        Ok(pb::Stance::Neutral) => "neutral",
        _ => "unspecified",
    }
}

pub fn effect_name(effect: i32) -> &'static str {
    match pb::RuleEffect::try_from(effect) {
        Ok(pb::RuleEffect::Supports) => "supports",
        Ok(pb::RuleEffect::Refutes) => "refutes",
        Ok(pb::RuleEffect::Veto) => "veto",
        _ => "unspecified",
    }
}

/// RFC 3339 form of a protobuf timestamp ("" when absent).
pub fn rfc3339(t: Option<pbjson_types::Timestamp>) -> String {
    t.and_then(|t| {
        let secs = u64::try_from(t.seconds).ok()?;
        let at = std::time::UNIX_EPOCH + std::time::Duration::new(secs, u32::try_from(t.nanos).ok()?);
        Some(humantime::format_rfc3339(at).to_string())
    })
    .unwrap_or_default()
}
