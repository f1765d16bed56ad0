//! Article parsing: segmentation, boilerplate, attribution and offsets.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    factcheck_server::engine::ingest::segment::fuzz_one(data);
});
