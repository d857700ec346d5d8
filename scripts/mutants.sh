#!/usr/bin/env bash
# Mutation testing of the security core (issue #15): breaks the code on
# purpose, one small change ("mutant") at a time, and checks that some test
# fails. Too slow for CI: run it before resolving an issue that touches these
# files, and put its figures in the closing note.
#
#   scripts/mutants.sh                 # every area below, smallest first
#   scripts/mutants.sh redact net      # some areas
#   scripts/mutants.sh --list perms    # only list the mutants
#
# Areas (files, and the functions that matter there when not the whole file):
#   redact       src/redact.rs
#   net          src/net.rs (the URL rules)
#   vault        src/vault.rs, the Token Vault error mapping
#   approval     src/approval.rs
#   callback     src/auth/callback.rs, and the state and issuer checks in
#                src/auth/login.rs and src/auth/connect.rs
#   credentials  src/auth/credentials.rs, file modes and the file store
#   audit        src/audit/{chain,query,store}.rs: the chain, append, verify, prune
#   perms        src/perms/{subject,store,verdict,change}.rs: the store's rules and
#                the check (not `perms list`'s text)
#   broker       src/broker/{gate,token}.rs, the gate and the token cache
#
# Each area runs in two passes. Pass 1 runs the suites that exercise the area
# (fast: most mutants are caught in seconds). Pass 2 (`--iterate`) gives every
# mutant that pass 1 missed or timed out to all the suites that need no
# outside tool (not real_model, contract_prism, contract_auth0, oidc_conformance). A mutant
# missed by pass 2 is missed: add a test that catches it, or, if it cannot
# change behaviour, add it to exclude_re in .cargo/mutants.toml with a comment.
#
# Settings (environment): MUTANTS_TIMEOUT (s, per mutant's tests, default
# 300), MUTANTS_BUILD_TIMEOUT (s, default 900), MUTANTS_TARGET_DIR (default
# target/mutants, separate from the normal build), MUTANTS_OUT (reports,
# default target/mutants-out/AREA), MUTANTS_JOBS (default 1: a 2-core machine).
# Results: a summary line per area on stdout; caught.txt, missed.txt,
# timeout.txt, unviable.txt and outcomes.json in $MUTANTS_OUT/AREA/mutants.out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "installing cargo-mutants from crates.io"
  cargo install --locked cargo-mutants
fi

list=
if [ "${1:-}" = --list ]; then
  list=1
  shift
