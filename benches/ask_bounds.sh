#!/usr/bin/env bash
# Benchmark (issue 14, point 3): peak memory (max RSS, /usr/bin/time -v) and
# wall time of `devcontext ask` against model endpoints that never stop: an
# endless answer stream, endless tool-call arguments, endless tool calls, one
# SSE line without end, and an endless `GET /models` body. The emulator
# generates each lazily. Target: every run stops by itself (exit 9, or 5 for
# /models) and stays under 100 MB peak.
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_PROFILE=debug measures the debug build instead (no release build needed).
profile=${BENCH_PROFILE:-release}
if [ "$profile" = release ]; then cargo build --quiet --release --bins; else cargo build --quiet --bins; fi
bin=${CARGO_TARGET_DIR:-target}/$profile
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
home=$(mktemp -d); envf=$(mktemp)
$bin/devcontext-emulator --port 0 > "$envf" & pid=$!
trap 'kill $pid; rm -rf "$home" "$envf"' EXIT
for _ in $(seq 1 100); do grep -q '^$' "$envf" && break; sleep 0.05; done
set -a; source <(grep = "$envf"); set +a
browser=$home/b.sh; printf '#!/bin/sh\ncurl -s -o /dev/null -L "$1" &\n' > "$browser"; chmod +x "$browser"
export DEVCONTEXT_HOME=$home/dc DEVCONTEXT_CREDENTIAL_STORE=file NO_COLOR=1 BROWSER=$browser DEVCONTEXT_CALLBACK_PORT=0
# ask checks login and connections before the question leaves.
$bin/devcontext login >/dev/null 2>&1
for s in github slack google; do $bin/devcontext connect $s >/dev/null 2>&1; done
E=$DEVCONTEXT_EMULATOR_URL
post() { curl -s -X POST -H 'content-type: application/json' -d "$2" "$E$1" >/dev/null; }
limit_mb=100
fail=0
echo "profile: $profile"
printf '%-22s %5s %9s %10s  %s\n' case exit "time_s" "peak_MB" "stops with"
run() {
  local name=$1 want=$2
  local t; t=$(mktemp)
  local code=0
  /usr/bin/time -v -o "$t" $bin/devcontext ask "standup brief" >/dev/null 2>"$home/err" || code=$?
  local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
  local wall; wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t")
  local secs; secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  local mb; mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k/1024 }')
  printf '%-22s %5s %9s %10s  %s\n' "$name" "$code" "$secs" "$mb" "$(grep '^error' "$home/err" | cut -c1-90)"
  if [ "$code" != "$want" ] || awk -v m="$mb" -v l="$limit_mb" 'BEGIN { exit !(m >= l) }'; then fail=1; fi
  rm -f "$t"
}
export DEVCONTEXT_MODEL=emulator-demo
for mode in content arguments tool_calls line; do
  post /__emulator/model/script "[{\"endless\": \"$mode\"}]"
  run "endless $mode" 9
done
export DEVCONTEXT_MODEL_TIMEOUT_SECS=3
post /__emulator/model/script '[{"endless": "slow"}]'
run "slow (deadline 3 s)" 9
unset DEVCONTEXT_MODEL DEVCONTEXT_MODEL_TIMEOUT_SECS
post /__emulator/faults '{"path_prefix": "/v1/models", "status": 200, "content_type": "application/json", "endless": true, "body": "{\"data\":[{\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},"}'
run "endless /models body" 5
if [ $fail = 1 ]; then echo "FAIL: a run did not stop with its exit code or went over ${limit_mb} MB"; exit 1; fi
echo "ok: every run stopped by itself under ${limit_mb} MB"
