//! Human output as people see it: every table and message rendered on a
//! real pseudo-terminal (portable-pty) at 80 and 120 columns, read back as a
//! screen (vt100), and piped; each compared with a reviewed `insta` snapshot
//! in tests/snapshots/. A layout change is then a diff to review
//! (`cargo insta review`, or INSTA_UPDATE=always and read the git diff).
//!
//! The emulator's clock and devcontext's (`DEVCONTEXT_NOW`) are pinned to one
//! moment and the local zone to UTC+1 (`TZ=XST-1`), so times are stable;
//! what still varies (account ids, durations, paths) is masked.

mod common;

use std::io::Read;
use std::process::Command as StdCommand;

use common::TestEnv;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::json;

/// The moment every screen is taken at (30 s past the minute, so the few
/// seconds a run takes never move a minute shown). It lies in the future: a
/// grant starts at the real time (issue 14), so the grant the screens show,
/// ending two hours after this moment, can only be given while this moment is
/// still ahead (a grant lasts at most ten years). A Tuesday, like the first one.
const NOW: &str = "2035-11-27T09:00:30Z";

/// Logged in and connected, with both clocks at [`NOW`].
fn pinned_env() -> TestEnv {
    let mut env = TestEnv::new();
    let emu_now: chrono::DateTime<chrono::Utc> = env.get("/__emulator/clock")["now"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let target: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    let shift = (target - emu_now).num_milliseconds() as f64 / 1000.0;
    env.control(
        "POST",
        "/__emulator/clock/advance",
        json!({"seconds": shift}),
    );
    env.set("DEVCONTEXT_NOW", NOW);
    env.set("TZ", "XST-1");
    env.login();
    env.connect("github", None);
    env.connect("google", None);
    env.connect("slack", Some(common::SLACK_SCOPES_WITH_WRITE));
    env
}

/// Runs `devcontext ARGS` on a pseudo-terminal `cols` wide (stdout and
/// stderr both on it) and returns the screen it leaves, with the exit code.
fn screen(env: &TestEnv, args: &[&str], cols: u16) -> String {
    screen_answering(env, args, cols, None)
}

/// [`screen`], typing `answer.1` once `answer.0` is on the screen.
fn screen_answering(
    env: &TestEnv,
    args: &[&str],
    cols: u16,
    answer: Option<(&str, &str)>,
) -> String {
    let rows = 80;
    let pty = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut std: StdCommand = env.std_dc();
    std.args(args);
    let mut cmd = CommandBuilder::new(std.get_program());
    cmd.args(std.get_args());
    cmd.env_clear();
    for (k, v) in std.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    // What a terminal emulator sets (spinners stay off without it).
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).expect("spawn on the pty");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let answer = answer.map(|(p, a)| (p.to_string(), a.to_string()));
    let mut bytes = Vec::new();
    let reading = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut answer = answer;
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break, // EIO once the child has gone
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
            if let Some((prompt, text)) = &answer
                && String::from_utf8_lossy(&bytes).contains(prompt.as_str())
            {
                use std::io::Write;
                writer.write_all(text.as_bytes()).unwrap();
                writer.flush().unwrap();
                answer = None;
            }
        }
        bytes
    });
    let status = child.wait().unwrap();
    drop(pty.master);
    let bytes = reading.join().unwrap();
    let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(nz(rows), nz(cols), 0);
    parser.process(&bytes);
    // Row by row, as the eye sees them (`contents()` would join soft-wrapped rows).
    let text = parser
        .screen()
        .rows(0, cols)
        .map(|r| r.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    format!("{}\n[exit {}]", text.trim_end(), status.exit_code())
}

/// The same command piped: stdout, then stderr, then the exit code.
fn piped(env: &TestEnv, args: &[&str]) -> String {
    let out = env.dc().args(args).output().unwrap();
    format!(
        "--- stdout\n{}--- stderr\n{}[exit {}]",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap_or(-1)
    )
}

/// Masks what changes from run to run.
fn masked(env: &TestEnv, text: &str) -> String {
    let home = env.home.path().display().to_string();
    let url = env.emu.url.clone();
    let mut text = text.replace(&home, "[HOME]").replace(&url, "[EMU]");
    for (pattern, with) in [
        // Account ids the emulator mints (same length kept: widths depend on it).
        (r"cac_[A-Za-z0-9]{22}", "cac_XXXXXXXXXXXXXXXXXXXXXX"),
        (r"\b\d+ ms\b", "N ms"),
        (r"(T\d\d:\d\d):\d\d\.\d{3}Z", "$1:SS.mmmZ"),
        (r"\(\d+\.\d+ s\)", "(N s)"),
        (r"run [0-9a-f-]{8,}", "run RUN"),
        // Records carry the real time, whatever DEVCONTEXT_NOW says (issue 14):
        // audit times (table and piped) and the login time.
        (r"(?m)^(\d+ +)\d\d:\d\d\b", "${1}HH:MM"),
        (
            r"(?m)^(\d+\t)\d{4}-\d\d-\d\dT\d\d:\d\d",
            "${1}YYYY-MM-DDTHH:MM",
        ),
        (r"(?m) since [^\n]+$", " since [LOGIN TIME]"),
    ] {
        text = regex_replace(&text, pattern, with);
    }
    text
}

