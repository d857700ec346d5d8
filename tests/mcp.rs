//! `devcontext mcp` driven by MCP clients we did not write: the official
//! Python SDK (tests/mcp/client.py) and the MCP Inspector CLI, both installed
//! by `scripts/mcp-clients.sh install` (scripts/test.sh runs it). Bad input is
//! sent as raw JSON-RPC lines, to see exactly what the server answers.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::TestEnv;
use serde_json::{Value, json};

fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/cache/mcp")
}

/// The SDK's Python, or `None` (with a visible SKIPPED line) when the clients
/// are not installed; scripts/test.sh sets DEVCONTEXT_REQUIRE_MCP_CLIENTS so it fails there.
fn python() -> Option<PathBuf> {
    let python = cache().join("venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    common::skip(
        "tests/mcp.rs",
        "the MCP clients are not installed (run `scripts/mcp-clients.sh install`)",
        "DEVCONTEXT_REQUIRE_MCP_CLIENTS",
    );
    None
}

/// How the clients spawn the server and run other commands in the same home.
/// The file holds the test environment (the emulator's client secrets), so it
/// goes in `scratch`, outside the test home that the leak scan reads.
fn spec(env: &TestEnv, scratch: &std::path::Path, server_args: &[&str]) -> PathBuf {
    let cmd = env.std_dc();
    let program = cmd.get_program().to_string_lossy().to_string();
    let base: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    let vars: serde_json::Map<String, Value> = cmd
        .get_envs()
        .filter_map(|(k, v)| {
            Some((
                k.to_string_lossy().to_string(),
                Value::from(v?.to_string_lossy().to_string()),
            ))
        })
        .collect();
    let mut args = base.clone();
    args.push("mcp".into());
    args.extend(server_args.iter().map(|s| s.to_string()));
    let mut devcontext = vec![program.clone()];
    devcontext.extend(base);
    let path = scratch.join(format!("mcp-spec-{}.json", server_args.join("_")));
    let spec = json!({"command": program, "args": args, "env": vars, "devcontext": devcontext});
    std::fs::write(&path, spec.to_string()).unwrap();
    path
}

/// Runs one scenario of tests/mcp/client.py and returns what it saw.
fn scenario(python: &PathBuf, env: &TestEnv, server_args: &[&str], name: &str) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let scratch = tempfile::tempdir().unwrap();
    let out = common::captured(python)
        .arg(script)
        .arg(spec(env, scratch.path(), server_args))
        .arg(name)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "client.py {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "client.py {name}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn texts(result: &Value) -> String {
    result["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn writes(env: &TestEnv) -> Vec<Value> {
    env.get("/__emulator/writes")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn mcp_events(env: &TestEnv) -> Vec<Value> {
    common::all_events(env)
        .into_iter()
        .filter(|e| e["command"] == "mcp")
        .collect()
}

#[test]
fn the_python_sdk_lists_tools_and_calls_reads_through_the_broker() {
    let Some(python) = python() else { return };
    let env = TestEnv::connected();
    env.clear_requests();
    let seen = scenario(&python, &env, &[], "list_and_read");

    assert_eq!(seen["server"]["name"], "devcontext");
    assert_eq!(seen["server"]["protocol"], "2025-11-25");
    assert_eq!(seen["server"]["list_changed"], true);

    // Every tool of the registry, with the names `ask` uses, annotations and both schemas.
    let tools = seen["tools"].as_array().unwrap();
    let listed: Vec<_> = env.json(&["tools", "--json"]).as_array().unwrap().clone();
    assert_eq!(tools.len(), listed.len());
    for (tool, row) in tools.iter().zip(&listed) {
        assert_eq!(tool["name"], row["function"]);
        assert_eq!(tool["input_schema"], row["parameters"], "{}", tool["name"]);
        assert_eq!(tool["output_schema"]["type"], "object", "{}", tool["name"]);
        assert!(tool["title"].as_str().unwrap().contains(':'));
        let read = row["access"] == "read";
        let a = &tool["annotations"];
        assert_eq!(a["readOnlyHint"], read, "{}", tool["name"]);
        assert_eq!(a["destructiveHint"], false);
        assert_eq!(a["idempotentHint"], read);
        assert_eq!(a["openWorldHint"], true);
    }

    // Reads: structured content and a short text.
    let prs = &seen["review_requests"];
    assert_eq!(prs["is_error"], false);
    assert_eq!(texts(prs).lines().next().unwrap(), "3 pull requests");
    assert_eq!(prs["structured"]["items"].as_array().unwrap().len(), 3);
    let again = &seen["my_pull_requests"];
    assert_eq!(again["is_error"], false, "{again}");
    assert_eq!(seen["calendar_today"]["is_error"], false);
    assert!(seen["calendar_today"]["structured"]["events"].is_array());

    // Wrong argument types: a tool error the agent can act on, before any request.
    let bad = &seen["bad_args"];
    assert_eq!(bad["is_error"], true);
    assert!(texts(bad).contains("invalid arguments"), "{bad}");

    // One exchange per service for the whole session (two GitHub calls).
    let exchanges: Vec<_> = env
        .requests()
        .into_iter()
        .filter(|r| {
            r["path"] == "/oauth/token"
                && r["grant_type"]
                    .as_str()
                    .is_some_and(|g| g.contains("token-exchange"))
        })
        .collect();
    assert_eq!(exchanges.len(), 2, "github and google once each");

    // Audit: command mcp, the client's name and version at the start and on every call.
    let events = mcp_events(&env);
    let start: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "session_start")
        .collect();
    assert_eq!(start.len(), 1);
    assert!(
        start[0]["reason"]
            .as_str()
            .unwrap()
            .contains("dc-test-client 9.8.7")
    );
    let requests: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "tool_request")
        .collect();
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("requested by dc-test-client 9.8.7"),
            "{r}"
        );
    }
    let run = &start[0]["run_id"];
    assert!(events.iter().all(|e| &e["run_id"] == run));
    for action in ["permission_check", "token_exchange", "api_call"] {
        assert!(
            events.iter().any(|e| e["action"] == action),
            "no {action} event"
        );
    }
    assert!(common::audit_verify(&env)["first_bad"].is_null());
}

