#!/usr/bin/env python3
"""Leak scan over a test run's DEVCONTEXT_LEAK_DIR (scripts/test.sh runs it).

The test harness (tests/common/mod.rs) fills the folder while `cargo test`
runs with DEVCONTEXT_LEAK_DIR set:

  secrets/*.json   what each emulator minted (GET /__emulator/secrets), and
                   what oidc-provider minted (tests/oidc/server.mjs)
  homes/*/         every test's DEVCONTEXT_HOME (and the files around it)
  output/*.out     stdout of every devcontext command the harness ran
  output/*.err     its stderr (with the -v/-vv debug logs where a test asked)
  output/*.cmd     its argv (for the report only; never scanned)

Every file under homes/ except the credential store (credentials/credentials.json
and its atomic-write temporaries), SQLite databases and their WAL included, and
every captured output is read as raw bytes, streaming, and searched for each
minted secret: the whole value, and any 12-character piece of it that carries
at least 6 characters of its random part (so a truncated token, such as its
first 16 characters, is caught too; the fixed `emu_rt_` prefixes alone are not,
and of a JWT only pieces of its signature count: its header and claims are
public and recur elsewhere). Findings name the file, the kind of secret and whether it was
whole or partial, never the secret.

usage: scripts/leak_scan.py LEAK_DIR      exit 0 clean (or nothing minted), 1 leaks,
                                          2 incomplete (an emulator's secrets are missing)
       scripts/leak_scan.py --self-test   plants leaks in a scratch folder and
                                          checks that exactly those are found
"""

import json
import os
import re
import sys
import tempfile

WINDOW = 12  # length of the pieces looked for
MIN_RANDOM = 6  # random characters a piece must contain
CHUNK = 4 << 20  # bytes read at a time

# Kinds the issue names first; the rest are scanned too (all are credentials).
KINDS = {
    "client_secrets": "client secret",
    "refresh_tokens": "refresh token",
    "provider_tokens": "provider token",
    "access_tokens": "access token",
    "id_tokens": "ID token",
    "device_codes": "device code",
    "connect_codes": "connect code",
    "auth_codes": "authorization code",
    "mfa_tokens": "MFA token",
    "jwt_signing_key_hex": "emulator JWT signing key",
}

# Fixed prefixes of the emulator's secrets (emulator/README.md) and of the
# client secret in tests/oidc/server.mjs; the random part follows.
PREFIXES = (
    "emu_cs_",
    "emu_rt_",
    "emu_ac_",
    "emu_dc_",
    "emu_cc_",
    "emu_mfa_",
    "ghu_emu",
    "xoxp-emu-",
    "ya29.emu",
    "conformance-secret-",
)

# A run of characters a token can be made of: pieces are looked for inside runs.
RUN = re.compile(rb"[A-Za-z0-9_.~+/=-]{%d,}" % WINDOW)

CREDENTIAL_TMP = re.compile(r"^\.credentials\.\d+\.tmp$")


def is_credential_store(path):
    """The file fallback of the credential store: the one place secrets may be."""
    parent = os.path.basename(os.path.dirname(path))
    name = os.path.basename(path)
    return parent == "credentials" and (name == "credentials.json" or CREDENTIAL_TMP.match(name) is not None)


