//! Where devcontext keeps its files and how its settings are resolved.
//!
//! Files live in XDG locations by default; `DEVCONTEXT_HOME` puts config, state
//! and credentials under one folder instead (tests and portable setups use it).
//! Settings come from `config.toml`, then `DEVCONTEXT_*` environment variables,
//! then command-line flags, each layer winning over the one before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The folders and files devcontext uses.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub state_dir: PathBuf,
    pub credentials_dir: PathBuf,
    /// True when `DEVCONTEXT_HOME` decided the layout.
    pub from_home: bool,
}

impl Paths {
    /// Resolves the layout from `DEVCONTEXT_HOME` or the platform's XDG folders.
    pub fn resolve(env: &Env) -> Result<Paths> {
        if let Some(home) = env.get("DEVCONTEXT_HOME") {
            let home = PathBuf::from(home);
            return Ok(Paths {
                config_file: home.join("config.toml"),
                state_dir: home.join("state"),
                credentials_dir: home.join("credentials"),
                from_home: true,
            });
        }
        use etcetera::BaseStrategy;
        let dirs = etcetera::choose_base_strategy().map_err(|e| {
            Error::general(format!("cannot find your home folder: {e}"))
                .with_hint("set DEVCONTEXT_HOME to a folder devcontext may use")
        })?;
        let data = dirs.data_dir().join("devcontext");
        Ok(Paths {
            config_file: dirs.config_dir().join("devcontext").join("config.toml"),
            state_dir: dirs
                .state_dir()
                .unwrap_or_else(|| data.clone())
                .join("devcontext"),
            credentials_dir: data.join("credentials"),
            from_home: false,
        })
    }

    pub fn audit_db(&self) -> PathBuf {
        self.state_dir.join("audit.db")
    }

    pub fn permissions_db(&self) -> PathBuf {
        self.state_dir.join("permissions.db")
    }

    /// Non-secret account facts that let reads start at once ([`crate::hints`]).
    pub fn hints_dir(&self) -> PathBuf {
        self.state_dir.join("hints")
    }

    /// Session facts that are not secret (who is logged in, which tenant).
    pub fn session_file(&self) -> PathBuf {
        self.state_dir.join("session.json")
    }
}

/// A snapshot of the environment, so that resolution is a pure function in tests.
/// Every environment read of the program goes through it.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

/// Variables read besides the `DEVCONTEXT_`, `OPENAI_` and `OTEL_` families:
/// `TZ` (the local time zone's name, for the model's prompt), `NO_COLOR`
/// (the output layer) and `BROWSER` (opening login/connect URLs).
const OTHER_VARS: &[&str] = &["TZ", "NO_COLOR", "BROWSER"];

