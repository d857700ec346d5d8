//! Auth0 flows end to end: the real `devcontext` binary against the real
//! `devcontext-emulator` over loopback HTTP. Browser login (a BROWSER script
//! that fetches the URL), device login, connect/list/disconnect, logout,
//! credential storage (file with its permissions, and the real Secret Service
//! when the suite runs under scripts/test.sh), and a leak scan.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use predicates::prelude::*;
use serde_json::Value;

mod common;

use common::TestEnv;

/// The harness's test environment with this credential store (`file`,
/// `keyring` or `auto`). The keyring session's variables pass through:
/// scripts/test.sh runs the suite inside a D-Bus session with gnome-keyring.
fn env_with_store(store: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("DEVCONTEXT_CREDENTIAL_STORE", store);
    for var in [
        "DBUS_SESSION_BUS_ADDRESS",
        "XDG_RUNTIME_DIR",
        "GNOME_KEYRING_CONTROL",
        "XDG_DATA_HOME",
    ] {
        if let Ok(v) = std::env::var(var) {
            env.set(var, &v);
        }
    }
    env
}

fn login(env: &TestEnv) {
    env.dc()
        .args(["login"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Logged in as dana@example.com"));
}

fn connect_all(env: &TestEnv) {
    for s in ["github", "slack", "google"] {
        env.dc().args(["connect", s]).assert().success();
    }
}

fn service<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == name)
        .unwrap()
}

#[test]
fn browser_login_connect_list_disconnect_and_logout() {
    let env = env_with_store("file");
    env.dc()
        .args(["connect", "github"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("devcontext login"));
    login(&env);
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["login"]["user"]["email"], "dana@example.com");
    assert_eq!(status["login"]["credential_store"], "file");
    assert_eq!(status["login"]["method"], "browser");

    // the credential file is private, in a private folder
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = env.home.path().join("dc/credentials");
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let file = dir.join("credentials.json");
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    connect_all(&env);
    let accounts = env.json(&["connections", "--json"]);
    let connections: Vec<_> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["connection"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(connections.len(), 3, "{accounts}");
    for c in ["github", "sign-in-with-slack", "google-oauth2"] {
        assert!(connections.iter().any(|x| x == c), "{c} in {connections:?}");
    }
    let google = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["connection"] == "google-oauth2")
        .unwrap();
    assert!(
        google["scopes"].to_string().contains("calendar.readonly"),
        "least-privilege default scopes: {google}"
    );

    let perms = env.json(&["perms", "list", "--json"]);
    assert_eq!(service(&perms, "slack")["state"], "connected");
    env.dc()
        .args(["perms", "revoke", "slack"])
        .assert()
        .success();
    let perms = env.json(&["perms", "list", "--json"]);
    assert_eq!(service(&perms, "slack")["state"], "revoked");

    env.dc()
        .args(["disconnect", "slack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Disconnected Slack"));
    env.dc()
        .args(["perms", "grant", "slack"])
        .assert()
        .success();
    let perms = env.json(&["perms", "list", "--json"]);
    assert_eq!(service(&perms, "slack")["state"], "not_connected");
    assert_eq!(service(&perms, "github")["state"], "connected");

    let audit = env.json(&["audit", "--json", "--limit", "200"]);
    let actions: Vec<_> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for a in ["login", "connect", "disconnect", "permission_change"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }

    env.dc()
        .args(["logout"])
        .assert()
        .success()
        .stdout(predicate::str::contains("revoked at Auth0"));
    let log = env.get("/__emulator/requests");
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == "/oauth/revoke"),
        "logout revoked the refresh token"
    );
    env.dc().args(["connections"]).assert().code(3);
    let creds = std::fs::read_to_string(env.home.path().join("dc/credentials/credentials.json"))
        .unwrap_or_default();
    assert!(!creds.contains("emu_rt_"), "refresh token deleted");
}

