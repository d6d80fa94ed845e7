#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| clyra_core::internal::fuzzing::genai_normalise(data));