impl Env {
    pub fn from_process() -> Env {
        Env(std::env::vars()
            .filter(|(k, _)| {
                k.starts_with("DEVCONTEXT_")
                    || k.starts_with("OPENAI_")
                    || k.starts_with("OTEL_")
                    || OTHER_VARS.contains(&k.as_str())
            })
            .collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    /// A variable's value; empty values count as unset.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).filter(|v| !v.is_empty()).cloned()
    }
}

/// `config.toml` as written by the user. Unknown keys are errors, so typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub auth0: Auth0Section,
    #[serde(default)]
    pub providers: ProvidersSection,
    #[serde(default)]
    pub model: ModelSection,
    #[serde(default)]
    pub export: crate::export::config::ExportSection,
    pub credential_store: Option<String>,
    /// Seconds before any HTTP request gives up.
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Auth0Section {
    pub domain: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub audience: Option<String>,
    pub device_client_id: Option<String>,
    pub api_client_id: Option<String>,
    pub api_client_secret: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ProvidersSection {
    pub github_api_url: Option<String>,
    pub slack_api_url: Option<String>,
    pub calendar_api_url: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub base_url: Option<String>,
    pub name: Option<String>,
    pub max_steps: Option<u32>,
    /// Sampling temperature sent to the model (0-2); unset leaves the server's default.
    pub temperature: Option<f32>,
    /// Most tokens per model answer (`max_completion_tokens`); unset: the server's limit.
    pub max_tokens: Option<u32>,
    /// Offer the model the write tools in every `ask` (as `--write` does); default false.
    pub offer_writes: Option<bool>,
    /// Seconds one model call may take in all (default 600).
    pub timeout_secs: Option<u64>,
    /// Tool calls one model reply may ask for (default 16).
    pub max_tool_calls: Option<u32>,
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub model: Option<String>,
    pub max_steps: Option<u32>,
}

/// The resolved settings the rest of the program reads.
#[derive(Debug, Clone)]
pub struct Settings {
    pub auth0: Auth0Section,
    pub github_api_url: String,
    pub slack_api_url: String,
    pub calendar_api_url: String,
    pub model_base_url: Option<String>,
    pub model_api_key: Option<String>,
    pub model_name: Option<String>,
    pub max_steps: u32,
    pub model_temperature: Option<f32>,
    pub model_max_tokens: Option<u32>,
    /// `[model] offer_writes`: `ask` offers the write tools without `--write`.
    pub model_offer_writes: bool,
    /// Deadline of one model call, seconds (`[model] timeout_secs`).
    pub model_timeout_secs: u64,
    /// Tool calls per model reply (`[model] max_tool_calls`).
    pub model_max_tool_calls: u32,
    pub credential_store: String,
    pub timeout_secs: u64,
    /// Audit export to an OpenTelemetry collector; `None`: off.
    pub export: Option<crate::export::Config>,
}

/// The longest request timeout accepted (a day); longer is a typo.
pub const MAX_TIMEOUT_SECS: u64 = 86_400;
/// The most tool calls per model reply that can be configured.
pub const MAX_TOOL_CALLS: u32 = 256;
/// `[model] max_tool_calls` when unset: the tool calls one reply may ask for.
pub const DEFAULT_TOOL_CALLS: usize = 16;
/// `[model] timeout_secs` when unset: the deadline of one model call (local
/// models on a CPU are slow).
pub const DEFAULT_MODEL_DEADLINE_SECS: u64 = 600;

/// A whole-number setting from `key` in the environment, else the file,
/// else `default`; it must be from 1 to `max`.
fn whole(
    env: &Env,
    key: &str,
    file_key: &str,
    from_file: Option<u64>,
    default: u64,
    max: u64,
) -> Result<u64> {
    let (value, source) = match env.get(key) {
        Some(v) => (
            v.parse::<u64>().map_err(|_| {
                Error::usage(format!("{key} must be a whole number, not '{v}'")).with_hint(format!(
                    "set it from 1 to {max} (default {default}), or unset it"
                ))
            })?,
            key,
        ),
        None => (from_file.unwrap_or(default), file_key),
    };
    if !(1..=max).contains(&value) {
        return Err(
            Error::usage(format!("{source} must be from 1 to {max}, not {value}")).with_hint(
                format!("set {key} or {file_key} to e.g. {default}, or unset it"),
            ),
        );
    }
    Ok(value)
}

pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
pub const DEFAULT_CALENDAR_API_URL: &str = "https://www.googleapis.com/calendar/v3";

/// Reads `config.toml` if it exists. A malformed file names the file, the line and the problem.
pub fn read_file_config(path: &Path) -> Result<FileConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(
                Error::usage(format!("config file {} is not UTF-8 text", path.display()))
                    .with_hint("save it as UTF-8 TOML (see README, Configuration), or remove it"),
            );
        }
        Err(e) => {
            return Err(
                Error::usage(format!("cannot read config file {}: {e}", path.display())).with_hint(
                    "check that it is a readable file; `devcontext status` shows the path",
                ),
            );
        }
    };
    parse_file_config(&text).map_err(|(line, what)| {
        Error::usage(format!(
            "config file {} line {line}: {what}",
            path.display()
        ))
        .with_hint("fix or remove that line; `devcontext status` shows the file in use")
    })
}

/// Parses config text; on error returns the 1-based line and a one-line description.
pub fn parse_file_config(text: &str) -> std::result::Result<FileConfig, (usize, String)> {
    toml::from_str::<FileConfig>(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        (line, e.message().trim().to_string())
    })
}

