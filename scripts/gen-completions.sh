#!/usr/bin/env bash
# Regenerates the committed shell completions and man page from the clap definitions.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bin devcontext
bin=target/debug/devcontext
mkdir -p completions
$bin completions bash > completions/devcontext.bash
$bin completions zsh > completions/_devcontext
$bin completions fish > completions/devcontext.fish
$bin completions powershell > completions/_devcontext.ps1
$bin man > completions/devcontext.1
echo "completions/ regenerated"
