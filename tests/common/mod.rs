//! Shared set-up for end-to-end tests through the real `devcontext` binary:
//! a temporary DEVCONTEXT_HOME, the `devcontext-emulator` on a free loopback
//! port (killed by its own PID on drop), a BROWSER script that fetches the
//! URL it is given (the emulator auto-approves; `login` and `connect` open it
//! through BROWSER, so no `--no-browser`), login and connect helpers,
//! and the emulator's control API.
//!
//! Use it with `mod common;` and `let env = common::TestEnv::connected();`.
//!
//! It is the one place a test builds a `devcontext` command: [`TestEnv::dc`]
//! (with the emulator), [`dc_at`] (a home of the test's own, clean
//! environment), [`devcontext`] (nothing set); [`devcontext_bin`] and
//! [`emulator_bin`] give the paths where only a path will do (a pty,
//! `script -c`, a spawned server).
//!
//! Leak scan: when `DEVCONTEXT_LEAK_DIR` is set (scripts/test.sh sets it),
//! every command run through the harness ([`TestEnv::std_dc`], [`TestEnv::dc`],
//! their helpers, [`devcontext`], [`captured`]) goes through a capture script
//! that copies its stdout and stderr to `$DEVCONTEXT_LEAK_DIR/output/`, every
//! emulator writes its minted secrets to `secrets/` when dropped, and every
//! test home is moved to `homes/` instead of being deleted. After the suite,
//! `scripts/leak_scan.py` looks for the secrets in the homes and the outputs.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// Slack scopes for tests that post: the least-privilege defaults plus chat:write.
pub const SLACK_SCOPES_WITH_WRITE: &str = "channels:read,channels:history,groups:read,groups:history,im:read,im:history,mpim:read,search:read,users:read,chat:write";

pub struct Emulator {
    child: Child,
    pub env: Vec<(String, String)>,
    pub url: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.record_secrets();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_with(&["--port", "0"])
    }

    /// Starts the emulator with these arguments (e.g. `--public-url`).
    pub fn start_with(args: &[&str]) -> Emulator {
        let mut child = StdCommand::new(emulator_bin())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start devcontext-emulator");
        let mut env = Vec::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.expect("read emulator stdout");
            if line.trim().is_empty() {
                break;
            }
            let (k, v) = line.split_once('=').expect("KEY=VALUE line");
            env.push((k.to_string(), v.to_string()));
        }
        // Keep draining stdout so the emulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = env
            .iter()
            .find(|(k, _)| k == "DEVCONTEXT_EMULATOR_URL")
            .map(|(_, v)| v.clone())
            .expect("emulator printed DEVCONTEXT_EMULATOR_URL");
        Emulator { child, env, url }
    }

    pub fn var(&self, key: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("emulator did not print {key}"))
    }

    /// With a leak dir, saves what `GET /__emulator/secrets` lists (everything
    /// minted so far) to `secrets/`. Runs on drop and before a reset.
    pub fn record_secrets(&self) {
        let Some(dir) = leak_dir() else { return };
        let file = dir
            .join("secrets")
            .join(format!("{}.json", unique_name(&test_label())));
        let _ = StdCommand::new("curl")
            .args(["-s", "-f", "-m", "10", "-o"])
            .arg(&file)
            .arg(format!("{}/__emulator/secrets", self.url))
            .stdin(Stdio::null())
            .status();
        if !file.exists() {
            // An empty file tells the scanner these secrets are unknown: a hole.
            let _ = std::fs::write(&file, "");
        }
    }
}

/// Says that a test (or part of one) is skipped, and why, on the real stderr
/// (libtest captures `eprintln!` of a passing test, so a skip would look like
/// a pass). Fails instead when `require_var` is set: scripts/test.sh sets it
/// for every suite that must run in CI.
pub fn skip(what: &str, reason: &str, require_var: &str) {
    assert!(
        std::env::var_os(require_var).is_none_or(|v| v.is_empty()),
        "{what} must not be skipped here ({require_var} is set), but {reason}"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {what}: {reason} (set {require_var}=1 to make this a failure)"
    );
}