#[test]
fn a_revoke_in_another_terminal_takes_effect_on_the_next_call() {
    let Some(python) = python() else { return };
    let env = TestEnv::connected();
    let seen = scenario(&python, &env, &[], "revoke_between");

    assert_eq!(seen["first"]["is_error"], false);
    assert_eq!(seen["revoke"]["code"], 0);
    let second = &seen["second"];
    assert_eq!(second["is_error"], true);
    assert!(texts(second).contains("slack is revoked"), "{second}");
    // The hint names a command; the scenario runs it and the call works again.
    assert!(texts(second).contains("hint: "), "{second}");
    assert!(
        seen["grant"]["hinted"].is_array(),
        "no command in the hint: {second}"
    );
    assert_eq!(seen["grant"]["code"], 0, "{}", seen["grant"]);
    assert_eq!(seen["third"]["is_error"], false, "{}", seen["third"]);

    // Blocked tools are hidden, and the client was told the list changed.
    let before: Vec<_> = seen["before"].as_array().unwrap().clone();
    let after: Vec<_> = seen["after"].as_array().unwrap().clone();
    assert!(before.iter().any(|t| t == "slack_unread"));
    assert!(
        after
            .iter()
            .all(|t| !t.as_str().unwrap().starts_with("slack_"))
    );
    assert_eq!(after.len(), before.len() - 3);
    assert!(
        seen["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "notifications/tools/list_changed"),
        "{}",
        seen["notifications"]
    );
    let denied = mcp_events(&env)
        .into_iter()
        .filter(|e| e["action"] == "permission_check" && e["decision"] == "denied")
        .count();
    assert_eq!(denied, 1);
}

#[test]
fn a_write_without_elicitation_is_refused_until_the_hinted_grant() {
    let Some(python) = python() else { return };
    let env = TestEnv::connected();
    let seen = scenario(&python, &env, &[], "post_no_elicitation");
    let post = &seen["post"];
    assert_eq!(post["is_error"], true);
    let text = texts(post);
    assert!(text.contains("not approved"), "{text}");
    let hint = "devcontext perms grant slack.post_message --for 1h";
    assert!(text.contains(hint), "{text}");
    assert!(writes(&env).is_empty());
    let approvals: Vec<_> = mcp_events(&env)
        .into_iter()
        .filter(|e| e["action"] == "approval")
        .collect();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["decision"], "denied");

    // Following the hint lets the same call run.
    env.dc()
        .args(["perms", "grant", "slack.post_message", "--for", "1h"])
        .assert()
        .success();
    let seen = scenario(&python, &env, &[], "post_no_elicitation");
    assert_eq!(seen["post"]["is_error"], false, "{}", seen["post"]);
    let w = writes(&env);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["text"], "shipped from mcp");
}

