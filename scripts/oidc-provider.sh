#!/usr/bin/env bash
# oidc-provider (a certified OpenID Provider) for the OAuth conformance test
# (tests/oidc_conformance.rs; docs: testing.md section 1).
#   scripts/oidc-provider.sh install   installs it into .ci/cache/oidc (idempotent)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.ci/cache/oidc
version=9.13.3

case "${1:-}" in
  install)
    if [ -f "$dir/node_modules/oidc-provider/package.json" ] &&
       [ -d "$dir/node_modules/jose" ] &&
       grep -q "\"version\": \"$version\"" "$dir/node_modules/oidc-provider/package.json"; then
      exit 0
    fi
    command -v npm >/dev/null || { echo "oidc-provider.sh: npm is required (Node 20)" >&2; exit 1; }
    echo "installing oidc-provider@$version into $dir"
    mkdir -p "$dir"
    npm i --prefix "$dir" --no-audit --no-fund --loglevel=error "oidc-provider@$version" jose >/dev/null
    ;;
  *)
    echo "usage: $0 install" >&2
    exit 2
    ;;
esac