impl Settings {
    pub fn resolve(file: FileConfig, env: &Env, overrides: &Overrides) -> Result<Settings> {
        let pick = |flag: Option<String>, key: &str, from_file: Option<String>| {
            flag.or_else(|| env.get(key)).or(from_file)
        };
        let a = file.auth0;
        let auth0 = Auth0Section {
            domain: pick(None, "DEVCONTEXT_AUTH0_DOMAIN", a.domain),
            client_id: pick(None, "DEVCONTEXT_AUTH0_CLIENT_ID", a.client_id),
            client_secret: pick(None, "DEVCONTEXT_AUTH0_CLIENT_SECRET", a.client_secret),
            audience: pick(None, "DEVCONTEXT_AUTH0_AUDIENCE", a.audience),
            device_client_id: pick(
                None,
                "DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID",
                a.device_client_id,
            ),
            api_client_id: pick(None, "DEVCONTEXT_AUTH0_API_CLIENT_ID", a.api_client_id),
            api_client_secret: pick(
                None,
                "DEVCONTEXT_AUTH0_API_CLIENT_SECRET",
                a.api_client_secret,
            ),
        };
        let p = file.providers;
        let m = file.model;
        let max_steps = match overrides.max_steps {
            Some(n) => n,
            None => match env.get("DEVCONTEXT_MAX_STEPS") {
                Some(v) => v.parse().map_err(|_| {
                    Error::usage(format!(
                        "DEVCONTEXT_MAX_STEPS must be a whole number, not '{v}'"
                    ))
                    .with_hint("set it to a number of steps like 8, or unset it")
                })?,
                None => m.max_steps.unwrap_or(8),
            },
        };
        if max_steps == 0 {
            return Err(Error::usage("the step limit must be at least 1").with_hint(
                "pass --max-steps 8, or set DEVCONTEXT_MAX_STEPS or [model] max_steps in config.toml to 1 or more",
            ));
        }
        let model_temperature = match env.get("DEVCONTEXT_MODEL_TEMPERATURE") {
            Some(v) => Some(v.parse::<f32>().map_err(|_| {
                Error::usage(format!(
                    "DEVCONTEXT_MODEL_TEMPERATURE must be a number from 0 to 2, not '{v}'"
                ))
            })?),
            None => m.temperature,
        };
        if let Some(t) = model_temperature.filter(|t| !(0.0..=2.0).contains(t)) {
            return Err(Error::usage(format!(
                "the model temperature must be from 0 to 2, not {t}"
            ))
            .with_hint("set DEVCONTEXT_MODEL_TEMPERATURE or [model] temperature to e.g. 0"));
        }
        let model_max_tokens = match env.get("DEVCONTEXT_MODEL_MAX_TOKENS") {
            Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::usage(format!(
                    "DEVCONTEXT_MODEL_MAX_TOKENS must be a whole number above 0, not '{v}'"
                ))
                .with_hint("e.g. DEVCONTEXT_MODEL_MAX_TOKENS=1024, or unset it")
            })?),
            None => m.max_tokens,
        };
        if model_max_tokens == Some(0) {
            return Err(Error::usage("[model] max_tokens must be above 0")
                .with_hint("remove it to use the server's limit"));
        }
        let timeout_secs = match env.get("DEVCONTEXT_TIMEOUT_SECS") {
            Some(v) => v.parse().map_err(|_| {
                Error::usage(format!(
                    "DEVCONTEXT_TIMEOUT_SECS must be a whole number of seconds, not '{v}'"
                ))
                .with_hint(format!(
                    "set it to 1-{MAX_TIMEOUT_SECS} seconds (default 30), or unset it"
                ))
            })?,
            None => file.timeout_secs.unwrap_or(30),
        };
        // 0 would time every request out at once; a huge value overflows clocks.
        if !(1..=MAX_TIMEOUT_SECS).contains(&timeout_secs) {
            return Err(Error::usage(format!(
                "the timeout must be from 1 to {MAX_TIMEOUT_SECS} seconds, not {timeout_secs}"
            ))
            .with_hint("set DEVCONTEXT_TIMEOUT_SECS or timeout_secs in config.toml to e.g. 30"));
        }
        let model_timeout_secs = whole(
            env,
            "DEVCONTEXT_MODEL_TIMEOUT_SECS",
            "[model] timeout_secs",
            m.timeout_secs,
            DEFAULT_MODEL_DEADLINE_SECS,
            MAX_TIMEOUT_SECS,
        )?;
        let model_max_tool_calls = whole(
            env,
            "DEVCONTEXT_MODEL_MAX_TOOL_CALLS",
            "[model] max_tool_calls",
            m.max_tool_calls.map(u64::from),
            DEFAULT_TOOL_CALLS as u64,
            MAX_TOOL_CALLS as u64,
        )? as u32;
        let credential_store = pick(None, "DEVCONTEXT_CREDENTIAL_STORE", file.credential_store)
            .unwrap_or_else(|| "auto".into());
        if !["auto", "keyring", "file"].contains(&credential_store.as_str()) {
            return Err(Error::usage(format!(
                "unknown credential store '{credential_store}'"
            ))
            .with_hint(
                "set DEVCONTEXT_CREDENTIAL_STORE or credential_store in config.toml to auto, keyring or file",
            ));
        }
        Ok(Settings {
            auth0,
            github_api_url: pick(None, "DEVCONTEXT_GITHUB_API_URL", p.github_api_url)
                .unwrap_or_else(|| DEFAULT_GITHUB_API_URL.into()),
            slack_api_url: pick(None, "DEVCONTEXT_SLACK_API_URL", p.slack_api_url)
                .unwrap_or_else(|| DEFAULT_SLACK_API_URL.into()),
            calendar_api_url: pick(None, "DEVCONTEXT_CALENDAR_API_URL", p.calendar_api_url)
                .unwrap_or_else(|| DEFAULT_CALENDAR_API_URL.into()),
            model_base_url: pick(None, "OPENAI_BASE_URL", m.base_url),
            model_api_key: env.get("OPENAI_API_KEY"),
            model_name: pick(overrides.model.clone(), "DEVCONTEXT_MODEL", m.name),
            max_steps,
            model_temperature,
            model_max_tokens,
            model_offer_writes: m.offer_writes.unwrap_or(false),
            model_timeout_secs,
            model_max_tool_calls,
            credential_store,
            timeout_secs,
            export: crate::export::Config::resolve(&file.export, env)?,
        })
    }

    /// True when an Auth0 tenant is configured (domain and client id).
    pub fn has_tenant(&self) -> bool {
        self.auth0.domain.is_some() && self.auth0.client_id.is_some()
    }
}

