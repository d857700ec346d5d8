#!/usr/bin/env python3
"""Benchmark for `devcontext mcp` (issue: MCP, "How to show it").

Against the bundled emulator, with the release binary:
- spawn to the `initialize` answer (target: under 20 ms), median of 30 spawns;
- `tools/list` latency on a running server, median of 200;
- one read (github_review_requests) through MCP against the same call through
  `devcontext tool ... --json` minus process start (`devcontext --version`),
  target: within 1.1x. The MCP session's first call includes its Token Vault
  exchange, like every `devcontext tool` run; later calls reuse the token.

Usage: benches/mcp.py   (builds the release binaries first)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
DC = os.path.join(BIN, "devcontext")


def median_ms(samples):
    return statistics.median(samples) * 1000


def p90_ms(samples):
    return sorted(samples)[int(len(samples) * 0.9) - 1] * 1000


class Server:
    def __init__(self, env):
        self.p = subprocess.Popen(
            [DC, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, bufsize=0,
        )
        self.next_id = 1

    def request(self, method, params=None):
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.next_id += 1
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise SystemExit(f"the server closed stdout during {method}")
            answer = json.loads(line)
            if answer.get("id") == msg["id"]:
                return answer

    def initialize(self):
        answer = self.request("initialize", {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}})
        self.p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        return answer

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=20)


def main():
    subprocess.run(["cargo", "build", "--quiet", "--release", "--bins"], cwd=ROOT, check=True)
    home = tempfile.mkdtemp()
    emu = subprocess.Popen([os.path.join(BIN, "devcontext-emulator"), "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        env = dict(os.environ)
        for line in emu.stdout:
            if not line.strip():
                break
            k, v = line.strip().split("=", 1)
            env[k] = v
        browser = os.path.join(home, "b.sh")
        with open(browser, "w") as f:
            f.write('#!/bin/sh\ncurl -s -o /dev/null -L "$1" &\n')
        os.chmod(browser, 0o755)
        env.update(DEVCONTEXT_HOME=os.path.join(home, "dc"), BROWSER=browser,
                   DEVCONTEXT_CALLBACK_PORT="0", DEVCONTEXT_CREDENTIAL_STORE="file", NO_COLOR="1")
        run = lambda *a: subprocess.run([DC, *a], env=env, stdin=subprocess.DEVNULL,
                                        capture_output=True, check=True)
        run("login")
        for s in ("github", "slack", "google"):
            run("connect", s)

        spawn = []
        for _ in range(30):
            t0 = time.perf_counter()
            s = Server(env)
            s.initialize()
            spawn.append(time.perf_counter() - t0)
            s.close()

        s = Server(env)
        s.initialize()
        listing = []
        for _ in range(200):
            t0 = time.perf_counter()
            assert "tools" in s.request("tools/list")["result"]
            listing.append(time.perf_counter() - t0)
        s.close()

        call = {"name": "github_review_requests", "arguments": {}}
        first, warm = [], []
        for _ in range(10):
            s = Server(env)
            s.initialize()
            t0 = time.perf_counter()
            assert not s.request("tools/call", call)["result"]["isError"]
            first.append(time.perf_counter() - t0)
            for _ in range(10):
                t0 = time.perf_counter()
                assert not s.request("tools/call", call)["result"]["isError"]
                warm.append(time.perf_counter() - t0)
            s.close()

        tool, start = [], []
        for _ in range(30):
            t0 = time.perf_counter()
            run("tool", "github", "review_requests", "--json")
            tool.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run("--version")
            start.append(time.perf_counter() - t0)
        tool_minus_start = median_ms(tool) - median_ms(start)

        print(f"spawn to initialize answer: median {median_ms(spawn):.1f} ms, p90 {p90_ms(spawn):.1f} ms (target < 20 ms)")
        print(f"tools/list: median {median_ms(listing):.2f} ms, p90 {p90_ms(listing):.2f} ms over 200")
        print(f"devcontext tool github review_requests: median {median_ms(tool):.1f} ms; "
              f"process start (--version) {median_ms(start):.1f} ms; difference {tool_minus_start:.1f} ms")
        print(f"MCP first call of a session (with its exchange): median {median_ms(first):.1f} ms "
              f"= {median_ms(first) / tool_minus_start:.2f}x of tool minus start (target <= 1.1x)")
        print(f"MCP later calls (token reused): median {median_ms(warm):.1f} ms "
              f"= {median_ms(warm) / tool_minus_start:.2f}x")
    finally:
        emu.kill()
        subprocess.run(["rm", "-rf", home])


if __name__ == "__main__":
    sys.exit(main())