#[test]
fn elicitation_asks_the_person_and_only_an_accept_posts() {
    let Some(python) = python() else { return };
    let env = TestEnv::connected();
    let seen = scenario(&python, &env, &[], "post_elicited");

    let asked = seen["elicitations"].as_array().unwrap();
    assert_eq!(asked.len(), 2);
    let message = asked[0]["message"].as_str().unwrap();
    assert!(
        message.contains("slack.post_message wants to write"),
        "{message}"
    );
    assert!(message.contains("approved via elicitation"), "{message}");
    assert!(message.contains("#general"), "{message}");
    assert_eq!(asked[0]["schema"]["required"], json!(["approve"]));

    assert_eq!(seen["first"]["is_error"], false, "{}", seen["first"]);
    assert_eq!(seen["second"]["is_error"], true);
    assert!(texts(&seen["second"]).contains("declined"));

    let w = writes(&env);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0]["text"], "approved via elicitation");
    let approvals: Vec<_> = mcp_events(&env)
        .into_iter()
        .filter(|e| e["action"] == "approval")
        .map(|e| (e["decision"].clone(), e["reason"].clone()))
        .collect();
    assert_eq!(approvals.len(), 2, "{approvals:?}");
    assert_eq!(approvals[0].0, "granted");
    assert!(
        approvals[0]
            .1
            .as_str()
            .unwrap()
            .contains("approved by the person")
    );
    assert_eq!(approvals[1].0, "denied");
    assert!(approvals[1].1.as_str().unwrap().contains("declined"));
}

#[test]
fn flags_narrow_what_is_listed_and_callable() {
    let Some(python) = python() else { return };
    let env = TestEnv::connected();
    let seen = scenario(&python, &env, &["--read-only"], "read_only");
    let tools: Vec<_> = seen["tools"].as_array().unwrap().clone();
    assert_eq!(tools.len(), 9);
    assert!(
        tools
            .iter()
            .all(|t| t != "slack_post_message" && t != "github_comment")
    );
    assert!(
        seen["refused"]
            .as_str()
            .unwrap()
            .contains("unknown tool 'slack_post_message'"),
        "{}",
        seen["refused"]
    );
    assert!(writes(&env).is_empty());

    let seen = scenario(
        &python,
        &env,
        &["--services", "github", "--exclude-tools", "github_activity"],
        "read_only",
    );
    let tools: Vec<_> = seen["tools"].as_array().unwrap().clone();
    assert_eq!(
        tools,
        json!([
            "github_review_requests",
            "github_my_pull_requests",
            "github_assigned",
            "github_notifications",
            "github_comment"
        ])
        .as_array()
        .unwrap()
        .clone()
    );

    // A flag naming no tool is one line and exit 2, before serving.
    env.dc()
        .args(["mcp", "--tools", "slack_delete"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown tool 'slack_delete'"));
}

/// A server on raw pipes: write lines, read answers.
struct Raw {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Raw {
    fn start(env: &TestEnv) -> Raw {
        let mut child = env
            .std_dc()
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Raw {
            stdin: child.stdin.take(),
            child,
            lines: rx,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// The answer to request `id` (every stdout line must be JSON-RPC).
    fn answer(&self, id: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to request {id}"));
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout held a non-protocol line ({e}): {line}"));
            assert_eq!(msg["jsonrpc"], "2.0", "{line}");
            if msg["id"] == id {
                return msg;
            }
        }
    }

    fn initialize(&mut self) {
        self.send(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "raw-pipe", "version": "0.1"}}})
            .to_string(),
        );
        let init = self.answer(1);
        assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }

    /// Closes stdin and waits for the exit status.
    fn close(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit after stdin closed"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status.code(), err)
    }
}

#[test]
fn bad_input_gets_protocol_errors_and_the_server_survives() {
    let env = TestEnv::connected();
    let mut raw = Raw::start(&env);
    raw.initialize();

    raw.send("{this is not json");
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"no/such/method"}"#);
    let answer = raw.answer(2);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");

    raw.send(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slack_nuke","arguments":{}}}"#);
    let answer = raw.answer(3);
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown tool")
    );

    raw.send(r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"slack_post_message","arguments":{"channel":7,"text":["x"]}}}"#);
    let answer = raw.answer(4);
    assert_eq!(answer["result"]["isError"], true, "{answer}");

    // 2 MB of arguments: over the 1 MiB message cap, dropped; the server goes on.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"slack_post_message","arguments":{{"channel":"general","text":"{}"}}}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    raw.send(&huge);
    // Text over the tool's own limit but under the cap: a tool error.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{{"name":"slack_post_message","arguments":{{"channel":"general","text":"{}"}}}}}}"#,
        "y".repeat(200_000)
    );
    raw.send(&big);
    let answer = raw.answer(6);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("too long")
    );

    // Nothing in the arguments can approve a write: extra fields are refused.
    raw.send(r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slack_post_message","arguments":{"channel":"general","text":"hi","approve":true,"yes":true},"_meta":{"approve":true}}}"#);
    let answer = raw.answer(9);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("unknown field"),
        "{answer}"
    );

    raw.send(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#);
    assert!(raw.answer(7)["result"].is_object());
    raw.send(r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"calendar_today","arguments":{}}}"#);
    let answer = raw.answer(8);
    assert_eq!(answer["result"]["isError"], false, "{answer}");

    let (code, stderr) = raw.close();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(writes(&env).is_empty());
    assert!(common::audit_verify(&env)["first_bad"].is_null());
}

