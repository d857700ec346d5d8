//! Eight processes call GitHub, Slack and Calendar tools against the
//! emulator (`devcontext tool ...`, and every third time `devcontext perms
//! check SERVICE`, the same decision as scripts ask for it) while a ninth
//! revokes and grants Slack and GitHub over and over. Afterwards the audit store must account for every call and every
//! decision must match the permission in force at that point of the chain.
//!
//! How the assertion stays sound: the audit store is one hash-chained,
//! totally ordered log. A permission change is applied and its
//! `permission_change` event appended under the audit store's write lock, and
//! a check reads the rule and appends its `permission_check` event under the
//! same lock (src/broker/gate.rs, src/commands/perms.rs). So the chain's order is
//! the order in which rules were read and written, and replaying the change
//! events by id gives the state each check saw. Each process's run id comes
//! from its `-v` log (`audit run ID (tool)`), so every invocation, with its
//! exit code, is matched to exactly its own events.
//!
//! Pass or fail does not depend on timing: the first call of every worker
//! runs while Slack and GitHub are revoked (blocked, exit 7), the last one
//! after both are granted again (exit 0), and whatever interleaving happens
//! in between is checked against the chain.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use common::{TestEnv, all_events};
use serde_json::Value;

const WORKERS: [(&str, &str); 8] = [
    ("slack", "unread"),
    ("github", "review_requests"),
    ("slack", "unread"),
    ("calendar", "today"),
    ("github", "review_requests"),
    ("slack", "unread"),
    ("github", "review_requests"),
    ("calendar", "today"),
];
/// Calls per worker while the permissions flip (plus one before, one after).
const RACING_CALLS: usize = 12;
/// The flips the ninth process cycles through.
const FLIPS: [(&str, &str); 4] = [
    ("revoke", "slack"),
    ("revoke", "github"),
    ("grant", "slack"),
    ("grant", "github"),
];

/// One finished process: what it ran, how it ended and its audit run id.
#[derive(Debug, Clone)]
struct Run {
    service: &'static str,
    /// The tool's short name; "*" for `perms check SERVICE`; "" for a flip.
    tool: &'static str,
    /// `perms` runs: "grant" or "revoke"; tool and check runs: None.
    flip: Option<&'static str>,
    exit: i32,
    /// None if the process never opened the audit store (checked after the
    /// threads are joined: a panic in a worker would leave the others
    /// waiting at a barrier).
    run_id: Option<String>,
    stderr: String,
}

impl Run {
    fn id(&self) -> &str {
        self.run_id
            .as_deref()
            .unwrap_or_else(|| panic!("no run id in the -v output: {}", self.stderr))
    }
}

/// The run id devcontext names at `-v` when it opens the audit store.
fn run_id(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|l| {
        let rest = l.split("audit run ").nth(1)?;
        let id = rest.split_whitespace().next()?;
        (id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit())).then(|| id.to_string())
    })
}

/// Runs `devcontext -v ARGS`. Never panics (that would strand the other
/// threads at a barrier): failures are reported after the join.
fn run(
    env: &TestEnv,
    args: &[&str],
    service: &'static str,
    tool: &'static str,
    flip: Option<&'static str>,
) -> Run {
    let (exit, stderr) = match env.std_dc().arg("-v").args(args).output() {
        Ok(out) => (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).to_string(),
        ),
        Err(e) => (-1, format!("cannot run devcontext: {e}")),
    };
    Run {
        service,
        tool,
        flip,
        exit,
        run_id: run_id(&stderr),
        stderr,
    }
}

fn tool_call(env: &TestEnv, service: &'static str, tool: &'static str) -> Run {
    run(env, &["tool", service, tool, "--json"], service, tool, None)
}

/// `devcontext perms check SERVICE`: the same decision scripts ask for
/// (exit 0 or 7, audited), with its own open-then-append path.
fn perms_check(env: &TestEnv, service: &'static str) -> Run {
    run(env, &["perms", "check", service], service, "*", None)
}

fn flip(env: &TestEnv, op: &'static str, service: &'static str) -> Run {
    run(env, &["perms", op, service], service, "", Some(op))
}

