#!/usr/bin/env bash
# Benchmark (issue: ask, point 7): with the emulator adding 150 ms to every
# Token Vault exchange and every provider call, one model step that calls
# GitHub, Calendar and Slack. Reports the step's wall time, each tool's time,
# the critical path read off the emulator's request log (per service, the
# longest chain of requests that each started after the previous one ended,
# exchange included, times 150 ms), the ratio to one exchange plus one call,
# and the number of exchanges per service. Run 1 is cold: slack.unread must
# look up the user id and the DM list before reading; later runs start from
# the ids the first one remembered (src/hints.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --bins
bin=target/release
home=$(mktemp -d); envf=$(mktemp)
$bin/devcontext-emulator --port 0 > "$envf" & pid=$!
trap 'kill $pid; rm -rf "$home"' EXIT
for _ in $(seq 1 100); do grep -q '^$' "$envf" && break; sleep 0.05; done
set -a; source <(grep = "$envf"); set +a
browser=$home/b.sh; printf '#!/bin/sh\ncurl -s -o /dev/null -L "$1" &\n' > "$browser"; chmod +x "$browser"
export DEVCONTEXT_HOME=$home/dc BROWSER=$browser DEVCONTEXT_CALLBACK_PORT=0 DEVCONTEXT_CREDENTIAL_STORE=file
$bin/devcontext login >/dev/null 2>&1
for s in github slack google; do $bin/devcontext connect $s >/dev/null 2>&1; done
E=$DEVCONTEXT_EMULATOR_URL
for p in /oauth/token /github /slack /calendar; do
  curl -s -X POST -H 'content-type: application/json' -d "{\"ms\":150,\"path_prefix\":\"$p\"}" $E/__emulator/latency >/dev/null
done
for run in 1 2 3 4 5; do
  curl -s -X DELETE $E/__emulator/requests >/dev/null
  curl -s -X POST -H 'content-type: application/json' -d '[{"tool_calls":[{"name":"github_review_requests","arguments":"{}"},{"name":"calendar_today","arguments":"{}"},{"name":"slack_unread","arguments":"{}"}]},{"content":"done"}]' $E/__emulator/model/script >/dev/null
  out=$($bin/devcontext ask --json "standup brief")
  python3 - "$out" "$(curl -s $E/__emulator/requests)" "$run" <<'PY'
import json, sys, collections
from datetime import datetime
r = json.loads(sys.argv[1]); log = json.loads(sys.argv[2])
def svc(e):
    if e["path"] == "/oauth/token" and e.get("grant_type", "").endswith("federated-connection-access-token"):
        return {"github": "github", "google-oauth2": "calendar", "sign-in-with-slack": "slack"}.get(e.get("connection"), e.get("connection"))
    top = e["path"].split("/")[1]
    return top if top in ("github", "slack", "calendar") else None
spans = collections.defaultdict(list)
for e in log:
    s = svc(e)
    if s:
        start = datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp() * 1000
        spans[s].append((start, start + e["latency_ms"], e["path"]))
def depth(reqs):
    # Longest chain of requests where each starts after the one before ended:
    # the calls that had to wait for one another.
    reqs = sorted(reqs); d = []
    for i, (a, _, _) in enumerate(reqs):
        d.append(1 + max([d[j] for j in range(i) if reqs[j][1] <= a + 5] or [0]))
    return max(d)
exchanges = {s: sum(p == "/oauth/token" for _, _, p in v) for s, v in spans.items()}
calls = {s: len(v) - exchanges[s] for s, v in spans.items()}
depths = {s: depth(v) for s, v in spans.items()}
tools = {c["tool"]: c["duration_ms"] for c in r["tool_calls"]}
step = max(tools.values())
crit = 150 * max(depths.values())
label = "cold (nothing remembered)" if sys.argv[3] == "1" else "warm (Slack ids remembered)"
print(f"run {sys.argv[3]} {label}: step {step} ms; tools {tools}; chain depth incl. exchange {depths} -> critical path {crit} ms, ratio {step/crit:.2f}; "
      f"vs one exchange + one call (300 ms): {step/300:.2f}; exchanges {exchanges}; provider calls {calls}")
PY
done
