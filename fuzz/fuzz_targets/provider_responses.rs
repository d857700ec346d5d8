#![no_main]
//! See fuzz/README.md and `devcontext_fuzz::provider_responses` (fuzz/harness.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| devcontext_fuzz::provider_responses(data));
