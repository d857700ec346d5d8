//! The real local model (Qwen2.5-Coder 0.5B through llama.cpp, testing.md
//! section 3) answers a standup brief end to end. Tolerant assertions: a tool
//! ran through the broker, the loop ended, the audit holds the calls.
//! Needs `scripts/model.sh install` (scripts/test.sh runs it).

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestEnv;

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn real_model_writes_a_standup_brief_through_the_broker() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".ci/cache/llm/bin/python");
    let model = root.join(".ci/cache/qwen2.5-coder-0.5b.gguf");
    assert!(
        python.exists() && model.exists(),
        "the local model is not installed: run `scripts/model.sh install`"
    );
    let shared = std::env::var("DEVCONTEXT_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared"));
    let port = common::free_port();
    let server = Server(
        Command::new(&python)
            .arg(shared.join("tools/llm-server.py"))
            .arg(&model)
            .arg(port.to_string())
            .arg("local")
            .env(
                "LLM_CHAT_TEMPLATE_FILE",
                shared.join("tools/qwen2.5-fenced-tools.jinja"),
            )
            .env("LLM_VERBOSITY", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let health = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    loop {
        let ok = Command::new("curl")
            .args(["-sf", &health])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        if ok {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the model server did not become ready"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let mut env = TestEnv::connected();
    env.set("OPENAI_BASE_URL", &format!("http://127.0.0.1:{port}/v1"));
    env.set("DEVCONTEXT_MODEL", "local");
    // Greedy decoding with a short answer limit (testing.md): the small
    // model's tool calls are steady, and it cannot ramble until the timeout.
    env.set("DEVCONTEXT_MODEL_TEMPERATURE", "0");
    env.set("DEVCONTEXT_MODEL_MAX_TOKENS", "384");
    let out = env
        .dc()
        .timeout(Duration::from_secs(240))
        .args([
            "ask",
            "--json",
            "--max-steps",
            "4",
            "Brief me for standup: my pull requests awaiting review and today's meetings",
        ])
        .output()
        .unwrap();
    let mut server = server;
    let mut log = String::new();
    if !out.status.success() && out.status.code() != Some(8) {
        let _ = server.0.kill();
        if let Some(mut e) = server.0.stderr.take() {
            let _ = e.read_to_string(&mut log);
        }
    }
    // The loop ended: with an answer, or at the step limit (exit 8) which is also an ending.
    assert!(
        matches!(out.status.code(), Some(0) | Some(8)),
        "ask failed: {}\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = r["tool_calls"].as_array().unwrap();
    assert!(
        calls.iter().any(|c| c["decision"] == "granted"),
        "a tool ran: {r}"
    );
    let run = r["run_id"].as_str().unwrap();
    let audited = env.json(&["audit", "--run", run, "--action", "api_call", "--json"]);
    assert!(
        !audited.as_array().unwrap().is_empty(),
        "the audit holds the calls"
    );
    let models = env.json(&["audit", "--run", run, "--action", "model_call", "--json"]);
    assert!(
        models.as_array().unwrap().len() >= 2,
        "at least a tool step and an answer step"
    );
}
