//! A catalogue of bad input, run through the real binary against one
//! emulator: malformed config and flags, unknown names, bad durations and
//! dates, malformed model output, failing providers and Auth0 errors,
//! damaged, read-only, missing and full stores, a dead network and a keyring
//! that refuses.
//!
//! Every case asserts one `error:` line that says what is wrong (a `hint:`
//! line may follow; today the hint is inline), the hint, the documented exit
//! code and no panic. After every case (and its clean-up) the audit chain
//! still verifies, no event written before it is gone, and the session still
//! works: `devcontext tool github.review_requests` succeeds.
//!
//! The cases share one logged-in [`TestEnv`]; a case undoes what it did to
//! the emulator (faults, scripts, knobs, accounts) and to the files.

mod common;

use std::cell::RefCell;
use std::io::Write;
use std::net::TcpListener;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use common::TestEnv;
use serde_json::{Value, json};

/// What a case's command must do.
enum Expect {
    /// Exit `code`, one `error:` line containing `message`, a hint containing `hint`.
    Fail {
        code: i32,
        message: &'static str,
        hint: &'static str,
    },
    /// Exit 0 and no error line (a missing store is recreated).
    Succeed,
    /// `ask --json`: exit 0, the model's answer, and the first tool call
    /// failed with `error` and `hint` (the model was told and answered anyway).
    ToolError {
        error: &'static str,
        hint: &'static str,
    },
}

type Setup = Box<dyn Fn(&Lab) -> Result<(), String>>;
type Hook = Box<dyn Fn(&Lab)>;
type Check = Box<dyn Fn(&Lab, &Output)>;

/// One bad input: how to provoke it and what must come out.
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    unset: Vec<&'static str>,
    /// An `Err` skips the case with that reason (e.g. no mount permission).
    setup: Vec<Setup>,
    /// Extra assertions, run before the clean-up.
    check: Option<Check>,
    cleanup: Vec<Hook>,
    expect: Expect,
}

fn case(name: &'static str, args: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: vec![],
        unset: vec![],
        setup: vec![],
        check: None,
        cleanup: vec![],
        expect: Expect::Succeed,
    }
}

impl Case {
    fn env(mut self, key: &str, value: impl Into<String>) -> Case {
        self.env.push((key.to_string(), value.into()));
        self
    }

    fn unset(mut self, key: &'static str) -> Case {
        self.unset.push(key);
        self
    }

    fn setup(mut self, f: impl Fn(&Lab) + 'static) -> Case {
        self.setup.push(Box::new(move |lab| {
            f(lab);
            Ok(())
        }));
        self
    }

    fn setup_or_skip(mut self, f: impl Fn(&Lab) -> Result<(), String> + 'static) -> Case {
        self.setup.push(Box::new(f));
        self
    }

    fn check(mut self, f: impl Fn(&Lab, &Output) + 'static) -> Case {
        self.check = Some(Box::new(f));
        self
    }

    fn cleanup(mut self, f: impl Fn(&Lab) + 'static) -> Case {
        self.cleanup.push(Box::new(f));
        self
    }

    fn fails(mut self, code: i32, message: &'static str, hint: &'static str) -> Case {
        self.expect = Expect::Fail {
            code,
            message,
            hint,
        };
        self
    }

    fn succeeds(mut self) -> Case {
        self.expect = Expect::Succeed;
        self
    }

    fn tool_error(mut self, error: &'static str, hint: &'static str) -> Case {
        self.expect = Expect::ToolError { error, hint };
        self
    }

    // Shorthands for the usual set-ups.

    fn config(self, text: &'static [u8]) -> Case {
        self.setup(move |lab| std::fs::write(lab.home().join("config.toml"), text).unwrap())
    }

    fn fault(self, rule: Value) -> Case {
        self.setup(move |lab| lab.post("/__emulator/faults", &rule.to_string()))
    }

    fn script(self, turns: Value) -> Case {
        self.setup(move |lab| lab.script(&turns.to_string()))
    }

    /// Sets an emulator knob for the case and puts its default back after.
    fn knob(self, name: &'static str, on: Value, default: Value) -> Case {
        self.setup(move |lab| lab.post("/__emulator/knobs", &json!({ name: on }).to_string()))
            .cleanup(move |lab| {
                lab.post(
                    "/__emulator/knobs",
                    &json!({ name: default.clone() }).to_string(),
                )
            })
    }

    /// Breaks a connected account at the emulator, restored after.
    fn account(self, action: &'static str, connection: &'static str) -> Case {
        let body = json!({ "connection": connection }).to_string();
        let restore = body.clone();
        self.setup(move |lab| lab.post(&format!("/__emulator/accounts/{action}"), &body))
            .cleanup(move |lab| lab.post("/__emulator/accounts/restore", &restore))
    }

    /// Saves state files (with SQLite's -wal/-shm) before, puts them back after.
    fn keep(self, files: &'static [&'static str]) -> Case {
        self.setup(move |lab| files.iter().for_each(|f| lab.save(f)))
            .cleanup(move |lab| files.iter().for_each(|f| lab.restore(f)))
    }
}

/// The shared environment: logged in, GitHub, Google and Slack connected.
struct Lab {
    env: TestEnv,
    /// Saved copies of state files, by name.
    saved: PathBuf,
    /// Where the full-disk cases mount a small tmpfs.
    full: PathBuf,
    mounted: RefCell<bool>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Whatever a failed case left behind must not outlive the test.
        let _ = StdCommand::new("chattr")
            .args(["-R", "-i"])
            .arg(self.home().join("state"))
            .stderr(Stdio::null())
            .status();
        if *self.mounted.borrow() {
            let _ = StdCommand::new("umount").arg(&self.full).status();
        }
        // Saved copies hold a credential file: not for the leak scan's homes.
        let _ = std::fs::remove_dir_all(&self.saved);
    }
}