#[test]
fn a_client_that_leaves_in_the_middle_of_a_call_ends_the_server_cleanly() {
    let env = TestEnv::connected();
    env.control(
        "POST",
        "/__emulator/latency",
        json!({"ms": 3000, "path_prefix": "/github"}),
    );
    let mut raw = Raw::start(&env);
    raw.initialize();
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"github_review_requests","arguments":{}}}"#);
    std::thread::sleep(Duration::from_millis(800));
    let started = Instant::now();
    let (code, stderr) = raw.close();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
    // The store is whole: every event complete, the chain intact.
    assert!(common::audit_verify(&env)["first_bad"].is_null());
    assert!(
        mcp_events(&env)
            .iter()
            .any(|e| e["action"] == "tool_request")
    );
}

#[test]
fn the_mcp_inspector_cli_lists_and_calls_a_tool() {
    if python().is_none() {
        return;
    }
    let inspector = cache().join("node_modules/.bin/mcp-inspector");
    assert!(inspector.exists(), "{} is missing", inspector.display());
    let env = TestEnv::connected();
    let dc = env.std_dc();
    let scratch = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = common::captured(&inspector);
        // The inspector gives the server only the variables passed with -e.
        cmd.arg("--cli");
        for (k, v) in dc.get_envs() {
            if let Some(v) = v {
                let mut pair = k.to_os_string();
                pair.push("=");
                pair.push(v);
                cmd.arg("-e").arg(pair);
            }
        }
        cmd.arg(dc.get_program())
            .args(dc.get_args())
            .arg("mcp")
            .args(extra)
            // Whatever the inspector saves (it saw the -e values) stays out
            // of the test home that the leak scan reads.
            .env("MCP_CATALOG_PATH", scratch.path().join("inspector.json"))
            .env("HOME", scratch.path())
            .stdin(Stdio::null());
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "inspector {extra:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "inspector: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    };
    let list = run(&["--method", "tools/list"]);
    let names: Vec<_> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"github_review_requests".to_string()),
        "{names:?}"
    );
    let call = run(&[
        "--method",
        "tools/call",
        "--tool-name",
        "github_review_requests",
        "--tool-arg",
        "limit=2",
    ]);
    assert_eq!(call["isError"], false, "{call}");
    assert_eq!(
        call["structuredContent"]["items"].as_array().unwrap().len(),
        2,
        "{call}"
    );
}

#[test]
fn mcp_help_names_the_setup_and_the_flags() {
    let out = common::devcontext()
        .args(["mcp", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "claude mcp add devcontext -- devcontext mcp",
        "--read-only",
        "--services",
        "--tools",
        "--exclude-tools",
    ] {
        assert!(help.contains(needle), "{needle} not in:\n{help}");
    }
}

fn exchanges_for(env: &TestEnv, connection: &str) -> usize {
    env.requests()
        .iter()
        .filter(|r| {
            r["path"] == "/oauth/token"
                && r["connection"] == connection
                && r["grant_type"]
                    .as_str()
                    .is_some_and(|g| g.contains("token-exchange"))
        })
        .count()
}

#[test]
fn a_provider_token_is_reused_while_valid_and_exchanged_again_after_expiry() {
    let env = TestEnv::new();
    env.login();
    // Tokens live 62 s; devcontext stops using one a minute early: 2 s of reuse.
    env.control(
        "POST",
        "/__emulator/knobs",
        json!({"provider_token_lifetime_s": 62}),
    );
    env.connect("google", None);
    env.clear_requests();
    let mut raw = Raw::start(&env);
    raw.initialize();
    let call = |raw: &mut Raw, id: i64| {
        raw.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": "calendar_today", "arguments": {}}})
            .to_string(),
        );
        let answer = raw.answer(id);
        assert_eq!(answer["result"]["isError"], false, "{answer}");
    };
    call(&mut raw, 2);
    call(&mut raw, 3);
    assert_eq!(exchanges_for(&env, "google-oauth2"), 1);
    std::thread::sleep(Duration::from_millis(2500));
    call(&mut raw, 4);
    assert_eq!(exchanges_for(&env, "google-oauth2"), 2);
    let (code, _) = raw.close();
    assert_eq!(code, Some(0));
}