#[test]
fn device_login_waits_for_approval() {
    let env = env_with_store("file");
    env.control(
        "POST",
        "/__emulator/knobs",
        serde_json::json!({"device_interval": 1}),
    );
    let mut child = env
        .std_dc()
        .args(["login", "--device", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut code = None;
    let mut line = String::new();
    while code.is_none() {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "login exited before printing a code"
        );
        if let Some(rest) = line.split("confirm this code: ").nth(1) {
            code = Some(rest.trim().to_string());
        }
    }
    let code = code.unwrap();
    assert!(!line.contains("device_code"));
    env.control(
        "POST",
        "/__emulator/device/approve",
        serde_json::json!({"user_code": code}),
    );
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Logged in as dana@example.com"));
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["login"]["method"], "device");
    // Design B: connect with the native app's session, then exchange its access
    // token (not a refresh token) with the Custom API Client's credentials.
    env.dc().args(["connect", "github"]).assert().success();
    env.dc()
        .args(["tool", "github", "review_requests", "--json"])
        .assert()
        .success();
    let log = env.get("/__emulator/requests");
    let exchange = log
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["grant_type"]
                .as_str()
                .is_some_and(|g| g.ends_with("federated-connection-access-token"))
        })
        .expect("an exchange");
    assert_eq!(
        exchange["subject_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(exchange["status"], 200);
}

#[test]
fn device_login_denied_is_reported() {
    let env = env_with_store("file");
    env.control(
        "POST",
        "/__emulator/knobs",
        serde_json::json!({"device_interval": 1}),
    );
    let mut child = env
        .std_dc()
        .args(["login", "--device", "--no-browser"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let code = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0);
        if let Some(rest) = line.split("confirm this code: ").nth(1) {
            break rest.trim().to_string();
        }
    };
    env.control(
        "POST",
        "/__emulator/device/deny",
        serde_json::json!({"user_code": code}),
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(rest.contains("cancelled or denied"), "{rest}");
}

#[test]
fn bad_tenant_settings_get_one_line_with_a_hint() {
    let env = env_with_store("file");
    env.dc()
        .env("DEVCONTEXT_AUTH0_DOMAIN", "http://auth.example.com")
        .args(["login"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain http://").and(predicate::str::contains("hint:")));
    env.dc()
        .env("DEVCONTEXT_AUTH0_CLIENT_SECRET", "wrong-secret")
        .args(["login"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("client credentials")
                .or(predicate::str::contains("Unauthorized")),
        );
    env.dc()
        .env_remove("DEVCONTEXT_AUTH0_DOMAIN")
        .args(["login"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no Auth0 tenant is configured"));
}

/// Runs under scripts/test.sh inside a D-Bus session with an unlocked
/// gnome-keyring; there the refresh token must go to the Secret Service and
/// no credential file may be written.
#[test]
fn keyring_holds_credentials_under_a_secret_service() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        common::skip(
            "keyring_holds_credentials_under_a_secret_service",
            "there is no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set); \
             scripts/test.sh runs the suite inside one with an unlocked gnome-keyring",
            "DEVCONTEXT_REQUIRE_KEYRING",
        );
        return;
    }
    let env = env_with_store("keyring");
    login(&env);
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["login"]["credential_store"], "keyring");
    assert!(
        !env.home
            .path()
            .join("dc/credentials/credentials.json")
            .exists()
    );
    env.dc().args(["connect", "github"]).assert().success();
    env.dc().args(["logout"]).assert().success();
}

#[test]
fn auto_store_falls_back_to_a_file_with_a_warning_without_a_keyring() {
    let env = env_with_store("auto");
    let out = env
        .dc()
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["login"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("warning: no usable OS keyring").count(),
        1,
        "{stderr}"
    );
    let status = env.json(&["status", "--json"]);
    assert_eq!(status["login"]["credential_store"], "file");
}

#[test]
fn no_secret_leaks_into_state_files_or_output() {
    let env = env_with_store("file");
    let mut outputs = String::new();
    let mut run = |args: &[&str]| {
        let out = env.dc().args(args).arg("-v").output().unwrap();
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        outputs.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    run(&["login"]);
    for s in ["github", "slack", "google"] {
        run(&["connect", s]);
    }
    run(&["connections", "--json"]);
    for (svc, tool) in [
        ("github", "review_requests"),
        ("slack", "unread"),
        ("calendar", "today"),
    ] {
        run(&["tool", svc, tool, "--json"]);
        run(&["tool", svc, tool]);
    }
    run(&["status", "--json"]);
    run(&["audit", "--json", "--limit", "500"]);
    let secrets = env.get("/__emulator/secrets");
    let mut values: Vec<String> = Vec::new();
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.len() >= 8 => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            Value::Object(o) => o.values().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    collect(&secrets, &mut values);
    assert!(
        values.len() >= 3,
        "the emulator reports its secrets: {secrets}"
    );
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    walk(&env.home.path().join("dc"), &mut files);
    for secret in &values {
        assert!(
            !outputs.contains(secret.as_str()),
            "a secret leaked into command output"
        );
        for f in &files {
            if f.ends_with("credentials.json") {
                continue;
            }
            let bytes = std::fs::read(f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into {}",
                f.display()
            );
        }
    }
}

#[test]
fn rotated_refresh_tokens_survive_concurrent_runs() {
    let env = env_with_store("file");
    login(&env);
    env.control(
        "POST",
        "/__emulator/knobs",
        serde_json::json!({"rotation": true}),
    );
    // Six processes refresh at once (each `connections` spends the refresh
    // token for a My Account API token). With rotation, a token spent twice
    // revokes the whole family: the credential lock must serialise them.
    let children: Vec<_> = (0..6)
        .map(|_| {
            env.std_dc()
                .args(["connections", "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // the latest rotated token was kept: the session still works
    env.dc().args(["connections", "--json"]).assert().success();
    let log = env.get("/__emulator/requests");
    let refreshes = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["grant_type"] == "refresh_token" && r["status"] == 200)
        .count();
    assert_eq!(refreshes, 7, "every run refreshed once, successfully");
}

#[test]
fn config_prompts_keep_the_secret_out_of_the_config_file() {
    let env = env_with_store("file");
    let var = |k: &str| env.emu.env.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let (domain, client_id, secret) = (
        var("DEVCONTEXT_AUTH0_DOMAIN"),
        var("DEVCONTEXT_AUTH0_CLIENT_ID"),
        var("DEVCONTEXT_AUTH0_CLIENT_SECRET"),
    );
    // without a terminal: one line, exit 2
    env.dc()
        .arg("config")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a terminal"));
    // on a terminal (util-linux `script` gives it a pty): the answers are saved
    let bin = common::devcontext_bin().display();
    let mut cmd = env.std_dc();
    cmd.env_remove("DEVCONTEXT_AUTH0_DOMAIN")
        .env_remove("DEVCONTEXT_AUTH0_CLIENT_ID")
        .env_remove("DEVCONTEXT_AUTH0_CLIENT_SECRET");
    let mut child = common::captured("script")
        .args(["-qec", &format!("{bin} config"), "/dev/null"])
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env_remove("DEVCONTEXT_AUTH0_DOMAIN")
        .env_remove("DEVCONTEXT_AUTH0_CLIENT_ID")
        .env_remove("DEVCONTEXT_AUTH0_CLIENT_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The secret is typed once its prompt is up and echo is off, as a person
    // would: a terminal echoes whatever is typed ahead of the prompt.
    use std::io::{Read, Write};
    let mut stdin = child.stdin.take().unwrap();
    write!(stdin, "{domain}\n{client_id}\n").unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut screen = Vec::new();
    while !String::from_utf8_lossy(&screen).contains("Client secret (input hidden") {
        let mut buf = [0u8; 512];
        let n = stdout.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "no secret prompt: {}",
            String::from_utf8_lossy(&screen)
        );
        screen.extend_from_slice(&buf[..n]);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    writeln!(stdin, "{secret}").unwrap();
    drop(stdin);
    stdout.read_to_end(&mut screen).unwrap();
    let screen = String::from_utf8_lossy(&screen).into_owned();
    assert!(child.wait().unwrap().success(), "{screen}");
    assert!(
        !screen.contains(&secret),
        "the secret is not shown: {screen}"
    );
    let config = std::fs::read_to_string(env.home.path().join("dc/config.toml")).unwrap();
    assert!(config.contains(&client_id));
    assert!(
        !config.contains(&secret),
        "the secret is not in config.toml"
    );
    // login now works with no secret in the environment: it comes from the store
    env.dc()
        .env_remove("DEVCONTEXT_AUTH0_DOMAIN")
        .env_remove("DEVCONTEXT_AUTH0_CLIENT_ID")
        .env_remove("DEVCONTEXT_AUTH0_CLIENT_SECRET")
        .arg("login")
        .assert()
        .success();
}