class Secrets:
    def __init__(self):
        self.values = []  # (bytes, kind)
        self.index = {}  # bytes -> id, whole values
        self.pieces = {}  # WINDOW bytes -> id
        self.by_kind = {}
        self.longest = 0

    def load(self, folder):
        """Reads secrets/*.json; returns (files read, problems)."""
        raw = {}
        problems = []
        files = sorted(f for f in os.listdir(folder) if f.endswith(".json")) if os.path.isdir(folder) else []
        for name in files:
            try:
                with open(os.path.join(folder, name), "rb") as f:
                    data = json.loads(f.read() or b"null")
            except (OSError, ValueError) as e:
                data = None
                problems.append(f"{name}: unreadable ({e.__class__.__name__})")
            if not isinstance(data, dict):
                if not problems or not problems[-1].startswith(name):
                    problems.append(f"{name}: the emulator's secrets were not recorded (it did not answer)")
                continue
            for key, value in data.items():
                items = value if isinstance(value, list) else [value]
                for v in items:
                    if isinstance(v, str) and len(v) >= 8:
                        raw.setdefault(v.encode(), KINDS.get(key, key.replace("_", " ")))
        for value, kind in raw.items():
            self.add(value, kind)
        self.build_pieces()
        return len(files), problems

    def add(self, value, kind):
        if value in self.index:
            return
        self.index[value] = len(self.values)
        self.values.append((value, kind))
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.longest = max(self.longest, len(value))

    def build_pieces(self):
        # Where the random part starts: after a known prefix, and after what
        # every secret of the same kind shares (the JWT header and common claims).
        groups = {}
        for i, (value, kind) in enumerate(self.values):
            groups.setdefault((kind, value[:3]), []).append(i)
        for ids in groups.values():
            shared = os.path.commonprefix([self.values[i][0] for i in ids]) if len(ids) > 1 else b""
            for i in ids:
                value = self.values[i][0]
                start = len(shared)
                for p in PREFIXES:
                    if value.startswith(p.encode()):
                        start = max(start, len(p))
                if value.startswith(b"eyJ") and value.count(b".") == 2:
                    # A JWT: its header and claims (audience, email...) are no
                    # secret and recur in other data; the signature is what counts.
                    start = max(start, value.rindex(b".") + 1)
                if start >= len(value):
                    start = 0
                self.add_pieces(i, value, start)

    def add_pieces(self, i, value, start):
        for at in range(0, len(value) - WINDOW + 1):
            random_part = value[max(at, start) : at + WINDOW]
            if len(random_part) < MIN_RANDOM:
                continue
            # Digit groups (the numeric ids inside Slack tokens) are not random enough alone.
            if not re.search(rb"[A-Za-z_.~+/=]", random_part):
                continue
            self.pieces.setdefault(value[at : at + WINDOW], i)


def scan_file(path, secrets, found, chunk=CHUNK):
    """Streams one file; records {id: 'whole'|'partial'} in found. Returns bytes read."""
    overlap = max(secrets.longest, WINDOW)
    size = 0
    tail = b""
    pieces = secrets.pieces
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            size += len(block)
            buf = tail + block
            for m in RUN.finditer(buf):
                run = m.group()
                for at in range(len(run) - WINDOW + 1):
                    i = pieces.get(run[at : at + WINDOW])
                    if i is None:
                        continue
                    if secrets.values[i][0] in run:
                        found[i] = "whole"
                    else:
                        found.setdefault(i, "partial")
            tail = buf[-overlap:]
    return size


def command_of(path, secrets):
    """The argv that produced an output file, with any secret in it masked."""
    cmd = os.path.splitext(path)[0] + ".cmd"
    try:
        with open(cmd, "rb") as f:
            text = f.read().split(b"\n", 1)[0]
    except OSError:
        return None
    for value, kind in secrets.values:
        text = text.replace(value, b"[" + kind.encode() + b"]")
    return text.decode("utf-8", "replace").strip()


