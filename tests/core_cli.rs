//! End-to-end tests of the core commands through the real binary on a
//! temporary DEVCONTEXT_HOME: permissions, fail-closed checks, the audit store
//! and its chain, concurrency, completions.

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use predicates::prelude::*;
use serde_json::Value;

mod common;

use common::dc_at as dc;

fn json(home: &Path, args: &[&str]) -> Value {
    let out = dc(home).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn service<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == name)
        .unwrap()
}

#[test]
fn revoke_and_grant_round_trip_are_idempotent_and_audited() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let list = json(h, &["perms", "list", "--json"]);
    assert_eq!(service(&list, "slack")["state"], "not_connected");

    dc(h)
        .args(["perms", "revoke", "slack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("slack: revoked"));
    dc(h)
        .args(["perms", "revoke", "slack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already revoked"));
    let list = json(h, &["perms", "list", "--json"]);
    assert_eq!(service(&list, "slack")["state"], "revoked");
    assert_eq!(service(&list, "github")["state"], "not_connected");
    dc(h)
        .args(["perms", "check", "slack"])
        .assert()
        .code(7)
        .stderr(
            predicate::str::contains("slack is revoked")
                .and(predicate::str::contains("perms reset slack")),
        );

    dc(h).args(["perms", "grant", "slack"]).assert().success();
    dc(h)
        .args(["perms", "grant", "slack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already allowed"));
    dc(h).args(["perms", "check", "slack"]).assert().success();
    // writes still ask after the service is granted back
    dc(h)
        .args(["perms", "check", "slack.post_message"])
        .assert()
        .code(7);

    let events = json(h, &["audit", "--action", "permission_change", "--json"]);
    assert_eq!(events.as_array().unwrap().len(), 4);
    let checks = json(
        h,
        &[
            "audit",
            "--service",
            "slack",
            "--action",
            "permission_check",
            "--json",
        ],
    );
    let decisions: Vec<_> = checks
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["denied", "granted", "denied"]);
}

