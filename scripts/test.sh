#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# (Debian packages, Prism and the providers' OpenAPI descriptions, a small local
# model), then runs `cargo test` inside a private D-Bus session with an unlocked
# gnome-keyring, so the real Secret Service is exercised, and then the leak scan:
# no minted token or secret in any test home (outside the credential store),
# captured stdout/stderr or debug log (scripts/leak_scan.py).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${DEVCONTEXT_SHARED:-$root/../shared}

need_pkgs=()
for p in sqlite3 gnome-keyring libsecret-tools dbus keyutils tmux; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
  echo "installing ${need_pkgs[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Prism and the official OpenAPI descriptions for the contract tests.
if [ -x scripts/prism.sh ]; then
  scripts/prism.sh install
fi

# oidc-provider for the OAuth conformance test (tests/oidc_conformance.rs).
scripts/oidc-provider.sh install

# oteltap (a real OTLP/HTTP receiver) and the official OTLP protobuf types for
# the audit export tests (tests/export.rs, tests/otel/proxy.py).
if ! python3 -c "import oteltap, opentelemetry.proto" 2>/dev/null; then
  echo "installing oteltap and opentelemetry-proto (pip)"
  pip_args=(--quiet --disable-pip-version-check oteltap==1.0.0 "opentelemetry-proto>=1.27")
  python3 -m pip install "${pip_args[@]}" 2>/dev/null ||
    python3 -m pip install --user --break-system-packages "${pip_args[@]}"
fi

# The real local model for the end-to-end `ask` test.
if [ -x scripts/model.sh ]; then
  scripts/model.sh install
fi

# MCP clients we did not write, for tests/mcp.rs: the Python SDK and the Inspector CLI.
scripts/mcp-clients.sh install

export DEVCONTEXT_SHARED=$shared
# Nothing that CI provides may be skipped: a test that would skip (and print
# SKIPPED: ...) fails instead. The keyring test needs the Secret Service this
# script starts, the contract test Prism, tests/mcp.rs the MCP clients installed above,
# every suite the leak capture below.
export DEVCONTEXT_REQUIRE_MCP_CLIENTS=1
export DEVCONTEXT_REQUIRE_KEYRING=1
export DEVCONTEXT_REQUIRE_PRISM=1
export DEVCONTEXT_REQUIRE_LEAK_SCAN=1
export DEVCONTEXT_REQUIRE_OTELTAP=1
# The test harness (tests/common/mod.rs) records every emulator's minted
# secrets, keeps every test home and captures every command's output here.
python3 scripts/leak_scan.py --self-test
leak_dir=$(mktemp -d "${TMPDIR:-/tmp}/devcontext-leak.XXXXXX")
export DEVCONTEXT_LEAK_DIR=$leak_dir
status=0
dbus-run-session -- "$shared/tools/keyring-session.sh" cargo test --locked "$@" || status=$?
if [ "$status" -ne 0 ]; then
  rm -rf "$leak_dir"
  echo "tests failed (exit $status): leak scan not run" >&2
  exit "$status"
fi
if python3 scripts/leak_scan.py "$leak_dir"; then
  rm -rf "$leak_dir"
else
  status=$?
  echo "leak scan failed: the test homes and outputs are kept in $leak_dir" >&2
fi
exit "$status"
