#![no_main]
//! See fuzz/README.md and `devcontext_fuzz::timespec` (fuzz/harness.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| devcontext_fuzz::timespec(data));