impl Lab {
    fn new() -> Lab {
        let env = TestEnv::connected();
        let saved = env.home.path().join("saved");
        let full = env.home.path().join("full");
        std::fs::create_dir_all(&saved).unwrap();
        Lab {
            env,
            saved,
            full,
            mounted: RefCell::new(false),
        }
    }

    /// DEVCONTEXT_HOME of every command.
    fn home(&self) -> PathBuf {
        self.env.home.path().join("dc")
    }

    fn state(&self, name: &str) -> PathBuf {
        self.home().join("state").join(name)
    }

    /// Runs devcontext with extra variables (and some of the harness's removed).
    fn run(&self, args: &[String], env: &[(String, String)], unset: &[&str]) -> Output {
        let mut cmd = self.env.dc();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        for k in unset {
            cmd.env_remove(k);
        }
        cmd.output().unwrap()
    }

    fn dc(&self, args: &[&str]) -> Output {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        self.run(&args, &[], &[])
    }

    /// POSTs to the emulator's control API, the body on stdin (1 MB bodies
    /// do not fit in an argument).
    fn post(&self, path: &str, body: &str) {
        let mut child = StdCommand::new("curl")
            .args([
                "-s",
                "-f",
                "-X",
                "POST",
                "-H",
                "content-type: application/json",
            ])
            .args(["--data-binary", "@-"])
            .arg(format!("{}{path}", self.env.emu.url))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("curl");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "POST {path} failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    fn delete(&self, path: &str) {
        self.env.control("DELETE", path, Value::Null);
    }

    fn script(&self, turns: &str) {
        self.post("/__emulator/model/script", turns);
    }

    /// Copies a state file and its SQLite companions aside.
    fn save(&self, name: &str) {
        for suffix in ["", "-wal", "-shm"] {
            let from = self.state(&format!("{name}{suffix}"));
            let to = self.saved.join(format!("{name}{suffix}"));
            let _ = std::fs::remove_file(&to);
            if from.exists() {
                std::fs::copy(&from, &to).unwrap();
            }
        }
    }

    /// Puts a saved state file back exactly (companions that did not exist are removed).
    fn restore(&self, name: &str) {
        for suffix in ["", "-wal", "-shm"] {
            let saved = self.saved.join(format!("{name}{suffix}"));
            let live = self.state(&format!("{name}{suffix}"));
            let _ = std::fs::remove_file(&live);
            if saved.exists() {
                std::fs::copy(&saved, &live).unwrap();
            }
        }
    }

    /// Replaces a state file with `bytes`, dropping its SQLite companions.
    fn clobber(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.state(name), bytes).unwrap();
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(self.state(&format!("{name}{suffix}")));
        }
    }

    /// Makes a file read-only even for root (`chattr +i`); as another user
    /// `chmod` does. An `Err` says why neither works here.
    fn freeze(&self, path: &Path) -> Result<(), String> {
        let chattr = StdCommand::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status();
        if chattr.is_ok_and(|s| s.success()) {
            return Ok(());
        }
        if is_root() {
            return Err("chattr +i is not available and root ignores file modes".into());
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))
            .map_err(|e| e.to_string())
    }

    fn thaw(&self, path: &Path) {
        let _ = StdCommand::new("chattr")
            .arg("-i")
            .arg(path)
            .stderr(Stdio::null())
            .status();
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
    }

    /// Mounts a 4 MB tmpfs, copies the home into it and fills it up.
    fn fill_disk(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.full).unwrap();
        let mount = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(&self.full)
            .output()
            .map_err(|e| format!("no mount command: {e}"))?;
        if !mount.status.success() {
            return Err(format!(
                "cannot mount a tmpfs here (needs root): {}",
                String::from_utf8_lossy(&mount.stderr).trim()
            ));
        }
        *self.mounted.borrow_mut() = true;
        let copied = StdCommand::new("cp")
            .arg("-a")
            .arg(format!("{}/.", self.home().display()))
            .arg(&self.full)
            .status()
            .unwrap();
        assert!(copied.success(), "copy the home into the tmpfs");
        // dd stops at ENOSPC: the disk is then full.
        let _ = StdCommand::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", self.full.join("filler").display()))
            .arg("bs=64k")
            .stderr(Stdio::null())
            .status();
        Ok(())
    }

    /// Frees the tmpfs again (the case's checks run on it after).
    fn free_disk(&self) {
        let _ = std::fs::remove_file(self.full.join("filler"));
    }

    fn unmount(&self) {
        if *self.mounted.borrow() {
            let status = StdCommand::new("umount").arg(&self.full).status().unwrap();
            assert!(status.success(), "umount {}", self.full.display());
            *self.mounted.borrow_mut() = false;
        }
    }

    /// Runs devcontext on the full-disk home.
    fn dc_full(&self, args: &[&str]) -> Output {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let home = vec![(
            "DEVCONTEXT_HOME".to_string(),
            self.full.display().to_string(),
        )];
        self.run(&args, &home, &[])
    }
}

fn is_root() -> bool {
    StdCommand::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&out.stdout)))
}

fn short(s: &str) -> String {
    let cut: String = s.chars().take(300).collect();
    if cut.len() < s.len() {
        format!("{cut}… ({} bytes)", s.len())
    } else {
        cut
    }
}

fn assert_no_panic(stderr: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(
            !stderr.contains(bad),
            "stderr shows a panic: {}",
            short(stderr)
        );
    }
}

