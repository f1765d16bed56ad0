//! Request decoding and validation, as the service sees a message.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    factcheck_server::service::fuzz_one(data);
});
