//! The `factcheck.v1` contract: messages, the tonic client and server, and the
//! encoded file-descriptor set that server reflection serves.

/// Generated code for package `factcheck.v1`; every message serialises to
/// and from its proto3 JSON mapping (serde).
pub mod v1 {
    tonic::include_proto!("factcheck.v1");
    include!(concat!(env!("OUT_DIR"), "/factcheck.v1.serde.rs"));
}

/// The well-known types the contract uses (`Timestamp`), with their JSON mapping.
pub use pbjson_types;

/// Encoded `FileDescriptorSet` of the contract, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/factcheck_descriptor.bin"));

/// The canonical name of a gRPC status code, as metrics and reports spell it:
/// "RESOURCE_EXHAUSTED" for `Code::ResourceExhausted`.
pub fn code_name(code: tonic::Code) -> String {
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_like_grpc() {
        assert_eq!(code_name(tonic::Code::ResourceExhausted), "RESOURCE_EXHAUSTED");
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(code_name(tonic::Code::DeadlineExceeded), "DEADLINE_EXCEEDED");
    }
}
