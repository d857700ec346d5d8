//! Every hint that names a command is followed: the command it suggests is
//! run as printed, and then the command that failed succeeds. Hints that
//! only point at help or documentation are not fixes and are not listed.
//!
//! Hints covered (grep `with_hint` for the sources):
//! - perms check on a write without a grant (service and tool): least-privilege grant
//! - a revoked tool / a revoked service: `perms reset`
//! - a lapsed grant (read and write): a time-boxed grant, or `perms reset`
//! - an unknown stored permission state: `perms reset`
//! - a refused approval: `perms grant TOOL --for 1h`
//! - not logged in: `login`; then not connected: `connect SERVICE`
//! - a damaged credential file: `logout` then `login`
//! - a connection revoked at the provider, or without a refresh token: `connect SERVICE`

mod common;

use std::process::Output;

use common::TestEnv;

/// The `devcontext …` commands in the hint of a failed command's stderr.
fn hinted_commands(stderr: &str) -> Vec<Vec<String>> {
    let Some((_, hint)) = stderr.split_once("(hint: ") else {
        return Vec::new();
    };
    hint.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|cmd| cmd.strip_prefix("devcontext "))
        .map(|cmd| cmd.split_whitespace().map(str::to_string).collect())
        .collect()
}

fn run(env: &TestEnv, args: &[&str]) -> Output {
    env.dc().args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `args`, expects exit `code` and a hint naming `expected` (the first
/// `devcontext` command in it), runs that command, then `args` again, which
/// must now succeed. Returns the original failure's stderr.
fn follow(env: &TestEnv, args: &[&str], code: i32, expected: &str) -> String {
    let out = run(env, args);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let commands = hinted_commands(&stderr);
    let first = commands
        .first()
        .unwrap_or_else(|| panic!("{args:?}: no command in the hint: {stderr}"));
    assert_eq!(first.join(" "), expected, "{args:?}: {stderr}");
    let fix: Vec<&str> = first.iter().map(String::as_str).collect();
    let fixed = run(env, &fix);
    assert!(fixed.status.success(), "{fix:?}: {}", text(&fixed));
    let again = run(env, args);
    assert!(
        again.status.success(),
        "{args:?} after {fix:?}: {}",
        text(&again)
    );
    stderr
}

const POST: &[&str] = &[
    "tool",
    "slack",
    "post_message",
    "--channel",
    "general",
    "--text",
    "deployed",
];

#[test]
fn permission_hints_fix_what_they_were_given_for() {
    let env = TestEnv::connected();

    // A refused approval (no terminal): a time-boxed grant of that tool only.
    follow(&env, POST, 7, "perms grant slack.post_message --for 1h");

    // A revoked tool: back to the default ("ask"), not a permanent allow.
    run(&env, &["perms", "revoke", "slack.post_message"]);
    let mut post_yes = POST.to_vec();
    post_yes.push("--yes");
    follow(&env, &post_yes, 7, "perms reset slack.post_message");
    let reset = env.audit("permission_change");
    assert_eq!(reset[0]["tool"], "slack.post_message", "{reset:?}");
    assert!(
        reset[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("reset: slack.post_message: back to the defaults"),
        "{reset:?}"
    );
    let list = env.json(&["perms", "list", "--json"]);
    let slack = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "slack")
        .unwrap();
    assert!(
        !slack["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["subject"] == "slack.post_message"),
        "{slack}"
    );
    let check = run(&env, &["perms", "check", "slack.post_message"]);
    assert_eq!(
        check.status.code(),
        Some(7),
        "back to ask: {}",
        text(&check)
    );
    assert!(
        String::from_utf8_lossy(&check.stderr).contains("needs approval"),
        "{}",
        text(&check)
    );

    // A write without a grant: the least-privilege grant is time-boxed and
    // covers writes (a plain `perms grant slack` would grant reads only).
    follow(
        &env,
        &["perms", "check", "slack", "--write"],
        7,
        "perms grant slack --write --for 1h",
    );
    follow(
        &env,
        &["perms", "check", "github.comment"],
        7,
        "perms grant github.comment --for 1h",
    );

    // A revoked service.
    run(&env, &["perms", "revoke", "calendar"]);
    follow(
        &env,
        &["tool", "calendar", "upcoming", "--days", "1"],
        7,
        "perms reset calendar",
    );

    // An unknown stored state (the file was edited by hand).
    let db = env.home.path().join("dc/state/permissions.db");
    let status = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("INSERT INTO rules VALUES ('github', 'read', 'maybe', NULL, 0)")
        .status()
        .unwrap();
    assert!(status.success());
    follow(
        &env,
        &["tool", "github", "review_requests"],
        7,
        "perms reset github",
    );
}

#[test]
fn lapsed_grants_suggest_a_time_boxed_grant_or_the_defaults() {
    let mut env = TestEnv::connected();
    // Writes granted for two seconds, which pass. (A grant starts at the
    // real time, so the hint is followed in real time: DEVCONTEXT_NOW only
    // asks what would be allowed then.)
    let grant = run(&env, &["perms", "grant", "slack", "--write", "--for", "2s"]);
    assert!(grant.status.success(), "{}", text(&grant));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let stderr = follow(
        &env,
        &["perms", "check", "slack", "--write"],
        7,
        "perms grant slack --write --for 1h",
    );
    let commands = hinted_commands(&stderr);
    assert_eq!(commands[1].join(" "), "perms reset slack", "{stderr}");

    // A service's time-boxed read grant (after a revoke) lapses too: the
    // second command in the hint, the reset, also fixes it.
    run(&env, &["perms", "revoke", "github"]);
    run(&env, &["perms", "grant", "github", "--for", "30m"]);
    let much_later = (chrono::Utc::now() + chrono::Duration::hours(4))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    env.set("DEVCONTEXT_NOW", &much_later);
    let out = run(&env, &["perms", "check", "github"]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    let commands = hinted_commands(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(commands[0].join(" "), "perms grant github --for 1h");
    assert_eq!(commands[1].join(" "), "perms reset github");
    let reset = run(&env, &["perms", "reset", "github"]);
    assert!(reset.status.success(), "{}", text(&reset));
    let out = run(&env, &["perms", "check", "github"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn session_hints_lead_from_nothing_to_a_working_call() {
    let env = TestEnv::new();
    let args = ["tool", "github", "review_requests"];
    // Not logged in: `login`; then the call fails on the next missing step.
    let out = run(&env, &args);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let commands = hinted_commands(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(commands[0], ["login"]);
    env.login();
    // Logged in but GitHub not connected: `connect github`, then it works.
    follow(&env, &args, 4, "connect github");

    // A damaged credential file: `logout`, then `login`.
    let creds = env.home.path().join("dc").join("credentials");
    let file = creds.join("credentials.json");
    assert!(file.is_file(), "{}", file.display());
    std::fs::write(&file, "{damaged").unwrap();
    let out = run(&env, &["status"]);
    let out = if out.status.success() {
        run(&env, &args)
    } else {
        out
    };
    assert!(!out.status.success(), "{}", text(&out));
    let commands = hinted_commands(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(commands, [vec!["logout"], vec!["login"]], "{}", text(&out));
    let logout = run(&env, &["logout"]);
    assert!(logout.status.success(), "{}", text(&logout));
    env.login();
    // The service connections live at Auth0, so the call works again at once.
    let again = run(&env, &args);
    assert!(again.status.success(), "{}", text(&again));
}

#[test]
fn reconnect_hints_repair_a_broken_connection() {
    let env = TestEnv::connected();
    let args = ["tool", "github", "review_requests"];
    // Revoked at GitHub itself: Token Vault cannot refresh (flow_failed).
    env.control(
        "POST",
        "/__emulator/accounts/revoke-provider",
        serde_json::json!({"connection": "github"}),
    );
    follow(&env, &args, 4, "connect github");
    // Token Vault holds no refresh token for it (refresh_token_not_found).
    env.control(
        "POST",
        "/__emulator/accounts/no-refresh-token",
        serde_json::json!({"connection": "github"}),
    );
    follow(&env, &args, 4, "connect github");
}
