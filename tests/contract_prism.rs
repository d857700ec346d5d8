//! Contract test: every tool, with each of its flags, sends requests that the
//! providers' official OpenAPI descriptions accept. Prism serves the three
//! descriptions (GitHub, Slack, Google Calendar) and validates each request;
//! an invalid one gets 422 (or 406/405), which the audit store records as the
//! call's HTTP status. The provider token comes from the emulator's Token
//! Vault (login + connect), exactly as in production; Prism ignores it.
//!
//! Needs `scripts/prism.sh install` (test.sh runs it). Skipped only with
//! DEVCONTEXT_SKIP_PRISM=1. Starts its own mocks, each on a loopback port the
//! OS picks.

mod common;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestEnv;
use serde_json::Value;

/// The three mocks: spec name and the variable that points devcontext at it.
const MOCKS: [(&str, &str); 3] = [
    ("github", "DEVCONTEXT_GITHUB_API_URL"),
    ("slack", "DEVCONTEXT_SLACK_API_URL"),
    ("calendar", "DEVCONTEXT_CALENDAR_API_URL"),
];

/// How long one mock may take to load its description and answer (the
/// GitHub one is large; a loaded 2-core machine is slow).
const START_WITHIN: Duration = Duration::from_secs(240);

/// The mocks this test started, killed by PID on drop.
struct Mocks(Vec<Child>);

impl Drop for Mocks {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300)).is_ok()
}