def scan(leak_dir, out=sys.stdout, chunk=CHUNK):
    """Returns the exit code: 0 clean, 1 leaks found, 2 unusable input."""
    secrets = Secrets()
    n_secret_files, problems = secrets.load(os.path.join(leak_dir, "secrets"))
    targets = []
    excluded = 0
    homes = os.path.join(leak_dir, "homes")
    n_homes = len(os.listdir(homes)) if os.path.isdir(homes) else 0
    for root, dirs, files in os.walk(homes):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            if is_credential_store(path):
                excluded += 1
                continue
            targets.append(path)
    output = os.path.join(leak_dir, "output")
    names = sorted(os.listdir(output)) if os.path.isdir(output) else []
    commands = [n for n in names if n.endswith(".cmd")]
    targets += [os.path.join(output, n) for n in names if n.endswith((".out", ".err"))]
    not_captured = 0
    for n in commands:
        with open(os.path.join(output, n), "rb") as f:
            not_captured += f.read().count(b"a terminal, not captured")

    if not secrets.values and not commands and not n_secret_files:
        print("leak scan: nothing was recorded (no test used the emulator harness)", file=out)
        return 0
    if not secrets.values and not n_secret_files:
        # e.g. `scripts/test.sh --test core_cli`: its commands were captured,
        # but no test started an emulator, so nothing was minted to look for
        print(
            f"leak scan: {len(commands)} commands captured, but no test started an emulator: "
            "nothing was minted to look for",
            file=out,
        )
        return 0
    if not secrets.values:
        problems.append("secrets were recorded but none was read")

    leaks = []
    total = 0
    for path in targets:
        found = {}
        try:
            total += scan_file(path, secrets, found, chunk)
        except OSError as e:
            problems.append(f"{os.path.relpath(path, leak_dir)}: cannot read ({e.strerror})")
            continue
        for i, how in sorted(found.items()):
            leaks.append((path, secrets.values[i][1], how))

    kinds = ", ".join(f"{n} {k}s" for k, n in sorted(secrets.by_kind.items()))
    print(
        f"leak scan: {len(secrets.values)} secrets from {n_secret_files} records ({kinds}); "
        f"{len(secrets.pieces)} pieces of {WINDOW} characters",
        file=out,
    )
    print(
        f"leak scan: {len(targets)} files, {total} bytes scanned ({n_homes} homes, "
        f"{len(commands)} commands' stdout and stderr); {excluded} credential-store files skipped"
        + (f"; {not_captured} streams were a terminal (not captured)" if not_captured else ""),
        file=out,
    )
    for p in problems:
        print(f"leak scan: problem: {p}", file=out)
    for path, kind, how in leaks:
        rel = os.path.relpath(path, leak_dir)
        where = f" (from: {command_of(path, secrets)})" if rel.startswith("output" + os.sep) else ""
        print(f"LEAK: {rel}: {kind} ({how}){where}", file=out)
    if leaks:
        print(f"leak scan: FAILED: {len(leaks)} leaks (under {leak_dir})", file=out)
        return 1
    if problems:
        print("leak scan: FAILED: the scan could not be completed", file=out)
        return 2
    print("leak scan: no leaks", file=out)
    return 0