fn regex_replace(text: &str, pattern: &str, with: &str) -> String {
    // insta's filters use the same engine; this keeps widths for same-length masks.
    let re = insta_regex(pattern);
    re.replace_all(text, with).into_owned()
}

fn insta_regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap()
}

/// Snapshots `args` at 80 and 120 columns on a terminal, and piped.
fn shots(env: &TestEnv, name: &str, args: &[&str]) {
    for cols in [80u16, 120] {
        let text = masked(env, &screen(env, args, cols));
        let snap = format!("{name}@{cols}");
        insta::assert_snapshot!(snap, text, &format!("devcontext {}", args.join(" ")));
    }
    let text = masked(env, &piped(env, args));
    let snap = format!("{name}@piped");
    insta::assert_snapshot!(snap, text, &format!("devcontext {} | cat", args.join(" ")));
}

/// [`shots`] with `before` run before each of the three runs.
fn shots_each(env: &TestEnv, name: &str, args: &[&str], before: impl Fn()) {
    for cols in [80u16, 120] {
        before();
        let text = masked(env, &screen(env, args, cols));
        let snap = format!("{name}@{cols}");
        insta::assert_snapshot!(snap, text, &format!("devcontext {}", args.join(" ")));
    }
    before();
    let text = masked(env, &piped(env, args));
    let snap = format!("{name}@piped");
    insta::assert_snapshot!(snap, text, &format!("devcontext {} | cat", args.join(" ")));
}

#[test]
fn every_human_output_as_a_screen() {
    let env = pinned_env();
    let target = NOW.parse::<chrono::DateTime<chrono::Utc>>().unwrap() + chrono::Duration::hours(2);
    let until_two_hours_after_now = format!("{}s", (target - chrono::Utc::now()).num_seconds());
    // Some history for the audit and the tool rules.
    for args in [
        // A grant starts at the real time (issue 14): this one ends two
        // hours after the pinned NOW, as the snapshots show.
        &[
            "perms",
            "grant",
            "slack",
            "--write",
            "--for",
            &until_two_hours_after_now,
        ][..],
        &["perms", "revoke", "github.comment"],
        &["tool", "github", "review_requests"],
    ] {
        let out = env.dc().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
    }

    // Events in a stable order (parallel calls would not be): the changes.
    shots(
        &env,
        "audit",
        &["audit", "--action", "permission_change", "--limit", "1"],
    );
    shots(&env, "perms_list", &["perms", "list"]);
    shots(&env, "tools", &["tools"]);
    shots(&env, "status", &["status"]);
    shots(&env, "connections", &["connections"]);
    shots(
        &env,
        "tool_review_requests",
        &["tool", "github", "review_requests"],
    );
    shots(
        &env,
        "tool_calendar_upcoming",
        &["tool", "calendar", "upcoming", "--days", "3"],
    );
    shots(&env, "tool_calendar_today", &["tool", "calendar", "today"]);
    shots(
        &env,
        "tool_github_notifications",
        &["tool", "github", "notifications"],
    );
    shots(
        &env,
        "tool_slack_channel_history",
        &[
            "tool",
            "slack",
            "channel_history",
            "--channel",
            "general",
            "--limit",
            "4",
        ],
    );
    shots(
        &env,
        "tool_slack_unread",
        &["tool", "slack", "unread", "--limit", "2"],
    );
    shots(
        &env,
        "error_blocked",
        &[
            "tool", "github", "comment", "--repo", "acme/web", "--number", "1", "--body", "hi",
        ],
    );
    shots(
        &env,
        "error_usage",
        &["perms", "grant", "slack", "--for", "0s"],
    );
    // The approval prompt for a write, refused (the default), at both widths.
    let post = [
        "tool",
        "github",
        "comment",
        "--repo",
        "acme/web",
        "--number",
        "1290",
        "--body",
        "Looks good to me",
    ];
    env.dc()
        .args(["perms", "reset", "github.comment"])
        .assert()
        .success();
    for cols in [80u16, 120] {
        let text = masked(
            &env,
            &screen_answering(&env, &post, cols, Some(("Allow this once?", "n\r"))),
        );
        let snap = format!("approval_prompt@{cols}");
        insta::assert_snapshot!(snap, text, "devcontext tool github comment … (answered n)");
    }
    // One tool call, then the answer: progress in a stable order.
    shots_each(&env, "ask", &["ask", "What waits for my review?"], || {
        env.control(
            "POST",
            "/__emulator/model/script",
            json!([
                {"tool_calls": [{"name": "github_review_requests", "arguments": "{\"limit\": 2}"}]},
                {"content": "Two pull requests wait for your review: acme/payments#482 and acme/web#1290."}
            ]),
        );
    });
}

