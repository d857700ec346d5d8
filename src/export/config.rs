//! Where the audit goes: the standard `OTEL_*` variables and the `[export]`
//! section of config.toml, resolved into one checked [`Config`].
//!
//! Export is off unless turned on (`[export] enabled = true` or
//! `DEVCONTEXT_EXPORT=on`): an `OTEL_EXPORTER_OTLP_ENDPOINT` set for some other
//! program must not start shipping a developer's audit. Header values are API
//! keys: they are kept apart ([`Header`]) and never printed, logged or audited.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::config::Env;
use crate::error::{Error, Result};
use crate::net;

/// `[export]` in config.toml.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExportSection {
    /// Ship the audit to an OpenTelemetry collector (default: false).
    pub enabled: Option<bool>,
    /// The OTLP/HTTP base URL; `/v1/logs` and `/v1/traces` are appended.
    pub endpoint: Option<String>,
    /// The full URL for log records (wins over `endpoint`).
    pub logs_endpoint: Option<String>,
    /// The full URL for spans (wins over `endpoint`).
    pub traces_endpoint: Option<String>,
    /// Request headers (API keys); prefer OTEL_EXPORTER_OTLP_HEADERS.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub service_name: Option<String>,
    #[serde(default)]
    pub resource_attributes: BTreeMap<String, String>,
    /// Most milliseconds a command waits for delivery when it ends (0-300, default 300).
    pub wait_ms: Option<u64>,
    /// Events per request (1-10000, default 500).
    pub batch_size: Option<usize>,
}

/// A request header. Its value is a secret: `Debug` hides it.
#[derive(Clone)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: [hidden]", self.name)
    }
}

/// Resolved export settings; `None` from [`Config::resolve`] means export is off.
#[derive(Debug, Clone)]
pub struct Config {
    pub logs_url: Url,
    /// Spans go here; `None` when only a logs endpoint was given.
    pub traces_url: Option<Url>,
    pub headers: Vec<Header>,
    pub service_name: String,
    pub resource_attributes: Vec<(String, String)>,
    pub wait: Duration,
    pub batch_size: usize,
}

pub const DEFAULT_WAIT_MS: u64 = 300;
pub const DEFAULT_BATCH: usize = 500;
const MAX_BATCH: usize = 10_000;
/// Bounds on outside input: headers and resource attributes.
const MAX_PAIRS: usize = 64;
const MAX_PAIR_BYTES: usize = 8 * 1024;