/// `$DEVCONTEXT_LEAK_DIR` (with its `secrets`, `homes` and `output` folders), if set.
/// Without it the capture is skipped, said once per test binary, and fails
/// under `DEVCONTEXT_REQUIRE_LEAK_SCAN`.
pub fn leak_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let Some(dir) = std::env::var_os("DEVCONTEXT_LEAK_DIR").filter(|v| !v.is_empty()) else {
            skip(
                &format!("leak capture in {}", env!("CARGO_CRATE_NAME")),
                "DEVCONTEXT_LEAK_DIR is not set, so no output or home of this suite is \
                 scanned for leaked secrets (scripts/test.sh sets it)",
                "DEVCONTEXT_REQUIRE_LEAK_SCAN",
            );
            return None;
        };
        let dir = PathBuf::from(dir);
        for sub in ["secrets", "homes", "output", "bin"] {
            std::fs::create_dir_all(dir.join(sub))
                .unwrap_or_else(|e| panic!("DEVCONTEXT_LEAK_DIR {}: {e}", dir.display()));
        }
        Some(dir)
    })
    .as_deref()
}

/// The running test's name (libtest names each test's thread after it).
fn test_label() -> String {
    std::thread::current()
        .name()
        .unwrap_or("thread")
        .to_string()
}

/// A label safe in a file name (`module::test` becomes `module__test`).
fn sanitize(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `CRATE.LABEL.PID.N`: unique within the suite, and names the test.
fn unique_name(label: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}.{}.{}.{}",
        env!("CARGO_CRATE_NAME"),
        sanitize(label),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn find_program(name: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found (the leak-scan capture needs it)"))
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// The capture script, written once per test binary into `$DEVCONTEXT_LEAK_DIR/bin`.
///
/// `capture.sh LABEL exec|wait PROGRAM ARGS...` runs PROGRAM with stdout and
/// stderr each passed through `tee` into `output/LABEL.PID.TIME.{out,err}`,
/// and its argv in `.cmd`. `exec` (devcontext) replaces the script, so the
/// test's child is PROGRAM itself: same PID (a test may kill it), stdin, exit
/// status and signals; the two `tee`s become its children, which devcontext
/// never waits for. `wait` (any other program, e.g. `script`, which waits for
/// all its children) runs PROGRAM as a child and exits with its status. A
/// stream that is a terminal is left alone (and not captured) so programs
/// keep seeing a terminal; tests that need one wrap `script` instead.
fn capture_script() -> Option<&'static Path> {
    static SCRIPT: OnceLock<Option<PathBuf>> = OnceLock::new();
    SCRIPT
        .get_or_init(|| {
            let dir = leak_dir()?;
            let bash = find_program("bash");
            let tee = shell_quote(&find_program("tee"));
            let output = shell_quote(&dir.join("output"));
            let text = format!(
                "#!{bash}\n\
                 # Written by tests/common/mod.rs: runs PROGRAM with stdout and stderr copied\n\
                 # into the leak-scan folder. usage: capture.sh LABEL exec|wait PROGRAM [ARGS...]\n\
                 base={output}/\"$1.$$.${{EPOCHREALTIME/[.,]/}}\"\n\
                 mode=$2\n\
                 shift 2\n\
                 printf '%q ' \"${{1##*/}}\" \"${{@:2}}\" >\"$base.cmd\"; echo >>\"$base.cmd\"\n\
                 if [ -t 1 ]; then echo '# stdout: a terminal, not captured' >>\"$base.cmd\"\n\
                 else exec 1> >(exec {tee} -- \"$base.out\" 2>/dev/null); fi\n\
                 if [ -t 2 ]; then echo '# stderr: a terminal, not captured' >>\"$base.cmd\"\n\
                 else exec 2> >(exec {tee} -- \"$base.err\" >&2 2>/dev/null); fi\n\
                 if [ \"$mode\" = exec ]; then exec \"$@\"; fi\n\
                 \"$@\"\n\
                 exit $?\n",
                bash = bash.display()
            );
            let path = dir
                .join("bin")
                .join(format!("capture.{}.sh", unique_name("script")));
            std::fs::write(&path, text).expect("write the capture script");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            Some(path)
        })
        .as_deref()
}

fn captured_as(label: &str, exec: bool, program: &OsStr) -> StdCommand {
    match capture_script() {
        Some(script) => {
            let mut cmd = StdCommand::new(script);
            cmd.arg(format!("{}.{}", env!("CARGO_CRATE_NAME"), sanitize(label)))
                .arg(if exec { "exec" } else { "wait" })
                .arg(program);
            cmd
        }
        None => StdCommand::new(program),
    }
}

/// `Command::new(program)`, whose stdout and stderr are also captured for the
/// leak scan when `DEVCONTEXT_LEAK_DIR` is set. For commands a test builds
/// itself, e.g. `captured("script")` around a devcontext run on a terminal.
/// The child is a shell that waits for `program` (its PID is not `program`'s).
pub fn captured(program: impl AsRef<OsStr>) -> StdCommand {
    captured_as(&test_label(), false, program.as_ref())
}

/// The `devcontext` binary under test, for what must start it by path: a
/// pty, a `script -c` line, an MCP client that spawns it. A test that runs it
/// as a command builds that command with [`devcontext`], [`dc_at`] or
/// [`TestEnv::dc`], which capture its output for the leak scan.
pub fn devcontext_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_devcontext"))
}

