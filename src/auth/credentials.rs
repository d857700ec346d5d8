//! Where secrets live: the OS keyring when one works, else a 0600 file in a
//! 0700 folder, written atomically under a lock. Nothing else in devcontext
//! writes a refresh token or client secret anywhere.
//!
//! `DEVCONTEXT_CREDENTIAL_STORE=auto|keyring|file` chooses; `auto` probes the
//! keyring with a set-get-delete round trip (a bare get can report a misleading
//! "no entry" on Linux without a session keyring) and falls back to the file.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};

use crate::db::create_private_dir;
use crate::error::{Error, Result};

const KEYRING_SERVICE: &str = "devcontext";

/// Which backend holds the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Keyring,
    File,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::File => "file",
        }
    }
}

/// A secret string that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The raw value, for the one request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The credential store of this installation.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    pub kind: StoreKind,
    dir: PathBuf,
    /// Namespaces keyring entries per tenant and client.
    account_prefix: String,
}

impl CredentialStore {
    /// Chooses a store per the setting (`auto`, `keyring`, `file`).
    /// Returns the store and, for a fallback, a warning to show once.
    pub fn choose(
        setting: &str,
        dir: &Path,
        account_prefix: &str,
    ) -> Result<(CredentialStore, Option<String>)> {
        let make = |kind| CredentialStore {
            kind,
            dir: dir.to_path_buf(),
            account_prefix: account_prefix.to_string(),
        };
        match setting {
            "file" => Ok((make(StoreKind::File), None)),
            "keyring" => {
                probe_keyring().map_err(|why| {
                    Error::general(format!("the OS keyring does not work here: {why}")).with_hint(
                        "set DEVCONTEXT_CREDENTIAL_STORE=file (or auto) to use a 0600 file instead",
                    )
                })?;
                Ok((make(StoreKind::Keyring), None))
            }
            "auto" => match probe_keyring() {
                Ok(()) => Ok((make(StoreKind::Keyring), None)),
                Err(why) => {
                    let store = make(StoreKind::File);
                    let warning = format!(
                        "no usable OS keyring ({why}); storing credentials in {} (mode 0600)",
                        store.file_path().display()
                    );
                    Ok((store, Some(warning)))
                }
            },
            other => Err(Error::usage(format!("unknown credential store '{other}'"))
                .with_hint("set DEVCONTEXT_CREDENTIAL_STORE to auto, keyring or file")),
        }
    }

    /// Re-opens the store a previous login chose.
    pub fn reopen(kind: StoreKind, dir: &Path, account_prefix: &str) -> CredentialStore {
        CredentialStore {
            kind,
            dir: dir.to_path_buf(),
            account_prefix: account_prefix.to_string(),
        }
    }

    pub fn file_path(&self) -> PathBuf {
        self.dir.join("credentials.json")
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join("credentials.lock")
    }