#[test]
fn decisions_match_the_permission_in_force_under_concurrent_flips() {
    let started = Instant::now();
    let env = TestEnv::connected();
    for service in ["slack", "github"] {
        env.dc()
            .args(["perms", "revoke", service])
            .assert()
            .success();
    }

    let runs = Mutex::new(Vec::<Run>::new());
    let first_calls_done = Barrier::new(WORKERS.len() + 1);
    let flips_done = Barrier::new(WORKERS.len() + 1);
    let racing_workers = AtomicUsize::new(WORKERS.len());
    std::thread::scope(|s| {
        for &(service, tool) in &WORKERS {
            let (env, runs) = (&env, &runs);
            let (first_calls_done, flips_done, racing_workers) =
                (&first_calls_done, &flips_done, &racing_workers);
            s.spawn(move || {
                // Slack and GitHub are revoked: these are blocked, calendar is not.
                runs.lock().unwrap().push(tool_call(env, service, tool));
                first_calls_done.wait();
                for k in 0..RACING_CALLS {
                    let run = if k % 3 == 2 {
                        perms_check(env, service)
                    } else {
                        tool_call(env, service, tool)
                    };
                    runs.lock().unwrap().push(run);
                }
                racing_workers.fetch_sub(1, Ordering::SeqCst);
                // Everything is granted again: these succeed.
                flips_done.wait();
                runs.lock().unwrap().push(tool_call(env, service, tool));
            });
        }
        let (env, runs) = (&env, &runs);
        let (first_calls_done, flips_done, racing_workers) =
            (&first_calls_done, &flips_done, &racing_workers);
        s.spawn(move || {
            first_calls_done.wait();
            let mut i = 0;
            while racing_workers.load(Ordering::SeqCst) > 0 {
                let (op, service) = FLIPS[i % FLIPS.len()];
                runs.lock().unwrap().push(flip(env, op, service));
                i += 1;
            }
            for service in ["slack", "github"] {
                runs.lock().unwrap().push(flip(env, "grant", service));
            }
            flips_done.wait();
        });
    });
    let runs = runs.into_inner().unwrap();

    // Every process ended as the CLI promises: tools 0 (allowed) or 7
    // (blocked), permission changes 0.
    for r in &runs {
        let ok = match r.flip {
            Some(_) => r.exit == 0,
            None => r.exit == 0 || r.exit == 7,
        };
        assert!(
            ok,
            "{} {} {:?} exited {}: {}",
            r.service, r.tool, r.flip, r.exit, r.stderr
        );
    }
    let by_run: HashMap<&str, &Run> = runs.iter().map(|r| (r.id(), r)).collect();
    assert_eq!(by_run.len(), runs.len(), "run ids are unique per process");

    let events = all_events(&env);
    let mut per_run: HashMap<&str, Vec<&Value>> = HashMap::new();
    for e in &events {
        per_run
            .entry(e["run_id"].as_str().unwrap())
            .or_default()
            .push(e);
    }

    // Replay the chain: permission changes set the state, each permission
    // check must agree with the state in force at its position.
    let mut revoked: BTreeMap<&str, bool> =
        [("slack", false), ("github", false), ("calendar", false)].into();
    let (mut checked, mut granted, mut denied, mut changes) = (0, 0, 0, 0);
    for e in &events {
        let run = by_run.get(e["run_id"].as_str().unwrap());
        let service = e["service"].as_str().unwrap_or_default();
        match e["action"].as_str().unwrap() {
            "permission_change" => {
                let reason = e["reason"].as_str().unwrap_or_default();
                let now_revoked = match run.and_then(|r| r.flip) {
                    Some(op) => op == "revoke",
                    // the two revokes before the workers started
                    None => reason.contains("revoked"),
                };
                assert_eq!(e["decision"], "granted", "{e}");
                assert_eq!(
                    reason.contains("revoked"),
                    now_revoked,
                    "the change event says what was done: {e}"
                );
                revoked.insert(service, now_revoked);
                changes += 1;
            }
            "permission_check" => {
                let expected = if revoked[service] {
                    "denied"
                } else {
                    "granted"
                };
                assert_eq!(
                    e["decision"],
                    expected,
                    "event {} decided with {service} {} in force: {e}",
                    e["id"],
                    if revoked[service] {
                        "revoked"
                    } else {
                        "allowed"
                    }
                );
                checked += 1;
            }
            _ => {}
        }
    }

    // Each tool process: exactly its own events, and they agree with its exit code.
    let (mut tool_calls, mut perms_checks) = (0, 0);
    for r in runs.iter().filter(|r| r.flip.is_none()) {
        let mine = per_run.get(r.id()).cloned().unwrap_or_default();
        assert!(!mine.is_empty(), "run {} left no audit event", r.id());
        assert_eq!(
            mine[0]["action"], "permission_check",
            "the gate comes first"
        );
        let decision = &mine[0]["decision"];
        match r.exit {
            0 => {
                assert_eq!(decision, "granted", "exit 0 was allowed: {mine:?}");
                granted += 1;
            }
            7 => {
                assert_eq!(decision, "denied", "exit 7 was blocked: {mine:?}");
                assert!(r.stderr.contains("blocked"), "{}", r.stderr);
                denied += 1;
            }
            _ => unreachable!(),
        }
        if r.tool == "*" {
            // `perms check`: its decision and nothing else.
            perms_checks += 1;
            assert_eq!(mine.len(), 1, "{mine:?}");
            assert_eq!(mine[0]["command"], "perms check");
            assert_eq!(mine[0]["service"], r.service);
            continue;
        }
        tool_calls += 1;
        let full = format!("{}.{}", r.service, r.tool);
        assert!(
            mine.iter().all(|e| e["tool"] == full.as_str()
                && e["service"] == r.service
                && e["command"] == "tool"),
            "run {} has only {full} events: {mine:?}",
            r.id()
        );
        let of = |action: &str| -> Vec<&&Value> {
            mine.iter().filter(|e| e["action"] == action).collect()
        };
        assert_eq!(
            of("permission_check").len(),
            1,
            "one decision per call: {mine:?}"
        );
        if r.exit == 0 {
            let exchanges = of("token_exchange");
            assert_eq!(exchanges.len(), 1, "one exchange per process: {mine:?}");
            assert_eq!(exchanges[0]["decision"], "granted");
            assert!(exchanges[0]["id"].as_i64() < mine.last().unwrap()["id"].as_i64());
            let calls = of("api_call");
            assert!(!calls.is_empty(), "a successful call reached the API");
            assert!(calls.iter().all(|e| e["decision"] == "granted"));
            assert_eq!(mine.len(), 2 + calls.len(), "nothing else: {mine:?}");
        } else {
            assert_eq!(
                mine.len(),
                1,
                "a blocked call makes no exchange or API call"
            );
        }
    }
    // Each flip: exactly one permission_change event.
    for r in runs.iter().filter(|r| r.flip.is_some()) {
        let mine = per_run.get(r.id()).cloned().unwrap_or_default();
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert_eq!(mine[0]["action"], "permission_change");
        assert_eq!(mine[0]["service"], r.service);
    }
    // Every audited decision belongs to one of our processes, and back.
    let deciding_runs = runs.iter().filter(|r| r.flip.is_none()).count();
    assert_eq!(checked, deciding_runs, "one audited decision per call");
    assert_eq!(granted + denied, deciding_runs);
    // The fixed phases guarantee both outcomes, whatever the interleaving.
    let blocked_first = WORKERS.iter().filter(|(s, _)| *s != "calendar").count();
    assert!(
        denied >= blocked_first,
        "the first slack/github calls were blocked"
    );
    assert!(granted >= WORKERS.len(), "the last calls succeeded");

    let report = common::audit_verify(&env);
    assert_eq!(report["checked"], events.len());
    eprintln!(
        "concurrency: {tool_calls} tool calls and {perms_checks} `perms check`s \
         ({granted} allowed, {denied} blocked), {changes} permission changes, \
         {checked} decisions checked against the chain, \
         {} events verified in {:.1} s",
        events.len(),
        started.elapsed().as_secs_f64()
    );
}
