//! Security invariants that mutation testing found unguarded (issue #15),
//! each checked end to end through the real binary on a real store:
//!
//! - `audit verify` catches a row rewritten *and re-hashed* (only the next
//!   event's `prev_hash` link can), and a change to any single hashed field
//!   (so dropping a field from the hash is noticed);
//! - `http://` hosts that merely look like loopback (`localhost.evil.example`,
//!   `localhostx`, `127.0.0.1.evil.com`) are refused before any request;
//! - a permission store that opens but fails when queried denies, audits the
//!   denial and says why.

mod common;

use std::path::Path;

use predicates::prelude::*;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::dc_at as dc;

/// A home whose audit store holds five events written by the binary:
/// granted changes, a denied check and granted checks.
fn audited_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    dc(h).args(["perms", "revoke", "slack"]).assert().success();
    dc(h).args(["perms", "check", "slack"]).assert().code(7);
    dc(h).args(["perms", "grant", "slack"]).assert().success();
    dc(h).args(["perms", "check", "slack"]).assert().success();
    dc(h).args(["perms", "check", "github"]).assert().success();
    let report = verify(h);
    assert_eq!(report["checked"], 5, "{report}");
    assert!(report["first_bad"].is_null(), "{report}");
    home
}

fn audit_db(h: &Path) -> Connection {
    Connection::open(h.join("state/audit.db")).unwrap()
}

/// `audit verify --json`'s report, whatever its exit code (0 intact, 1 broken).
fn verify(h: &Path) -> Value {
    let out = dc(h).args(["audit", "verify", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "audit verify --json: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let intact = report["first_bad"].is_null();
    assert_eq!(
        out.status.code(),
        Some(if intact { 0 } else { 1 }),
        "exit code of audit verify for {report}"
    );
    report
}

/// The chain hash as documented in ARCHITECTURE.md, recomputed independently
/// of the binary: SHA-256 over the JSON array of the previous hash and the
/// event's fields in stored order.
fn rehash(db: &Connection, id: i64) -> String {
    let (fields, prev): (Value, String) = db
        .query_row(
            "SELECT id, ts_ms, run_id, command, service, tool, action, endpoint, decision, \
             reason, http_status, duration_ms, prev_hash FROM events WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    json!([
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<i64>>(10)?,
                        r.get::<_, Option<i64>>(11)?,
                    ]),
                    r.get(12)?,
                ))
            },
        )
        .unwrap();
    let mut all = vec![Value::String(prev)];
    all.extend(fields.as_array().unwrap().iter().cloned());
    let hash = hex::encode(Sha256::digest(Value::Array(all).to_string().as_bytes()));
    db.execute(
        "UPDATE events SET hash = ?1 WHERE id = ?2",
        params![hash, id],
    )
    .unwrap();
    hash
}

/// `audit verify` fails at event `id` with `problem`, after `checked` good events.
fn assert_broken_at(h: &Path, id: i64, checked: i64, problem: &str) {
    let report = verify(h);
    assert_eq!(report["first_bad"]["id"], id, "{report}");
    let said = report["first_bad"]["problem"].as_str().unwrap();
    assert!(said.contains(problem), "{report}");
    assert_eq!(report["checked"], checked, "{report}");
}

#[test]
fn rehashing_a_rewritten_row_is_caught_by_the_next_prev_hash() {
    let home = audited_home();
    let h = home.path();
    let db = audit_db(h);
    // The denied check becomes a grant, with a hash that matches its new contents.
    let decision: String = db
        .query_row("SELECT decision FROM events WHERE id = 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(decision, "denied");
    db.execute(
        "UPDATE events SET decision = 'granted', reason = 'allowed' WHERE id = 2",
        [],
    )
    .unwrap();
    rehash(&db, 2);
    // Event 2 is self-consistent: only event 3's link to it can tell.
    assert_broken_at(h, 3, 2, "prev_hash does not match");
    dc(h)
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("broken at event 3"));
}

