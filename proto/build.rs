//! Compiles the contract with `protox` (pure Rust, so no system `protoc` is needed),
//! keeps the descriptor set for gRPC server reflection, and generates the
//! messages' proto3 JSON mapping (`pbjson`; well-known types from `pbjson-types`).
use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "factcheck/v1/fact_check.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["."])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let descriptors = fds.encode_to_vec();
    fs::write(out.join("factcheck_descriptor.bin"), &descriptors)?;
    tonic_prost_build::configure().compile_well_known_types(true).extern_path(".google.protobuf", "::pbjson_types").compile_fds(fds)?;
    pbjson_build::Builder::new().register_descriptors(&descriptors)?.build(&[".factcheck.v1"])?;
    Ok(())
}