/// RFC 3339 for the real clock moved by `minutes`.
fn real_plus(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn time_boxed_grant_lapses_by_itself() {
    // A grant starts at the real time, whatever DEVCONTEXT_NOW says;
    // DEVCONTEXT_NOW then asks what would be allowed at another time.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let at = |t: &str, args: &[&str]| {
        let mut c = dc(h);
        c.env("DEVCONTEXT_NOW", t).args(args);
        c
    };
    let grant = json(
        h,
        &[
            "perms",
            "grant",
            "slack.post_message",
            "--for",
            "2h",
            "--json",
        ],
    );
    let until = chrono::DateTime::parse_from_rfc3339(grant["expires_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let expected = chrono::Utc::now() + chrono::Duration::hours(2);
    assert!((until - expected).num_seconds().abs() < 30, "{grant}");
    at(&real_plus(119), &["perms", "check", "slack.post_message"])
        .assert()
        .success();
    at(&real_plus(121), &["perms", "check", "slack.post_message"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("lapsed at"));

    // a service revoked, then granted for 30 minutes, is blocked again afterwards
    dc(h).args(["perms", "revoke", "github"]).assert().success();
    // Granting "at" a pinned time long ago still starts the grant now.
    at(
        "2020-01-01T00:00:00Z",
        &["perms", "grant", "github", "--for", "30m"],
    )
    .assert()
    .success();
    at(&real_plus(29), &["perms", "check", "github"])
        .assert()
        .success();
    at(&real_plus(31), &["perms", "check", "github"])
        .assert()
        .code(7);
    let list: Value = serde_json::from_slice(
        &at(&real_plus(31), &["perms", "list", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(service(&list, "github")["state"], "revoked");
    assert!(
        service(&list, "github")["read"]
            .as_str()
            .unwrap()
            .starts_with("lapsed")
    );
}

#[test]
fn devcontext_now_never_changes_what_the_records_say() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let before = chrono::Utc::now();
    let pinned = |args: &[&str]| {
        let mut c = dc(h);
        c.env("DEVCONTEXT_NOW", "2020-01-01T00:00:00Z").args(args);
        c
    };
    pinned(&["perms", "revoke", "slack"]).assert().success();
    pinned(&["perms", "check", "github"]).assert().success();
    let events = json(h, &["audit", "--json"]);
    for e in events.as_array().unwrap() {
        let t = chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).unwrap();
        assert!(t >= before - chrono::Duration::seconds(5), "{e}");
    }
    // The rule's change time is the real one too.
    let list = json(h, &["perms", "list", "--json"]);
    let rule = &service(&list, "slack")["rules"][0];
    let changed =
        chrono::DateTime::parse_from_rfc3339(rule["changed_at"].as_str().unwrap()).unwrap();
    assert!(changed >= before - chrono::Duration::seconds(5), "{rule}");
    // A prune "at" a time years ahead removes nothing recorded a moment ago:
    // its cut-off counts from the real clock.
    pinned(&["audit", "prune", "--before", "1d"])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed 0 events"));
    // --since counts back from the real clock as well.
    let recent = json(h, &["audit", "--since", "1h", "--json"]);
    assert_eq!(recent.as_array().unwrap().len(), 3);
    let pinned_since = pinned(&["audit", "--since", "1h", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&pinned_since.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
}

#[test]
fn check_fails_closed_on_a_corrupted_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    dc(h).args(["perms", "list"]).assert().success();
    std::fs::write(h.join("state/permissions.db"), b"this is not a database, it is garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage").unwrap();
    for f in ["permissions.db-wal", "permissions.db-shm"] {
        let _ = std::fs::remove_file(h.join("state").join(f));
    }
    dc(h)
        .args(["perms", "check", "github"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("permission store unreadable"));
    let denied = json(h, &["audit", "--decision", "denied", "--json"]);
    assert_eq!(denied.as_array().unwrap().len(), 1, "the denial is audited");
}

#[test]
fn check_fails_closed_on_an_unreadable_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // A folder where the file should be cannot be opened, even by root.
    std::fs::create_dir_all(h.join("state/permissions.db")).unwrap();
    dc(h)
        .args(["perms", "check", "calendar"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains("permission store unreadable"));
}

#[test]
fn check_fails_closed_on_a_locked_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    dc(h)
        .args(["perms", "revoke", "slack.unread"])
        .assert()
        .success();
    // Another process takes an exclusive lock and keeps it.
    let db = h.join("state/permissions.db");
    let mut holder = StdCommand::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sqlite3 shell (apt-get install sqlite3)");
    {
        use std::io::{BufRead, BufReader, Write};
        let stdin = holder.stdin.as_mut().unwrap();
        writeln!(stdin, "PRAGMA journal_mode=DELETE; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO rules VALUES ('x','read','allow',NULL,0); SELECT 'locked';").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        let mut out = BufReader::new(holder.stdout.as_mut().unwrap());
        while !line.contains("locked") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "sqlite3 exited");
        }
    }
    dc(h)
        .args(["perms", "check", "github"])
        .assert()
        .code(7)
        .stderr(
            predicate::str::contains("permission store unreadable")
                .and(predicate::str::contains("locked")),
        );
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn unknown_state_in_the_store_denies() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    dc(h).args(["perms", "grant", "github"]).assert().success();
    let status = StdCommand::new("sqlite3")
        .arg(h.join("state/permissions.db"))
        .arg("UPDATE rules SET effect = 'sometimes' WHERE subject = 'github';")
        .status()
        .unwrap();
    assert!(status.success());
    dc(h)
        .args(["perms", "check", "github"])
        .assert()
        .code(7)
        .stderr(predicate::str::contains(
            "unknown permission state 'sometimes'",
        ));
}

#[test]
fn audit_verify_catches_a_changed_row_and_prune_keeps_a_valid_chain() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    dc(h).args(["perms", "revoke", "slack"]).assert().success();
    dc(h).args(["perms", "grant", "slack"]).assert().success();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let cut = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::thread::sleep(std::time::Duration::from_millis(20));
    dc(h).args(["perms", "check", "github"]).assert().success();
    dc(h).args(["perms", "check", "slack"]).assert().success();
    dc(h)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 events verified"));

    // prune everything before the cut: two events go, the chain still verifies
    dc(h)
        .args(["audit", "prune", "--before", &cut])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed 2 events"));
    dc(h)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 events verified"));

    // one changed row breaks the chain at that row
    let db = h.join("state/audit.db");
    let status = StdCommand::new("sqlite3")
        .arg(&db)
        .arg("UPDATE events SET decision = 'granted', reason = 'nothing to see' WHERE id = 4;")
        .status()
        .unwrap();
    assert!(status.success());
    dc(h)
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("broken at event 4"));
    let report = dc(h).args(["audit", "verify", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["first_bad"]["id"], 4);

    // a deleted row is caught too
    let status = StdCommand::new("sqlite3")
        .arg(&db)
        .arg("UPDATE events SET decision = 'denied', reason = NULL WHERE id = 4; DELETE FROM events WHERE id = 3;")
        .status()
        .unwrap();
    assert!(status.success());
    dc(h)
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing"));
}

#[test]
fn audit_filters_limits_and_formats() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for s in ["github", "slack", "calendar", "slack"] {
        dc(h).args(["perms", "check", s]).assert().success();
    }
    let all = json(h, &["audit", "--json"]);
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [4, 3, 2, 1], "newest first");
    let slack = json(
        h,
        &["audit", "--service", "slack", "--limit", "1", "--json"],
    );
    assert_eq!(slack.as_array().unwrap().len(), 1);
    assert_eq!(slack[0]["id"], 4);
    let run = all[0]["run_id"].as_str().unwrap().to_string();
    let by_run = json(h, &["audit", "--run", &run, "--json"]);
    assert_eq!(by_run.as_array().unwrap().len(), 1);
    assert_eq!(
        json(h, &["audit", "--since", "2030-01-01", "--json"]),
        Value::Array(vec![])
    );

    let out = dc(h).args(["audit", "--ndjson"]).output().unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for field in [
        "id",
        "time",
        "run_id",
        "command",
        "service",
        "tool",
        "action",
        "endpoint",
        "decision",
        "reason",
        "http_status",
        "duration_ms",
        "prev_hash",
        "hash",
    ] {
        assert!(
            lines[0].get(field).is_some(),
            "field {field} is documented and present"
        );
    }
    dc(h)
        .args(["audit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("permission_check"));
    dc(h)
        .args(["audit", "--since", "tomorrow"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("'tomorrow' is not a time")
                .and(predicate::str::contains("hint:")),
        );
    dc(h)
        .args(["audit", "--decision", "maybe"])
        .assert()
        .code(2);
    dc(h).args(["audit", "--service", "jira"]).assert().code(2);
    dc(h)
        .args(["perms", "grant", "slack", "--for", "2x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a duration"));
}

#[test]
fn empty_home_reads_work_without_creating_an_audit_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    dc(h)
        .args(["audit", "--json"])
        .assert()
        .success()
        .stdout("[]\n");
    dc(h).args(["audit", "verify"]).assert().success();
    assert!(!h.join("state/audit.db").exists());
}

#[test]
fn malformed_config_names_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(
        h.join("config.toml"),
        "[auth0]\ndomain = \"t.us.auth0.com\"\nclient_id = 42\n",
    )
    .unwrap();
    dc(h).args(["status"]).assert().code(2).stderr(
        predicate::str::contains("config.toml line 3").and(predicate::str::contains("hint:")),
    );
    std::fs::write(h.join("config.toml"), "[auth0]\ndomian = \"x\"\n").unwrap();
    dc(h)
        .args(["perms", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2"));
}

/// One child process of the concurrency test: appends N events through the library.
#[test]
fn concurrent_child_appender() {
    let (Ok(db), Ok(n)) = (
        std::env::var("DC_TEST_APPEND_DB"),
        std::env::var("DC_TEST_APPEND_N"),
    ) else {
        return; // only meaningful when spawned by the parent test
    };
    use devcontext::audit::{Action, AuditLog, Decision, NewEvent, RunContext};
    let log = AuditLog::open(Path::new(&db), RunContext::new("concurrency")).unwrap();
    for i in 0..n.parse::<u32>().unwrap() {
        log.append(
            NewEvent::new(Action::ApiCall, Decision::Granted)
                .service("slack")
                .reason(format!("event {i}")),
        )
        .unwrap();
    }
}

#[test]
fn eight_processes_append_concurrently_without_losing_an_event() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("state/audit.db");
    let me = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..8)
        .map(|_| {
            StdCommand::new(&me)
                .args([
                    "concurrent_child_appender",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("DC_TEST_APPEND_DB", &db)
                .env("DC_TEST_APPEND_N", "500")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed: {err}");
        assert!(!err.contains("locked"), "{err}");
    }
    let h = home.path();
    dc(h)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4000 events verified"));
    let all = dc(h).args(["audit", "--ndjson"]).output().unwrap();
    assert_eq!(String::from_utf8(all.stdout).unwrap().lines().count(), 4000);
}

#[test]
fn completions_and_man_page_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        ("bash", "completions/devcontext.bash"),
        ("zsh", "completions/_devcontext"),
        ("fish", "completions/devcontext.fish"),
        ("powershell", "completions/_devcontext.ps1"),
    ];
    let home = tempfile::tempdir().unwrap();
    for (shell, file) in files {
        let out = dc(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let committed = std::fs::read(root.join(file)).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "{file} is stale: run `cargo run -- completions {shell} > {file}` (or scripts/gen-completions.sh)"
        );
    }
    let man = dc(home.path()).arg("man").output().unwrap();
    let committed = std::fs::read(root.join("completions/devcontext.1")).unwrap_or_default();
    assert!(
        committed == man.stdout,
        "completions/devcontext.1 is stale: run scripts/gen-completions.sh"
    );
}

#[test]
fn every_command_help_shows_an_example() {
    let home = tempfile::tempdir().unwrap();
    let top = dc(home.path()).arg("--help").output().unwrap();
    let text = String::from_utf8(top.stdout).unwrap();
    let commands: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 5, "{commands:?}");
    for c in commands {
        let out = dc(home.path())
            .args([c.as_str(), "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("Example"),
            "`devcontext {c} --help` shows no example"
        );
    }
}
