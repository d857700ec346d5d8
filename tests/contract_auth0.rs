//! Contract test against Auth0's own API descriptions: Prism, as a validating
//! proxy, serves Auth0's Authentication API and My Account API OpenAPI
//! descriptions (`../shared/specs/auth0/`, MIT, from auth0/docs-v2) in front
//! of the emulator, and devcontext's login (browser and device), refresh
//! (plain and MRRT), revoke, userinfo and Connected Accounts requests go
//! through it. Prism checks each request (and answer) against the
//! descriptions and logs every violation. None is allowed except the Token
//! Vault grant on `POST /oauth/token`, which Auth0's description does not
//! list (auth0-protocol.md §4.1b): the test asserts exactly that exception,
//! once per Token Vault exchange, and nothing else.
//!
//! The two descriptions are served as one: the My Account API's paths under
//! `/me/v1` (its server URL), its `ErrorResponse` schema renamed to avoid
//! Auth0's Authentication API one. Three corrections, each because the
//! description contradicts itself, not devcontext:
//! - OIDC discovery (`/.well-known/openid-configuration`, OpenID Connect
//!   Discovery 1.0) is not described; it is added as a JSON object, so that
//!   devcontext finds the endpoints through the proxy.
//! - Operations without their own `security` inherit the document's global
//!   `oauth2` (an access token), which would demand a token at `/authorize`,
//!   `/oauth/token`, `/oauth/device/code` and `/oauth/revoke`, the endpoints
//!   that issue and revoke them; client authentication is described in their
//!   body schemas, so the inherited requirement is dropped.
//! - The token request body is a `oneOf` in which `AuthorizationCodePKCEGrant`
//!   is a superset of `AuthorizationCodeGrant` (neither forbids other
//!   properties), so no PKCE code exchange can match exactly one; it is
//!   checked as `anyOf`. The Token Vault grant matches none of them either way.
//!
//! Ports are picked free at run time, so parallel runs do not clash. Needs
//! `scripts/prism.sh install` (scripts/test.sh runs it); skipped only with
//! DEVCONTEXT_SKIP_PRISM=1, and never under DEVCONTEXT_REQUIRE_PRISM.

mod common;

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Emulator, TestEnv};
use serde_json::{Value, json};

const TV_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";

struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn shared_dir() -> PathBuf {
    std::env::var_os("DEVCONTEXT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// Both descriptions as one document (see the module doc).
fn merged_spec(dir: &Path) -> Value {
    let read = |name: &str| -> Value {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (set DEVCONTEXT_SHARED)", path.display()));
        serde_json::from_str(&text).unwrap()
    };
    let mut auth = read("authentication-api-oas.json");
    let me_text = read("myaccount-api-oas.json").to_string().replace(
        "\"#/components/schemas/ErrorResponse\"",
        "\"#/components/schemas/MyAccountErrorResponse\"",
    );
    let mut me: Value = serde_json::from_str(&me_text).unwrap();
    let schemas = me["components"]["schemas"].as_object_mut().unwrap();
    let err = schemas.remove("ErrorResponse").unwrap();
    schemas.insert("MyAccountErrorResponse".into(), err);
    let me_security = me.get("security").cloned().unwrap_or(json!([]));
    for (path, item) in me["paths"].as_object().unwrap().clone() {
        let mut item = item;
        for (method, op) in item.as_object_mut().unwrap().iter_mut() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                && op.get("security").is_none()
            {
                op["security"] = me_security.clone();
            }
        }
        auth["paths"][format!("/me/v1{path}")] = item;
    }
    for (kind, entries) in me["components"].as_object().unwrap() {
        let into = auth["components"]
            .as_object_mut()
            .unwrap()
            .entry(kind.clone())
            .or_insert(json!({}));
        for (k, v) in entries.as_object().unwrap() {
            assert!(
                into.get(k).is_none(),
                "component {kind}/{k} in both descriptions"
            );
            into[k] = v.clone();
        }
    }
    for (_, item) in auth["paths"].as_object_mut().unwrap().iter_mut() {
        for (_, op) in item.as_object_mut().unwrap().iter_mut() {
            if op.is_object() && op.get("security").is_none() {
                op["security"] = json!([]);
            }
        }
    }
    let token = &mut auth["paths"]["/oauth/token"]["post"];
    for (_, media) in token["requestBody"]["content"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
    {
        let schema = media["schema"].as_object_mut().unwrap();
        let one_of = schema.remove("oneOf").expect("the token body is a oneOf");
        schema.remove("discriminator");
        schema.insert("anyOf".into(), one_of);
    }
    auth["paths"]["/.well-known/openid-configuration"] = json!({"get": {
        "summary": "OpenID Connect Discovery 1.0 (added by this test; not in Auth0's description)",
        "security": [],
        "responses": {"200": {"description": "the provider metadata",
            "content": {"application/json": {"schema": {"type": "object"}}}}}
    }});
    auth
}

/// One request as Prism logged it, with the violations it reported.
#[derive(Debug, Clone)]
struct Logged {
    method: String,
    path: String,
    violations: Vec<String>,
}

/// Reads Prism's log from byte `from`: each "[HTTP SERVER] method path"
/// line starts a request; "Violation:" lines belong to the request before.
fn parse_log(text: &str) -> Vec<Logged> {
    let mut out: Vec<Logged> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.split("[HTTP SERVER] ").nth(1) {
            let mut parts = rest.split_whitespace();
            let method = parts.next().unwrap_or("").to_uppercase();
            let path = parts.next().unwrap_or("").to_string();
            out.push(Logged {
                method,
                path,
                violations: vec![],
            });
        } else if line.contains("Violation:") {
            let v = line
                .split("Violation:")
                .nth(1)
                .unwrap_or("")
                .trim()
                .to_string();
            match out.last_mut() {
                Some(r) => r.violations.push(v),
                None => panic!("a violation before any request: {line}"),
            }
        }
    }
    out
}

struct Harness {
    env: TestEnv,
    log: PathBuf,
    read: usize,
    _prism: Prism,
    seen: BTreeMap<String, usize>,
    problems: Vec<String>,
    tv_violations: usize,
    tv_example: Vec<String>,
}

impl Harness {
    /// Runs one step; checks the requests Prism saw during it: no violation
    /// except on `POST /oauth/token` requests that were Token Vault exchanges.
    fn step(&mut self, name: &str, run: impl FnOnce(&TestEnv)) {
        self.env.clear_requests();
        run(&self.env);
        // Prism logs a request's violations after forwarding it; give it a moment.
        std::thread::sleep(Duration::from_millis(300));
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let new = &text[self.read.min(text.len())..];
        self.read = text.len();
        let logged = parse_log(new);
        // The grant of each token request, in order, from the emulator's log
        // (devcontext sends them one at a time, so both logs have one order).
        let grants: Vec<String> = self
            .env
            .requests()
            .iter()
            .filter(|r| r["path"] == "/oauth/token")
            .map(|r| r["grant_type"].as_str().unwrap_or("").to_string())
            .collect();
        let exchanges = grants.iter().filter(|g| *g == TV_GRANT).count();
        let mut token_requests = 0;
        let mut tv_flagged = 0;
        for r in &logged {
            *self
                .seen
                .entry(format!("{} {}", r.method, strip_query(&r.path)))
                .or_default() += 1;
            let grant = if r.method == "POST" && strip_query(&r.path) == "/oauth/token" {
                token_requests += 1;
                grants.get(token_requests - 1).cloned()
            } else {
                None
            };
            if grant.as_deref() == Some(TV_GRANT) {
                // The one exception: it must be flagged, and only in its body.
                if r.violations.is_empty() {
                    self.problems
                        .push(format!("{name}: a Token Vault exchange passed unflagged"));
                }
                for v in &r.violations {
                    if !v.starts_with("request.body") {
                        self.problems
                            .push(format!("{name}: Token Vault exchange: {v}"));
                    }
                }
                if !r.violations.is_empty() {
                    tv_flagged += 1;
                    self.tv_example = r.violations.clone();
                }
            } else if r.method == "GET" && strip_query(&r.path) == "/authorize" {
                // Prism's proxy follows the 302 to devcontext's loopback
                // listener, so the answer it checks is not Auth0's: only the
                // request (the URL devcontext builds) is checked.
                let request: Vec<&String> = r
                    .violations
                    .iter()
                    .filter(|v| !v.starts_with("response"))
                    .collect();
                if !request.is_empty() {
                    self.problems
                        .push(format!("{name}: GET /authorize: {request:?}"));
                }
            } else if !r.violations.is_empty() {
                self.problems.push(format!(
                    "{name}: {} {}{}: {:?}",
                    r.method,
                    strip_query(&r.path),
                    grant.map(|g| format!(" ({g})")).unwrap_or_default(),
                    r.violations
                ));
            }
        }
        if token_requests != grants.len() {
            self.problems.push(format!(
                "{name}: Prism saw {token_requests} token requests, the emulator {}",
                grants.len()
            ));
        }
        self.tv_violations += tv_flagged;
        eprintln!(
            "contract_auth0: {name}: {} requests through Prism, {exchanges} Token Vault exchanges",
            logged.len()
        );
    }
}

fn strip_query(p: &str) -> &str {
    p.split('?').next().unwrap_or(p)
}

fn ok(env: &TestEnv, args: &[&str]) {
    let out = env.dc().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn devcontext_sends_auth0_requests_its_descriptions_accept_except_the_token_vault_grant() {
    if std::env::var("DEVCONTEXT_SKIP_PRISM").as_deref() == Ok("1") {
        common::skip(
            "contract_auth0",
            "DEVCONTEXT_SKIP_PRISM=1",
            "DEVCONTEXT_REQUIRE_PRISM",
        );
        return;
    }
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/cache/prism");
    let prism_js = cache.join("node_modules/@stoplight/prism-cli/dist/index.js");
    assert!(
        prism_js.exists(),
        "Prism is missing in {}: run scripts/prism.sh install (or set DEVCONTEXT_SKIP_PRISM=1)",
        cache.display()
    );
    let work = tempfile::tempdir().unwrap();
    let spec = work.path().join("auth0.json");
    std::fs::write(
        &spec,
        merged_spec(&shared_dir().join("specs/auth0")).to_string(),
    )
    .unwrap();

    let (prism_port, emu_port) = (common::free_port(), common::free_port());
    let public = format!("http://127.0.0.1:{prism_port}");
    let emu = Emulator::start_with(&["--port", &emu_port.to_string(), "--public-url", &public]);
    let log = work.path().join("prism.log");
    let child = Command::new("node")
        .arg(&prism_js)
        .args(["proxy", "-h", "127.0.0.1", "-p", &prism_port.to_string()])
        .arg(&spec)
        .arg(&emu.url)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node (Node 20 is required for Prism)");
    let prism = Prism(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", prism_port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "Prism did not listen on {prism_port}; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let env = TestEnv::with_emulator(emu);
    assert_eq!(env.emu.var("DEVCONTEXT_AUTH0_DOMAIN"), public);
    let read = std::fs::read_to_string(&log).unwrap_or_default().len();
    let mut h = Harness {
        env,
        log,
        read,
        _prism: prism,
        seen: BTreeMap::new(),
        problems: vec![],
        tv_violations: 0,
        tv_example: vec![],
    };

    // Design A: browser login (discovery, /authorize, code grant, userinfo).
    h.step("login", |e| ok(e, &["login"]));
    // Connected Accounts: MRRT refresh, list, connect, complete.
    for s in ["github", "google", "slack"] {
        h.step(&format!("connect {s}"), |e| ok(e, &["connect", s]));
    }
    h.step("connect slack --scopes (re-connect)", |e| {
        ok(e, &["connect", "slack", "--scopes", "chat:write"])
    });
    h.step("connections", |e| ok(e, &["connections", "--json"]));
    // The Token Vault exchange, refresh-token variant (the one exception).
    h.step("tool (Token Vault)", |e| {
        ok(e, &["tool", "github", "review_requests", "--json"])
    });
    // doctor: plain refresh, MRRT, connections, accounts, three exchanges.
    h.step("doctor", |e| ok(e, &["doctor", "--json"]));
    h.step("disconnect", |e| ok(e, &["disconnect", "slack"]));
    h.step("logout (revoke)", |e| ok(e, &["logout"]));
    // Design B: device login, then the access-token variant of the exchange.
    h.step("login --device", |e| {
        common::device_login(e, &[]);
    });
    h.step("connect (device session)", |e| {
        ok(e, &["connect", "github"])
    });
    h.step("tool (device session)", |e| {
        ok(e, &["tool", "github", "review_requests", "--json"])
    });
    h.step("logout (device)", |e| ok(e, &["logout"]));

    eprintln!(
        "contract_auth0: requests seen through Prism:\n  {}",
        h.seen
            .iter()
            .map(|(k, n)| format!("{k} x{n}"))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    for want in [
        "GET /.well-known/openid-configuration",
        "GET /authorize",
        "POST /oauth/token",
        "GET /userinfo",
        "POST /oauth/device/code",
        "POST /oauth/revoke",
        "POST /me/v1/connected-accounts/connect",
        "POST /me/v1/connected-accounts/complete",
        "GET /me/v1/connected-accounts/accounts",
        "GET /me/v1/connected-accounts/connections",
    ] {
        assert!(
            h.seen.contains_key(want),
            "{want} never went through Prism: {:?}",
            h.seen
        );
    }
    assert!(
        h.seen
            .keys()
            .any(|k| k.starts_with("DELETE /me/v1/connected-accounts/accounts/")),
        "no delete went through Prism: {:?}",
        h.seen
    );
    eprintln!(
        "contract_auth0: the Token Vault grant was flagged {} times, e.g. {:?}",
        h.tv_violations, h.tv_example
    );
    // tool (A), doctor (3), tool (B): every exchange, through Prism.
    assert_eq!(h.tv_violations, 5, "the Token Vault exception");
    assert!(
        h.problems.is_empty(),
        "violations:\n{}",
        h.problems.join("\n")
    );
}
