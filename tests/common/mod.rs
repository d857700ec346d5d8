//! Shared set-up for end-to-end tests through the real `devcontext` binary:
//! a temporary DEVCONTEXT_HOME, the `devcontext-emulator` on a free loopback
//! port (killed by its own PID on drop), a BROWSER script that fetches the
//! URL it is given (the emulator auto-approves; `login` and `connect` open it
//! through BROWSER, so no `--no-browser`), login and connect helpers,
//! and the emulator's control API.
//!
//! Use it with `mod common;` and `let env = common::TestEnv::connected();`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    pub fn start() -> Emulator {
        let mut child = StdCommand::new(env!("CARGO_BIN_EXE_devcontext-emulator"))
            .args(["--port", "0"])
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
}

impl TestEnv {
    /// A fresh home and emulator; not logged in.
    pub fn new() -> TestEnv {
        let emu = Emulator::start();
        let home = tempfile::tempdir().unwrap();
        let browser = browser_script(home.path());
        TestEnv {
            emu,
            home,
            browser,
            overrides: Vec::new(),
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

    pub fn std_dc(&self) -> StdCommand {
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_devcontext"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DEVCONTEXT_HOME", self.home.path().join("dc"))
            .env("DEVCONTEXT_CALLBACK_PORT", "0")
            .env("DEVCONTEXT_CREDENTIAL_STORE", "file")
            .env("BROWSER", &self.browser)
            .env("NO_COLOR", "1")
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
