//! Issue 14, point 3: a model endpoint cannot take unbounded memory or time.
//! The emulator streams replies that never end (generated lazily on its
//! side); `ask` must stop by itself with one clear line and exit 9, before
//! any tool runs, and audit the failed model call.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;

use common::TestEnv;

fn script(env: &TestEnv, turns: Value) {
    env.control("POST", "/__emulator/model/script", turns);
}

fn ask(env: &TestEnv, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = env.dc().arg("ask").args(args).output().unwrap();
    (out, started.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 9 and exactly one `error:` line that says `what`.
fn stops_with(out: &Output, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(9), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains(what), "{err}");
    lines[0].to_string()
}

fn provider_requests(env: &TestEnv) -> usize {
    env.requests()
        .iter()
        .filter(|r| {
            let p = r["path"].as_str().unwrap_or("");
            p.starts_with("/github") || p.starts_with("/slack") || p.starts_with("/calendar")
        })
        .count()
}

fn failed_model_calls(env: &TestEnv) -> Vec<Value> {
    env.audit("model_call")
        .into_iter()
        .filter(|e| e["decision"] == "error")
        .collect()
}

#[test]
fn an_endless_answer_stops_at_the_answer_cap() {
    let env = TestEnv::connected();
    script(&env, json!([{"endless": "content"}]));
    let (out, took) = ask(&env, &["hello"]);
    let line = stops_with(&out, "the model's answer passed 1048576 bytes");
    assert!(line.contains("hint:"), "{line}");
    // What was shown before the cap is at most the cap.
    assert!(out.stdout.len() <= 1024 * 1024 + 16, "{}", out.stdout.len());
    assert!(took < Duration::from_secs(60));
    let failed = failed_model_calls(&env);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("answer passed")
    );
}

#[test]
fn endless_arguments_stop_before_any_tool_runs() {
    let env = TestEnv::connected();
    env.clear_requests();
    script(&env, json!([{"endless": "arguments"}]));
    let (out, _) = ask(&env, &["--json", "what did I do?"]);
    stops_with(&out, "a tool call's arguments passed 524288 bytes");
    // --json still reports the run, with the documented exit code.
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["error"]["exit_code"], 9);
    assert_eq!(report["tool_calls"], json!([]));
    assert_eq!(provider_requests(&env), 0);
    assert_eq!(env.exchanges(), 0);
}

#[test]
fn endless_tool_calls_stop_at_the_configured_count() {
    let mut env = TestEnv::connected();
    env.clear_requests();
    script(&env, json!([{"endless": "tool_calls"}]));
    let (out, _) = ask(&env, &["standup"]);
    stops_with(&out, "more than 16 tool calls in one reply");
    assert_eq!(provider_requests(&env), 0);

    env.set("DEVCONTEXT_MODEL_MAX_TOOL_CALLS", "3");
    script(&env, json!([{"endless": "tool_calls"}]));
    let (out, _) = ask(&env, &["standup"]);
    let line = stops_with(&out, "more than 3 tool calls");
    assert!(line.contains("DEVCONTEXT_MODEL_MAX_TOOL_CALLS"), "{line}");
    assert_eq!(provider_requests(&env), 0);
}

#[test]
fn the_tool_call_hint_fixes_what_it_was_given_for() {
    // Five calls in one reply against a cap of 3 stop the run; following
    // the hint (raise max_tool_calls) lets the same reply through.
    let mut env = TestEnv::connected();
    let five: Vec<Value> = (0..5)
        .map(|i| json!({"name": format!("nope_{i}"), "arguments": "{}"}))
        .collect();
    env.set("DEVCONTEXT_MODEL_MAX_TOOL_CALLS", "3");
    script(&env, json!([{"tool_calls": five}, {"content": "done"}]));
    let (out, _) = ask(&env, &["x"]);
    let line = stops_with(&out, "more than 3 tool calls");
    assert!(line.contains("raise [model] max_tool_calls"), "{line}");

    env.control("DELETE", "/__emulator/model/script", Value::Null);
    std::fs::write(
        env.home.path().join("dc/config.toml"),
        "[model]\nmax_tool_calls = 8\n",
    )
    .unwrap();
    env.set("DEVCONTEXT_MODEL_MAX_TOOL_CALLS", "");
    script(&env, json!([{"tool_calls": five}, {"content": "done"}]));
    let (out, _) = ask(&env, &["--json", "x"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tool_calls"].as_array().unwrap().len(), 5);
    assert_eq!(report["answer"], "done");
}

#[test]
fn an_endless_line_stops_at_the_event_cap() {
    let env = TestEnv::connected();
    script(&env, json!([{"endless": "line"}]));
    let (out, _) = ask(&env, &["hello"]);
    stops_with(&out, "a stream event larger than 1048576 bytes");
}

#[test]
fn a_slow_endless_reply_stops_at_the_deadline() {
    let mut env = TestEnv::connected();
    env.set("DEVCONTEXT_MODEL_TIMEOUT_SECS", "2");
    script(&env, json!([{"endless": "slow"}]));
    let (out, took) = ask(&env, &["hello"]);
    let line = stops_with(&out, "did not finish its reply within 2 s");
    assert!(line.contains("DEVCONTEXT_MODEL_TIMEOUT_SECS"), "{line}");
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    let failed = failed_model_calls(&env);
    assert!(failed[0]["reason"].as_str().unwrap().contains("within 2 s"));
}

#[test]
fn a_bad_model_timeout_setting_is_refused() {
    let mut env = TestEnv::connected();
    env.set("DEVCONTEXT_MODEL_TIMEOUT_SECS", "0");
    let (out, _) = ask(&env, &["hello"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("DEVCONTEXT_MODEL_TIMEOUT_SECS must be from 1"));
}

#[test]
fn an_endless_models_body_stops_at_its_cap() {
    let env = TestEnv::connected();
    env.fault(json!({
        "path_prefix": "/v1/models",
        "status": 200,
        "body": "{\"data\":[{\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},",
        "content_type": "application/json",
        "endless": true
    }));
    let (out, took) = ask(&env, &["hello"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("GET /models"), "{err}");
    assert!(err.contains("larger than 1 MB"), "{err}");
    assert!(took < Duration::from_secs(60));
}
