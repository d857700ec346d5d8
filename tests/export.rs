//! Audit export against a real OTLP receiver we did not write: `oteltap`
//! (PyPI; scripts/test.sh installs it), started with python3 on a free
//! loopback port. Where a test needs what oteltap does not show (the OTLP
//! resource, the API-key header) or a collector that says 429/503, the
//! requests pass through tests/otel/proxy.py, which decodes them with the
//! official `opentelemetry-proto` package and forwards them unchanged.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestEnv, all_events, keep_output, record_secret};
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// True when oteltap and opentelemetry-proto import; otherwise says SKIPPED
/// (a failure under DEVCONTEXT_REQUIRE_OTELTAP, which scripts/test.sh sets).
fn oteltap_installed() -> bool {
    let ok = StdCommand::new("python3")
        .args(["-c", "import oteltap, opentelemetry.proto"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::skip(
            "audit export against oteltap",
            "oteltap is not installed (scripts/test.sh installs it; or \
             `python3 -m pip install oteltap==1.0.0 opentelemetry-proto`)",
            "DEVCONTEXT_REQUIRE_OTELTAP",
        );
    }
    ok
}

/// oteltap on a loopback port; every NDJSON line it printed is kept.
struct Tap {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Tap {
    /// `None` (the test is skipped) when oteltap is not installed.
    fn start() -> Option<Tap> {
        if !oteltap_installed() {
            return None;
        }
        for _ in 0..5 {
            if let Some(tap) = Tap::try_start(free_port()) {
                return Some(tap);
            }
        }
        panic!("oteltap did not start");
    }

    /// Starts on `port` (a restart after an outage), retrying while the port frees.
    fn start_on(port: u16) -> Tap {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(tap) = Tap::try_start(port) {
                return tap;
            }
            assert!(Instant::now() < until, "oteltap did not restart on {port}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn try_start(port: u16) -> Option<Tap> {
        let mut child = StdCommand::new("python3")
            .args(["-u", "-m", "oteltap", "--port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start python3 -m oteltap");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        if out.read_line(&mut first).unwrap_or(0) == 0 || !first.starts_with("Listening") {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        // oteltap prints "Listening" before it binds: wait until it answers.
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > until || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(|l| l.ok()) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        Some(Tap { child, port, lines })
    }

    fn logs(&self) -> Vec<Value> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|v| v.get("body").is_some())
            .cloned()
            .collect()
    }

    fn spans(&self) -> Vec<Value> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|v| v.get("startTimeUnixNano").is_some())
            .cloned()
            .collect()
    }

    /// Waits (up to 20 s) until the received log records hold all `hashes`.
    fn wait_for(&self, hashes: &BTreeSet<String>) -> BTreeSet<String> {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let got = received_hashes(&self.logs());
            if hashes.is_subset(&got) || Instant::now() > until {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.stop();
        // What the collector received is scanned for tokens and the API key.
        let lines = self.lines.lock().unwrap();
        let text: Vec<String> = lines.iter().map(|v| v.to_string()).collect();
        keep_output("oteltap", text.join("\n").as_bytes());
    }
}

/// tests/otel/proxy.py in front of a tap.
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    fn start(upstream: u16, key: &str) -> Proxy {
        let mut child = StdCommand::new("python3")
            .arg(root().join("tests/otel/proxy.py"))
            .arg(upstream.to_string())
            .arg(key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start tests/otel/proxy.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("proxy printed {line:?}"));
        Proxy { child, port }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let out = StdCommand::new("curl")
            .args(["-s", "-X", method, "-d"])
            .arg(body.to_string())
            .arg(format!("http://127.0.0.1:{}{path}", self.port))
            .output()
            .expect("curl");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    fn requests(&self) -> Vec<Value> {
        self.call("GET", "/__proxy/requests", Value::Null)
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let requests = self.requests();
        keep_output("otlp-proxy", Value::Array(requests).to_string().as_bytes());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A random API key, registered with the leak scan.
fn api_key() -> String {
    let key = format!("otlpkey{}", hex::encode(rand::random::<[u8; 16]>()));
    record_secret("otlp header value", &[&key]);
    key
}

fn export_to(env: &mut TestEnv, port: u16, key: &str) {
    env.set("DEVCONTEXT_EXPORT", "on");
    env.set(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        &format!("http://127.0.0.1:{port}"),
    );
    env.set("OTEL_EXPORTER_OTLP_HEADERS", &format!("x-api-key={key}"));
    env.set("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test");
}

fn write_config(env: &TestEnv, text: &str) {
    let dir = env.home.path().join("dc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn attr<'a>(record: &'a Value, key: &str) -> Option<&'a Value> {
    record["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

fn attr_str(record: &Value, key: &str) -> Option<String> {
    let v = attr(record, key)?;
    v["stringValue"]
        .as_str()
        .map(String::from)
        .or_else(|| v["intValue"].as_str().map(String::from))
}

fn received_hashes(logs: &[Value]) -> BTreeSet<String> {
    logs.iter()
        .filter_map(|r| attr_str(r, "devcontext.event.hash"))
        .collect()
}

fn local_hashes(env: &TestEnv) -> BTreeSet<String> {
    all_events(env)
        .iter()
        .map(|e| e["hash"].as_str().unwrap().to_string())
        .collect()
}

fn tool_call(env: &TestEnv) {
    env.dc()
        .args(["tool", "github", "review_requests", "--json"])
        .assert()
        .success();
}

fn export_status(env: &TestEnv) -> Value {
    env.json(&["audit", "export", "--status", "--json"])
}

fn resource_attr(resource: &Value, key: &str) -> Option<String> {
    attr_str(resource, key)
}

#[test]
fn records_arrive_with_every_attribute_resource_and_spans() {
    let Some(tap) = Tap::start() else { return };
    let key = api_key();
    let proxy = Proxy::start(tap.port, &key);
    // Login and connects happen with export off: they are a backlog when it turns on.
    let mut env = TestEnv::connected();
    export_to(&mut env, proxy.port, &key);
    tool_call(&env);
    let events = all_events(&env);
    let hashes: BTreeSet<String> = events
        .iter()
        .map(|e| e["hash"].as_str().unwrap().to_string())
        .collect();
    let got = tap.wait_for(&hashes);
    assert_eq!(got, hashes, "every local event arrives, nothing else");

    let logs = tap.logs();
    for e in &events {
        let r = logs
            .iter()
            .find(|r| attr_str(r, "devcontext.event.hash").as_deref() == e["hash"].as_str())
            .unwrap();
        for field in [
            "id",
            "hash",
            "prev_hash",
            "run_id",
            "command",
            "action",
            "decision",
            "service",
            "tool",
            "endpoint",
            "http_status",
            "duration_ms",
            "reason",
        ] {
            let local = match &e[field] {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
            assert_eq!(
                attr_str(r, &format!("devcontext.event.{field}")),
                local,
                "{field} of event {}",
                e["id"]
            );
        }
        let ms = chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            r["timeUnixNano"].as_str().unwrap(),
            (ms as u64 * 1_000_000).to_string()
        );
        let body = r["body"]["stringValue"].as_str().unwrap();
        assert!(!body.contains('\n') && body.contains(e["action"].as_str().unwrap()));
    }

    // The tool call is an execute_tool span under the run's root span.
    let spans = tap.spans();
    let run = events.last().unwrap()["run_id"].as_str().unwrap();
    let tool = spans
        .iter()
        .find(|s| s["name"] == "execute_tool github.review_requests")
        .unwrap_or_else(|| panic!("no execute_tool span in {spans:?}"));
    assert_eq!(
        attr_str(tool, "gen_ai.tool.name").as_deref(),
        Some("github.review_requests")
    );
    assert_eq!(
        attr_str(tool, "gen_ai.operation.name").as_deref(),
        Some("execute_tool")
    );
    assert_eq!(
        attr_str(tool, "devcontext.event.run_id").as_deref(),
        Some(run)
    );
    let root = spans
        .iter()
        .find(|s| s["name"] == "devcontext tool" && s["traceId"] == tool["traceId"])
        .expect("a root span for the run, in the same trace");
    assert_eq!(tool["parentSpanId"], root["spanId"]);
    let tool_logs: Vec<_> = logs
        .iter()
        .filter(|r| attr_str(r, "devcontext.event.run_id").as_deref() == Some(run))
        .filter(|r| attr_str(r, "devcontext.event.tool").is_some())
        .collect();
    assert!(tool_logs.iter().all(|r| r["spanId"] == tool["spanId"]));

    // The resource: install id, the Auth0 user, the tenant; the API key arrived.
    let status = env.json(&["status", "--json"]);
    let sub = status["login"]["user"]["sub"].as_str().unwrap();
    let tenant = status["login"]["tenant"].as_str().unwrap();
    let install = std::fs::read_to_string(env.home.path().join("dc/state/install-id")).unwrap();
    let requests = proxy.requests();
    assert!(!requests.is_empty());
    for req in &requests {
        assert_eq!(req["key_ok"], true, "{req}");
        assert_eq!(req["status"], 200, "{req}");
        let res = &req["resource"];
        assert_eq!(
            resource_attr(res, "devcontext.install.id").as_deref(),
            Some(install.trim())
        );
        assert_eq!(resource_attr(res, "enduser.id").as_deref(), Some(sub));
        assert_eq!(
            resource_attr(res, "devcontext.auth0.tenant").as_deref(),
            Some(tenant)
        );
        assert_eq!(
            resource_attr(res, "service.name").as_deref(),
            Some("devcontext")
        );
        assert_eq!(
            resource_attr(res, "deployment.environment").as_deref(),
            Some("test")
        );
    }
    assert!(requests.iter().any(|r| r["path"] == "/v1/traces"));

    // status shows the target and its state, never the key.
    let export = &status["export"];
    assert_eq!(export["enabled"], true);
    assert_eq!(export["pending"], 0);
    assert_eq!(export["headers"], json!(["x-api-key"]));
    let out = env.dc().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("export").unwrap();
    let lines: Vec<&str> = text[at..].lines().take(2).collect();
    assert!(
        lines[0].contains(&format!("127.0.0.1:{}/v1/logs", proxy.port))
            && lines[1]
                .trim_start()
                .starts_with("0 pending; delivered through event"),
        "{lines:?}"
    );
    assert!(!text.contains(&key));
    let st = export_status(&env);
    assert_eq!(st["pending"], 0);
    assert_eq!(st["last_error"], Value::Null);

    // Debug logs (every crate's, with -vv) never show the key either.
    env.dc()
        .args(["perms", "grant", "github"])
        .env("DEVCONTEXT_EXPORT", "off")
        .assert()
        .success();
    let out = env.dc().args(["-vv", "audit", "export"]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("connected to 127.0.0.1"), "{err}");
    assert!(!err.contains(&key));
}

#[test]
fn twenty_commands_with_the_collector_down_then_everything_arrives_in_batches() {
    let Some(mut tap) = Tap::start() else { return };
    let port = tap.port;
    let key = api_key();
    let mut env = TestEnv::connected();
    write_config(&env, "[export]\nbatch_size = 10\n");
    export_to(&mut env, port, &key);
    tool_call(&env);
    let mut received = tap.wait_for(&local_hashes(&env));
    tap.stop();
    received.extend(received_hashes(&tap.logs()));
    drop(tap);

    for i in 0..20 {
        // The command succeeds although the collector is down.
        match i % 2 {
            0 => tool_call(&env),
            _ => {
                env.dc()
                    .args(["perms", "grant", "slack"])
                    .assert()
                    .success();
            }
        }
    }
    let st = export_status(&env);
    let pending = st["pending"].as_i64().unwrap();
    assert!(pending >= 20, "{st}");
    assert!(
        st["last_error"]
            .as_str()
            .unwrap()
            .contains("could not reach the collector"),
        "{st}"
    );
    let out = env.dc().args(["audit", "export"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{pending} audit events not delivered")),
        "{err}"
    );

    let tap = Tap::start_on(port);
    let report = env.json(&["audit", "export", "--json"]);
    assert_eq!(report["pending"], 0, "{report}");
    assert_eq!(report["delivered"].as_i64().unwrap(), pending);
    assert!(
        report["batches"].as_i64().unwrap() >= (pending + 9) / 10,
        "{report}"
    );
    let local = local_hashes(&env);
    received.extend(tap.wait_for(&local));
    assert_eq!(
        received, local,
        "the set of hashes received equals the store's"
    );
}

#[test]
fn kill_9_during_an_export_loses_nothing() {
    let Some(tap) = Tap::start() else { return };
    let key = api_key();
    let proxy = Proxy::start(tap.port, &key);
    let mut env = TestEnv::connected();
    for _ in 0..5 {
        tool_call(&env);
    }
    write_config(&env, "[export]\nbatch_size = 2\n");
    export_to(&mut env, proxy.port, &key);
    proxy.call("POST", "/__proxy/delay", json!({"ms": 150}));
    let total = export_status(&env)["pending"].as_i64().unwrap();
    assert!(total >= 12, "{total} events");
    let mut child = env
        .std_dc()
        .args(["audit", "export"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while proxy.requests().len() < 5 {
        assert!(Instant::now() < until, "the export did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let st = export_status(&env);
    let delivered = st["delivered_id"].as_i64().unwrap();
    assert!(
        delivered > 0 && st["pending"].as_i64().unwrap() > 0,
        "killed mid-export: {st}"
    );
    common::audit_verify(&env);

    proxy.call("POST", "/__proxy/delay", json!({"ms": 0}));
    env.dc().args(["audit", "export"]).assert().success();
    let local = local_hashes(&env);
    assert_eq!(tap.wait_for(&local), local);
}

#[test]
fn retry_after_on_429_and_503_is_honoured() {
    let Some(tap) = Tap::start() else { return };
    let key = api_key();
    let proxy = Proxy::start(tap.port, &key);
    let mut env = TestEnv::connected();
    export_to(&mut env, proxy.port, &key);
    proxy.call(
        "POST",
        "/__proxy/faults",
        json!([{"status": 429, "retry_after": "2"}, {"status": 503, "retry_after": "1"}]),
    );
    let report = env.json(&["audit", "export", "--json"]);
    assert_eq!(report["pending"], 0, "{report}");
    let reqs = proxy.requests();
    let logs: Vec<&Value> = reqs.iter().filter(|r| r["path"] == "/v1/logs").collect();
    assert_eq!(logs[0]["status"], 429);
    assert_eq!(logs[1]["status"], 503);
    assert_eq!(logs[2]["status"], 200);
    let at = |r: &Value| r["at"].as_f64().unwrap();
    assert!(
        at(logs[1]) - at(logs[0]) >= 1.9,
        "waited {}",
        at(logs[1]) - at(logs[0])
    );
    assert!(
        at(logs[2]) - at(logs[1]) >= 0.9,
        "waited {}",
        at(logs[2]) - at(logs[1])
    );

    // After a command, a 429 pauses automatic delivery for its Retry-After.
    proxy.call(
        "POST",
        "/__proxy/faults",
        json!([{"status": 429, "retry_after": "30"}]),
    );
    env.dc()
        .args(["perms", "grant", "slack"])
        .assert()
        .success();
    let seen = proxy.requests().len();
    env.dc()
        .args(["perms", "revoke", "slack"])
        .assert()
        .success();
    tool_call(&env);
    assert_eq!(
        proxy.requests().len(),
        seen,
        "no call while the collector asked to wait"
    );
    let st = export_status(&env);
    assert!(
        st["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 429, retry after 30 s"),
        "{st}"
    );
    // `audit export` (cron, CI) tries at once and delivers everything.
    env.dc().args(["audit", "export"]).assert().success();
    let local = local_hashes(&env);
    assert_eq!(tap.wait_for(&local), local);
}

fn sqlite(db: &Path, sql: &str) {
    let out = StdCommand::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_cut_tail_or_a_rewrite_after_delivery_is_reported_by_audit_verify() {
    let Some(tap) = Tap::start() else { return };
    let key = api_key();
    let mut env = TestEnv::connected();
    export_to(&mut env, tap.port, &key);
    tool_call(&env);
    assert_eq!(export_status(&env)["pending"], 0);
    let last = all_events(&env).last().unwrap()["id"].as_i64().unwrap();
    let db = env.home.path().join("dc/state/audit.db");

    // Cut the last three delivered events: the chain alone still verifies.
    sqlite(&db, &format!("DELETE FROM events WHERE id > {}", last - 3));
    let out = env.dc().args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("missing delivered events from event {}", last - 2)),
        "{err}"
    );
    let out = env
        .dc()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["first_bad"], Value::Null);
    assert_eq!(report["missing_delivered"]["id"], last - 2);

    // New events on the cut chain reuse the delivered ids: a rewrite.
    tool_call(&env);
    tool_call(&env);
    let out = env.dc().args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rewritten after delivery"), "{err}");
    // Export stops rather than ship a second history under the same ids.
    let out = env.dc().args(["audit", "export"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("export stopped"));
}

#[test]
fn export_is_off_by_default_and_refuses_plain_http_off_loopback() {
    let mut env = TestEnv::new();
    env.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
    let out = env.dc().args(["audit", "export"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("audit export is off"), "{err}");
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["export"]["enabled"], false);

    env.set("DEVCONTEXT_EXPORT", "on");
    env.set(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://collector.example:4318",
    );
    let out = env.dc().args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plain http://"), "{err}");
    // Following the hint (https) fixes it.
    env.set(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "https://collector.example:4318",
    );
    env.dc().args(["status"]).assert().success();
}

/// On a terminal at 80 and 120 columns: `audit export` shows progress and one
/// final line, `audit export --status` short lines that fit, never the key.
#[test]
fn export_on_a_terminal_at_80_and_120_columns() {
    let Some(tap) = Tap::start() else { return };
    let key = api_key();
    let mut env = TestEnv::connected();
    write_config(&env, "[export]\nbatch_size = 3\n");
    export_to(&mut env, tap.port, &key);
    let bin = common::devcontext_bin().display();
    for cols in [80, 120] {
        tool_call(&env); // with the collector up, shipped when it ends
        env.dc().args(["audit", "export"]).assert().success();
        let out = common::captured("script")
            .args([
                "-qec",
                &format!(
                    "stty cols {cols}; DEVCONTEXT_EXPORT=off {bin} perms grant github; \
                     {bin} audit export; {bin} audit export --status"
                ),
                "/dev/null",
            ])
            .envs(
                env.std_dc()
                    .get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
            )
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success());
        let screen = String::from_utf8_lossy(&out.stdout);
        assert!(!screen.contains(&key));
        let lines: Vec<&str> = screen
            .split(['\n', '\r'])
            .map(|l| l.trim_end())
            .filter(|l| !l.is_empty())
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("delivered 1 event in 1 batch; nothing pending")),
            "{screen}"
        );
        let at = lines.iter().position(|l| l.starts_with("export ")).unwrap();
        assert!(lines[at].ends_with(&format!("127.0.0.1:{}/v1/logs", tap.port)));
        assert!(
            lines[at + 1]
                .trim_start()
                .starts_with("0 pending; delivered through event")
        );
        for l in &lines[at..] {
            assert!(l.chars().count() <= cols, "{cols} columns: {l:?}");
        }
    }
}

/// A collector that accepts connections and never answers: commands still
/// end (the wait after each is bounded), `audit export` gives up after the
/// request timeout with exit 6, and nothing is lost.
#[test]
fn a_collector_that_never_answers_does_not_hold_commands() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream); // held open, never read
        }
    });
    let key = api_key();
    let mut env = TestEnv::connected();
    export_to(&mut env, port, &key);
    env.set("DEVCONTEXT_TIMEOUT_SECS", "2");
    for _ in 0..3 {
        tool_call(&env);
    }
    let before = export_status(&env)["pending"].as_i64().unwrap();
    assert!(before > 0);
    let out = env.dc().args(["audit", "export"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("timed out"), "{err}");
    assert!(
        err.contains(&format!("{before} audit events not delivered")),
        "{err}"
    );
    assert!(!held.lock().unwrap().is_empty(), "devcontext did connect");
}