impl Config {
    /// Resolves export settings; `Ok(None)` when export is off.
    /// Environment variables win over the file, as for every setting.
    pub fn resolve(file: &ExportSection, env: &Env) -> Result<Option<Config>> {
        if !enabled(file, env)? {
            return Ok(None);
        }
        match env.get("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
            None | Some("http/protobuf") => {}
            Some(other) => {
                return Err(Error::usage(format!(
                    "OTEL_EXPORTER_OTLP_PROTOCOL is '{other}'; devcontext exports with http/protobuf only"
                ))
                .with_hint("set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf or unset it"));
            }
        }
        let base = env
            .get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .map(|v| ("OTEL_EXPORTER_OTLP_ENDPOINT", v))
            .or_else(|| file.endpoint.clone().map(|v| ("[export] endpoint", v)));
        let signal = |var: &str, key: &str, from_file: &Option<String>, path: &str| {
            let own = env
                .get(var)
                .map(|v| (var.to_string(), v))
                .or_else(|| from_file.clone().map(|v| (format!("[export] {key}"), v)));
            match own {
                Some((what, v)) => net::secure_url(&v, &what).map(Some),
                None => match &base {
                    Some((what, v)) => signal_url(v, what, path).map(Some),
                    None => Ok(None),
                },
            }
        };
        let logs_url = signal(
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "logs_endpoint",
            &file.logs_endpoint,
            "v1/logs",
        )?
        .ok_or_else(|| {
            Error::usage("export is on but no collector endpoint is set").with_hint(
                "set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. https://collector.example:4318) \
                 or [export] endpoint in config.toml, or turn export off",
            )
        })?;
        let traces_url = signal(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "traces_endpoint",
            &file.traces_endpoint,
            "v1/traces",
        )?;
        // Header names are not secret; values are, and no message quotes them.
        let mut headers: Vec<Header> = file
            .headers
            .iter()
            .map(|(k, v)| Header {
                name: k.clone(),
                value: v.clone(),
            })
            .collect();
        for var in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        ] {
            if let Some(text) = env.get(var) {
                for (name, value) in parse_pairs(&text, var)? {
                    headers.retain(|h| !h.name.eq_ignore_ascii_case(&name));
                    headers.push(Header { name, value });
                }
            }
        }
        for h in &headers {
            check_header(h)?;
        }
        let mut resource_attributes: Vec<(String, String)> = file
            .resource_attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(text) = env.get("OTEL_RESOURCE_ATTRIBUTES") {
            for (k, v) in parse_pairs(&text, "OTEL_RESOURCE_ATTRIBUTES")? {
                resource_attributes.retain(|(name, _)| *name != k);
                resource_attributes.push((k, v));
            }
        }
        let service_name = env
            .get("OTEL_SERVICE_NAME")
            .or_else(|| file.service_name.clone())
            .or_else(|| {
                resource_attributes
                    .iter()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| "devcontext".into());
        let wait_ms = file.wait_ms.unwrap_or(DEFAULT_WAIT_MS);
        if wait_ms > DEFAULT_WAIT_MS {
            return Err(Error::usage(format!(
                "[export] wait_ms must be from 0 to {DEFAULT_WAIT_MS}, not {wait_ms}"
            ))
            .with_hint("commands never wait longer; `devcontext audit export` ships the rest"));
        }
        let batch_size = file.batch_size.unwrap_or(DEFAULT_BATCH);
        if !(1..=MAX_BATCH).contains(&batch_size) {
            return Err(Error::usage(format!(
                "[export] batch_size must be from 1 to {MAX_BATCH}, not {batch_size}"
            ))
            .with_hint(format!("remove it to use {DEFAULT_BATCH}")));
        }
        Ok(Some(Config {
            logs_url,
            traces_url,
            headers,
            service_name,
            resource_attributes,
            wait: Duration::from_millis(wait_ms),
            batch_size,
        }))
    }

    /// The target as shown to people: no user info, no query (either may hold a key).
    pub fn display_target(&self) -> String {
        display_url(&self.logs_url)
    }

    /// True when every target is plain http (which [`Config::resolve`]
    /// allows on loopback only): no TLS roots need loading.
    pub fn plain_http(&self) -> bool {
        std::iter::once(&self.logs_url)
            .chain(self.traces_url.iter())
            .all(|u| u.scheme() == "http")
    }

    pub fn header_names(&self) -> Vec<String> {
        self.headers.iter().map(|h| h.name.clone()).collect()
    }
}

/// A URL without credentials or query, for messages and status.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

fn enabled(file: &ExportSection, env: &Env) -> Result<bool> {
    if env
        .get("OTEL_SDK_DISABLED")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok(false);
    }
    match env.get("DEVCONTEXT_EXPORT") {
        None => Ok(file.enabled.unwrap_or(false)),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "on" | "true" | "1" | "yes" => Ok(true),
            "off" | "false" | "0" | "no" => Ok(false),
            _ => Err(Error::usage(format!(
                "DEVCONTEXT_EXPORT must be on or off, not '{}'",
                crate::sanitize::line(&v)
            ))
            .with_hint("set DEVCONTEXT_EXPORT=on or off, or unset it")),
        },
    }
}

/// `base` + `/v1/logs` (the OTLP/HTTP rule for OTEL_EXPORTER_OTLP_ENDPOINT).
fn signal_url(base: &str, what: &str, path: &str) -> Result<Url> {
    let mut url = net::secure_url(base, what)?;
    let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    Ok(url)
}

