//! `devcontext ask` end to end: the real binary against the emulator, whose
//! `/v1/chat/completions` plays a script of exact turns (tool calls with raw
//! argument text, answers, HTTP errors), or the deterministic demo model when
//! the script is empty.

use std::process::Output;

use serde_json::{Value, json};

mod common;

/// The shared test environment plus the model-script helpers these tests use.
struct Env(common::TestEnv);

impl std::ops::Deref for Env {
    type Target = common::TestEnv;
    fn deref(&self) -> &common::TestEnv {
        &self.0
    }
}

impl Env {
    /// Logged in with GitHub connected: the least `ask` accepts before its
    /// first model request (see `nothing_reaches_the_model_before_the_local_checks_pass`).
    fn bare() -> Env {
        let env = common::TestEnv::new();
        env.login();
        env.connect("github", None);
        Env(env)
    }

    /// Logged in, with GitHub, Slack and Google connected.
    fn connected() -> Env {
        Env(common::TestEnv::connected())
    }

    fn script(&self, turns: Value) {
        self.control("POST", "/__emulator/model/script", turns);
    }

    /// The chat requests the emulator received, oldest first.
    fn model_requests(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|e| e["path"] == "/v1/chat/completions")
            .map(|e| e["model"].clone())
            .collect()
    }

    fn ask(&self, args: &[&str]) -> Output {
        self.dc().arg("ask").args(args).output().unwrap()
    }

    fn ask_json(&self, args: &[&str]) -> Value {
        let out = self.ask(&[args, &["--json"]].concat());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn audit_events(&self, args: &[&str]) -> Vec<Value> {
        let out = self
            .dc()
            .args(["audit", "--json", "--limit", "500"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

fn call(name: &str, arguments: &str) -> Value {
    json!({"name": name, "arguments": arguments})
}

/// The tool messages of one logged chat request.
fn tool_messages(request: &Value) -> Vec<Value> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| serde_json::from_str(m["content"].as_str().unwrap()).unwrap())
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn parallel_calls_in_one_step_all_go_back_to_the_model() {
    let env = Env::connected();
    env.script(json!([
        {"tool_calls": [
            call("github_review_requests", "{}"),
            call("calendar_today", "{}"),
            call("slack_unread", "{}"),
        ]},
        {"content": "All read."}
    ]));
    let r = env.ask_json(&["Brief me for standup"]);
    assert_eq!(r["answer"], "All read.");
    assert_eq!(r["steps"], 2);
    let calls = r["tool_calls"].as_array().unwrap();
    let tools: Vec<&str> = calls.iter().map(|c| c["tool"].as_str().unwrap()).collect();
    assert_eq!(
        tools,
        ["github.review_requests", "calendar.today", "slack.unread"]
    );
    for c in calls {
        assert_eq!(c["step"], 1);
        assert_eq!(c["decision"], "granted", "{c}");
    }
    let requests = env.model_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|q| q["stream"] == true));
    // Read tools only, unless --write.
    let tools_offered = requests[0]["tools"].as_array().unwrap();
    assert!(tools_offered.contains(&json!("slack_unread")));
    assert!(!tools_offered.contains(&json!("slack_post_message")));
    assert!(!r["tools_offered"].to_string().contains("post_message"));
    env.script(json!([{"content": "ok"}]));
    let r = env.ask_json(&["Post something", "--write"]);
    assert!(
        r["tools_offered"]
            .to_string()
            .contains("slack.post_message")
    );
    let last = env.model_requests().pop().unwrap();
    assert!(
        last["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("slack_post_message"))
    );
    let results = tool_messages(&requests[1]);
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|m| m.get("untrusted_data").is_some()));
}