def self_test():
    """Plants leaks and checks that the scan finds exactly them."""
    import io
    import random
    import string

    rnd = random.Random(7)

    def alnum(n):
        return "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(n))

    refresh = "emu_rt_" + alnum(32)
    client_secret = "emu_cs_" + alnum(40)
    provider = "ghu_emu" + alnum(32)
    slack = f"xoxp-emu-{rnd.randrange(10**12):012d}-{rnd.randrange(10**12):012d}-{alnum(32)}"
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    access = [header + alnum(120) + "." + alnum(43) for _ in range(2)]
    failures = []

    def run(setup, expect, chunk=CHUNK):
        with tempfile.TemporaryDirectory() as d:
            for sub in ("secrets", "homes/t1/dc/credentials", "homes/t1/dc/state", "output"):
                os.makedirs(os.path.join(d, sub))
            with open(os.path.join(d, "secrets/e1.json"), "w") as f:
                json.dump(
                    {
                        "client_secrets": [client_secret],
                        "refresh_tokens": [refresh],
                        "provider_tokens": [provider, slack],
                        "access_tokens": access,
                    },
                    f,
                )
            files = {
                # the credential store holds them legitimately
                "homes/t1/dc/credentials/credentials.json": json.dumps({"secrets": {"a:rt": refresh, "a:cs": client_secret}}),
                "homes/t1/dc/credentials/.credentials.4242.tmp": refresh,
                "homes/t1/dc/state/session.json": '{"user": "dana@example.com"}',
                "output/c1.cmd": "devcontext login\n",
                "output/c1.out": "Logged in as dana@example.com\n",
                "output/c1.err": "2026-01-01T00:00:00Z DEBUG connecting to 127.0.0.1:1234\n",
                "output/c2.cmd": "devcontext status\n",
                # another JWT with the same header, a JWT's claims alone, and
                # a numeric group of a Slack token alone are no secrets
                "output/c2.out": "\n".join(
                    [header + alnum(120) + "." + alnum(43), access[0].split(".")[1][10:40], slack.split("-")[2]]
                ),
            }
            setup(files)
            for rel, text in files.items():
                mode = "wb" if isinstance(text, bytes) else "w"
                with open(os.path.join(d, rel), mode) as f:
                    f.write(text)
            buf = io.StringIO()
            code = scan(d, buf, chunk)
            report = buf.getvalue()
            got = sorted(l.split(" (from:")[0] for l in report.splitlines() if l.startswith("LEAK:"))
            for secret in (refresh, client_secret, provider, slack, *access):
                if secret in report or secret[:16] in report:
                    failures.append(f"{setup.__name__}: the report shows a secret")
            if (code, got) != expect:
                failures.append(f"{setup.__name__}: expected {expect}, got {(code, got)}\n{report}")

    def clean(files):
        pass

    def planted_in_home_and_output(files):
        files["homes/t1/dc/state/hints.json"] = '{"note": "%s"}' % provider
        files["output/c1.err"] += "debug: refresh with " + refresh[:16] + "...\n"
        files["output/c2.err"] = "error: upstream said Bearer " + slack + "\n"

    def planted_in_a_binary_database_across_chunks(files):
        blob = bytearray(os.urandom(3000).replace(b"e", b"\0"))
        blob[1990:1990] = access[1].encode()  # spans the 2048-byte chunk boundary
        files["homes/t1/dc/state/audit.db-wal"] = bytes(blob)

    def planted_client_secret_in_config(files):
        files["homes/t1/dc/config.toml"] = '[auth0]\nclient_secret = "%s"\n' % client_secret
        files["output/c1.out"] += access[0][-16:] + "\n"  # the end of its signature

    run(clean, (0, []))
    run(
        planted_in_home_and_output,
        (
            1,
            [
                "LEAK: homes/t1/dc/state/hints.json: provider token (whole)",
                "LEAK: output/c1.err: refresh token (partial)",
                "LEAK: output/c2.err: provider token (whole)",
            ],
        ),
    )
    run(
        planted_in_a_binary_database_across_chunks,
        (1, ["LEAK: homes/t1/dc/state/audit.db-wal: access token (whole)"]),
        chunk=2048,
    )
    run(
        planted_client_secret_in_config,
        (
            1,
            [
                "LEAK: homes/t1/dc/config.toml: client secret (whole)",
                "LEAK: output/c1.out: access token (partial)",
            ],
        ),
    )
    # An emulator that did not answer leaves a hole: the scan must not pass.
    with tempfile.TemporaryDirectory() as d:
        for sub in ("secrets", "homes", "output"):
            os.makedirs(os.path.join(d, sub))
        open(os.path.join(d, "secrets/e1.json"), "w").close()
        with open(os.path.join(d, "output/c.cmd"), "w") as f:
            f.write("devcontext status\n")
        buf = io.StringIO()
        if scan(d, buf) != 2:
            failures.append("an unrecorded emulator did not fail the scan\n" + buf.getvalue())
    # Captured commands without any emulator (a suite like core_cli alone):
    # nothing was minted, so there is nothing to find, and that is no failure.
    with tempfile.TemporaryDirectory() as d:
        for sub in ("secrets", "homes", "output"):
            os.makedirs(os.path.join(d, sub))
        with open(os.path.join(d, "output/c.cmd"), "w") as f:
            f.write("devcontext perms list\n")
        buf = io.StringIO()
        if scan(d, buf) != 0:
            failures.append("captured commands without an emulator failed the scan\n" + buf.getvalue())
    if failures:
        print("leak scan self-test: FAILED", file=sys.stderr)
        for f in failures:
            print(f, file=sys.stderr)
        return 1
    print("leak scan self-test: ok (planted leaks found, credential store skipped, nothing shown)")
    return 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__.split("usage:", 1)[1].strip(), file=sys.stderr)
        return 2
    if not os.path.isdir(argv[0]):
        print(f"leak scan: {argv[0]} is not a folder", file=sys.stderr)
        return 2
    return scan(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