#[test]
fn a_terminal_without_a_size_counts_as_80_columns() {
    let env = pinned_env();
    // `script` gives a 0x0 pty when its own stdin is not a terminal.
    let out = common::captured("script")
        .args(["-qec"])
        .arg(format!(
            "stty cols 0 rows 0; {} audit --limit 5",
            common::devcontext_bin().display()
        ))
        .arg("/dev/null")
        .envs(env.std_dc().get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "{text}");
    assert!(lines[0].starts_with("ID"), "{text}");
    for l in &lines {
        assert!(
            unicode_width::UnicodeWidthStr::width(l.trim_end_matches('\r')) <= 80,
            "{l:?}"
        );
    }
}

#[test]
fn truncation_is_said_in_every_format() {
    let env = pinned_env();
    for _ in 0..3 {
        env.dc()
            .args(["perms", "check", "slack"])
            .assert()
            .success();
    }
    let total = common::all_events(&env).len();
    assert!(total > 5, "{total}");
    let note = format!("showing 5 of {total} events (--limit 0 for all)");
    for format in [&[][..], &["--json"], &["--ndjson"]] {
        let out = env
            .dc()
            .args(["audit", "--limit", "5"])
            .args(format)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            note,
            "{format:?}"
        );
    }
    // --limit 0 is everything, and nothing is said.
    let out = env
        .dc()
        .args(["audit", "--json", "--limit", "0"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), total);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // The default limit of 50, with JSON (which used to be silent).
    for _ in total..52 {
        env.dc()
            .args(["perms", "check", "github"])
            .assert()
            .success();
    }
    let out = env.dc().args(["audit", "--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("showing 50 of "), "{err}");

    // A tool result cut by its limit.
    let out = env
        .dc()
        .args(["tool", "github", "review_requests", "--limit", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("showing 1 of ") && err.contains("(raise --limit, up to 50)"),
        "{err}{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn bare_devcontext_prints_help_on_stdout_and_exits_0() {
    let out = common::devcontext().output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: devcontext"), "{help}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // A group without its subcommand is still a usage error.
    let out = common::devcontext().arg("perms").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `doctor` (healthy, and with one misconfiguration) and `setup` (plan on a
/// blank tenant, then nothing to change). Client ids and the callback port
/// are masked at their own width. `setup`'s long lines carry ids and URLs
/// that a terminal may wrap anywhere, so its terminal screens are checked to
/// be the piped text wrapped (nothing else), and only the piped text is a
/// snapshot.
#[test]
fn doctor_and_setup_as_screens() {
    let env = pinned_env();
    let mask = |text: String| {
        let text = regex_replace(
            &text,
            r"emu(Web|Dev|Api|M2m)[A-Za-z0-9]{26}",
            "emu${1}XXXXXXXXXXXXXXXXXXXXXXXXXX",
        );
        let text = regex_replace(
            &text,
            r"127\.0\.0\.1:\d{5}/callback is free",
            "127.0.0.1:PPPPP/callback is free",
        );
        regex_replace(&text, r"con_[A-Za-z0-9]{16}|\b[0-9a-f]{24}\b", "ID")
    };
    for cols in [80u16, 120] {
        let text = mask(masked(&env, &screen(&env, &["doctor"], cols)));
        insta::assert_snapshot!(format!("doctor@{cols}"), text, "devcontext doctor");
    }
    let text = mask(masked(&env, &piped(&env, &["doctor"])));
    insta::assert_snapshot!("doctor@piped", text, "devcontext doctor | cat");
    env.control(
        "POST",
        "/__emulator/tenant/misconfigure",
        json!({"what": "mfa_always"}),
    );
    for cols in [80u16, 120] {
        let text = mask(masked(&env, &screen(&env, &["doctor"], cols)));
        insta::assert_snapshot!(
            format!("doctor_mfa_always@{cols}"),
            text,
            "devcontext doctor"
        );
    }
    env.control("POST", "/__emulator/tenant/blank", json!({}));
    let squeeze = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for args in [&["setup", "--dry-run"][..], &["setup"], &["setup"]] {
        let out = env.dc().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let name = match (args.len(), stdout.starts_with("Nothing")) {
            (2, _) => "setup_dry_run",
            (_, true) => "setup_again",
            _ => "setup_first",
        };
        if name != "setup_first" {
            insta::assert_snapshot!(
                format!("{name}@piped"),
                mask(masked(&env, &stdout)),
                "devcontext setup | cat"
            );
            for cols in [80u16, 120] {
                let shown = screen(&env, args, cols);
                let shown = shown
                    .rsplit_once("\n[exit")
                    .map(|(s, _)| s)
                    .unwrap_or(&shown);
                assert_eq!(
                    squeeze(shown),
                    squeeze(&stdout),
                    "{args:?} at {cols} columns"
                );
                assert!(!shown.contains('\u{1b}'), "raw escape on the screen");
            }
        }
    }
}