/// `k1=v1,k2=v2` with percent-encoded values (the OTEL_* list format).
/// Errors name the entry's position, never its text (it may be a key).
fn parse_pairs(text: &str, var: &str) -> Result<Vec<(String, String)>> {
    if text.len() > MAX_PAIRS * MAX_PAIR_BYTES {
        return Err(Error::usage(format!("{var} is too long")));
    }
    let mut out = Vec::new();
    for (i, item) in text.split(',').enumerate() {
        if item.trim().is_empty() {
            continue;
        }
        let bad = || {
            Error::usage(format!("{var}: entry {} is not key=value", i + 1))
                .with_hint("use the form key1=value1,key2=value2 (values percent-encoded)")
        };
        let (k, v) = item.split_once('=').ok_or_else(bad)?;
        let k = k.trim();
        if k.is_empty() {
            return Err(bad());
        }
        let v =
            url::form_urlencoded::parse(format!("v={}", v.trim().replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
        out.push((k.to_string(), v));
    }
    if out.len() > MAX_PAIRS {
        return Err(Error::usage(format!(
            "{var} has {} entries; at most {MAX_PAIRS}",
            out.len()
        )));
    }
    Ok(out)
}

fn check_header(h: &Header) -> Result<()> {
    let name_ok = reqwest::header::HeaderName::from_bytes(h.name.as_bytes()).is_ok();
    if !name_ok {
        return Err(Error::usage(format!(
            "export header name '{}' is not a valid HTTP header name",
            crate::sanitize::line(&h.name)
        ))
        .with_hint("check OTEL_EXPORTER_OTLP_HEADERS or [export] headers"));
    }
    if reqwest::header::HeaderValue::from_str(&h.value).is_err() || h.value.len() > MAX_PAIR_BYTES {
        return Err(Error::usage(format!(
            "the value of export header '{}' is not a valid HTTP header value (not shown)",
            h.name
        ))
        .with_hint("check OTEL_EXPORTER_OTLP_HEADERS or [export] headers"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(pairs: &[(&str, &str)]) -> Result<Option<Config>> {
        let mut all = vec![("DEVCONTEXT_EXPORT", "on")];
        all.extend_from_slice(pairs);
        Config::resolve(&ExportSection::default(), &Env::from_pairs(all))
    }

    #[test]
    fn off_by_default_even_with_an_endpoint() {
        let env = Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example")]);
        assert!(
            Config::resolve(&ExportSection::default(), &env)
                .unwrap()
                .is_none()
        );
        let file = ExportSection {
            enabled: Some(true),
            endpoint: Some("https://c.example".into()),
            ..Default::default()
        };
        let env = Env::from_pairs([("OTEL_SDK_DISABLED", "true")]);
        assert!(Config::resolve(&file, &env).unwrap().is_none());
        assert!(Config::resolve(&file, &Env::default()).unwrap().is_some());
    }

    #[test]
    fn endpoints_follow_the_otlp_rules() {
        let c = on(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://c.example:4318/otlp/",
        )])
        .unwrap()
        .unwrap();
        assert_eq!(c.logs_url.as_str(), "https://c.example:4318/otlp/v1/logs");
        assert_eq!(
            c.traces_url.unwrap().as_str(),
            "https://c.example:4318/otlp/v1/traces"
        );
        let c = on(&[(
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "https://l.example/custom",
        )])
        .unwrap()
        .unwrap();
        assert_eq!(c.logs_url.as_str(), "https://l.example/custom");
        assert!(c.traces_url.is_none());
        assert!(on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c.example:4318")]).is_err());
        assert!(on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")]).is_ok());
        assert!(on(&[]).is_err());
        let e = on(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn headers_are_parsed_and_never_shown() {
        let c = on(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-api-key=s3cr%3Dt,dd-team=sec",
            ),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=prod,team=a%20b",
            ),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.headers[0].value, "s3cr=t");
        assert!(!format!("{c:?}").contains("s3cr"));
        assert_eq!(c.header_names(), ["x-api-key", "dd-team"]);
        assert!(
            c.resource_attributes
                .contains(&("team".into(), "a b".into()))
        );
        let e = on(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=ok,secretvalue"),
        ])
        .unwrap_err();
        assert!(!e.to_string().contains("secretvalue"), "{e}");
        let e = on(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=bad%0Avalue"),
        ])
        .unwrap_err();
        assert!(!e.to_string().contains("bad"), "{e}");
    }

    #[test]
    fn shown_target_drops_credentials() {
        let url = Url::parse("https://user:pw@c.example/v1/logs?key=abc").unwrap();
        assert_eq!(display_url(&url), "https://c.example/v1/logs");
    }
}
