#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| clyra_core::internal::fuzzing::verify_bundle(data));