fi
all_areas=(redact net vault approval callback credentials audit perms broker)
areas=("$@")
((${#areas[@]})) || areas=("${all_areas[@]}")

# Every suite that needs no outside tool (no Prism, no model, no oidc-provider).
# A new suite that needs one must be added to this list. The emulator is a
# package of its own, which cargo-mutants does not build: the first suite that
# needs it builds it into $CARGO_TARGET_DIR (tests/common/mod.rs, emulator_bin).
all_suites=(--lib)
for f in tests/*.rs; do
  name=$(basename "$f" .rs)
  case $name in real_model | contract_prism | contract_auth0 | oidc_conformance) continue ;; esac
  all_suites+=(--test "$name")
done

# area -> files, examine regexes (empty: the whole file), pass-1 suites
area() {
  files=() res=() suites=(--lib)
  case $1 in
    redact)
      files=(src/redact.rs)
      suites+=(--test invariants --test leak_scan --test exchange_errors) ;;
    net)
      files=(src/net.rs)
      suites+=(--test invariants --test exchange_errors --test auth_flows --test outside_bounds --test model_bounds) ;;
    vault)
      files=(src/vault.rs)
      res=('(exchange_error|fail|provider_token|Vault::exchange_once|<impl TokenSource for Vault>::)')
      suites+=(--test invariants --test exchange_errors --test tools_emulator) ;;
    approval)
      files=(src/approval.rs)
      suites+=(--test invariants --test tools_emulator --test prompt_injection --test ask) ;;
    callback)
      # The loopback listener, and the checks of what arrives there: the
      # state (login's `browser`, connect's `MyAccount::connect`) and the issuer;
      # and connect's reading of Auth0's connect answer (`read_connect_start`).
      files=(src/auth/callback.rs src/auth/login.rs src/auth/connect.rs)
      res=('Callback::' 'src/auth/login\.rs:.* in browser$' 'src/auth/connect\.rs:.* in (MyAccount<.a>::connect|read_connect_start)$')
      suites+=(--test invariants --test auth_flows --test callback_state) ;;
    credentials)
      files=(src/auth/credentials.rs)
      res=('(CredentialStore::(read_file|write_file|remove_stale_temp_files|lock|lock_path|file_path|get|set|set_locked|delete)\b|private_file|<impl std::fmt::Debug for Secret>)')
      suites+=(--test auth_flows --test crash_safety --test leak_scan --test bad_input) ;;
    audit)
      files=(src/audit/chain.rs src/audit/query.rs src/audit/store.rs)
      res=('(hash|verify|AuditLog::(append|append_with|prune)|last_link|anchor|read_row|new_run_id)\b')
      suites+=(--test invariants --test core_cli --test crash_safety --test concurrency) ;;
    perms)
      files=(src/perms/subject.rs src/perms/store.rs src/perms/verdict.rs src/perms/change.rs)
      res=('(PermissionStore::(decide|decide_inner|rule|set|apply|reset|open_for_check)|judge|check|read_rule|unknown_state|Rule::(effect|lapsed)|Access::(parse|as_str)|Verdict::(deny|is_allowed|reason)|Subject::key|<impl From<&Verdict> for Error>)\b')
      suites+=(--test invariants --test core_cli --test tools_emulator --test concurrency) ;;
    broker)
      # The token cache and its exchange's audit (token.rs; the second regex is
      # MAX_TOKEN_REUSE, the one mutant outside a function there), the gate (gate.rs).
      files=(src/broker/token.rs src/broker/gate.rs)
      res=('(ProviderToken::|<impl std::fmt::Debug for ProviderToken>|Broker::(gate|approve|token|run)|exchange_failed)\b' 'src/broker/token\.rs:[0-9]+:[0-9]+: replace [^ ]+ with [^ ]+$')
      suites+=(--test tools_emulator --test exchange_errors --test concurrency --test prompt_injection) ;;
    *)
      echo "unknown area '$1'; use one of: ${all_areas[*]}" >&2
      return 2 ;;
  esac
}

# Suites that must not skip elsewhere may skip here: these are not CI runs.
unset DEVCONTEXT_REQUIRE_KEYRING DEVCONTEXT_REQUIRE_PRISM DEVCONTEXT_REQUIRE_LEAK_SCAN DEVCONTEXT_LEAK_DIR
export CARGO_TARGET_DIR=${MUTANTS_TARGET_DIR:-$root/target/mutants}
jobs=${MUTANTS_JOBS:-1}
timeout=${MUTANTS_TIMEOUT:-300}
build_timeout=${MUTANTS_BUILD_TIMEOUT:-900}

summary() { # outcomes.json -> "generated caught missed timeout unviable"
  python3 - "$1" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
print(o.get("total_mutants", 0), o.get("caught", 0), o.get("missed", 0),
      o.get("timeout", 0), o.get("unviable", 0))
EOF
}

status=0
for a in "${areas[@]}"; do
  area "$a"
  args=(--no-shuffle -j "$jobs" --timeout "$timeout" --build-timeout "$build_timeout")
  for f in "${files[@]}"; do args+=(-f "$f"); done
  for r in "${res[@]}"; do args+=(-F "$r"); done
  if [ -n "$list" ]; then
    cargo mutants --list "${args[@]}"
    continue
  fi
  out=${MUTANTS_OUT:-$root/target/mutants-out}/$a
  mkdir -p "$out"
  rm -rf "$out/mutants.out" "$out/mutants.out.old"
  started=$(date +%s)
  # The tree measured: HEAD, plus any uncommitted change (cargo mutants copies the work tree).
  commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo "+uncommitted")
  echo "== $a: pass 1 (${suites[*]})"
  # Suites go in as cargo args (-C), which apply to the build as well as the
  # test run: after `--` they would only narrow the run, and every mutant
  # would still build every test binary.
  nice -n 19 cargo mutants "${args[@]}" -o "$out" $(printf -- '-C=%s ' "${suites[@]}") || true
  if [ ! -f "$out/mutants.out/outcomes.json" ]; then
    echo "RESULT $a: cargo mutants did not finish (see $out/mutants.out/debug.log)"
    status=1
    continue
  fi
  read -r generated caught1 missed1 timeout1 unviable1 < <(summary "$out/mutants.out/outcomes.json")
  if ((missed1 + timeout1)); then
    echo "== $a: pass 2, all suites, for the $((missed1 + timeout1)) not caught"
    nice -n 19 cargo mutants "${args[@]}" --baseline skip --iterate -o "$out" $(printf -- '-C=%s ' "${all_suites[@]}") || true
    read -r _ caught2 missed timeouts unviable2 < <(summary "$out/mutants.out/outcomes.json")
  else
    caught2=0 missed=0 timeouts=0 unviable2=0
  fi
  took=$(($(date +%s) - started))
  # Marked equivalent in .cargo/mutants.toml: generated without it, not with it.
  equivalent=$(($(cargo mutants --list --no-config "${args[@]}" | wc -l) - $(cargo mutants --list "${args[@]}" | wc -l)))
  caught=$((caught1 + caught2))
  echo "RESULT $a: generated $((generated + equivalent)), equivalent (not run) $equivalent, tested $generated: caught $caught, missed $missed, timeouts $timeouts, unviable $unviable1 (files ${files[*]}; $((took / 60)) min $((took % 60)) s; commit $commit)"
  if ((missed)); then
    sed 's/^/  missed: /' "$out/mutants.out/missed.txt"
    status=1
  fi
  if ((timeouts)); then
    sed 's/^/  timeout: /' "$out/mutants.out/timeout.txt"
  fi
done
exit "$status"