/// `Command::new` of the `devcontext` binary (nothing else set), captured like
/// [`captured`] but the child is devcontext itself (same PID).
pub fn devcontext() -> StdCommand {
    captured_as(&test_label(), true, devcontext_bin().as_os_str())
}

/// `devcontext` with a clean environment: only `PATH`, `DEVCONTEXT_HOME=home`
/// and `NO_COLOR=1`, captured for the leak scan. The base of every command a
/// test runs on a home of its own (no emulator); [`TestEnv::std_dc`] adds the
/// emulator's settings to the same base.
pub fn std_dc_at(home: &Path) -> StdCommand {
    clean_dc(&test_label(), home)
}

/// [`std_dc_at`] as an `assert_cmd` command (no timeout).
pub fn dc_at(home: &Path) -> Command {
    Command::from_std(std_dc_at(home))
}

fn clean_dc(label: &str, home: &Path) -> StdCommand {
    let mut cmd = captured_as(label, true, devcontext_bin().as_os_str());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DEVCONTEXT_HOME", home)
        .env("NO_COLOR", "1");
    cmd
}

/// A loopback port nothing listens on now: the OS picks it (bound, then
/// released). For servers that must be told their port; a fixed port would
/// sit in the OS's ephemeral range (32768-60999 on Linux), where any
/// outgoing connection or `:0` listener of another suite may hold it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The `devcontext-emulator` binary, next to the `devcontext` binary under
/// test (same target folder and profile).
///
/// The emulator is a package of its own (emulator/, a workspace member), so
/// cargo gives this package's tests no `CARGO_BIN_EXE_` for it. A plain
/// `cargo test` builds it before any suite runs (its own emulator/tests/smoke.rs
/// needs it). A run that selects only some suites (`cargo test --test
/// core_cli`, cargo-mutants) does not: when the binary is missing or older
/// than the emulator's files, the first test of the suite that needs it
/// builds it (said on stderr) with `cargo test --no-run --workspace --test
/// smoke`, which resolves dependency features the way the root's `cargo test`
/// does and so reuses what that run built (a `cargo build -p
/// devcontext-emulator` would build axum, hyper and tokio over again).
pub fn emulator_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = devcontext_bin().with_file_name(format!(
            "devcontext-emulator{}",
            std::env::consts::EXE_SUFFIX
        ));
        if !emulator_is_fresh(&bin) {
            build_emulator(&bin);
        }
        bin
    })
}

/// The binary exists and is newer than every file of the emulator package.
fn emulator_is_fresh(bin: &Path) -> bool {
    fn newest(path: &Path) -> std::time::SystemTime {
        let mut t = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        if path.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                t = t.max(newest(&entry.path()));
            }
        }
        t
    }
    let Ok(built) = std::fs::metadata(bin).and_then(|m| m.modified()) else {
        return false;
    };
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator");
    built >= newest(&package.join("Cargo.toml")) && built >= newest(&package.join("src"))
}

