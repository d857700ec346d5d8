#!/usr/bin/env bash
# Benchmark (issue: ask, point 7): with the emulator adding 150 ms to every
# Token Vault exchange and every provider call, one model step that calls
# GitHub, Calendar and Slack. Reports the step's wall time, the critical path
# (one exchange plus the longest tool's sequential provider calls, each 150 ms)
# and the number of exchanges per service.
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
  python3 - "$out" "$(curl -s $E/__emulator/requests)" <<'PY'
import json, sys, collections
r = json.loads(sys.argv[1]); log = json.loads(sys.argv[2])
ex = collections.Counter(e.get("connection") for e in log if e["path"] == "/oauth/token" and e.get("grant_type", "").endswith("federated-connection-access-token"))
calls = collections.Counter(e["path"].split("/")[1] for e in log if e["path"].split("/")[1] in ("github", "slack", "calendar"))
step = max(c["duration_ms"] for c in r["tool_calls"])
crit = 150 * (1 + max(calls.values()))
print(f"step {step} ms; critical path {crit} ms (1 exchange + {max(calls.values())} sequential calls of the longest tool); ratio {step/crit:.2f}; exchanges {dict(ex)}; provider calls {dict(calls)}")
PY
done