/// Why [`set_auth0`] could not rewrite a config.
#[derive(Debug)]
pub enum SetError {
    /// The existing text is not a valid config: 1-based line and description.
    Invalid(usize, String),
    /// The result could not be written as TOML.
    Encode(String),
}

/// Config text with `[auth0] domain` and `client_id` set, keeping the rest;
/// the existing text must be a valid config. Outside input: never panics.
pub fn set_auth0(
    text: &str,
    domain: &str,
    client_id: &str,
) -> std::result::Result<String, SetError> {
    parse_file_config(text).map_err(|(line, what)| SetError::Invalid(line, what))?;
    let mut table: toml::Table = toml::from_str(text).unwrap_or_default();
    let auth0 = table
        .entry("auth0")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(t) = auth0.as_table_mut() {
        t.insert("domain".into(), toml::Value::String(domain.into()));
        t.insert("client_id".into(), toml::Value::String(client_id.into()));
    }
    toml::to_string_pretty(&table).map_err(|e| SetError::Encode(e.to_string()))
}

/// Sets `[auth0] domain` and `client_id` in the config file, keeping the rest.
pub fn write_auth0(path: &Path, domain: &str, client_id: &str) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::general(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let out = set_auth0(&text, domain, client_id).map_err(|e| match e {
        SetError::Invalid(line, what) => Error::usage(format!(
            "config file {} line {line}: {what}",
            path.display()
        ))
        .with_hint("fix that line first"),
        SetError::Encode(what) => Error::general(format!("cannot write the config: {what}")),
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // It may hold a client secret: written 0600, through an exclusive temp file.
    crate::files::write_atomic(path, out.as_bytes()).map_err(|e| {
        Error::general(format!("cannot write {}: {e}", path.display()))
            .with_hint("check that the folder is writable and the disk has space")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_config_names_the_line() {
        let err = parse_file_config("[auth0]\ndomain = \"x\"\nclient_id = \n").unwrap_err();
        assert_eq!(err.0, 3);
        let err = parse_file_config("[auth0]\ndomian = \"x\"\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("domian"), "{}", err.1);
    }

    #[test]
    fn env_beats_file_and_flags_beat_env() {
        let file = parse_file_config(
            "[auth0]\ndomain = \"file.example\"\n[model]\nname = \"file-model\"\nmax_steps = 3\n",
        )
        .unwrap();
        let env = Env::from_pairs([
            ("DEVCONTEXT_AUTH0_DOMAIN", "env.example"),
            ("DEVCONTEXT_MODEL", "env-model"),
        ]);
        let flags = Overrides {
            model: Some("flag-model".into()),
            max_steps: None,
        };
        let s = Settings::resolve(file, &env, &flags).unwrap();
        assert_eq!(s.auth0.domain.as_deref(), Some("env.example"));
        assert_eq!(s.model_name.as_deref(), Some("flag-model"));
        assert_eq!(s.max_steps, 3);
        assert_eq!(s.github_api_url, DEFAULT_GITHUB_API_URL);
        assert_eq!(s.model_timeout_secs, 600);
        assert_eq!(s.model_max_tool_calls, 16);
    }

    #[test]
    fn model_bounds_come_from_env_or_file_and_are_checked() {
        let file = parse_file_config("[model]\ntimeout_secs = 90\nmax_tool_calls = 4\n").unwrap();
        let s = Settings::resolve(file, &Env::default(), &Overrides::default()).unwrap();
        assert_eq!((s.model_timeout_secs, s.model_max_tool_calls), (90, 4));
        let env = Env::from_pairs([("DEVCONTEXT_MODEL_TIMEOUT_SECS", "5")]);
        let s = Settings::resolve(FileConfig::default(), &env, &Overrides::default()).unwrap();
        assert_eq!(s.model_timeout_secs, 5);
        for (k, v) in [
            ("DEVCONTEXT_MODEL_TIMEOUT_SECS", "0"),
            ("DEVCONTEXT_MODEL_TIMEOUT_SECS", "soon"),
            ("DEVCONTEXT_MODEL_MAX_TOOL_CALLS", "100000"),
        ] {
            let e = Settings::resolve(
                FileConfig::default(),
                &Env::from_pairs([(k, v)]),
                &Overrides::default(),
            )
            .unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.message.contains(k), "{}", e.message);
        }
    }

    #[test]
    fn setting_the_tenant_keeps_the_rest() {
        let text = "timeout_secs = 12\n[auth0]\ndomain = \"old.example\"\n[model]\nname = \"m\"\n";
        let out = set_auth0(text, "new.example", "cid").unwrap();
        let file = parse_file_config(&out).unwrap();
        assert_eq!(file.auth0.domain.as_deref(), Some("new.example"));
        assert_eq!(file.auth0.client_id.as_deref(), Some("cid"));
        assert_eq!(file.model.name.as_deref(), Some("m"));
        assert_eq!(file.timeout_secs, Some(12));
        assert!(matches!(
            set_auth0("[auth0]\ndomian = 1\n", "d", "c"),
            Err(SetError::Invalid(2, _))
        ));
    }

    #[test]
    fn home_override_puts_everything_under_one_folder() {
        let env = Env::from_pairs([("DEVCONTEXT_HOME", "/tmp/dc")]);
        let p = Paths::resolve(&env).unwrap();
        assert_eq!(p.config_file, PathBuf::from("/tmp/dc/config.toml"));
        assert!(p.audit_db().starts_with("/tmp/dc/state"));
        assert!(p.credentials_dir.starts_with("/tmp/dc"));
    }
}