/// Builds the emulator into the folder `bin` is in, `TARGET/PROFILE/`
/// (`debug` is what `cargo test` builds by default).
fn build_emulator(bin: &Path) {
    use std::io::Write;
    let dir = bin.parent().expect("the binary's folder");
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => None,
        Some(name) => Some(name),
        None => panic!("no profile folder above {}", bin.display()),
    };
    let target = dir.parent().expect("the target folder");
    let _ = writeln!(
        std::io::stderr(),
        "building devcontext-emulator into {}: this cargo run did not build it, \
         or it is older than emulator/",
        dir.display()
    );
    let mut cargo = StdCommand::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .args(["test", "--no-run", "--quiet", "--locked", "--workspace"])
        .args(["--test", "smoke"])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if let Some(profile) = profile {
        cargo.args(["--profile", profile]);
    }
    let status = cargo
        .status()
        .expect("run cargo to build devcontext-emulator");
    assert!(
        status.success() && emulator_is_fresh(bin),
        "could not build {} (run `cargo build -p devcontext-emulator`)",
        bin.display()
    );
}

/// With a leak dir, moves a test's home there (copies it if it cannot be
/// moved) so the scan sees every file devcontext wrote. The `TempDir` that
/// owned it then finds nothing to delete.
pub fn keep_home(path: &Path) {
    let Some(dir) = leak_dir() else { return };
    if !path.exists() {
        return;
    }
    let dest = dir.join("homes").join(unique_name(&test_label()));
    if std::fs::rename(path, &dest).is_err() {
        copy_tree(path, &dest);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        match entry.file_type() {
            Ok(t) if t.is_dir() => copy_tree(&src, &dst),
            Ok(t) if t.is_file() => {
                let _ = std::fs::copy(&src, &dst);
            }
            _ => {}
        }
    }
}