    /// Holds an exclusive lock on the credentials until the guard drops.
    /// Refreshes that may rotate a token run under it, so that concurrent
    /// processes never both spend the same refresh token.
    pub fn lock(&self) -> Result<CredentialLock> {
        create_private_dir(&self.dir)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.lock_path())
            .map_err(|e| store_error(&self.lock_path(), e))?;
        file.lock_exclusive()
            .map_err(|e| store_error(&self.lock_path(), e))?;
        Ok(CredentialLock { _file: file })
    }

    pub fn get(&self, name: &str) -> Result<Option<Secret>> {
        match self.kind {
            StoreKind::Keyring => {
                let entry = self.entry(name)?;
                match entry.get_password() {
                    Ok(v) => Ok(Some(Secret(v))),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(keyring_error(e)),
                }
            }
            StoreKind::File => Ok(self.read_file()?.remove(name).map(Secret)),
        }
    }

    /// Saves one secret. For the file store: under the lock, atomically.
    pub fn set(&self, name: &str, value: &Secret) -> Result<()> {
        match self.kind {
            StoreKind::Keyring => self
                .entry(name)?
                .set_password(value.expose())
                .map_err(keyring_error),
            StoreKind::File => {
                let _lock = self.lock()?;
                self.set_locked(name, value)
            }
        }
    }

    /// Saves one secret while the caller already holds [`CredentialStore::lock`].
    pub fn set_locked(&self, name: &str, value: &Secret) -> Result<()> {
        match self.kind {
            StoreKind::Keyring => self
                .entry(name)?
                .set_password(value.expose())
                .map_err(keyring_error),
            StoreKind::File => {
                let mut all = self.read_file()?;
                all.insert(name.to_string(), value.expose().to_string());
                self.write_file(&all)
            }
        }
    }

    pub fn delete(&self, name: &str) -> Result<()> {
        match self.kind {
            StoreKind::Keyring => match self.entry(name)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keyring_error(e)),
            },
            StoreKind::File => {
                let _lock = self.lock()?;
                let mut all = self.read_file()?;
                if all.remove(name).is_some() {
                    self.write_file(&all)?;
                }
                Ok(())
            }
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(KEYRING_SERVICE, &format!("{}:{name}", self.account_prefix))
            .map_err(keyring_error)
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>> {
        let path = self.file_path();
        if self.dir.is_dir() {
            // Tightens a folder others may use (or refuses one it cannot).
            create_private_dir(&self.dir)?;
        }
        check_private_file(&path)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(store_error(&path, e)),
        };
        let file: CredentialFile = serde_json::from_str(&text).map_err(|_| {
            Error::general(format!("the credential file {} is damaged", path.display()))
                .with_hint("run `devcontext logout` and `devcontext login` to write a new one")
        })?;
        let prefix = self.prefix();
        Ok(file
            .secrets
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_string(), v)))
            .collect())
    }

    fn prefix(&self) -> String {
        format!("{}:", self.account_prefix)
    }

    fn write_file(&self, mine: &BTreeMap<String, String>) -> Result<()> {
        create_private_dir(&self.dir)?;
        self.remove_stale_temp_files();
        let path = self.file_path();
        // Keep other tenants' entries; replace this tenant's.
        let existing = std::fs::read_to_string(&path).unwrap_or_default();
        let mut secrets: BTreeMap<String, String> =
            serde_json::from_str::<CredentialFile>(&existing)
                .map(|f| f.secrets)
                .unwrap_or_default();
        let prefix = self.prefix();
        secrets.retain(|k, _| !k.starts_with(&prefix));
        for (k, v) in mine {
            secrets.insert(format!("{prefix}{k}"), v.clone());
        }
        let text = serde_json::to_string_pretty(&CredentialFile { secrets })
            .map_err(|e| Error::general(format!("cannot encode credentials: {e}")))?;
        crate::files::write_atomic(&path, text.as_bytes()).map_err(|e| store_error(&path, e))
    }

    /// Removes temporary files of writers killed between writing and renaming
    /// them: they hold secrets (perhaps one the user has since logged out of).
    /// Called under the lock, so no live writer owns one.
    fn remove_stale_temp_files(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Also the fixed-name temp files of older versions.
            if crate::files::is_leftover_of(&name, "credentials.json")
                || (name.starts_with(".credentials.") && name.ends_with(".tmp"))
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Held while credentials may be rotated.
pub struct CredentialLock {
    _file: File,
}

#[derive(Serialize, Deserialize)]
struct CredentialFile {
    secrets: BTreeMap<String, String>,
}

/// Refuses a credential file that other users can read or write, the way
/// ssh refuses such a key: its secrets may already be known to them.
fn check_private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(store_error(path, e)),
        };
        if meta.file_type().is_symlink() || !meta.is_file() {
            return Err(Error::general(format!(
                "the credential file {} is not a regular file; refusing to use it",
                path.display()
            ))
            .with_hint(format!(
                "remove it (rm {}), then run `devcontext login` again",
                path.display()
            )));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::general(format!(
                "the credential file {} is accessible by other users (mode {mode:04o}); refusing to use it",
                path.display()
            ))
            .with_hint(format!(
                "run `chmod 600 {}`; if others may have read it, run `devcontext logout` and `devcontext login` to replace its secrets",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Set + get + delete of a probe entry: the only reliable test of a keyring.
fn probe_keyring() -> std::result::Result<(), String> {
    let probe = format!("probe-{}", std::process::id());
    let entry = keyring::Entry::new(KEYRING_SERVICE, &probe).map_err(|e| e.to_string())?;
    let value = "devcontext-probe";
    entry.set_password(value).map_err(|e| e.to_string())?;
    let read = entry.get_password().map_err(|e| e.to_string());
    let _ = entry.delete_credential();
    match read {
        Ok(v) if v == value => Ok(()),
        Ok(_) => Err("the keyring returned a different value".into()),
        Err(e) => Err(e),
    }
}

fn keyring_error(e: keyring::Error) -> Error {
    Error::general(format!("the OS keyring failed: {e}"))
        .with_hint("unlock your keyring, or set DEVCONTEXT_CREDENTIAL_STORE=file and log in again")
}

fn store_error(path: &Path, e: std::io::Error) -> Error {
    Error::general(format!(
        "cannot use the credential store {}: {e}",
        path.display()
    ))
    .with_hint("check the folder's permissions and free disk space")
}

#[cfg(test)]
mod tests {
    use super::{CredentialStore, Secret, StoreKind};

    /// A credential file others can read, or one that is not a regular
    /// file, is refused, the way ssh refuses such a key.
    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_or_a_symlink_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::reopen(StoreKind::File, dir.path(), "tenant");
        store
            .set("refresh_token", &Secret::new("emu_rt_x"))
            .unwrap();
        let path = store.file_path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.get("refresh_token").unwrap_err();
        assert!(e.message.contains("mode 0644"), "{}", e.message);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(store.get("refresh_token").unwrap().is_some());
        let elsewhere = dir.path().join("elsewhere.json");
        std::fs::rename(&path, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        let e = store.get("refresh_token").unwrap_err();
        assert!(e.message.contains("not a regular file"), "{}", e.message);
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        let e = store.get("refresh_token").unwrap_err();
        assert!(e.message.contains("not a regular file"), "{}", e.message);
    }

    /// A credential file that cannot be read is an error, never taken for
    /// "no credentials" (which would look like a logout).
    #[cfg(unix)]
    #[test]
    fn an_unreadable_file_is_an_error_not_an_empty_store() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::reopen(StoreKind::File, dir.path(), "tenant");
        let path = store.file_path();
        std::fs::write(
            &path,
            b"{\"secrets\": {\"tenant:refresh_token\": \"\xff\xfe\"}}",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(store.get("refresh_token").is_err());
    }

    /// A writer killed between writing its temp file and renaming it leaves
    /// a secret behind: the next write removes such files (this version's
    /// random names and older versions' fixed one), and nothing else.
    #[test]
    fn a_write_removes_what_killed_writers_left_and_only_that() {
        let dir = tempfile::tempdir().unwrap();
        let left = [".credentials.json.a1b2c3.tmp", ".credentials.tmp"];
        let kept = [".credentials.keep", "notes.tmp", "credentials.json.bak"];
        for name in left.iter().chain(&kept) {
            std::fs::write(dir.path().join(name), "emu_rt_left").unwrap();
        }
        let store = CredentialStore::reopen(StoreKind::File, dir.path(), "tenant");
        store
            .set("refresh_token", &Secret::new("emu_rt_new"))
            .unwrap();
        for name in left {
            assert!(!dir.path().join(name).exists(), "{name} was left");
        }
        for name in kept {
            assert!(dir.path().join(name).exists(), "{name} was removed");
        }
        assert_eq!(
            store.get("refresh_token").unwrap().unwrap().expose(),
            "emu_rt_new"
        );
    }

    /// A secret in a `{:?}` (a log line, a panic message) shows that it is
    /// there and hidden, never its value.
    #[test]
    fn a_secret_debugs_as_redacted() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Request {
            secret: Secret,
        }
        let shown = format!(
            "{:?}",
            Request {
                secret: Secret::new("emu_cs_value")
            }
        );
        assert_eq!(shown, "Request { secret: Secret([redacted]) }");
    }
}
