//! Non-secret facts about a connected account (the Slack user id and the ids
//! of its direct-message conversations), remembered between runs so that the
//! next run can start every read at once instead of first looking them up.
//!
//! Hints only ever save time: the tools check them against fresh answers
//! fetched at the same moment, so a stale, damaged or missing file costs a
//! few lookups, never a wrong result. They hold no token and no message
//! text; logout and disconnect delete them.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::service::Service;

/// The hint files of one DEVCONTEXT_HOME, one JSON file per service.
#[derive(Debug, Clone)]
pub struct Hints {
    dir: PathBuf,
}

impl Hints {
    pub fn new(dir: &Path) -> Hints {
        Hints {
            dir: dir.to_path_buf(),
        }
    }

    fn file(&self, service: Service) -> PathBuf {
        self.dir.join(format!("{}.json", service.as_str()))
    }

    /// The remembered hint, if there is a readable one.
    pub fn load<T: DeserializeOwned>(&self, service: Service) -> Option<T> {
        let text = std::fs::read(self.file(service)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Remembers a hint (best effort: a failure to write only loses time
    /// on the next run). The file is replaced whole, so concurrent runs
    /// leave one complete hint.
    pub fn save<T: Serialize>(&self, service: Service, hint: &T) {
        let write = || -> std::io::Result<()> {
            crate::db::create_private_dir(&self.dir).map_err(std::io::Error::other)?;
            let path = self.file(service);
            crate::files::write_atomic(&path, &serde_json::to_vec(hint)?)
        };
        if let Err(e) = write() {
            tracing::debug!("could not remember {} hints: {e}", service.as_str());
        }
    }

    /// Forgets one service's hints, or all of them.
    pub fn forget(&self, service: Option<Service>) -> std::io::Result<()> {
        let result = match service {
            Some(s) => std::fs::remove_file(self.file(s)),
            None => std::fs::remove_dir_all(&self.dir),
        };
        match result {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_round_trip_and_damage_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let hints = Hints::new(&dir.path().join("hints"));
        assert_eq!(hints.load::<Vec<String>>(Service::Slack), None);
        hints.save(Service::Slack, &vec!["U1".to_string()]);
        assert_eq!(
            hints.load::<Vec<String>>(Service::Slack),
            Some(vec!["U1".to_string()])
        );
        std::fs::write(dir.path().join("hints/slack.json"), "{not json").unwrap();
        assert_eq!(hints.load::<Vec<String>>(Service::Slack), None);
        hints.forget(Some(Service::Slack)).unwrap();
        hints.forget(Some(Service::Slack)).unwrap();
        hints.forget(None).unwrap();
        assert!(!dir.path().join("hints").exists());
    }
}