pub fn browser_script(dir: &Path) -> PathBuf {
    let path = dir.join("browser.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\ncurl -s -o /dev/null -L --max-redirs 5 \"$1\" &\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

pub struct TestEnv {
    pub emu: Emulator,
    pub home: tempfile::TempDir,
    browser: PathBuf,
    /// Variables that override the emulator's (e.g. provider URLs pointed at Prism).
    overrides: Vec<(String, String)>,
    /// The test that made it, for the leak-scan file names (helper threads have no name).
    label: String,
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        keep_home(self.home.path());
    }
}

impl TestEnv {
    /// A fresh home and emulator; not logged in.
    pub fn new() -> TestEnv {
        TestEnv::with_emulator(Emulator::start())
    }

    /// A fresh home around an emulator started by the test.
    pub fn with_emulator(emu: Emulator) -> TestEnv {
        let home = tempfile::tempdir().unwrap();
        let browser = browser_script(home.path());
        TestEnv {
            emu,
            home,
            browser,
            overrides: Vec::new(),
            label: test_label(),
        }
    }

    /// Logged in, with GitHub, Google and Slack (including chat:write) connected.
    pub fn connected() -> TestEnv {
        let env = TestEnv::new();
        env.login();
        env.connect("github", None);
        env.connect("google", None);
        env.connect("slack", Some(SLACK_SCOPES_WITH_WRITE));
        env
    }

    /// Overrides an environment variable for every later command.
    pub fn set(&mut self, key: &str, value: &str) {
        self.overrides.retain(|(k, _)| k != key);
        self.overrides.push((key.to_string(), value.to_string()));
    }

    /// `devcontext` with the test environment: [`std_dc_at`]'s clean base on
    /// this home, the emulator's settings, the browser script, a file
    /// credential store, any [`TestEnv::set`] overrides; stdin not a terminal.
    pub fn std_dc(&self) -> StdCommand {
        let mut cmd = clean_dc(&self.label, &self.home.path().join("dc"));
        cmd.env("DEVCONTEXT_CALLBACK_PORT", "0")
            .env("DEVCONTEXT_CREDENTIAL_STORE", "file")
            .env("BROWSER", &self.browser)
            .stdin(Stdio::null());
        for (k, v) in self.emu.env.iter().chain(self.overrides.iter()) {
            cmd.env(k, v);
        }
        cmd
    }

    /// `devcontext` with the test environment, 60 s timeout, stdin not a terminal.
    pub fn dc(&self) -> Command {
        let mut cmd = Command::from_std(self.std_dc());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    /// Runs `devcontext ARGS` and parses its stdout as JSON (must succeed).
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.dc().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    pub fn login(&self) {
        let out = self.dc().args(["login"]).output().unwrap();
        assert!(
            out.status.success(),
            "login: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn connect(&self, service: &str, scopes: Option<&str>) {
        let mut args = vec!["connect", service];
        if let Some(s) = scopes {
            args.extend(["--scopes", s]);
        }
        let out = self.dc().args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "connect {service}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Calls the emulator's control API (`/__emulator/...`) with a JSON body.
    pub fn control(&self, method: &str, path: &str, body: Value) -> Value {
        if path.trim_end_matches('/').ends_with("/reset") {
            // A reset forgets what was minted: keep it for the leak scan first.
            self.emu.record_secrets();
        }
        let out = StdCommand::new("curl")
            .args([
                "-s",
                "-X",
                method,
                "-H",
                "content-type: application/json",
                "-d",
            ])
            .arg(body.to_string())
            .arg(format!("{}{path}", self.emu.url))
            .output()
            .expect("curl");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    pub fn get(&self, path: &str) -> Value {
        let out = StdCommand::new("curl")
            .arg("-s")
            .arg(format!("{}{path}", self.emu.url))
            .output()
            .expect("curl");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// Adds a fault rule (`{path_prefix, method?, status, body?, headers?, times?, ...}`).
    pub fn fault(&self, rule: Value) {
        self.control("POST", "/__emulator/faults", rule);
    }

    /// The emulator's request log.
    pub fn requests(&self) -> Vec<Value> {
        self.get("/__emulator/requests")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        self.control("DELETE", "/__emulator/requests", Value::Null);
    }

    /// Token Vault exchanges in the request log.
    pub fn exchanges(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| {
                r["path"] == "/oauth/token"
                    && r["grant_type"]
                        .as_str()
                        .is_some_and(|g| g.contains("token-exchange"))
            })
            .count()
    }

    /// Audit events of one action, newest first.
    pub fn audit(&self, action: &str) -> Vec<Value> {
        self.json(&["audit", "--action", action, "--json", "--limit", "1000"])
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// Every audit event (read through the CLI, which must open the store), oldest first.
pub fn all_events(env: &TestEnv) -> Vec<Value> {
    let out = env.dc().args(["audit", "--ndjson"]).output().unwrap();
    assert!(
        out.status.success(),
        "audit --ndjson: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one whole JSON event per line"))
        .collect();
    events.sort_by_key(|e| e["id"].as_i64().unwrap());
    events
}

/// `audit verify --json` must pass; its report.
pub fn audit_verify(env: &TestEnv) -> Value {
    let out = env
        .dc()
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A device login (`flags` go before `login`, e.g. `-vv`): waits for the
/// code, approves it in the emulator, and returns the login's stdout and its
/// whole stderr after checking that it succeeded.
pub fn device_login(env: &TestEnv, flags: &[&str]) -> (String, String) {
    env.control(
        "POST",
        "/__emulator/knobs",
        serde_json::json!({"device_interval": 1}),
    );
    let mut child = env
        .std_dc()
        .args(flags)
        .args(["login", "--device", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start devcontext login --device");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let code = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "login exited before printing a code: {seen}"
        );
        seen.push_str(&line);
        if let Some(rest) = line.split("confirm this code: ").nth(1) {
            break rest.trim().to_string();
        }
    };
    env.control(
        "POST",
        "/__emulator/device/approve",
        serde_json::json!({"user_code": code}),
    );
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "device login failed: {seen}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), seen)
}

/// With a leak dir, registers secrets the harness did not mint (e.g. an
/// export API key) so that `scripts/leak_scan.py` looks for them too.
/// `kind` names them in findings ("otlp header value").
pub fn record_secret(kind: &str, values: &[&str]) {
    let Some(dir) = leak_dir() else { return };
    let file = dir
        .join("secrets")
        .join(format!("{}.json", unique_name(&test_label())));
    let body = serde_json::json!({ kind.replace(' ', "_"): values });
    std::fs::write(file, body.to_string()).expect("record a secret for the leak scan");
}

/// With a leak dir, keeps `bytes` (e.g. what a collector received) as a
/// captured output, so the leak scan reads it like a command's stdout.
pub fn keep_output(what: &str, bytes: &[u8]) {
    let Some(dir) = leak_dir() else { return };
    let base = dir
        .join("output")
        .join(unique_name(&format!("{}.{what}", test_label())));
    let base = base.display();
    std::fs::write(format!("{base}.cmd"), format!("(received by {what})\n")).unwrap();
    std::fs::write(format!("{base}.out"), bytes).unwrap();
}
