//! The index snapshot loader: whatever bytes pass its digest decode or are refused, never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    factcheck_server::engine::retrieve::snapshot::fuzz_one(data);
});
