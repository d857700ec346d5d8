//! Conformance: the real `devcontext` binary logs in to oidc-provider, a
//! certified third-party OpenID Provider (testing.md section 1), not only to
//! the project's own emulator. Authorization Code + PKCE (S256, enforced by the
//! server) with a loopback redirect, client_secret_post at the token endpoint,
//! userinfo with the access token, the refresh token in the credential file
//! and nowhere else, and logout through the discovered RFC 7009 revocation
//! endpoint (checked: the refresh token works before logout, not after).
//!
//! Needs `scripts/oidc-provider.sh install` (scripts/test.sh runs it) and
//! Node 20+ and python3. The "browser" is tests/oidc/browser.sh, which walks
//! oidc-provider's development login and consent pages in the background.
//! Ports: the provider's is picked by the OS and reported by the server;
//! devcontext's callback port (the one registered redirect URI) is a free
//! one the test picks and gives to both.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

mod common;

const CLIENT_ID: &str = "devcontext-conformance";
const CLIENT_SECRET: &str = "conformance-secret-6f1c2a9e4b7d";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// oidc-provider, started directly with node; killed (by its PID) on drop.
struct Provider {
    child: Child,
    log: PathBuf,
    /// Where it listens (picked by the OS).
    port: u16,
    /// devcontext's callback port, registered in the provider's redirect URI.
    callback_port: u16,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn start(dir: &Path) -> Provider {
        let callback_port = common::free_port();
        let module = root().join(".ci/cache/oidc/node_modules/oidc-provider/package.json");
        assert!(
            module.exists(),
            "oidc-provider is not installed ({} is missing): run `scripts/oidc-provider.sh install` \
             (scripts/test.sh runs it before the tests)",
            module.display()
        );
        let log = dir.join("oidc-provider.log");
        let mut child = StdCommand::new("node")
            .arg(root().join("tests/oidc/server.mjs"))
            .arg("0")
            .arg(callback_port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("cannot start node (Node 20+ is needed for oidc-provider)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line.trim().strip_prefix("ready ") {
                    let _ = tx.send(port.parse::<u16>().ok());
                }
            }
        });
        let mut provider = Provider {
            child,
            log,
            port: 0,
            callback_port,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(port)) => provider.port = port,
            _ => panic!("oidc-provider did not start:\n{}", provider.log_text()),
        }
        provider
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

struct Env {
    provider: Provider,
    dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        // for the leak scan after the suite (a no-op without DEVCONTEXT_LEAK_DIR);
        // tests/oidc/server.mjs records what the provider minted
        common::keep_home(&self.home());
    }
}

impl Env {
    fn home(&self) -> PathBuf {
        self.dir.path().join("dc")
    }

    fn browser_log(&self) -> PathBuf {
        self.dir.path().join("browser.log")
    }

    fn dc(&self) -> Command {
        let mut cmd = common::dc_at(&self.home());
        cmd.env(
            "DEVCONTEXT_AUTH0_DOMAIN",
            format!("http://127.0.0.1:{}", self.provider.port),
        )
        .env("DEVCONTEXT_AUTH0_CLIENT_ID", CLIENT_ID)
        .env("DEVCONTEXT_AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .env(
            "DEVCONTEXT_CALLBACK_PORT",
            self.provider.callback_port.to_string(),
        )
        .env("DEVCONTEXT_CREDENTIAL_STORE", "file")
        .env("BROWSER", root().join("tests/oidc/browser.sh"))
        .env("OIDC_BROWSER_LOG", self.browser_log())
        .timeout(Duration::from_secs(120));
        cmd
    }

    /// What the provider and the browser saw, for failure messages.
    fn logs(&self) -> String {
        format!(
            "--- oidc-provider ---\n{}\n--- browser ---\n{}",
            self.provider.log_text(),
            std::fs::read_to_string(self.browser_log()).unwrap_or_default()
        )
    }

    /// A refresh-token grant straight at oidc-provider's token endpoint
    /// (client_secret_post): the HTTP status and the JSON answer.
    fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let out = StdCommand::new("curl")
            .args(["-s", "--noproxy", "*", "-w", "\n%{http_code}"])
            .args(["-d", "grant_type=refresh_token"])
            .arg("--data-urlencode")
            .arg(format!("refresh_token={refresh_token}"))
            .args(["-d", &format!("client_id={CLIENT_ID}")])
            .args(["-d", &format!("client_secret={CLIENT_SECRET}")])
            .arg(format!("http://127.0.0.1:{}/token", self.provider.port))
            .output()
            .expect("curl is needed");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (
            status.trim().parse().unwrap_or(0),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out)
        } else {
            out.push(p)
        }
    }
}