#[test]
fn the_test_rehash_matches_the_binarys_hash() {
    // Guards the tests below: re-hashing an untouched row changes nothing.
    let home = audited_home();
    let db = audit_db(home.path());
    for id in 1..=5 {
        let stored: String = db
            .query_row("SELECT hash FROM events WHERE id = ?1", [id], |r| r.get(0))
            .unwrap();
        assert_eq!(rehash(&db, id), stored, "event {id}");
    }
}

/// Changes one hashed field of event 2 alone, without re-hashing: the
/// event's own hash must no longer match. Passes only if that field is hashed.
fn tamper_one_field(set: &str) {
    let home = audited_home();
    let h = home.path();
    let db = audit_db(h);
    let n = db
        .execute(&format!("UPDATE events SET {set} WHERE id = 2"), [])
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    assert_broken_at(h, 2, 1, "do not match its hash");
}

macro_rules! field_tamper_tests {
    ($($name:ident: $set:expr;)*) => {$(
        #[test]
        fn $name() {
            tamper_one_field($set);
        }
    )*};
}

field_tamper_tests! {
    tamper_ts_ms: "ts_ms = ts_ms - 86400000";
    tamper_run_id: "run_id = 'feedfacefeedface'";
    tamper_command: "command = 'perms grant'";
    tamper_service: "service = 'github'";
    tamper_tool: "tool = 'unread'";
    tamper_action: "action = 'api_call'";
    tamper_endpoint: "endpoint = 'GET /slack/conversations.history'";
    tamper_decision: "decision = 'granted'";
    tamper_reason: "reason = 'nothing to see'";
    tamper_http_status: "http_status = 200";
    tamper_duration_ms: "duration_ms = 12";
}

#[test]
fn tamper_id_renumbering_every_event_after_an_anchor() {
    // Every id shifted by 10 behind a forged anchor at 10: the links and the
    // id sequence agree, so only the id inside each hash can tell.
    let home = audited_home();
    let h = home.path();
    let db = audit_db(h);
    db.execute(
        "INSERT INTO chain_anchor (one, last_id, hash) VALUES (1, 10, ?1)",
        [common_genesis()],
    )
    .unwrap();
    db.execute("UPDATE events SET id = id + 10", []).unwrap();
    drop(db);
    assert_broken_at(h, 11, 0, "do not match its hash");
}

#[test]
fn tamper_prev_hash_after_a_rehashed_row() {
    // Event 2 rewritten and re-hashed, event 3 re-linked to it but not
    // re-hashed: only a hash that covers prev_hash catches event 3.
    let home = audited_home();
    let h = home.path();
    let db = audit_db(h);
    db.execute("UPDATE events SET decision = 'granted' WHERE id = 2", [])
        .unwrap();
    let new_hash = rehash(&db, 2);
    db.execute("UPDATE events SET prev_hash = ?1 WHERE id = 3", [new_hash])
        .unwrap();
    drop(db);
    assert_broken_at(h, 3, 2, "do not match its hash");
}

fn common_genesis() -> &'static str {
    "0000000000000000000000000000000000000000000000000000000000000000"
}

/// `http://` URLs whose host only looks like loopback.
const LOOK_ALIKES: &[&str] = &[
    "http://localhost.evil.example",
    "http://localhost.evil.example:8080/",
    "http://localhostx",
    "http://localhost.",
    "http://127.0.0.1.evil.com",
    "http://127.0.0.1.nip.io",
    "http://evil-localhost",
    "http://[::1].evil",
    "http://0x7f.evil.example",
];

