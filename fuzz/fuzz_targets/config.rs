#![no_main]
//! See fuzz/README.md and `devcontext_fuzz::config` (fuzz/harness.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| devcontext_fuzz::config(data));
