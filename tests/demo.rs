//! scripts/demo.sh as a person runs it: its brief reads like one a person
//! would write, its step headers can be pasted back into a shell, and it
//! leaves no temporary file behind (the emulator's env file holds client
//! secrets), also when interrupted.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

fn demo(tmp: &Path) -> Command {
    let root = env!("CARGO_MANIFEST_DIR");
    // Started the way a terminal starts it: SIGINT at its default, even when
    // this test runs where it is ignored (a background job), since a shell
    // cannot trap a signal that was ignored when it started.
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); \
         os.execvp('bash', ['bash', sys.argv[1]])",
    ])
    .arg(Path::new(root).join("scripts/demo.sh"))
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .env("TMPDIR", tmp)
    // The binaries this test was built with (the emulator sits next to
    // devcontext): no build inside the script, whose feature set (no
    // dev-dependencies) could differ and take minutes.
    .env(
        "DEVCONTEXT_BIN_DIR",
        common::emulator_bin().parent().unwrap(),
    )
    .env("TZ", "XST-1")
    .env("NO_COLOR", "1")
    .stdin(Stdio::null());
    for key in [
        "HOME",
        "CARGO_TARGET_DIR",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
    ] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd
}

/// What is left in `dir` (the demo's TMPDIR).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect()
}

#[test]
fn the_demo_reads_like_the_product_and_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = demo(tmp.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");

    // Step headers as a shell takes them.
    assert!(
        stderr.contains("$ devcontext ask 'standup brief'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("$ devcontext perms reset slack"),
        "{stderr}"
    );

    // The brief: who, what and when, one line each; local times; no raw JSON.
    assert!(
        stdout.contains("### GitHub: pull requests to review"),
        "{stdout}"
    );
    assert!(
        stdout.contains("- acme/payments#482 Add idempotency keys to refund endpoint — by sam-lee"),
        "{stdout}"
    );
    assert!(
        stdout.contains("### Calendar: today's meetings"),
        "{stdout}"
    );
    assert!(stdout.contains("Daily standup"), "{stdout}");
    assert!(stdout.contains("mentioned you in #incidents"), "{stdout}");
    assert!(stdout.contains("on call from 17:00"), "{stdout}");
    assert!(stdout.contains("(DM, "), "{stdout}");
    assert!(!stdout.contains("{\""), "raw JSON in the brief: {stdout}");
    assert!(
        !stdout.contains(":00Z"),
        "a raw UTC stamp in the brief: {stdout}"
    );
    // With Slack revoked, the second brief says so and how to undo it.
    assert!(stdout.contains("perms reset slack"), "{stdout}");

    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn an_interrupted_demo_removes_its_secrets_and_state() {
    let tmp = tempfile::tempdir().unwrap();
    // A model endpoint that accepts and never answers: the demo is then
    // surely mid-run (in `ask`, with the emulator up and its env file
    // written) when the interrupt comes.
    let model = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", model.local_addr().unwrap());
    let mut child = demo(tmp.path())
        .env("OPENAI_BASE_URL", url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    model.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let _held = loop {
        if let Ok((conn, _)) = model.accept() {
            break conn;
        }
        assert!(Instant::now() < deadline, "the demo never asked the model");
        assert!(child.try_wait().unwrap().is_none(), "the demo ended early");
        std::thread::sleep(Duration::from_millis(50));
    };
    let secrets = std::fs::read_dir(tmp.path()).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("devcontext-demo-env")
            && std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("CLIENT_SECRET"))
    });
    assert!(
        secrets,
        "the env file with the emulator's secrets exists mid-run"
    );
    // Ctrl-C: SIGINT to the whole process group, as a terminal sends it.
    let pgid = child.id() as i32;
    let status = Command::new("kill")
        .args(["-s", "INT", "--", &format!("-{pgid}")])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    // 130: ended by the interrupt (not by the silent model timing out).
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}
