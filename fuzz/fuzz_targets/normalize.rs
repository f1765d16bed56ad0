//! Claim normalisation: numbers, dates, aliases, negation.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    factcheck_server::engine::language::fuzz_one(data);
});
