//! `devcontext tools` / `devcontext tool` end to end against the emulator's
//! provider endpoints: every tool's happy path, permissions and approvals,
//! and the provider failures the broker and the providers must handle.

mod common;

use common::TestEnv;
use predicates::prelude::*;
use serde_json::{Value, json};

fn tool(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["tool"];
    all.extend_from_slice(args);
    all.push("--json");
    env.json(&all)
}

/// HTTP statuses audited for one endpoint ("GET /github/user"), oldest first.
fn api_statuses(env: &TestEnv, endpoint: &str) -> Vec<i64> {
    let mut v: Vec<i64> = env
        .audit("api_call")
        .iter()
        .filter(|e| e["endpoint"] == endpoint)
        .filter_map(|e| e["http_status"].as_i64())
        .collect();
    v.reverse(); // oldest first
    v
}

#[test]
fn every_tool_works_against_the_emulator() {
    let env = TestEnv::connected();

    let list = env.json(&["tools", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 11);
    let post = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tool"] == "slack.post_message")
        .unwrap();
    assert_eq!(post["access"], "write");
    assert_eq!(post["permission"]["decision"], "ask");
    assert_eq!(post["parameters"]["required"], json!(["channel", "text"]));

    let r = tool(&env, &["github", "review_requests"]);
    assert_eq!(r["total"], 3, "{r}");
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["repo"] == "acme/payments" && i["number"] == 482)
    );
    let r = tool(
        &env,
        &[
            "github",
            "review_requests",
            "--limit",
            "1",
            "--repo",
            "acme/web",
        ],
    );
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["items"][0]["repo"], "acme/web");
    let r = tool(&env, &["github", "my_pull_requests", "--limit", "1"]);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["omitted"], r["total"].as_u64().unwrap() - 1, "{r}");
    let r = tool(&env, &["github", "assigned"]);
    assert!(r["total"].as_u64().unwrap() >= 2, "{r}");
    let r = tool(&env, &["github", "activity", "--limit", "3"]);
    assert_eq!(r["items"].as_array().unwrap().len(), 3, "{r}");
    let r = tool(&env, &["github", "activity", "--repo", "acme/payments"]);
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] == "commit"),
        "{r}"
    );
    let r = tool(&env, &["github", "notifications", "--participating"]);
    assert!(!r["items"].as_array().unwrap().is_empty(), "{r}");
    let r = tool(
        &env,
        &[
            "github",
            "comment",
            "--repo",
            "acme/payments",
            "--number",
            "482",
            "--body",
            "LGTM",
            "--yes",
        ],
    );
    assert!(r["url"].as_str().unwrap().contains("issuecomment"), "{r}");

    let r = tool(&env, &["calendar", "today"]);
    assert_eq!(r["time_zone"], "UTC");
    assert!(!r["events"].as_array().unwrap().is_empty(), "{r}");
    let r = tool(&env, &["google", "upcoming", "--days", "3", "--limit", "2"]);
    assert!(r["events"].as_array().unwrap().len() <= 2, "{r}");

    let r = tool(&env, &["slack", "unread"]);
    assert!(!r["direct_messages"].as_array().unwrap().is_empty(), "{r}");
    assert!(r["mentions"]["total"].as_u64().unwrap() >= 1, "{r}");
    let r = tool(
        &env,
        &[
            "slack",
            "channel_history",
            "--channel",
            "#eng-payments",
            "--limit",
            "2",
        ],
    );
    assert_eq!(r["channel_id"], "C0ENGPAY01");
    assert!(r["messages"].as_array().unwrap().len() <= 2);
    let r = tool(
        &env,
        &[
            "slack",
            "post_message",
            "--channel",
            "general",
            "--text",
            "Deployed v2",
            "--yes",
        ],
    );
    assert_eq!(r["channel_id"], "C0GENERAL1");
    let writes = env.get("/__emulator/writes");
    let kinds: Vec<_> = writes
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"chat.postMessage".to_string()), "{writes}");
    assert!(kinds.contains(&"issue_comment".to_string()), "{writes}");

    // the human table
    env.dc()
        .args(["tool", "github", "review_requests"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 pull requests"))
        .stdout(predicate::str::contains("acme/payments#482"));
}

#[test]
fn bad_flags_fail_before_any_request() {
    let env = TestEnv::connected();
    env.clear_requests();
    env.dc()
        .args(["tool", "github", "review_requests", "--limt", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--limit, --repo"));
    env.dc()
        .args(["tool", "calendar", "upcoming", "--days", "30"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("days must be between 1 and 14"));
    env.dc()
        .args(["tool", "github", "activity", "--repo", "not-a-repo"])
        .assert()
        .code(2);
    assert!(env.requests().is_empty(), "{:?}", env.requests());
    env.dc()
        .args(["tool", "slack", "post_message", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--channel <TEXT>"))
        .stdout(predicate::str::contains("--text <TEXT>"));
}

#[test]
fn writes_need_approval_or_a_grant() {
    let env = TestEnv::connected();
    env.clear_requests();
    env.dc()
        .args([
            "tool",
            "slack",
            "post_message",
            "--channel",
            "general",
            "--text",
            "hi",
        ])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("not approved"));
    assert!(
        !env.requests().iter().any(|r| r["path"]
            .as_str()
            .unwrap_or("")
            .contains("chat.postMessage")),
        "nothing posted"
    );
    assert_eq!(env.exchanges(), 0, "no exchange for a refused write");
    let approvals = env.audit("approval");
    assert_eq!(approvals[0]["decision"], "denied", "{approvals:?}");

    env.dc()
        .args(["perms", "grant", "slack.post_message", "--for", "1h"])
        .assert()
        .success();
    let r = tool(
        &env,
        &[
            "slack",
            "post_message",
            "--channel",
            "general",
            "--text",
            "hi",
        ],
    );
    assert_eq!(r["channel_id"], "C0GENERAL1");
    assert_eq!(env.get("/__emulator/writes").as_array().unwrap().len(), 1);
}

#[test]
fn revoked_and_not_connected_services() {
    let env = TestEnv::new();
    env.login();
    env.connect("github", None);
    env.dc()
        .args(["perms", "revoke", "slack"])
        .assert()
        .success();
    env.clear_requests();
    env.dc()
        .args(["tool", "slack", "unread"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("revoked"));
    assert_eq!(env.exchanges(), 0, "no exchange for a revoked service");
    let checks = env.audit("permission_check");
    assert_eq!(checks[0]["decision"], "denied");

    env.dc()
        .args(["tool", "calendar", "today"])
        .assert()
        .code(4);
}

#[test]
fn provider_failures_are_handled_and_audited() {
    let env = TestEnv::connected();

    // 401 once: one fresh exchange, then success.
    env.fault(
        json!({"path_prefix": "/github/search/issues", "status": 401,
        "body": "{\"message\": \"Bad credentials\"}", "times": 1}),
    );
    env.clear_requests();
    tool(&env, &["github", "review_requests"]);
    assert_eq!(env.exchanges(), 2, "one exchange, then one fresh exchange");
    assert_eq!(
        api_statuses(&env, "GET /github/search/issues")[..],
        [401, 200]
    );

    // 401 twice: a hint to reconnect, exit 5.
    env.fault(
        json!({"path_prefix": "/github/search/issues", "status": 401,
        "body": "{\"message\": \"Bad credentials\"}", "times": 2}),
    );
    env.dc()
        .args(["tool", "github", "assigned"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("devcontext connect github"));

    // Slack invalid_auth (HTTP 200, ok:false) takes the same refresh path.
    env.fault(
        json!({"path_prefix": "/slack/api/conversations.list", "status": 200,
        "body": "{\"ok\": false, \"error\": \"invalid_auth\"}", "times": 1}),
    );
    env.clear_requests();
    tool(&env, &["slack", "channel_history", "--channel", "general"]);
    assert_eq!(env.exchanges(), 2);

    // 403 missing scope names the scope and the fix.
    env.fault(json!({"path_prefix": "/calendar/v3/users/me/settings", "status": 403,
        "body": "{\"error\": {\"code\": 403, \"message\": \"Request had insufficient authentication scopes.\", \"errors\": [{\"reason\": \"insufficientPermissions\"}], \"status\": \"PERMISSION_DENIED\"}}"}));
    env.dc()
        .args(["tool", "calendar", "today"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("calendar.readonly"))
        .stderr(predicate::str::contains(
            "devcontext connect google --scopes",
        ));

    // 404 from the API itself.
    env.dc()
        .args(["tool", "github", "activity", "--repo", "acme/nope"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("not found"));

    // 429 with Retry-After: waits, then succeeds.
    env.fault(
        json!({"path_prefix": "/github/notifications", "status": 429,
        "body": "{\"message\": \"slow down\"}", "headers": {"retry-after": "1"}, "times": 1}),
    );
    tool(&env, &["github", "notifications"]);
    assert_eq!(
        api_statuses(&env, "GET /github/notifications")[..],
        [429, 200]
    );

    // 5xx: bounded retry with backoff; a lasting one fails with exit 5.
    env.fault(
        json!({"path_prefix": "/slack/api/auth.test", "status": 503, "body": "oops", "times": 2}),
    );
    tool(&env, &["slack", "unread"]);
    env.fault(
        json!({"path_prefix": "/github/user", "status": 502, "body": "bad gateway", "times": 0}),
    );
    env.dc()
        .args(["tool", "github", "activity"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("server error"));
    let user = api_statuses(&env, "GET /github/user");
    assert_eq!(
        user[user.len() - 3..],
        [502, 502, 502],
        "three attempts: {user:?}"
    );
    assert_eq!(user.iter().filter(|s| **s == 502).count(), 3);
    env.control("DELETE", "/__emulator/faults", Value::Null);

    // Slack ok:false by code.
    env.fault(
        json!({"path_prefix": "/slack/api/chat.postMessage", "status": 200,
        "body": "{\"ok\": false, \"error\": \"channel_not_found\"}", "times": 1}),
    );
    env.dc()
        .args([
            "tool",
            "slack",
            "post_message",
            "--channel",
            "general",
            "--text",
            "x",
            "--yes",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("channel not found"));
    env.dc()
        .args([
            "tool",
            "slack",
            "channel_history",
            "--channel",
            "no-such-channel",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "no channel named #no-such-channel",
        ));

    // Malformed JSON.
    env.fault(
        json!({"path_prefix": "/calendar/v3/calendars", "status": 200,
        "body": "{\"items\": [", "content_type": "application/json", "times": 1}),
    );
    env.dc()
        .args(["tool", "calendar", "upcoming"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("not valid JSON"));

    // Oversized body (over the 8 MB cap).
    env.fault(json!({"path_prefix": "/github/search/issues", "status": 200,
        "body": "[\"0123456789\",", "body_repeat": 700000, "content_type": "application/json", "times": 1}));
    env.dc()
        .args(["tool", "github", "review_requests"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("larger than"));

    // Every attempt was audited with its HTTP status.
    let calls = env.audit("api_call");
    let statuses: Vec<i64> = calls
        .iter()
        .filter_map(|e| e["http_status"].as_i64())
        .collect();
    for s in [200, 401, 403, 404, 429, 502, 503] {
        assert!(statuses.contains(&s), "{s} audited: {statuses:?}");
    }
}

/// On a terminal (util-linux `script` gives one), a write shows exactly what
/// will be sent where and runs only on "y"; the default answer is no.
#[test]
fn terminal_prompt_shows_the_write_and_defaults_to_no() {
    let env = TestEnv::connected();
    let bin = common::devcontext_bin().display();
    let run = |answer: &str| {
        let mut child = common::captured("script")
            .args([
                "-qec",
                &format!("{bin} tool slack post_message --channel general --text 'standup in 5'"),
                "/dev/null",
            ])
            .envs(
                env.std_dc()
                    .get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), answer.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, screen) = run("\n");
    assert_eq!(code, Some(7), "{screen}");
    assert!(
        screen.contains("chat.postMessage") && screen.contains("standup in 5"),
        "{screen}"
    );
    assert!(screen.contains("══ to #general (C"), "{screen}");
    assert!(screen.contains("Allow this once? [y/N"), "{screen}");
    let (code, screen) = run("y\n");
    assert_eq!(code, Some(0), "{screen}");
    let approvals = env.audit("approval");
    let decisions: Vec<_> = approvals
        .iter()
        .map(|e| e["decision"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(decisions, ["granted", "denied"]);
}

#[test]
fn slack_unread_remembers_only_ids_and_never_trusts_them() {
    let env = TestEnv::connected();
    let hints = env.home.path().join("dc/state/hints/slack.json");
    let cold = tool(&env, &["slack", "unread"]);
    assert!(
        !cold["direct_messages"].as_array().unwrap().is_empty(),
        "{cold}"
    );

    // What is remembered: the user id and the DM ids, no text and no token.
    let saved: Value = serde_json::from_slice(&std::fs::read(&hints).unwrap()).unwrap();
    assert_eq!(saved["user_id"], cold["user_id"]);
    let remembered = saved["direct_conversations"].as_array().unwrap().clone();
    assert!(!remembered.is_empty());
    let keys: Vec<&String> = saved.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["direct_conversations", "user_id"]);

    // A warm run gives the same answer.
    assert_eq!(tool(&env, &["slack", "unread"]), cold);

    // Stale hints (another user, a conversation that no longer exists, one
    // real conversation forgotten) cost lookups, never a wrong answer.
    let mut stale = remembered.clone();
    stale.remove(0);
    stale.push(json!(["D0GONE0001", "U0GONE01"]));
    std::fs::write(
        &hints,
        json!({"user_id": "U0SOMEONE", "direct_conversations": stale}).to_string(),
    )
    .unwrap();
    assert_eq!(tool(&env, &["slack", "unread"]), cold);
    // Damaged hints read as none.
    std::fs::write(&hints, "{damaged").unwrap();
    assert_eq!(tool(&env, &["slack", "unread"]), cold);
    let saved: Value = serde_json::from_slice(&std::fs::read(&hints).unwrap()).unwrap();
    assert_eq!(saved["direct_conversations"], json!(remembered));

    // Disconnecting Slack forgets them; logging out forgets every hint.
    env.dc().args(["disconnect", "slack"]).assert().success();
    assert!(!hints.exists());
    env.connect("slack", None);
    tool(&env, &["slack", "unread"]);
    assert!(hints.exists());
    env.dc().args(["logout"]).assert().success();
    assert!(!hints.parent().unwrap().exists());
}
