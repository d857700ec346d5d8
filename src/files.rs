//! Writing devcontext's own files the one safe way. Every file (session,
//! hints, config, credentials) is written to a temporary file created
//! exclusively (O_EXCL, an unpredictable name, so a planted file or symlink
//! is never opened or followed) in the same folder, synced, then renamed over
//! the target: a reader sees the old file or the new one, never half of one,
//! and a symlink planted at the target is replaced, not written through.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` (mode 0600 on Unix) through an exclusive
/// temporary file in the same folder and a rename. The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // tempfile opens with O_CREAT|O_EXCL (never an existing file, never
    // through a symlink), a random name and mode 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// True for a temporary file [`write_atomic`] leaves behind when killed
/// between writing and renaming (`.NAME.XXXXXX.tmp`).
pub fn is_leftover_of(file_name: &str, target: &str) -> bool {
    file_name.starts_with(&format!(".{target}.")) && file_name.ends_with(".tmp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_files_and_never_follow_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("session.json");
        write_atomic(&target, b"one").unwrap();
        write_atomic(&target, b"two").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            // A symlink at the target is replaced, the file it points to untouched.
            let victim = dir.path().join("victim");
            std::fs::write(&victim, b"keep").unwrap();
            std::fs::remove_file(&target).unwrap();
            std::os::unix::fs::symlink(&victim, &target).unwrap();
            write_atomic(&target, b"three").unwrap();
            assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
            assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
            assert_eq!(std::fs::read(&target).unwrap(), b"three");
        }
        // Nothing is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        assert!(is_leftover_of(
            ".credentials.json.a1B2c3.tmp",
            "credentials.json"
        ));
        assert!(!is_leftover_of("credentials.json", "credentials.json"));
    }
}