#[test]
fn several_steps_then_an_answer() {
    let env = Env::connected();
    env.script(json!([
        {"tool_calls": [call("github_review_requests", "{}")]},
        {"tool_calls": [call("calendar_today", "")]},
        {"content": "Two steps done."}
    ]));
    let r = env.ask_json(&["What is going on?"]);
    assert_eq!(r["steps"], 3);
    assert_eq!(r["answer"], "Two steps done.");
    let steps: Vec<u64> = r["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [1, 2]);
    assert_eq!(tool_messages(&env.model_requests()[2]).len(), 2);
}

#[test]
fn malformed_and_wrong_typed_arguments_go_back_as_tool_errors() {
    let env = Env::connected();
    env.script(json!([
        {"tool_calls": [
            call("github_activity", "{\"repo\": "),
            call("calendar_upcoming", "{\"days\": \"many\"}"),
        ]},
        {"content": "Sorry, my arguments were wrong."}
    ]));
    let r = env.ask_json(&["What did I do?"]);
    assert_eq!(r["answer"], "Sorry, my arguments were wrong.");
    let calls = r["tool_calls"].as_array().unwrap();
    assert_eq!(calls[0]["decision"], "error");
    assert!(
        calls[0]["error"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(calls[0]["arguments"], "{\"repo\": ");
    assert_eq!(calls[1]["decision"], "error", "{}", calls[1]);
    let results = tool_messages(&env.model_requests()[1]);
    assert!(
        results
            .iter()
            .all(|m| m["error"].is_string() && m["hint"].is_string())
    );
}

#[test]
fn an_unknown_tool_is_an_error_result_not_a_crash() {
    let env = Env::bare();
    env.script(json!([
        {"tool_calls": [call("jira_issues", "{}")]},
        {"content": "I have no Jira tool."}
    ]));
    let r = env.ask_json(&["Any Jira issues?"]);
    assert_eq!(r["answer"], "I have no Jira tool.");
    let c = &r["tool_calls"][0];
    assert_eq!(c["tool"], "jira_issues");
    assert_eq!(c["service"], Value::Null);
    assert_eq!(c["decision"], "error");
    assert!(c["error"].as_str().unwrap().contains("unknown tool"));
    let results = tool_messages(&env.model_requests()[1]);
    assert!(
        results[0]["hint"]
            .as_str()
            .unwrap()
            .contains("github_review_requests")
    );
}

#[test]
fn the_step_limit_ends_with_exit_8() {
    let env = Env::bare();
    env.script(json!([
        {"tool_calls": [call("jira_issues", "{}")]},
        {"tool_calls": [call("jira_issues", "{}")]},
        {"tool_calls": [call("jira_issues", "{}")]}
    ]));
    let out = env.ask(&["Loop forever", "--max-steps", "2"]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(stderr(&out).contains("--max-steps"), "{}", stderr(&out));
    assert_eq!(env.model_requests().len(), 2);

    env.script(json!([{"tool_calls": [call("jira_issues", "{}")]}]));
    let out = env.ask(&["Loop", "--max-steps", "1", "--json"]);
    assert_eq!(out.status.code(), Some(8));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["error"]["exit_code"], 8);
    assert_eq!(r["steps"], 1);
}

#[test]
fn a_model_error_exits_5_and_is_audited() {
    let env = Env::bare();
    // A refused key is final at once.
    env.script(
        json!([{"error": {"status": 401, "message": "bad key", "type": "invalid_request_error"}}]),
    );
    let out = env.ask(&["Hello"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 401"), "{}", stderr(&out));
    assert!(stderr(&out).contains("OPENAI_API_KEY"), "{}", stderr(&out));
    assert_eq!(env.model_requests().len(), 1);
    // A 5xx is retried three times (async-openai's backoff), then reported.
    let boom = json!({"error": {"status": 500, "message": "the model fell over"}});
    env.script(json!([boom, boom, boom, boom]));
    let out = env.ask(&["Hello"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 500"), "{}", stderr(&out));
    assert_eq!(env.model_requests().len(), 5);
    let events = env.audit_events(&["--action", "model_call"]);
    let errors: Vec<_> = events
        .iter()
        .filter(|e| e["decision"] == "error" && e["endpoint"] == "POST /chat/completions")
        .collect();
    assert_eq!(errors.len(), 2, "{events:?}");
    assert!(errors.iter().any(|e| e["http_status"] == 500));
    assert!(errors.iter().any(|e| e["http_status"] == 401));
}

#[test]
fn the_answer_streams_to_stdout_and_progress_is_plain_without_a_terminal() {
    let env = Env::bare();
    let text = "Hello from the scripted model, sent in many small pieces.";
    env.script(json!([
        {"tool_calls": [call("jira_issues", "{}")]},
        {"content": text}
    ]));
    let out = env.ask(&["Say hello"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{text}\n"));
    let err = stderr(&out);
    assert!(err.contains("jira_issues: error: unknown tool"), "{err}");
    assert!(
        !err.contains('\x1b'),
        "no colour without a terminal: {err:?}"
    );

    env.script(json!([
        {"tool_calls": [call("jira_issues", "{}")]},
        {"content": text}
    ]));
    let out = env.ask(&["Say hello", "--quiet"]);
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
}

#[test]
fn with_slack_revoked_the_answer_says_so_and_the_audit_shows_the_denial() {
    let env = Env::connected();
    env.dc()
        .args(["perms", "revoke", "slack"])
        .assert()
        .success();
    // Empty script: the emulator's demo model calls the three standup tools.
    let out = env.ask(&["Brief me for standup"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("could not read Slack"), "{answer}");
    assert!(answer.contains("perms reset slack"), "{answer}");
    assert!(
        stderr(&out).contains("slack.unread: blocked"),
        "{}",
        stderr(&out)
    );
    let denied = env.audit_events(&["--service", "slack", "--decision", "denied"]);
    assert!(
        denied.iter().any(|e| e["action"] == "permission_check"),
        "{denied:?}"
    );
}

#[test]
fn json_output_has_the_documented_shape_and_the_audit_run_id() {
    let env = Env::bare();
    env.script(json!([
        {"tool_calls": [call("jira_issues", "{\"q\": 1}")]},
        {"content": "Done."}
    ]));
    let r = env.ask_json(&["Shape please"]);
    for key in [
        "answer",
        "model",
        "steps",
        "tools_offered",
        "tool_calls",
        "usage",
        "run_id",
        "error",
    ] {
        assert!(r.get(key).is_some(), "missing {key}: {r}");
    }
    assert_eq!(r["model"], "emulator-demo");
    assert!(r["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let c = &r["tool_calls"][0];
    for key in [
        "service",
        "tool",
        "arguments",
        "decision",
        "duration_ms",
        "error",
    ] {
        assert!(c.get(key).is_some(), "missing {key}: {c}");
    }
    assert_eq!(c["arguments"], json!({"q": 1}));
    let run = r["run_id"].as_str().unwrap();
    let events = env.audit_events(&["--run", run]);
    let model_calls = events
        .iter()
        .filter(|e| e["action"] == "model_call" && e["endpoint"] == "POST /chat/completions")
        .count();
    assert_eq!(model_calls, 2, "{events:?}");
    assert!(events.iter().all(|e| e["command"] == "ask"));
}

#[test]
fn no_model_endpoint_is_a_usage_error_with_a_hint() {
    let env = Env::bare();
    let out = env
        .dc()
        .env_remove("OPENAI_BASE_URL")
        .args(["ask", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("OPENAI_BASE_URL"), "{}", stderr(&out));
}

#[test]
fn a_call_already_made_is_not_run_again() {
    let env = Env::connected();
    env.script(json!([
        {"tool_calls": [call("github_review_requests", r#"{"limit": 5, "repo": null}"#)]},
        // The same call again (keys in another order, other spacing), and the
        // same call twice within one step.
        {"tool_calls": [
            call("github_review_requests", r#"{"repo":null,"limit":5}"#),
            call("calendar_today", "{}"),
            call("calendar_today", "{ }"),
        ]},
        // Nothing but a repeat: the next request takes the tools away.
        {"tool_calls": [call("calendar_today", "{}")]},
        {"content": "Done."}
    ]));
    env.clear_requests();
    let r = env.ask_json(&["Brief me"]);
    assert_eq!(r["answer"], "Done.");
    let decisions: Vec<(&str, &str)> = r["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["tool"].as_str().unwrap(), c["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decisions,
        [
            ("github.review_requests", "granted"),
            ("github.review_requests", "repeated"),
            ("calendar.today", "granted"),
            ("calendar.today", "repeated"),
            ("calendar.today", "repeated"),
        ]
    );
    let choices: Vec<Value> = env
        .model_requests()
        .iter()
        .map(|m| m["tool_choice"].clone())
        .collect();
    assert_eq!(
        choices,
        [json!(null), json!(null), json!(null), json!("none")]
    );
    let repeated = &r["tool_calls"][1];
    assert!(
        repeated["error"].as_str().unwrap().contains("step 1"),
        "{repeated}"
    );
    // The model is told, and the provider was asked once.
    let last = env.model_requests().pop().unwrap();
    let told = tool_messages(&last);
    assert!(told[1]["error"].as_str().unwrap().contains("already made"));
    let searches = env
        .requests()
        .iter()
        .filter(|e| e["path"] == "/github/search/issues")
        .count();
    assert_eq!(searches, 1);
}

#[test]
fn a_model_server_error_in_a_foreign_shape_is_one_clear_line() {
    // llama.cpp answers an over-long conversation with a numeric `code`,
    // which the OpenAI client library cannot read on its own.
    let env = Env::bare();
    env.fault(json!({
        "path_prefix": "/v1/chat/completions",
        "status": 400,
        "body": r#"{"error":{"code":400,"message":"request (8903 tokens) exceeds the available context size (8192 tokens), try increasing it","type":"exceed_context_size_error"}}"#,
        "content_type": "application/json"
    }));
    let out = env.ask(&["Hello"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("the model endpoint refused the request: request (8903 tokens) exceeds"),
        "{err}"
    );
    assert!(err.contains("larger context"), "{err}");
    assert!(!err.contains("deserialize"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{err}"
    );
}

/// The model requests (any path under /v1) in the emulator's log.
fn model_traffic(env: &common::TestEnv) -> Vec<Value> {
    env.requests()
        .into_iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/v1/")))
        .collect()
}

#[test]
fn nothing_reaches_the_model_before_the_local_checks_pass() {
    let mut env = common::TestEnv::new();
    let ask = |env: &common::TestEnv| {
        env.dc()
            .args(["ask", "What is on my calendar?"])
            .output()
            .unwrap()
    };
    let hint = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();

    // Not logged in: exit 3, and the question never left the machine.
    let out = ask(&env);
    assert_eq!(out.status.code(), Some(3), "{}", hint(&out));
    assert!(hint(&out).contains("`devcontext login`"), "{}", hint(&out));
    assert_eq!(model_traffic(&env), Vec::<Value>::new());

    // Logged in, nothing connected: exit 4 with the connect hint.
    env.login();
    let out = ask(&env);
    assert_eq!(out.status.code(), Some(4), "{}", hint(&out));
    assert!(
        hint(&out).contains("`devcontext connect github`"),
        "{}",
        hint(&out)
    );
    assert_eq!(model_traffic(&env), Vec::<Value>::new());

    // The only connected service revoked: exit 7, `perms reset` suggested.
    env.connect("google", None);
    env.dc()
        .args(["perms", "revoke", "google"])
        .assert()
        .success();
    let out = ask(&env);
    assert_eq!(out.status.code(), Some(7), "{}", hint(&out));
    assert!(
        hint(&out).contains("`devcontext perms reset calendar`"),
        "{}",
        hint(&out)
    );
    assert_eq!(model_traffic(&env), Vec::<Value>::new());

    // No model endpoint: exit 2, before anything else.
    env.dc()
        .args(["perms", "reset", "calendar"])
        .assert()
        .success();
    env.set("OPENAI_BASE_URL", "");
    let out = ask(&env);
    assert_eq!(out.status.code(), Some(2), "{}", hint(&out));
    assert!(hint(&out).contains("OPENAI_BASE_URL"), "{}", hint(&out));
    assert_eq!(model_traffic(&env), Vec::<Value>::new());

    // All fine: now (and only now) the model is asked.
    let url = env.emu.var("OPENAI_BASE_URL");
    env.set("OPENAI_BASE_URL", &url);
    let out = ask(&env);
    assert!(out.status.success(), "{}", hint(&out));
    assert!(!model_traffic(&env).is_empty());
}

/// Hostile text from the model and a provider, in every human line of `ask`
/// and in error lines, piped (a log read later with `cat` must not run it).
const HOSTILE: &str = "\x1b]0;owned\x07\x1b[2J\x1b[1A\r\u{9b}31m\u{202E}";

fn assert_no_raw_escape(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for bad in ['\x1b', '\r', '\u{9b}', '\u{202E}', '\x07'] {
        assert!(!text.contains(bad), "{what} carries {bad:?}: {text:?}");
    }
}

#[test]
fn progress_answer_and_error_lines_carry_no_raw_escape() {
    let env = Env::connected();
    env.script(json!([
        {"tool_calls": [
            call(&format!("jira{HOSTILE}"), "{}"),
            call("slack_channel_history", &json!({"channel": format!("x{HOSTILE}")}).to_string()),
        ]},
        {"content": format!("Your brief{HOSTILE}\nsecond line{HOSTILE}")}
    ]));
    let out = env.ask(&["Brief me"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_raw_escape("progress", &out.stderr);
    assert_no_raw_escape("answer", &out.stdout);
    let answer = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        answer,
        "Your brief␛]0;owned␇␛[2J␛[1A␍<U+009B>31m<U+202E>\nsecond line␛]0;owned␇␛[2J␛[1A␍<U+009B>31m<U+202E>\n"
    );
    let err = stderr(&out);
    assert!(err.contains("jira␛]0;owned␇"), "{err}");
    assert!(err.contains("slack.channel_history: error: "), "{err}");

    // --json stays exact.
    env.script(json!([{"content": format!("exact{HOSTILE}")}]));
    let r = env.ask_json(&["Brief me"]);
    assert_eq!(r["answer"], format!("exact{HOSTILE}"));

    // A model error line quoting the endpoint.
    env.script(json!([{"error": {"status": 401, "message": format!("bad key{HOSTILE}")}}]));
    let out = env.ask(&["Hello"]);
    assert_eq!(out.status.code(), Some(5));
    assert_no_raw_escape("model error line", &out.stderr);
    assert!(
        stderr(&out).contains("bad key␛]0;owned␇"),
        "{}",
        stderr(&out)
    );

    // A provider error string in an error line.
    env.fault(json!({
        "path_prefix": "/slack/api/conversations.list",
        "status": 200,
        "body": json!({"ok": false, "error": format!("weird{HOSTILE}")}).to_string(),
        "content_type": "application/json"
    }));
    let out = env
        .dc()
        .args(["tool", "slack", "channel_history", "--channel", "general"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_no_raw_escape("provider error line", &out.stderr);
    assert!(
        stderr(&out).contains("Slack API error: weird␛]0;owned␇"),
        "{}",
        stderr(&out)
    );
}
