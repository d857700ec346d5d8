#!/usr/bin/env python3
"""Benchmark of audit export to a real OTLP receiver (issue: team audit on OpenTelemetry).

usage: benches/export.py [--events 100000] [--runs 41] [--bin target/release]

Needs oteltap (`python3 -m pip install oteltap`; scripts/test.sh installs it).

1. Backlog: a store with N events (the real schema, created by devcontext,
   filled with sqlite3), then `devcontext audit export --json` to oteltap:
   wall time, events per second, batches, peak memory (max RSS), and a check
   that oteltap printed every record. Target: peak under 50 MB.
2. Latency: `devcontext tool github review_requests --json` against the
   emulator, runs interleaved with export off and on (collector up; each call
   leaves 3 events that ship when it ends). Reports both medians and the
   difference. Target: at most 5 ms added.
Exits 1 if a target is missed.
"""
import argparse, json, os, socket, statistics, subprocess, sys, tempfile, time

COLS = ("id, ts_ms, run_id, command, service, tool, action, endpoint, decision, "
        "reason, http_status, duration_ms, prev_hash, hash")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_tap(out_path):
    port = free_port()
    out = open(out_path, "wb")
    tap = subprocess.Popen([sys.executable, "-u", "-m", "oteltap", "--port", str(port)],
                           stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return tap, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("oteltap did not start")


def count_records(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"{") and b'"body"' in line:
                n += 1
    return n


def timed_rss(cmd, env):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 2)
        out = os.open(env["BENCH_OUT"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execvpe(cmd[0], cmd, env)
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - t0, os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024


def backlog(a, tmp):
    home = os.path.join(tmp, "backlog")
    env = dict(os.environ, DEVCONTEXT_HOME=home, NO_COLOR="1")
    dc = os.path.join(a.bin, "devcontext")
    subprocess.run([dc, "perms", "check", "github"], env=env, check=True, stdout=subprocess.DEVNULL)
    db = os.path.join(home, "state", "audit.db")
    now_ms = int(time.time() * 1000)
    fill = f"""
    DELETE FROM events;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {a.events})
    INSERT INTO events ({COLS})
    SELECT i, {now_ms - 86400000} + i, printf('%016x', i / 20), 'ask',
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
    subprocess.run(["sqlite3", db], input=fill.encode(), check=True)
    tap, port = start_tap(os.path.join(tmp, "tap-backlog.ndjson"))
    try:
        env.update(DEVCONTEXT_EXPORT="on", OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
                   BENCH_OUT=os.path.join(tmp, "export.json"))
        wall, code, rss = timed_rss([dc, "audit", "export", "--json"], env)
        report = json.load(open(env["BENCH_OUT"]))
        deadline = time.time() + 120
        while count_records(os.path.join(tmp, "tap-backlog.ndjson")) < a.events and time.time() < deadline:
            time.sleep(0.5)
        received = count_records(os.path.join(tmp, "tap-backlog.ndjson"))
    finally:
        tap.kill()
        tap.wait()
    ok = code == 0 and report["pending"] == 0 and received >= a.events and rss < 50
    print(f"backlog: {a.events} events exported in {wall:.2f} s = {a.events / wall:,.0f} events/s, "
          f"{report['batches']} batches, peak memory {rss:.1f} MB (target < 50), exit {code}, "
          f"oteltap printed {received} records -> {'ok' if ok else 'MISSED'}")
    return ok


def latency(a, tmp):
    bin_dir = a.bin
    envf = os.path.join(tmp, "emu.env")
    emu = subprocess.Popen([os.path.join(bin_dir, "devcontext-emulator"), "--port", "0"],
                           stdout=open(envf, "w"), stderr=subprocess.DEVNULL)
    tap = None
    try:
        for _ in range(200):
            text = open(envf).read()
            if "\n\n" in text:
                break
            time.sleep(0.05)
        env = dict(os.environ, NO_COLOR="1")
        for line in text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
        browser = os.path.join(tmp, "b.sh")
        with open(browser, "w") as f:
            f.write('#!/bin/sh\ncurl -s -o /dev/null -L "$1" &\n')
        os.chmod(browser, 0o755)
        env.update(DEVCONTEXT_HOME=os.path.join(tmp, "latency"), BROWSER=browser,
                   DEVCONTEXT_CALLBACK_PORT="0", DEVCONTEXT_CREDENTIAL_STORE="file")
        dc = os.path.join(bin_dir, "devcontext")
        subprocess.run([dc, "login"], env=env, check=True, capture_output=True)
        subprocess.run([dc, "connect", "github"], env=env, check=True, capture_output=True)
        tap, port = start_tap(os.path.join(tmp, "tap-latency.ndjson"))
        on = dict(env, DEVCONTEXT_EXPORT="on", OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
        off = dict(env, DEVCONTEXT_EXPORT="off")
        cmd = [dc, "tool", "github", "review_requests", "--json"]
        # Ship the login/connect backlog first; warm the caches.
        subprocess.run([dc, "audit", "export"], env=on, check=True, capture_output=True)
        times = {"off": [], "on": []}
        for i in range(a.runs * 2 + 2):
            mode = "on" if i % 2 else "off"
            if mode == "on":
                # Only this call's events are pending, as after any command.
                subprocess.run([dc, "audit", "export"], env=on, check=True, capture_output=True)
            t0 = time.perf_counter()
            subprocess.run(cmd, env=on if mode == "on" else off, check=True, stdout=subprocess.DEVNULL)
            if i >= 2:
                times[mode].append((time.perf_counter() - t0) * 1000)
        status = json.loads(subprocess.run([dc, "audit", "export", "--status", "--json"], env=on,
                                           check=True, capture_output=True).stdout)
    finally:
        if tap:
            tap.kill()
            tap.wait()
        emu.kill()
        emu.wait()
    m_off, m_on = statistics.median(times["off"]), statistics.median(times["on"])
    added = m_on - m_off
    ok = added <= 5.0
    print(f"latency: `devcontext tool github review_requests` median {m_off:.1f} ms export off, "
          f"{m_on:.1f} ms export on ({a.runs} runs each, interleaved): +{added:.1f} ms "
          f"(target <= 5) -> {'ok' if ok else 'MISSED'}; pending after: {status['pending']}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--bin", default="target/release")
    ap.add_argument("--only", choices=["backlog", "latency"])
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dc-export-bench-")
    results = []
    if a.only in (None, "backlog"):
        results.append(backlog(a, tmp))
    if a.only in (None, "latency"):
        results.append(latency(a, tmp))
    subprocess.run(["rm", "-rf", tmp])
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
