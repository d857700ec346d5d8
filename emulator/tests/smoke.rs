//! Smoke test of the `devcontext-emulator` binary itself: it starts, prints
//! its configuration, and serves discovery, the device flow, a Token Vault
//! error and the demo model the way devcontext's other tests rely on.
//!
//! Being an integration test of this package, it also makes a plain `cargo
//! test` build the emulator binary before devcontext's suites run; they find
//! it next to the devcontext binary (tests/common/mod.rs, `emulator_bin`,
//! which runs `cargo test --no-run --workspace --test smoke` when a run did
//! not build it: keep this file's name).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Kills the emulator (by its own PID) when the test ends, even on panic.
struct Emulator {
    child: Child,
    env: HashMap<String, String>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    fn start() -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_devcontext-emulator"))
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start devcontext-emulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut env = HashMap::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read emulator stdout");
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once('=').expect("KEY=VALUE line");
            env.insert(k.to_string(), v.to_string());
        }
        Emulator { child, env }
    }

    fn var(&self, k: &str) -> &str {
        self.env
            .get(k)
            .unwrap_or_else(|| panic!("emulator did not print {k}"))
    }
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

async fn post_form(c: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = c.post(url).form(form).send().await.expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn emulator_smoke() {
    let emu = Emulator::start();
    let base = emu.var("DEVCONTEXT_EMULATOR_URL").to_string();
    for k in [
        "DEVCONTEXT_AUTH0_DOMAIN",
        "DEVCONTEXT_AUTH0_CLIENT_ID",
        "DEVCONTEXT_AUTH0_AUDIENCE",
        "DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID",
        "DEVCONTEXT_AUTH0_API_CLIENT_ID",
        "DEVCONTEXT_GITHUB_API_URL",
        "DEVCONTEXT_SLACK_API_URL",
        "DEVCONTEXT_CALENDAR_API_URL",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
    ] {
        assert!(!emu.var(k).is_empty(), "{k} is empty");
    }
    assert!(
        emu.var("DEVCONTEXT_AUTH0_CLIENT_SECRET")
            .starts_with("emu_cs_")
    );
    assert!(
        emu.var("DEVCONTEXT_AUTH0_API_CLIENT_SECRET")
            .starts_with("emu_cs_")
    );
    let c = http();

    // Discovery.
    let disc: Value = c
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(disc["issuer"], json!(format!("{base}/")));
    assert_eq!(disc["token_endpoint"], json!(format!("{base}/oauth/token")));
    assert_eq!(
        disc["device_authorization_endpoint"],
        json!(format!("{base}/oauth/device/code"))
    );

    // Device flow with approval (interval 1 s through the knob).
    let knobs = c
        .post(format!("{base}/__emulator/knobs"))
        .json(&json!({"device_interval": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(knobs.status().as_u16(), 200);
    let device_client = emu.var("DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID");
    let audience = emu.var("DEVCONTEXT_AUTH0_AUDIENCE");
    let (status, dc) = post_form(
        &c,
        &format!("{base}/oauth/device/code"),
        &[
            ("client_id", device_client),
            ("scope", "openid profile offline_access"),
            ("audience", audience),
        ],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    assert_eq!(dc["interval"], json!(1));
    assert_eq!(dc["verification_uri"], json!(format!("{base}/activate")));
    let device_code = dc["device_code"].as_str().unwrap().to_string();
    let user_code = dc["user_code"].as_str().unwrap().to_string();
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", device_client),
        ("device_code", device_code.as_str()),
    ];
    let (status, pending) = post_form(&c, &format!("{base}/oauth/token"), &poll).await;
    assert_eq!(
        (status, pending["error"].clone()),
        (403, json!("authorization_pending"))
    );
    let approve = c
        .post(format!("{base}/__emulator/device/approve"))
        .json(&json!({"user_code": user_code}))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, tokens) = post_form(&c, &format!("{base}/oauth/token"), &poll).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(
        tokens["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("emu_rt_")
    );
    assert!(tokens["id_token"].is_string());
    let access_token = tokens["access_token"].as_str().unwrap().to_string();

    // Token Vault exchange (Design B, access token as subject) without a connected account.
    let (status, err) = post_form(
        &c,
        &format!("{base}/oauth/token"),
        &[
            (
                "grant_type",
                "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
            ),
            ("client_id", emu.var("DEVCONTEXT_AUTH0_API_CLIENT_ID")),
            ("client_secret", emu.var("DEVCONTEXT_AUTH0_API_CLIENT_SECRET")),
            ("subject_token", access_token.as_str()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            (
                "requested_token_type",
                "http://auth0.com/oauth/token-type/federated-connection-access-token",
            ),
            ("connection", "github"),
        ],
    )
    .await;
    assert_eq!(status, 401, "{err}");
    assert_eq!(
        err["error"],
        json!("federated_connection_refresh_token_not_found")
    );

    // Demo model: first a parallel tool call, then a brief built from the tool results.
    let models = emu.var("OPENAI_BASE_URL");
    let tools = json!([
        {"type": "function", "function": {"name": "github_review_requests", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "calendar_today", "parameters": {"type": "object"}}},
    ]);
    let first: Value = c
        .post(format!("{models}/chat/completions"))
        .bearer_auth(emu.var("OPENAI_API_KEY"))
        .json(&json!({"model": "emulator-demo", "tools": tools,
                      "messages": [{"role": "user", "content": "Brief me for standup"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let choice = &first["choices"][0];
    assert_eq!(choice["finish_reason"], json!("tool_calls"));
    let calls = choice["message"]["tool_calls"].as_array().unwrap();
    let names: Vec<&str> = calls
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["github_review_requests", "calendar_today"]);
    let second: Value = c
        .post(format!("{models}/chat/completions"))
        .json(&json!({"model": "emulator-demo", "tools": tools, "messages": [
            {"role": "user", "content": "Brief me for standup"},
            choice["message"],
            {"role": "tool", "tool_call_id": calls[0]["id"],
             "content": "{\"items\":[{\"title\":\"Add idempotency keys to refund endpoint\",\"url\":\"https://github.com/acme/payments/pull/482\"}]}"},
            {"role": "tool", "tool_call_id": calls[1]["id"],
             "content": "{\"error\":\"Google Calendar is not connected\",\"hint\":\"Run devcontext connect google\"}"},
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["choices"][0]["finish_reason"], json!("stop"));
    let brief = second["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(brief.contains("### GitHub"), "{brief}");
    assert!(
        brief.contains("Add idempotency keys to refund endpoint"),
        "{brief}"
    );
    assert!(
        brief.contains("I could not read Calendar: Google Calendar is not connected"),
        "{brief}"
    );
    assert!(brief.contains("Run devcontext connect google"), "{brief}");

    // The request log records traffic without raw secrets.
    let log = c
        .get(format!("{base}/__emulator/requests"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("federated-connection-access-token"));
    assert!(!log.contains(&device_code));
    assert!(!log.contains(&access_token));
}
