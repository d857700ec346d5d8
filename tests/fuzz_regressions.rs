//! Replays the fuzz corpus that is committed (fuzz/seeds/TARGET/* and every
//! minimized crash in fuzz/regressions/TARGET/*) through the same harness the
//! fuzz targets run (fuzz/harness.rs), so `cargo test` keeps the fixed crashes
//! fixed without needing cargo-fuzz or a nightly toolchain.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

#[test]
fn seeds_and_minimized_crashes_do_not_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failures = Vec::new();
    let mut ran = 0;
    for (target, run) in harness::TARGETS {
        assert!(
            root.join("seeds").join(target).is_dir(),
            "fuzz/seeds/{target} is missing"
        );
        for kind in ["seeds", "regressions"] {
            let dir = root.join(kind).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
            files.sort();
            for file in files {
                let data = std::fs::read(&file).unwrap();
                ran += 1;
                if std::panic::catch_unwind(|| run(&data)).is_err() {
                    failures.push(file.display().to_string());
                }
            }
        }
    }
    assert!(ran > 0, "no seeds found under {}", root.display());
    assert!(failures.is_empty(), "panicked on: {failures:#?}");
}