#[test]
fn look_alike_loopback_hosts_are_refused_for_the_tenant() {
    let env = common::TestEnv::new();
    for url in LOOK_ALIKES {
        let out = env
            .dc()
            .env("DEVCONTEXT_AUTH0_DOMAIN", url)
            .args(["login"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // `[::1].evil` is not even a valid URL; the rest are http:// off loopback.
        let refused = stderr.contains("plain http://") || stderr.contains("not a valid URL");
        assert!(
            out.status.code() == Some(2) && refused && stderr.contains("hint:"),
            "{url}: exit {:?}: {stderr}",
            out.status.code()
        );
    }
    assert!(
        !env.requests().iter().any(|r| r["path"] == "/oauth/token"),
        "a refused tenant URL must not be used"
    );
}

#[test]
fn look_alike_loopback_hosts_are_refused_for_provider_apis() {
    let env = common::TestEnv::new();
    env.login();
    env.connect("github", None);
    env.clear_requests();
    for url in LOOK_ALIKES {
        env.dc()
            .env("DEVCONTEXT_GITHUB_API_URL", url)
            .args(["tool", "github", "review_requests"])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("plain http://")
                    .or(predicate::str::contains("not a valid URL")),
            );
    }
    assert_eq!(env.exchanges(), 0, "no token exchanged for a refused URL");
    // The real loopback spelling still works, so the refusals above are about the host.
    let port = env.emu.url.rsplit(':').next().unwrap().to_string();
    env.dc()
        .env(
            "DEVCONTEXT_GITHUB_API_URL",
            format!("http://localhost:{port}/github"),
        )
        .args(["tool", "github", "review_requests", "--json"])
        .assert()
        .success();
}

/// Breaks the permission store after it was created so that it still opens
/// (schema version current) but its rules cannot be queried.
fn break_rules(h: &Path, sql: &str) {
    let db = Connection::open(h.join("state/permissions.db")).unwrap();
    db.execute_batch(sql).unwrap();
}

#[test]
fn a_store_whose_rules_cannot_be_queried_denies_audits_and_explains() {
    for (what, sql) in [
        ("rules table dropped", "DROP TABLE rules;"),
        (
            "rules column renamed",
            "ALTER TABLE rules RENAME COLUMN effect TO outcome;",
        ),
    ] {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        dc(h).args(["perms", "check", "github"]).assert().success();
        break_rules(h, sql);
        for args in [
            &["perms", "check", "github"][..],
            &["perms", "check", "github.review_requests"][..],
            &["perms", "check", "slack.post_message", "--write"][..],
        ] {
            dc(h).args(args).assert().code(7).stderr(
                predicate::str::contains("permission store unreadable").and(
                    predicate::str::contains("hint: fix or remove the permission store"),
                ),
            );
        }
        let denied: Vec<Value> = serde_json::from_slice(
            &dc(h)
                .args(["audit", "--decision", "denied", "--json"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert_eq!(
            denied.len(),
            3,
            "{what}: every denial is audited: {denied:?}"
        );
        for e in &denied {
            assert_eq!(e["action"], "permission_check", "{what}: {e}");
            assert!(
                e["reason"]
                    .as_str()
                    .unwrap()
                    .contains("permission store unreadable"),
                "{what}: {e}"
            );
        }
    }
}

#[test]
fn a_tool_call_on_a_store_whose_rules_cannot_be_queried_exchanges_nothing() {
    let env = common::TestEnv::new();
    env.login();
    env.connect("github", None);
    break_rules(&env.home.path().join("dc"), "DROP TABLE rules;");
    env.clear_requests();
    env.dc()
        .args(["tool", "github", "review_requests"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("permission store unreadable"));
    assert_eq!(env.exchanges(), 0, "no token exchanged on a denial");
    let checks = env.audit("permission_check");
    assert_eq!(checks[0]["decision"], "denied", "{checks:?}");
}

/// The provider client follows a redirect only to https:// or loopback, and
/// and stops at the fifth request of a chain (src/net.rs). `0.0.0.0` is not loopback by the rules
/// but reaches this machine, so a followed redirect there shows up in the
/// emulator's request log.
#[test]
fn provider_redirects_are_followed_only_to_https_or_loopback_and_not_forever() {
    let env = common::TestEnv::new();
    env.login();
    env.connect("github", None);
    let port = env.emu.url.rsplit(':').next().unwrap().to_string();
    let redirect = |to: &str, times: u64| {
        env.control("DELETE", "/__emulator/faults", Value::Null);
        env.fault(json!({
            "path_prefix": "/github/user",
            "status": 302,
            "headers": {"location": to},
            "times": times,
        }));
        env.clear_requests();
    };
    let hits = |path: &str| env.requests().iter().filter(|r| r["path"] == path).count();

    // Plain http:// off loopback: not followed.
    redirect(&format!("http://0.0.0.0:{port}/github/user/elsewhere"), 1);
    let out = env
        .dc()
        .args(["tool", "github", "activity", "--json"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a 302 that is not followed is an error"
    );
    assert_eq!(hits("/github/user"), 1);
    assert_eq!(
        hits("/github/user/elsewhere"),
        0,
        "followed a redirect off loopback"
    );

    // A loop: the first request and four redirects, then an error (net.rs
    // stops once five URLs were visited).
    redirect(&format!("{}/github/user", env.emu.url), 0);
    let out = env
        .dc()
        .args(["tool", "github", "activity", "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(hits("/github/user"), 5, "one request and four redirects");

    // One redirect on loopback: followed, and the call succeeds.
    redirect(&format!("{}/github/user", env.emu.url), 1);
    env.json(&["tool", "github", "activity", "--json"]);
    assert_eq!(hits("/github/user"), 2, "the redirect was followed once");
}

/// A write asks only when both stdin and stderr are a terminal: the person
/// must see the preview (stderr) and answer it (stdin). With either one
/// redirected it is refused without a prompt, even if "y" is waiting on stdin.
#[test]
fn a_write_is_refused_without_a_prompt_unless_stdin_and_stderr_are_both_terminals() {
    let env = common::TestEnv::new();
    env.login();
    env.connect("slack", Some(common::SLACK_SCOPES_WITH_WRITE));
    let bin = common::devcontext_bin().display();
    let post = format!("{bin} tool slack post_message --channel general --text 'standup in 5'");
    for (what, redirect) in [
        ("stdin not a terminal", "</dev/null"),
        ("stderr not a terminal", "2>/dev/null"),
    ] {
        let mut child = common::captured("script")
            .args(["-qec", &format!("{post} {redirect}"), "/dev/null"])
            .envs(
                env.std_dc()
                    .get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A "y" typed on the terminal must not approve a preview nobody saw.
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"y\n").unwrap();
        let out = child.wait_with_output().unwrap();
        let screen = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(7), "{what}: {screen}");
        assert!(!screen.contains("Allow this once?"), "{what}: {screen}");
        let approvals = env.audit("approval");
        assert_eq!(approvals[0]["decision"], "denied", "{what}: {approvals:?}");
        assert!(
            approvals[0]["reason"]
                .as_str()
                .unwrap()
                .contains("no terminal"),
            "{what}: {approvals:?}"
        );
    }
    assert_eq!(
        env.get("/__emulator/writes").as_array().map(Vec::len),
        Some(0),
        "nothing was posted"
    );
}

/// Token Vault answers are retried only for a 429 whose Retry-After is
/// short, and at most twice (src/vault.rs); anything else fails at once.
#[test]
fn token_vault_retries_only_a_short_429_and_at_most_twice() {
    let env = common::TestEnv::new();
    env.login();
    env.connect("github", None);
    let answer = |status: u16, error: &str, retry_after: &str| {
        env.control("DELETE", "/__emulator/faults", Value::Null);
        env.fault(json!({
            "path_prefix": "/oauth/token",
            "status": status,
            "body": json!({"error": error, "error_description": "test"}).to_string(),
            "content_type": "application/json",
            "headers": {"Retry-After": retry_after},
            "times": 0,
        }));
        env.clear_requests();
        let started = std::time::Instant::now();
        let out = env
            .dc()
            .args(["tool", "github", "notifications"])
            .output()
            .unwrap();
        (out.status.code(), env.exchanges(), started.elapsed())
    };
    let (code, tries, _) = answer(429, "too_many_requests", "0");
    assert_eq!((code, tries), (Some(5), 3), "one try and two retries");
    let (code, tries, took) = answer(429, "too_many_requests", "3600");
    assert_eq!((code, tries), (Some(5), 1), "an hour's wait is not waited");
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    let (code, tries, _) = answer(403, "access_denied", "0");
    assert_eq!((code, tries), (Some(5), 1), "a refusal is not retried");
    let (code, tries, _) = answer(401, "federated_connection_refresh_token_not_found", "0");
    assert_eq!((code, tries), (Some(4), 1), "not connected: not retried");
    // Each run's exchange is audited once, with the endpoint it went to: a
    // service that is not connected is a denial, the other failures errors.
    let exchanges = env.audit("token_exchange");
    let decisions: Vec<&str> = exchanges
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        ["denied", "error", "error", "error"],
        "newest first"
    );
    for e in &exchanges {
        assert_eq!(e["endpoint"], "POST /oauth/token", "{e}");
    }
}

/// A "browser" (python3) that walks the sign-in redirects itself up to
/// devcontext's `/callback` and then delivers a changed answer there:
/// `change` is Python that edits `params` (the callback's query as a dict).
/// The HTTP status of that answer goes to `forged-status` next to it; when
/// it is refused (400: not this flow's state), the real answer follows, as
/// the user's own browser would deliver it.
fn forging_browser(dir: &Path, change: &str) -> std::path::PathBuf {
    let path = dir.join("forging-browser.py");
    std::fs::write(
        &path,
        format!(
            r#"#!/usr/bin/env python3
import sys, os, urllib.parse as up, urllib.request as ur, http.client
if os.fork():
    sys.exit(0)
url = sys.argv[1]
for _ in range(10):
    if up.urlparse(url).path == "/callback":
        break
    u = up.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", u.path + ("?" + u.query if u.query else ""))
    r = c.getresponse()
    url = up.urljoin(url, r.getheader("location") or "")
params = dict(up.parse_qsl(up.urlparse(url).query))
real = dict(params)
{change}
callback = url.split("?")[0]
try:
    ur.urlopen(callback + "?" + up.urlencode(params), timeout=10).read()
    status = 200
except ur.HTTPError as e:
    status = e.code
open({status_file:?}, "w").write(str(status))
if status == 400:
    ur.urlopen(callback + "?" + up.urlencode(real), timeout=10).read()
"#,
            status_file = dir.join("forged-status").display().to_string()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The browser's answer must carry this login's `state` (issue 14): an
/// answer without it, or with another one, gets a plain 400 and is ignored,
/// so it can neither end the login nor spend a code; the login then finishes
/// with the real answer. An answer with the right state that names another
/// issuer is refused before its code is spent, and no credential is stored.
#[test]
fn a_sign_in_answer_with_another_state_is_ignored_and_another_issuer_refused() {
    for change in [
        "params['state'] = 'forged-state'",
        "params.pop('state', None)",
    ] {
        let mut env = common::TestEnv::new();
        let browser = forging_browser(env.home.path(), change);
        env.set("BROWSER", browser.to_str().unwrap());
        env.clear_requests();
        env.dc().args(["login"]).assert().success();
        let status = std::fs::read_to_string(env.home.path().join("forged-status")).unwrap();
        assert_eq!(status, "400", "{change}");
        let spent = env
            .requests()
            .iter()
            .filter(|r| r["path"] == "/oauth/token")
            .count();
        assert_eq!(spent, 1, "{change}: only the real answer's code is spent");
    }
    let mut env = common::TestEnv::new();
    let browser = forging_browser(env.home.path(), "params['iss'] = 'https://evil.example/'");
    env.set("BROWSER", browser.to_str().unwrap());
    env.clear_requests();
    env.dc()
        .args(["login"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("another issuer").and(predicate::str::contains("hint:")));
    let code_spent = env.requests().iter().any(|r| r["path"] == "/oauth/token");
    assert!(!code_spent, "the code went to the token endpoint");
    assert!(
        !env.home
            .path()
            .join("dc/credentials/credentials.json")
            .exists(),
        "credentials were stored"
    );
}

#[test]
fn a_connect_answer_with_another_state_is_ignored() {
    let mut env = common::TestEnv::new();
    env.login();
    let browser = forging_browser(env.home.path(), "params['state'] = 'forged-state'");
    env.set("BROWSER", browser.to_str().unwrap());
    env.clear_requests();
    env.dc().args(["connect", "github"]).assert().success();
    let status = std::fs::read_to_string(env.home.path().join("forged-status")).unwrap();
    assert_eq!(status, "400");
    let completions = env
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().unwrap_or("").ends_with("/complete"))
        .count();
    assert_eq!(
        completions, 1,
        "only the real answer completes the connection"
    );
    let list = env.json(&["perms", "list", "--json"]);
    let github = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "github")
        .unwrap();
    assert_eq!(github["state"], "connected", "{github}");
}