/// The refresh token in the credential file (the one secret whose name ends in `refresh_token`).
fn stored_refresh_token(home: &Path) -> Option<String> {
    let text = std::fs::read_to_string(home.join("credentials/credentials.json")).ok()?;
    let file: Value = serde_json::from_str(&text).unwrap();
    file["secrets"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.ends_with("refresh_token"))
        .and_then(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

#[test]
fn browser_login_and_logout_against_oidc_provider() {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start(dir.path());
    let env = Env { provider, dir };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root().join("tests/oidc/browser.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert!(
            mode & 0o111 != 0,
            "tests/oidc/browser.sh must be executable"
        );
    }

    // Login: discovery, /auth with PKCE S256, dev login + consent, callback,
    // token (client_secret_post), userinfo.
    let login = env.dc().arg("login").output().unwrap();
    let stdout = String::from_utf8_lossy(&login.stdout).to_string();
    let stderr = String::from_utf8_lossy(&login.stderr).to_string();
    assert!(
        login.status.success(),
        "devcontext login failed ({}):\nstdout: {stdout}\nstderr: {stderr}\n{}",
        login.status,
        env.logs()
    );
    assert!(
        stdout.contains("Logged in as alice@example.test"),
        "stdout: {stdout}\nstderr: {stderr}\n{}",
        env.logs()
    );
    let provider_log = env.provider.log_text();
    for line in provider_log.lines().filter(|l| l.starts_with("NOTE:")) {
        eprintln!("oidc-provider conformance {line}");
    }
    assert!(
        !provider_log
            .lines()
            .any(|l| l.starts_with("oidc-provider ") && l.contains(".error")),
        "oidc-provider reported an error:\n{}",
        env.logs()
    );
    assert!(
        provider_log.contains("POST /token -> 200"),
        "{}",
        env.logs()
    );
    assert!(
        provider_log.contains("GET /me -> 200"),
        "userinfo was not called: {}",
        env.logs()
    );

    // status --json shows the session.
    let out = env.dc().args(["status", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let login_facts = &status["login"];
    assert_eq!(login_facts["method"], "browser", "{status}");
    assert_eq!(login_facts["credential_store"], "file", "{status}");
    assert_eq!(login_facts["user"]["sub"], "alice", "{status}");
    assert_eq!(
        login_facts["user"]["email"], "alice@example.test",
        "{status}"
    );
    assert!(
        login_facts["tenant"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("http://127.0.0.1:{}", env.provider.port)),
        "{status}"
    );

    // The refresh token is in the credential file and nowhere else.
    let home = env.home();
    let refresh_token = stored_refresh_token(&home).unwrap_or_else(|| {
        panic!(
            "no refresh token in {}/credentials/credentials.json",
            home.display()
        )
    });
    let mut files = Vec::new();
    files_under(&home, &mut files);
    let credential_file = home.join("credentials/credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credential_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "credential file mode");
    }
    for f in files.iter().filter(|f| **f != credential_file) {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&refresh_token),
            "the refresh token leaked into {}",
            f.display()
        );
    }
    assert!(
        !stdout.contains(&refresh_token) && !stderr.contains(&refresh_token),
        "the refresh token leaked into login output"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&refresh_token),
        "the refresh token leaked into status"
    );

    // The stored refresh token is a real one at the provider.
    let (code, body) = env.refresh(&refresh_token);
    assert_eq!(
        code,
        200,
        "refresh grant before logout: {body}\n{}",
        env.logs()
    );
    assert!(body["access_token"].is_string(), "{body}");

    // Logout revokes it at the discovered revocation endpoint.
    let out = env.dc().arg("logout").output().unwrap();
    assert!(
        out.status.success(),
        "devcontext logout failed:\nstdout: {}\nstderr: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        env.logs()
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("revoked"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        env.provider
            .log_text()
            .contains("POST /token/revocation -> 200"),
        "{}",
        env.logs()
    );
    let (code, body) = env.refresh(&refresh_token);
    assert_eq!(
        code, 400,
        "the refresh token still works after logout: {body}"
    );
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert_eq!(
        stored_refresh_token(&home),
        None,
        "the refresh token is still stored after logout"
    );
    let out = env.dc().args(["status", "--json"]).output().unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status["login"].is_null(), "{status}");
}