/// Starts the mocks on free ports and waits until each answers. A mock that
/// exits before answering is started once more on a new port; if it exits
/// again the test fails with the end of its stderr. Returns the mocks and
/// each one's port, in MOCKS order.
fn start_mocks(log_dir: &std::path::Path) -> (Mocks, Vec<u16>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/cache/prism");
    let prism = dir.join("node_modules/@stoplight/prism-cli/dist/index.js");
    let specs = dir.join("specs");
    assert!(
        prism.exists() && specs.join("github.json").exists(),
        "Prism or the patched OpenAPI descriptions are missing in {}: run scripts/prism.sh install \
         (or set DEVCONTEXT_SKIP_PRISM=1 to skip this test)",
        dir.display()
    );
    let spawn = |name: &str, try_no: u32| -> (Child, u16, PathBuf) {
        let port = common::free_port();
        let log = log_dir.join(format!("prism-{name}-{try_no}.log"));
        let child = Command::new("node")
            .arg(&prism)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(specs.join(format!("{name}.json")))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start node (Node 20 is required for Prism)");
        (child, port, log)
    };
    let mut mocks = Mocks(Vec::new());
    let mut waiting = Vec::new();
    for (name, _) in MOCKS {
        let (child, port, log) = spawn(name, 1);
        mocks.0.push(child);
        waiting.push((name, port, log, 1, Instant::now()));
    }
    let mut ports = Vec::new();
    for (i, (name, mut port, mut log, mut tries, mut started)) in waiting.into_iter().enumerate() {
        while !answers(port) {
            if let Some(status) = mocks.0[i].try_wait().unwrap() {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: String = tail.lines().rev().take(15).collect::<Vec<_>>().join("\n");
                assert!(
                    tries < 2,
                    "the {name} Prism mock exited twice ({status}); its stderr ends:\n{tail}"
                );
                eprintln!("contract_prism: the {name} mock exited ({status}); starting it again");
                tries += 1;
                let (child, p, l) = spawn(name, tries);
                mocks.0[i] = child;
                (port, log, started) = (p, l, Instant::now());
                continue;
            }
            assert!(
                started.elapsed() < START_WITHIN,
                "the {name} Prism mock did not answer on port {port} within {}s",
                START_WITHIN.as_secs()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        ports.push(port);
    }
    (mocks, ports)
}

/// Every tool with each of its flags (writes with --yes).
const CALLS: &[&[&str]] = &[
    &["github", "review_requests"],
    &[
        "github",
        "review_requests",
        "--repo",
        "acme/web",
        "--limit",
        "5",
    ],
    &["github", "my_pull_requests"],
    &[
        "github",
        "my_pull_requests",
        "--repo",
        "acme/web",
        "--limit",
        "50",
    ],
    &["github", "assigned"],
    &["github", "assigned", "--repo", "acme/web", "--limit", "1"],
    &["github", "activity"],
    &["github", "activity", "--limit", "3"],
    &["github", "activity", "--repo", "acme/web", "--limit", "3"],
    &["github", "notifications"],
    &["github", "notifications", "--participating", "--limit", "5"],
    &[
        "github", "comment", "--repo", "acme/web", "--number", "12", "--body", "LGTM", "--yes",
    ],
    &["calendar", "today"],
    &["calendar", "today", "--limit", "5"],
    &["calendar", "upcoming"],
    &["calendar", "upcoming", "--days", "14", "--limit", "50"],
    &["slack", "unread"],
    &["slack", "unread", "--limit", "5"],
    &["slack", "channel_history", "--channel", "general"],
    &[
        "slack",
        "channel_history",
        "--channel",
        "#general",
        "--limit",
        "5",
    ],
    &[
        "slack",
        "post_message",
        "--channel",
        "general",
        "--text",
        "Deployed",
        "--yes",
    ],
];

#[test]
fn every_tool_sends_requests_the_official_descriptions_accept() {
    if std::env::var("DEVCONTEXT_SKIP_PRISM").as_deref() == Ok("1") {
        common::skip(
            "contract_prism",
            "DEVCONTEXT_SKIP_PRISM=1",
            "DEVCONTEXT_REQUIRE_PRISM",
        );
        return;
    }
    let mut env = TestEnv::connected();
    // Prism's own logs stay out of the test home (they may echo requests).
    let logs = tempfile::tempdir().unwrap();
    let (_mocks, ports) = start_mocks(logs.path());
    for ((_, var), port) in MOCKS.iter().zip(ports) {
        env.set(var, &format!("http://127.0.0.1:{port}"));
    }

    let mut problems = Vec::new();
    for call in CALLS {
        let mut args = vec!["tool"];
        args.extend_from_slice(call);
        args.push("--json");
        let out = env.dc().args(&args).output().unwrap();
        let code = out.status.code();
        // Prism answers with the spec's examples, so a tool may still fail to
        // find what it looks for (exit 5); any other failure is a bug here.
        if !matches!(code, Some(0) | Some(5)) {
            problems.push(format!(
                "{call:?} exited {code:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if code == Some(5) {
            eprintln!(
                "contract_prism: {call:?} exit 5: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }

    let calls: Vec<Value> = env.audit("api_call");
    let mut endpoints = std::collections::BTreeSet::new();
    for e in &calls {
        let status = e["http_status"].as_i64();
        endpoints.insert(format!(
            "{} -> {}",
            e["endpoint"].as_str().unwrap_or("?"),
            status.map(|s| s.to_string()).unwrap_or("none".into())
        ));
        if matches!(status, Some(422 | 406 | 405)) {
            problems.push(format!(
                "Prism refused {} {} with {}: {}",
                e["tool"],
                e["endpoint"],
                status.unwrap(),
                e["reason"]
            ));
        }
    }
    eprintln!(
        "contract_prism: endpoints seen:\n  {}",
        endpoints.iter().cloned().collect::<Vec<_>>().join("\n  ")
    );
    // Every endpoint the registry declares was exercised.
    for want in [
        "GET /search/issues",
        "GET /user",
        "/events",
        "/commits",
        "GET /notifications",
        "/comments",
        "GET /users/me/settings/timezone",
        "GET /calendars/primary/events",
        "GET /auth.test",
        "GET /conversations.list",
        "GET /conversations.info",
        "GET /conversations.history",
        "GET /search.messages",
        "POST /chat.postMessage",
    ] {
        if !endpoints.iter().any(|e| e.contains(want)) {
            problems.push(format!("no request to {want} was made"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
