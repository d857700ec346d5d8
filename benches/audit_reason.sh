#!/usr/bin/env bash
# Benchmark (issue 14, point 4): `devcontext audit --limit 3` (table and
# --json) with one 200 MB reason stored in the audit store (as an older
# binary or a hand edit could have left it). Reports wall time and peak
# memory (max RSS, /usr/bin/time -v). Target: time and memory follow what is
# shown (4 KB of that reason), not what is stored.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${BENCH_PROFILE:-release}
if [ "$profile" = release ]; then cargo build --quiet --release --bin devcontext; else cargo build --quiet --bin devcontext; fi
bin=${CARGO_TARGET_DIR:-target}/$profile/devcontext
echo "profile: $profile"
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 1; }
home=$(mktemp -d); trap 'rm -rf "$home"' EXIT
export DEVCONTEXT_HOME=$home NO_COLOR=1
for s in github slack calendar; do $bin perms check $s >/dev/null; done
mb=${REASON_MB:-200}
sqlite3 "$home/state/audit.db" "UPDATE events SET reason = replace(hex(zeroblob($mb * 524288)), '00', 'xx') WHERE id = 2;"
echo "stored reason: $(sqlite3 "$home/state/audit.db" 'SELECT length(reason) FROM events WHERE id = 2;') bytes"
printf '%-28s %9s %10s %12s\n' case time_s peak_MB out_bytes
for args in "audit --limit 3" "audit --limit 3 --json"; do
  t=$(mktemp)
  /usr/bin/time -v -o "$t" $bin $args > "$home/out"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$t")
  printf '%-28s %9s %10s %12s\n' "$args" "$wall" "$rss" "$(wc -c < "$home/out")"
  rm -f "$t"
done
