#!/usr/bin/env python3
"""Benchmark of the audit store on 1,000,000 events (issue: core, point 11).

usage: benches/audit_query.py [--events N] [--runs R] [--bin target/release/devcontext]

Builds a store with the real schema (created by devcontext itself), fills it
with N events spread over 90 days across the three services, then times, in
the same run and on the same file:
  1. `devcontext audit --service slack --since 7d --limit 50 --json`
     vs the sqlite3 shell running the same listing query with -json
     (devcontext also counts the matches for "showing 50 of N");
  2. a full `devcontext audit --ndjson` export
     vs `sqlite3 -json` of every row, both written to /dev/null;
and reports medians and peak memory (max RSS). Targets: query within 1.5x of
sqlite3; export within 2x and under 50 MB peak. Exits 1 if a target is missed.
"""
import argparse, os, resource, statistics, subprocess, sys, tempfile, time

COLS = ("id, ts_ms, run_id, command, service, tool, action, endpoint, decision, "
        "reason, http_status, duration_ms, prev_hash, hash")

def run(cmd, env):
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t0

def peak_rss_mb(cmd, env):
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execvpe(cmd[0], cmd, env)
    _, status, usage = os.wait4(pid, 0)
    assert status == 0, f"{cmd} failed"
    return usage.ru_maxrss / 1024

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--bin", default="target/release/devcontext")
    a = ap.parse_args()
    home = tempfile.mkdtemp(prefix="dc-bench-")
    env = dict(os.environ, DEVCONTEXT_HOME=home, NO_COLOR="1")
    subprocess.run([a.bin, "perms", "check", "github"], env=env, check=True, stdout=subprocess.DEVNULL)
    db = os.path.join(home, "state", "audit.db")
    now_ms = int(time.time() * 1000)
    span = 90 * 86400 * 1000
    t0 = time.perf_counter()
    fill = f"""
    DELETE FROM events;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {a.events})
    INSERT INTO events ({COLS})
    SELECT i, {now_ms - span} + i * {span // a.events},
           printf('%016x', i / 20), 'ask',
           CASE i % 3 WHEN 0 THEN 'github' WHEN 1 THEN 'calendar' ELSE 'slack' END,
           CASE i % 3 WHEN 0 THEN 'github.review_requests' WHEN 1 THEN 'calendar.today' ELSE 'slack.unread' END,
           CASE i % 4 WHEN 0 THEN 'permission_check' WHEN 1 THEN 'token_exchange' ELSE 'api_call' END,
           CASE i % 4 WHEN 2 THEN 'GET /search/issues' ELSE NULL END,
           CASE WHEN i % 17 = 0 THEN 'denied' ELSE 'granted' END,
           'read slack.unread: reads of slack are allowed by default',
           CASE i % 4 WHEN 2 THEN 200 ELSE NULL END, i % 300,
           printf('%064x', i - 1), printf('%064x', i)
    FROM n;
    """
    subprocess.run(["sqlite3", db], input=fill, text=True, check=True)
    print(f"store: {a.events} events in {time.perf_counter() - t0:.1f}s, {os.path.getsize(db) / 1e6:.0f} MB")

    since = now_ms - 7 * 86400 * 1000
    pairs = {
        "filtered query": (
            [a.bin, "audit", "--service", "slack", "--since", "7d", "--limit", "50", "--json"],
            # The same SQL devcontext runs (src/audit/query.rs): `+ts_ms` keeps
            # the planner on events_service_id, newest first; without it
            # SQLite picks events_service_ts and sorts every match (~20x slower).
            ["sqlite3", "-json", db, f"SELECT {COLS} FROM events WHERE service = 'slack' AND +ts_ms >= {since} ORDER BY id DESC LIMIT 50"],
            1.5,
        ),
        "full export": (
            [a.bin, "audit", "--ndjson"],
            ["sqlite3", "-json", db, f"SELECT {COLS} FROM events ORDER BY id DESC"],
            2.0,
        ),
    }
    ok = True
    for name, (ours, theirs, target) in pairs.items():
        runs = a.runs if name == "filtered query" else max(3, a.runs // 3)
        for cmd in (ours, theirs):  # warm the page cache
            run(cmd, env)
        t_ours, t_theirs = [], []
        for _ in range(runs):  # interleaved, so both see the same machine load
            t_ours.append(run(ours, env))
            t_theirs.append(run(theirs, env))
        m_ours, m_theirs = statistics.median(t_ours), statistics.median(t_theirs)
        ratio = m_ours / m_theirs
        rss_ours, rss_theirs = peak_rss_mb(ours, env), peak_rss_mb(theirs, env)
        verdict = "ok" if ratio <= target else "MISSED"
        if name == "full export" and rss_ours >= 50:
            verdict = "MISSED (memory)"
        ok &= verdict == "ok"
        print(f"{name}: devcontext {m_ours * 1000:.1f} ms, sqlite3 {m_theirs * 1000:.1f} ms, "
              f"ratio {ratio:.2f} (target <= {target}), peak RSS devcontext {rss_ours:.1f} MB, "
              f"sqlite3 {rss_theirs:.1f} MB, {runs} runs each: {verdict}")
    subprocess.run(["rm", "-rf", home])
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
