//! The `factcheck.v1` contract: messages, the tonic client and server, and the
//! encoded file-descriptor set that server reflection serves.

/// Generated code for package `factcheck.v1`.
pub mod v1 {
    tonic::include_proto!("factcheck.v1");
}

/// Encoded `FileDescriptorSet` of the contract, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/factcheck_descriptor.bin"));
