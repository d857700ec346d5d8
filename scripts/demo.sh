#!/usr/bin/env bash
# The main job end to end. With no Auth0 tenant configured it runs offline:
# it starts devcontext-emulator (Auth0 + Token Vault + GitHub/Calendar/Slack +
# an OpenAI-compatible model), logs in, connects the three services, asks for a
# standup brief with every tool call visible, revokes Slack, asks again, and
# shows the audit. With a tenant configured it uses your real tenant.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ -n "${DEVCONTEXT_BIN_DIR:-}" ]]; then
  # Already built: the tests pass the binaries they were built with.
  PATH="$DEVCONTEXT_BIN_DIR:$PATH"
else
  echo "== building devcontext" >&2
  cargo build --quiet --bins
  PATH="$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug:$PATH"
fi

pids=()
# Every temporary file this script makes, removed on any exit (Ctrl-C too):
# the emulator's env file first, since it holds client secrets.
envfile= browser= made_home=
cleanup() {
  [[ -n "$envfile" ]] && rm -f "$envfile"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n "$browser" ]] && rm -f "$browser"
  [[ -n "$made_home" ]] && rm -rf "$made_home"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${DEVCONTEXT_AUTH0_DOMAIN:-}" ]]; then
  echo "== no Auth0 tenant configured: starting the local emulator" >&2
  if [[ -z "${DEVCONTEXT_HOME:-}" ]]; then
    made_home=$(mktemp -d -t devcontext-demo.XXXXXX)
    export DEVCONTEXT_HOME=$made_home
  fi
  envfile=$(mktemp -t devcontext-demo-env.XXXXXX)
  devcontext-emulator --port 0 > "$envfile" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^$' "$envfile" 2>/dev/null && break; sleep 0.05; done
  user_model=${OPENAI_BASE_URL:-}
  set -a; source <(grep '=' "$envfile"); set +a
  [[ -n "$user_model" ]] && export OPENAI_BASE_URL=$user_model
  # The emulator's sign-in pages approve by themselves: the "browser" just follows redirects.
  browser=$(mktemp -t devcontext-demo-browser.XXXXXX); printf '#!/bin/sh\ncurl -s -o /dev/null -L --max-redirs 5 "$1" &\n' > "$browser"; chmod +x "$browser"
  export BROWSER=$browser DEVCONTEXT_CALLBACK_PORT=0 DEVCONTEXT_CREDENTIAL_STORE=${DEVCONTEXT_CREDENTIAL_STORE:-file}
  # The emulator's scripted model, unless OPENAI_BASE_URL names one, or
  # DEVCONTEXT_DEMO_MODEL=local asks for the small local model (scripts/model.sh install).
  if [[ -z "$user_model" && "${DEVCONTEXT_DEMO_MODEL:-}" == local ]]; then
    if [[ ! -x .ci/cache/llm/bin/python || ! -s .ci/cache/qwen2.5-coder-0.5b.gguf ]]; then
      echo "error: the local model is not installed (hint: run scripts/model.sh install)" >&2
      exit 2
    fi
    echo "== starting the local model (Qwen2.5-Coder 0.5B, llama.cpp)" >&2
    shared=${DEVCONTEXT_SHARED:-$root/../shared}
    # A port the OS picks: a fixed one could be held by another server, whose
    # health check would then pass for ours.
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    LLM_VERBOSITY=0 LLM_CHAT_TEMPLATE_FILE=$shared/tools/qwen2.5-fenced-tools.jinja \
      .ci/cache/llm/bin/python "$shared/tools/llm-server.py" .ci/cache/qwen2.5-coder-0.5b.gguf "$port" local >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
    # Small models call one tool per step: room for every tool, and no sampling noise.
    export OPENAI_BASE_URL=http://127.0.0.1:$port/v1 DEVCONTEXT_MODEL=local \
      DEVCONTEXT_MAX_STEPS=${DEVCONTEXT_MAX_STEPS:-16} DEVCONTEXT_MODEL_TEMPERATURE=0 DEVCONTEXT_MODEL_MAX_TOKENS=512
  fi
  if [[ -n "$made_home" ]]; then
    echo "   state in $DEVCONTEXT_HOME (removed when the demo ends)" >&2
  else
    echo "   state in $DEVCONTEXT_HOME" >&2
  fi
fi

# Each step's header is the command exactly as a shell would take it (quoted
# where needed), so it can be pasted.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}
step() {
  local shown="" a
  for a in "$@"; do shown+="${shown:+ }$(quote "$a")"; done
  printf '\n\033[1m$ %s\033[0m\n' "$shown" >&2
  "$@"
}

step devcontext login
for s in github slack google; do step devcontext connect "$s"; done
step devcontext perms list
step devcontext ask "standup brief"
step devcontext perms revoke slack
step devcontext ask "standup brief"
step devcontext perms reset slack
step devcontext audit --limit 20
step devcontext audit verify