/// One `error:` line with the message, a hint, the exit code, nothing else
/// but a `hint:` or `warning:` line.
fn assert_error(out: &Output, code: i32, message: &str, hint: &str) {
    let stderr = text(&out.stderr);
    assert_no_panic(&stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code; stderr: {}",
        short(&stderr)
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("error:"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "exactly one error line: {}",
        short(&stderr)
    );
    let at = errors[0];
    let line = lines[at];
    assert!(
        line.len() <= 1000,
        "the error line is too long to read: {}",
        short(line)
    );
    for (i, l) in lines.iter().enumerate() {
        assert!(
            i == at || l.starts_with("hint:") || l.starts_with("warning:"),
            "stray stderr line {l:?} besides the error: {}",
            short(&stderr)
        );
    }
    let (what, inline_hint) = match line.split_once(" (hint: ") {
        Some((what, hint)) => (what, Some(hint.trim_end_matches(')'))),
        None => (line, None),
    };
    assert!(
        what.contains(message),
        "the error should say {message:?}: {line}"
    );
    let next_hint = lines
        .get(at + 1)
        .and_then(|l| l.strip_prefix("hint:"))
        .map(str::trim);
    let Some(given) = inline_hint.or(next_hint) else {
        panic!("no hint: {line}");
    };
    assert!(given.contains(hint), "the hint should say {hint:?}: {line}");
}

fn assert_expected(expect: &Expect, out: &Output) {
    let stderr = text(&out.stderr);
    match expect {
        Expect::Fail {
            code,
            message,
            hint,
        } => assert_error(out, *code, message, hint),
        Expect::Succeed => {
            assert_no_panic(&stderr);
            assert!(
                out.status.success() && !stderr.lines().any(|l| l.starts_with("error:")),
                "should succeed, exited {:?}: {}",
                out.status.code(),
                short(&stderr)
            );
        }
        Expect::ToolError { error, hint } => {
            assert_no_panic(&stderr);
            assert_eq!(out.status.code(), Some(0), "stderr: {}", short(&stderr));
            let report = json_of(out);
            let call = &report["tool_calls"][0];
            let got = call["error"].as_str().unwrap_or_default();
            assert!(got.contains(error), "tool error {error:?}: {}", short(got));
            assert!(got.len() <= 2100, "tool error too long: {}", short(got));
            let got_hint = call["hint"].as_str().unwrap_or_default();
            assert!(got_hint.contains(hint), "tool hint {hint:?}: {got_hint}");
            assert_eq!(call["decision"], "error");
            assert!(
                !report["answer"].as_str().unwrap_or_default().is_empty(),
                "the model still answers: {report}"
            );
            assert!(report["error"].is_null(), "{}", report["error"]);
        }
    }
}

/// The audit as of a moment: how many events, and the newest one.
#[derive(Debug, Clone)]
struct Snapshot {
    count: usize,
    newest: Option<(i64, String)>,
}

/// After a case: credentials work, the chain verifies, nothing was lost.
fn assert_nothing_lost(lab: &Lab, before: &Snapshot) -> Snapshot {
    let out = lab.dc(&["tool", "github.review_requests", "--json"]);
    assert!(
        out.status.success(),
        "credentials no longer work: {}",
        short(&text(&out.stderr))
    );
    assert!(json_of(&out)["items"].is_array());
    let out = lab.dc(&["audit", "verify", "--json"]);
    assert!(
        out.status.success(),
        "audit verify failed: {}",
        short(&text(&out.stderr))
    );
    let checked = json_of(&out)["checked"].as_u64().unwrap() as usize;
    let (now, events) = audit_now(lab);
    assert_eq!(events.len(), checked);
    assert!(
        events.len() >= before.count,
        "audit events were lost: {} before, {} after",
        before.count,
        events.len()
    );
    if let Some((id, hash)) = &before.newest {
        let kept = events
            .iter()
            .find(|e| e["id"] == *id)
            .unwrap_or_else(|| panic!("event {id} is gone"));
        assert_eq!(kept["hash"], *hash, "event {id} changed");
    }
    now
}

/// The audit store as it is now, and its events.
fn audit_now(lab: &Lab) -> (Snapshot, Vec<Value>) {
    let out = lab.dc(&["audit", "--ndjson"]);
    assert!(out.status.success(), "{}", short(&text(&out.stderr)));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let newest = events.iter().max_by_key(|e| e["id"].as_i64()).map(|e| {
        (
            e["id"].as_i64().unwrap(),
            e["hash"].as_str().unwrap().to_string(),
        )
    });
    let now = Snapshot {
        count: events.len(),
        newest,
    };
    (now, events)
}

/// An OAuth error answer from the token endpoint, for every request.
fn oauth_error(status: u16, code: &str) -> Value {
    json!({
        "path_prefix": "/oauth/token", "status": status, "times": 0,
        "content_type": "application/json",
        "body": json!({"error": code, "error_description": format!("{code} (test)")}).to_string(),
    })
}

/// A GitHub API answer for every request.
fn github(status: u16, body: &str) -> Value {
    json!({"path_prefix": "/github/", "status": status, "body": body, "times": 0})
}

/// The model calls `name` with `arguments`, then answers.
fn model_calls(name: &str, arguments: &str) -> Value {
    json!([
        {"tool_calls": [{"name": name, "arguments": arguments}]},
        {"content": "Here is what I could find."},
    ])
}

const ASK: &[&str] = &["ask", "--json", "standup brief"];
const REVIEWS: &[&str] = &["tool", "github", "review_requests"];
const CALENDAR: &[&str] = &["tool", "calendar", "today"];

fn catalogue(lab: &Lab) -> Vec<Case> {
    let mut cases = vec![
        // --- malformed config.toml ---
        case("config: bad TOML", &["status"])
            .config(b"[auth0\ndomain = \"x\"\n")
            .fails(2, "config.toml line 1", "fix or remove that line"),
        case("config: unknown key", &["status"])
            .config(b"[auth0]\ndomian = \"t.us.auth0.com\"\n")
            .fails(2, "unknown field `domian`", "fix or remove that line"),
        case("config: wrong type", &["status"])
            .config(b"timeout_secs = \"soon\"\n")
            .fails(2, "invalid type: string \"soon\"", "fix or remove that line"),
        case("config: not UTF-8", &["status"])
            .config(b"[auth0]\ndomain = \"\xff\xfe\"\n")
            .fails(2, "is not UTF-8 text", "save it as UTF-8"),
        case("config: http:// Auth0 domain off loopback", &["login"])
            .config(b"[auth0]\ndomain = \"http://auth.example.com\"\n")
            .unset("DEVCONTEXT_AUTH0_DOMAIN")
            .fails(2, "plain http://", "use https://"),
        case("config: http:// provider URL off loopback", REVIEWS)
            .config(b"[providers]\ngithub_api_url = \"http://github.example.com\"\n")
            .unset("DEVCONTEXT_GITHUB_API_URL")
            .fails(2, "plain http://", "use https://"),
        case("config: unknown credential store", &["status"])
            .config(b"credential_store = \"vault\"\n")
            .unset("DEVCONTEXT_CREDENTIAL_STORE")
            .fails(2, "unknown credential store 'vault'", "auto, keyring or file"),
        case("config: zero timeout", &["status"])
            .config(b"timeout_secs = 0\n")
            .fails(2, "timeout must be from 1", "timeout_secs"),
        case("config: zero step limit", ASK)
            .config(b"[model]\nmax_steps = 0\n")
            .fails(2, "step limit must be at least 1", "--max-steps"),
        // --- environment ---
        case("env: timeout not a number", &["status"])
            .env("DEVCONTEXT_TIMEOUT_SECS", "abc")
            .fails(2, "DEVCONTEXT_TIMEOUT_SECS must be a whole number", "seconds"),
        case("env: overflowing timeout (was a panic in ask)", ASK)
            .env("DEVCONTEXT_TIMEOUT_SECS", "18446744073709551615")
            .fails(2, "timeout must be from 1 to 86400", "DEVCONTEXT_TIMEOUT_SECS"),
        case("env: DEVCONTEXT_NOW not a time", &["status"])
            .env("DEVCONTEXT_NOW", "yesterday")
            .fails(2, "DEVCONTEXT_NOW is not an RFC 3339 time", "2026-11-28T09:00:00Z"),
        case("env: callback port out of range", &["login"])
            .env("DEVCONTEXT_CALLBACK_PORT", "99999")
            .fails(2, "must be a port number", "18484-18489"),
        case("env: step limit not a number", ASK)
            .env("DEVCONTEXT_MAX_STEPS", "lots")
            .fails(2, "DEVCONTEXT_MAX_STEPS must be a whole number", "like 8"),
        // --- flags ---
        case("flag: unknown", &["status", "--bogus"]).fails(
            2,
            "unexpected argument '--bogus'",
            "devcontext status --help",
        ),
        case("flag: bad value", &["ask", "--max-steps", "abc", "hi"]).fails(
            2,
            "invalid value 'abc' for '--max-steps",
            "devcontext ask --help",
        ),
        case("flag: negative number", &["audit", "--limit", "-1"]).fails(
            2,
            "invalid value '-1' for '--limit",
            "devcontext audit --help",
        ),
        case("flag: value not in the list", &["completions", "tcsh"]).fails(
            2,
            "invalid value 'tcsh'",
            "possible values: bash, zsh, fish, powershell",
        ),
        case("flag: unknown command", &["frobnicate"]).fails(
            2,
            "unrecognized subcommand 'frobnicate'",
            "devcontext --help",
        ),
        case("flag: missing argument", &["perms", "revoke"]).fails(
            2,
            "required arguments were not provided: <SUBJECT>",
            "devcontext perms revoke --help",
        ),
        case("flag: empty question", &["ask", "   "]).fails(
            2,
            "the question is empty",
            "devcontext ask",
        ),
        case("tool flag: unknown", &["tool", "github", "review_requests", "--limt", "5"])
            .fails(2, "unknown flag --limt", "valid flags for github.review_requests"),
        case("tool flag: not a number", &["tool", "github.review_requests", "--limit", "five"])
            .fails(2, "--limit expects a whole number", "devcontext tool github review_requests --help"),
        case("tool flag: out of range", &["tool", "github", "review_requests", "--limit", "0"])
            .fails(2, "limit must be between 1 and 50", "--help"),
        case("tool flag: malformed repository", &["tool", "github", "activity", "--repo", "not a repo"])
            .fails(2, "must be a repository as owner/name", "--help"),
        // --- unknown services and tools ---
        case("unknown service: perms revoke foo", &["perms", "revoke", "foo"]).fails(
            2,
            "unknown service 'foo'",
            "github, calendar (or google), slack",
        ),
        case("unknown service: connect foo", &["connect", "foo"]).fails(
            2,
            "unknown service 'foo'",
            "github, calendar (or google), slack",
        ),
        case("unknown service: disconnect foo", &["disconnect", "foo"]).fails(
            2,
            "unknown service 'foo'",
            "use one of",
        ),
        case("unknown service: audit --service jira", &["audit", "--service", "jira"]).fails(
            2,
            "unknown service 'jira'",
            "use one of",
        ),
        case("unknown tool: tool nope.nope", &["tool", "nope.nope"]).fails(
            2,
            "unknown service 'nope'",
            "use one of",
        ),
        case("unknown tool: tool github nope", &["tool", "github", "nope"]).fails(
            2,
            "unknown github tool 'nope'",
            "github tools: review_requests",
        ),
        case("unknown tool: tool github (none named)", &["tool", "github"]).fails(
            2,
            "which github tool?",
            "devcontext tool github TOOL",
        ),
        case("unknown tool: perms grant slack.nope", &["perms", "grant", "slack.nope"]).fails(
            2,
            "unknown slack tool 'nope'",
            "slack tools: unread",
        ),
        case("unknown action: audit --action fly", &["audit", "--action", "fly"]).fails(
            2,
            "unknown action 'fly'",
            "permission_check",
        ),
        // --- durations and dates ---
        case("time: audit --since 7x", &["audit", "--since", "7x"]).fails(
            2,
            "'7x' is not a time",
            "24h, 7d",
        ),
        case("time: audit --since 2026-13-45", &["audit", "--since", "2026-13-45"]).fails(
            2,
            "'2026-13-45' is not a time",
            "2026-11-01",
        ),
        case("time: audit --until -5d", &["audit", "--until", "-5d"]).fails(
            2,
            "'-5d' is not a time",
            "duration back from now",
        ),
        case("time: audit --since 100000w", &["audit", "--since", "100000w"]).fails(
            2,
            "longer than ten years",
            "shorter duration",
        ),
        case("time: audit prune --before banana", &["audit", "prune", "--before", "banana"])
            .fails(2, "'banana' is not a time", "24h, 7d"),
        case("duration: perms grant --for abc", &["perms", "grant", "slack", "--for", "abc"])
            .fails(2, "'abc' is not a duration", "30m, 2h, 7d"),
        case("duration: perms grant --for -2h", &["perms", "grant", "slack", "--for", "-2h"])
            .fails(2, "'-2h' is negative", "without the minus"),
        case("duration: perms grant --for 0s", &["perms", "grant", "slack", "--for", "0s"])
            .fails(2, "'0s' is zero; a duration must be longer", "30m or 2h"),
        case(
            "duration: a flag where the value is due",
            &["perms", "grant", "slack", "--for", "--write"],
        )
        .fails(2, "'--write' is not a duration", "30m, 2h, 7d"),
        case(
            "duration: overflowing number",
            &["perms", "grant", "slack", "--for", "99999999999999999999h"],
        )
        .fails(2, "longer than ten years", "shorter duration"),
        // --- malformed model output (ask --json): the model is told and answers ---
        case("model: arguments not JSON", ASK)
            .script(model_calls("github_review_requests", "{not json"))
            .tool_error("the arguments are not valid JSON", "one JSON object"),
        case("model: arguments not an object", ASK)
            .script(model_calls("github_review_requests", "[1, 2]"))
            .tool_error("must be a JSON object, not an array", "one JSON object"),
        case("model: argument of the wrong type", ASK)
            .script(model_calls("github_review_requests", r#"{"limit": "five"}"#))
            .tool_error("invalid arguments", "schema"),
        // Over the argument cap while streaming: the run stops (exit 9),
        // nothing runs, and nothing of the arguments is kept.
        case("model: 1 MB of arguments", ASK)
            .script(model_calls(
                "github_activity",
                &format!(r#"{{"repo": "{}"}}"#, "a".repeat(1 << 20)),
            ))
            .fails(9, "a tool call's arguments passed 524288 bytes", "model server")
            .check(|_, out| {
                assert_eq!(json_of(out)["tool_calls"], json!([]));
            }),
        case("model: unknown tool", ASK)
            .script(model_calls("nope_nope", "{}"))
            .tool_error("unknown tool 'nope_nope'", "call one of: github_review_requests"),
        case("model: loops until the step limit", &["ask", "--json", "--max-steps", "2", "hi"])
            .script(json!([
                {"tool_calls": [{"name": "nope_one", "arguments": "{}"}]},
                {"tool_calls": [{"name": "nope_two", "arguments": "{}"}]},
            ]))
            .fails(8, "did not finish within 2 steps", "raise --max-steps"),
        case("model: endpoint refuses the key", ASK)
            .script(json!([{"error": {"status": 401, "message": "invalid api key"}}]))
            .fails(5, "answered HTTP 401", "OPENAI_API_KEY"),
        // --- provider answers ---
        case("provider: 401 twice (the fresh token too)", REVIEWS)
            .fault(json!({"path_prefix": "/github/", "status": 401,
                "body": "{\"message\":\"Bad credentials\"}", "times": 2}))
            .fails(5, "GitHub rejected the token", "devcontext connect github"),
        case("provider: 403", REVIEWS)
            .fault(github(403, r#"{"message":"Forbidden"}"#))
            .fails(5, "GitHub refused the request (HTTP 403)", "GitHub App"),
        case("provider: 404", REVIEWS)
            .fault(github(404, r#"{"message":"Not Found"}"#))
            .fails(5, "GitHub: not found (HTTP 404)", "check the repository"),
        case("provider: 422", REVIEWS)
            .fault(github(422, r#"{"message":"Validation Failed","errors":[{"message":"bad q"}]}"#))
            .fails(5, "HTTP 422", "tool's arguments"),
        case("provider: 429 with a long Retry-After", REVIEWS)
            .fault(json!({"path_prefix": "/github/", "status": 429, "times": 0,
                "body": "{\"message\":\"slow down\"}", "headers": {"Retry-After": "3600"}}))
            .fails(5, "asks to wait 3600 s", "try again later"),
        case("provider: 500", REVIEWS)
            .fault(github(500, "oops"))
            .fails(5, "server error (HTTP 500", "try again later"),
        case("provider: 502 with an HTML page", REVIEWS)
            .fault(json!({"path_prefix": "/github/", "status": 502, "times": 0,
                "body": "<html><body>Bad gateway</body></html>", "content_type": "text/html"}))
            .fails(5, "server error (HTTP 502", "try again later"),
        case("provider: 503", REVIEWS)
            .fault(github(503, ""))
            .fails(5, "server error (HTTP 503", "try again later"),
        case("provider: HTML instead of JSON", REVIEWS)
            .fault(json!({"path_prefix": "/github/", "status": 200, "times": 0,
                "body": "<html><body>Sign in</body></html>", "content_type": "text/html"}))
            .fails(5, "is not valid JSON", "retry later"),
        case("provider: truncated JSON", REVIEWS)
            .fault(github(200, r#"{"total_count": 3, "items": [{"tit"#))
            .fails(5, "is not valid JSON", "retry later"),
        case("provider: 50 MB body", REVIEWS)
            .fault(json!({"path_prefix": "/github/", "status": 200, "times": 0,
                "body": "{\"a\": 1}  ", "body_repeat": 5_000_000}))
            .fails(5, "larger than 8 MB", "narrow the request"),
        // --- Auth0: the Token Vault exchange ---
        case("exchange: provider access revoked (flow_failed)", CALENDAR)
            .account("revoke-provider", "google-oauth2")
            .fails(4, "revoked or expired at Google Calendar", "devcontext connect google"),
        case("exchange: no provider refresh token (not_found)", &["tool", "slack", "unread"])
            .account("no-refresh-token", "sign-in-with-slack")
            .fails(4, "Slack is not connected", "devcontext connect slack"),
        case("exchange: session expired (invalid_grant)", CALENDAR)
            .setup(|lab| lab.post("/__emulator/expire", r#"{"what": "refresh_tokens"}"#))
            .cleanup(|lab| lab.env.login())
            .fails(3, "session has expired", "devcontext login"),
        case("exchange: invalid_grant 403", CALENDAR)
            .fault(oauth_error(403, "invalid_grant"))
            .fails(3, "session has expired", "devcontext login"),
        case("exchange: expired_token", CALENDAR)
            .fault(oauth_error(401, "expired_token"))
            .fails(3, "session has expired", "devcontext login"),
        case("exchange: wrong client secret", CALENDAR)
            .env("DEVCONTEXT_AUTH0_CLIENT_SECRET", "not-the-secret")
            .fails(2, "rejected devcontext's client credentials", "_CLIENT_SECRET"),
        case("exchange: invalid_client", CALENDAR)
            .fault(oauth_error(401, "invalid_client"))
            .fails(2, "rejected devcontext's client credentials", "client id and secret"),
        case("exchange: access_denied 403", CALENDAR)
            .fault(oauth_error(403, "access_denied"))
            .fails(5, "denied the Token Vault exchange", "feta"),
        case("exchange: Token Vault grant off (unauthorized_client)", REVIEWS)
            .knob("tokenvault_disabled", json!(true), json!(false))
            .fails(5, "does not allow this application to use Token Vault", "enable the Token Vault grant"),
        case("exchange: unauthorized_client 401", CALENDAR)
            .fault(oauth_error(401, "unauthorized_client"))
            .fails(5, "does not allow this application to use Token Vault", "Grant Types"),
        case("exchange: MFA always (mfa_required)", CALENDAR)
            .knob("mfa_always", json!(true), json!(false))
            .fails(5, "requires MFA on every token request", "MFA policy"),
        case("exchange: unmet_authentication_requirements", CALENDAR)
            .fault(oauth_error(403, "unmet_authentication_requirements"))
            .fails(3, "requires a fresh sign-in", "devcontext login"),
        case("exchange: 429 too_many_requests, long Retry-After", CALENDAR)
            .fault(json!({"path_prefix": "/oauth/token", "status": 429, "times": 0,
                "content_type": "application/json", "headers": {"Retry-After": "120"},
                "body": "{\"error\":\"too_many_requests\",\"error_description\":\"Global limit\"}"}))
            .fails(5, "rate limiting Token Vault", "wait a minute"),
        case("exchange: 500 server_error", CALENDAR)
            .fault(oauth_error(500, "server_error"))
            .fails(5, "server error during the Token Vault exchange", "try again later"),
        case("exchange: 502 HTML page", CALENDAR)
            .fault(json!({"path_prefix": "/oauth/token", "status": 502, "times": 0,
                "body": "<html>Bad gateway</html>", "content_type": "text/html"}))
            .fails(5, "HTTP 502", "try again later"),
        case("exchange: 400 invalid_request", CALENDAR)
            .fault(oauth_error(400, "invalid_request"))
            .fails(1, "rejected the exchange request", "devcontext bug"),
        case("exchange: unknown error code", CALENDAR)
            .fault(oauth_error(400, "something_new"))
            .fails(5, "refused the exchange for Google Calendar", "tenant's logs"),
        case("exchange: truncated token answer", CALENDAR)
            .fault(json!({"path_prefix": "/oauth/token", "status": 200, "times": 0,
                "body": r#"{"access_token": "abc"#}))
            .fails(5, "unreadable body", "DEVCONTEXT_AUTH0_DOMAIN"),
        // --- Auth0: the refresh grant (My Account API token for `connections`) ---
        case("refresh: invalid_grant", &["connections"])
            .fault(oauth_error(403, "invalid_grant"))
            .fails(3, "session has expired", "devcontext login"),
        case("refresh: access_denied", &["connections"])
            .fault(oauth_error(403, "access_denied"))
            .fails(5, "Auth0 refused access", "My Account API"),
        case("refresh: access_denied 401 (client credentials)", &["connections"])
            .fault(oauth_error(401, "access_denied"))
            .fails(2, "rejected devcontext's client credentials", "DEVCONTEXT_AUTH0_CLIENT_SECRET"),
        case("refresh: unauthorized_client", &["connections"])
            .fault(oauth_error(403, "unauthorized_client"))
            .fails(5, "Auth0 refused the grant", "Refresh Token grant"),
        case("refresh: mfa_required", &["connections"])
            .fault(oauth_error(403, "mfa_required"))
            .fails(5, "requires MFA", "MFA policy"),
        case("refresh: unmet_authentication_requirements", &["connections"])
            .fault(oauth_error(403, "unmet_authentication_requirements"))
            .fails(3, "requires a fresh sign-in", "devcontext login"),
        case("refresh: too_many_requests", &["connections"])
            .fault(oauth_error(429, "too_many_requests"))
            .fails(5, "rate limiting", "wait a minute"),
        case("refresh: server_error", &["connections"])
            .fault(oauth_error(500, "server_error"))
            .fails(5, "Auth0 had a server error", "try again later"),
        case("refresh: invalid_request", &["connections"])
            .fault(oauth_error(400, "invalid_request"))
            .fails(1, "rejected the request as malformed", "devcontext bug"),
        // --- a dead network ---
        case("network: provider port closed", REVIEWS)
            .env(
                "DEVCONTEXT_GITHUB_API_URL",
                format!("http://127.0.0.1:{}/github", closed_port()),
            )
            .fails(6, "could not connect", "check your network connection"),
        case("network: Auth0 down at login", &["login"])
            .env(
                "DEVCONTEXT_AUTH0_DOMAIN",
                format!("http://127.0.0.1:{}", closed_port()),
            )
            .fails(6, "Auth0 discovery", "check your network connection"),
        case("network: Auth0 token endpoint down", CALENDAR)
            .keep(&["session.json"])
            .setup(|lab| {
                let path = lab.state("session.json");
                let mut session: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                session["endpoints"]["token_endpoint"] =
                    json!(format!("http://127.0.0.1:{}/oauth/token", closed_port()));
                std::fs::write(&path, session.to_string()).unwrap();
            })
            .fails(6, "could not connect", "check your network connection"),
        case("network: model endpoint down", ASK)
            .env(
                "OPENAI_BASE_URL",
                format!("http://127.0.0.1:{}/v1", closed_port()),
            )
            .fails(6, "could not connect", "check your network connection"),
        // --- the stores ---
        case("store: audit database is garbage", &["perms", "check", "github"])
            .keep(&["audit.db"])
            .setup(|lab| lab.clobber("audit.db", &garbage(60_000)))
            .check(|lab, _| {
                let bytes = std::fs::read(lab.state("audit.db")).unwrap();
                assert_eq!(bytes, garbage(60_000), "the damaged store was replaced");
            })
            .fails(1, "audit.db is damaged (file is not a database)", "move it aside"),
        case("store: audit database garbage, audit verify", &["audit", "verify"])
            .keep(&["audit.db"])
            .setup(|lab| lab.clobber("audit.db", &garbage(60_000)))
            .fails(1, "audit.db is damaged", "keep the copy to investigate"),
        case("store: audit pages damaged", &["audit", "--limit", "5"])
            .keep(&["audit.db"])
            .setup(|lab| {
                let mut bytes = std::fs::read(lab.state("audit.db")).unwrap();
                // Keep the 100-byte header; wreck the pages after it.
                let end = bytes.len().min(8192);
                bytes[100..end].fill(0xde);
                lab.clobber("audit.db", &bytes);
            })
            .fails(1, "audit.db is damaged (database disk image is malformed)", "move it aside"),
        case("store: permission database garbage, a read", REVIEWS)
            .keep(&["permissions.db"])
            .setup(|lab| lab.clobber("permissions.db", &garbage(30_000)))
            .fails(7, "permission store unreadable", "fix or remove"),
        case("store: permission database garbage, a change", &["perms", "revoke", "slack"])
            .keep(&["permissions.db"])
            .setup(|lab| lab.clobber("permissions.db", &garbage(30_000)))
            .fails(1, "permissions.db is damaged", "move it aside"),
        case("store: audit database read-only", &["perms", "revoke", "slack"])
            .setup_or_skip(|lab| lab.freeze(&lab.state("audit.db")))
            .check(|lab, _| {
                // The rule did not change without its audit record.
                let list = json_of(&lab.dc(&["perms", "list", "--json"]));
                let slack = list.as_array().unwrap().iter().find(|s| s["service"] == "slack");
                assert_eq!(slack.unwrap()["state"], "connected", "slack was revoked unaudited");
            })
            .cleanup(|lab| lab.thaw(&lab.state("audit.db")))
            .fails(1, "the file is read-only", "nothing was done without its audit record"),
        case("store: permission database read-only", &["perms", "revoke", "slack"])
            .setup_or_skip(|lab| lab.freeze(&lab.state("permissions.db")))
            .cleanup(|lab| lab.thaw(&lab.state("permissions.db")))
            .fails(1, "cannot change the permission store", "writable"),
        case("store: audit database deleted", &["perms", "check", "github"])
            .keep(&["audit.db"])
            .setup(|lab| {
                for f in ["audit.db", "audit.db-wal", "audit.db-shm"] {
                    let _ = std::fs::remove_file(lab.state(f));
                }
            })
            .check(|lab, _| {
                let report = json_of(&lab.dc(&["audit", "verify", "--json"]));
                assert_eq!(report["checked"], 1, "a new store with the check: {report}");
            })
            .succeeds(),
        case("store: permission database deleted", REVIEWS)
            .keep(&["permissions.db"])
            .setup(|lab| {
                for f in ["permissions.db", "permissions.db-wal", "permissions.db-shm"] {
                    let _ = std::fs::remove_file(lab.state(f));
                }
            })
            .check(|lab, _| assert!(lab.state("permissions.db").exists()))
            .succeeds(),
        case("store: session file damaged", REVIEWS)
            .keep(&["session.json"])
            .setup(|lab| std::fs::write(lab.state("session.json"), "{\"tenant\": ").unwrap())
            .fails(3, "session file", "devcontext login"),
        case("store: credential file damaged", REVIEWS)
            .setup(|lab| {
                let path = lab.home().join("credentials/credentials.json");
                std::fs::copy(&path, lab.saved.join("credentials.json")).unwrap();
                std::fs::write(&path, "{\"secrets\": ").unwrap();
            })
            .cleanup(|lab| {
                let path = lab.home().join("credentials/credentials.json");
                let copy = lab.saved.join("credentials.json");
                std::fs::copy(&copy, path).unwrap();
                std::fs::remove_file(copy).unwrap();
            })
            .fails(1, "credential file", "devcontext login"),
        // --- a keyring that refuses (no D-Bus session behind the address) ---
        case("keyring: login with a dead D-Bus", &["login"])
            .env("DEVCONTEXT_CREDENTIAL_STORE", "keyring")
            .env("DBUS_SESSION_BUS_ADDRESS", dead_dbus(lab))
            .fails(1, "OS keyring does not work here", "DEVCONTEXT_CREDENTIAL_STORE=file"),
        case("keyring: a keyring session, D-Bus gone", REVIEWS)
            .keep(&["session.json"])
            .setup(|lab| {
                let path = lab.state("session.json");
                let mut session: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                session["store"] = json!("keyring");
                std::fs::write(&path, session.to_string()).unwrap();
            })
            .env("DBUS_SESSION_BUS_ADDRESS", dead_dbus(lab))
            .fails(1, "the OS keyring failed", "DEVCONTEXT_CREDENTIAL_STORE=file"),
    ];
    // --- a full disk (a small tmpfs as DEVCONTEXT_HOME) ---
    let full = lab.full.display().to_string();
    cases.push(
        case("disk full: a tool call", REVIEWS)
            .env("DEVCONTEXT_HOME", &full)
            .setup_or_skip(|lab| lab.fill_disk())
            .check(|lab, _| after_full_disk(lab))
            .cleanup(|lab| lab.unmount())
            .fails(1, "the disk is full", "free some disk space"),
    );
    cases.push(
        case(
            "disk full: a permission change",
            &["perms", "revoke", "slack"],
        )
        .env("DEVCONTEXT_HOME", &full)
        .setup_or_skip(|lab| lab.fill_disk())
        .check(|lab, _| {
            after_full_disk(lab);
            let list = json_of(&lab.dc_full(&["perms", "list", "--json"]));
            let slack = list
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["service"] == "slack");
            assert_eq!(
                slack.unwrap()["state"],
                "connected",
                "slack was revoked unaudited"
            );
        })
        .cleanup(|lab| lab.unmount())
        .fails(1, "the disk is full", "free some disk space"),
    );
    cases
}

/// After a full disk is freed: its audit verifies with every event of the
/// home it was copied from, and the session there works.
fn after_full_disk(lab: &Lab) {
    lab.free_disk();
    let copy = json_of(&lab.dc_full(&["audit", "verify", "--json"]));
    let original = json_of(&lab.dc(&["audit", "verify", "--json"]));
    assert_eq!(
        copy["checked"], original["checked"],
        "events lost on the full disk"
    );
    let out = lab.dc_full(&["tool", "github.review_requests", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A D-Bus address whose socket does not exist.
fn dead_dbus(lab: &Lab) -> String {
    format!(
        "unix:path={}",
        lab.env.home.path().join("no-dbus-here").display()
    )
}

/// Deterministic bytes that are no SQLite file.
fn garbage(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 13) as u8).collect()
}

#[test]
fn bad_input_catalogue() {
    let lab = Lab::new();
    let cases = catalogue(&lab);
    assert!(cases.len() >= 45, "the catalogue has {} cases", cases.len());
    let mut snapshot = assert_nothing_lost(
        &lab,
        &Snapshot {
            count: 0,
            newest: None,
        },
    );
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut times: Vec<(Duration, &str)> = Vec::new();
    let started = Instant::now();
    for c in &cases {
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            for setup in &c.setup {
                setup(&lab)?;
            }
            let out = lab.run(&c.args, &c.env, &c.unset);
            assert_expected(&c.expect, &out);
            if let Some(check) = &c.check {
                check(&lab, &out);
            }
            Ok::<(), String>(())
        }));
        // Clean up whatever happened, then check that nothing was lost.
        let cleaned = catch_unwind(AssertUnwindSafe(|| {
            for hook in &c.cleanup {
                hook(&lab);
            }
            lab.delete("/__emulator/faults");
            lab.delete("/__emulator/model/script");
            let _ = std::fs::remove_file(lab.home().join("config.toml"));
            assert_nothing_lost(&lab, &snapshot)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => skipped.push(format!("{}: {reason}", c.name)),
            Err(panic) => failures.push(format!("{}: {}", c.name, panic_text(&panic))),
        }
        match cleaned {
            Ok(next) => snapshot = next,
            Err(panic) => {
                failures.push(format!(
                    "{} (afterwards, nothing lost): {}",
                    c.name,
                    panic_text(&panic)
                ));
                // Compare the next case with what is there now, not what was lost.
                if let Ok((now, _)) = catch_unwind(AssertUnwindSafe(|| audit_now(&lab))) {
                    snapshot = now;
                }
            }
        }
        times.push((t.elapsed(), c.name));
    }
    times.sort();
    let slowest = times
        .iter()
        .rev()
        .take(5)
        .map(|(took, name)| format!("{name}: {:.1} s", took.as_secs_f64()));
    eprintln!(
        "{} bad-input cases in {:.1} s ({} skipped)",
        cases.len(),
        started.elapsed().as_secs_f64(),
        skipped.len()
    );
    for s in skipped {
        // A case whose set-up this machine cannot do (root ignores file
        // modes, no tmpfs without root): said on the real stderr, not failed.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED: bad-input case {s}");
    }
    for s in slowest {
        eprintln!("  slowest: {s}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}
