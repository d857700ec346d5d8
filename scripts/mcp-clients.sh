#!/usr/bin/env bash
# MCP clients we did not write, for tests/mcp.rs (testing.md section 7):
# the official Python SDK (`mcp` on PyPI) in a venv, and the MCP Inspector CLI
# (`@modelcontextprotocol/inspector` on npm).
#   scripts/mcp-clients.sh install   installs both into .ci/cache/mcp (idempotent)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.ci/cache/mcp
mcp_version=2.3.0
inspector_version=2.12.0

install() {
  if ! "$dir/venv/bin/python" -c "import mcp, importlib.metadata as m; assert m.version('mcp') == '$mcp_version'" 2>/dev/null; then
    echo "installing the MCP Python SDK $mcp_version into $dir/venv"
    rm -rf "$dir/venv"
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install -q --disable-pip-version-check "mcp==$mcp_version"
  fi
  local pkg=$dir/node_modules/@modelcontextprotocol/inspector/package.json
  if ! { [ -f "$pkg" ] && grep -q "\"version\": \"$inspector_version\"" "$pkg"; }; then
    command -v npm >/dev/null || { echo "mcp-clients.sh: npm is required (Node 20)" >&2; exit 1; }
    echo "installing the MCP Inspector $inspector_version into $dir"
    mkdir -p "$dir"
    npm i --prefix "$dir" --no-audit --no-fund --loglevel=error \
      "@modelcontextprotocol/inspector@$inspector_version" >/dev/null
  fi
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: scripts/mcp-clients.sh install" >&2; exit 2 ;;
esac
