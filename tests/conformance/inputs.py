#!/usr/bin/env python3
"""Inputs that are not regular files (spec/conformance.md §6.7), through every available adapter.

Usage: inputs.py [--big] [--impl NAME ...]

Each case gives a verifier a path that is a FIFO, a pipe (/dev/fd/N, as bash's process
substitution), a directory or a device, and checks the (outcome, primary, exit) every
implementation answers, and that all implementations agree. With --big, /dev/zero is given as a
bundle: a stream provably longer than L10, which must be judged `zip.size_limit` after reading
L10 + 1 bytes, with flat memory (peak RSS of the verifier process tree, from wait4, below
FLAT_RSS). Exits 1 on any mismatch. Python 3 stdlib only; Linux (mkfifo, /dev/fd, wait4).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMPLS = ["rust", "python", "node", "wasm", "go"]
VECTOR = "0001-def-minimal"  # a VALID bundle
RECEIPT = "0089-receipt-first-event"  # a VALID receipt
FLAT_RSS = 256 * 1024 * 1024  # bytes: far below the 4 GiB a buffered stream would take


# Hosts §6.7 does not apply to, each with the reason (printed as a skip, never hidden).
NOT_YET = {
    "wasm": "the page verifies Files a person picks or drops (Blob slices); a pipe, FIFO, device "
    "or directory cannot be handed to it, so conformance.md §6.7 has no browser case",
}


def available(impl):
    """An adapter that can run here: executable, and for python a built venv."""
    path = os.path.join(HERE, "adapters", impl)
    if not os.access(path, os.X_OK):
        return False
    if impl == "python" and not os.environ.get("CLYRA_PYTHON"):
        return os.access(os.path.join(ROOT, "python", ".venv", "bin", "python"), os.X_OK)
    return True


def run(adapter, args, pass_fds=()):
    """(first stdout JSON object or None, exit code, peak RSS in bytes of the process tree)."""
    p = subprocess.Popen([adapter] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         pass_fds=pass_fds)
    out = p.stdout.read()
    p.stdout.close()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    try:
        obj = json.loads(out.decode("utf-8", "replace").splitlines()[0])
    except (IndexError, ValueError):
        obj = None
    return obj, p.returncode, usage.ru_maxrss * 1024


def feed_fifo(path, data):
    """A thread that writes data into the FIFO at path once a reader opens it."""
    def write():
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError:
            pass
    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def release_fifo(path, thread):
    """Unblocks a writer whose reader never came (the adapter failed before opening)."""
    if thread.is_alive():
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            thread.join(1)
            os.close(fd)
        except OSError:
            pass
    thread.join(1)


def with_fifo(data, body):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "stream")
        os.mkfifo(path)
        t = feed_fifo(path, data)
        try:
            return body(path, ())
        finally:
            release_fifo(path, t)


def with_pipe(data, body):
    """data through an anonymous pipe named /dev/fd/N, as `<(cat file)` gives it."""
    r, w = os.pipe()

    def write():
        try:
            os.write(w, data) if len(data) < 65536 else [os.write(w, data[i:i + 65536]) for i in range(0, len(data), 65536)]
        except OSError:
            pass
        os.close(w)
    t = threading.Thread(target=write, daemon=True)
    t.start()
    try:
        return body(f"/dev/fd/{r}", (r,))
    finally:
        os.close(r)
        t.join(5)


def triple(obj, code):
    if obj is None:
        return ("no JSON", None, code)
    if "outcome" in obj:
        return (obj.get("outcome"), obj.get("primary"), code)
    return ("ok" if obj.get("ok", "root" in obj) else "error", obj.get("code") or obj.get("root"), code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also /dev/zero as a bundle (reads L10 + 1 bytes)")
    ap.add_argument("--impl", action="append", help="only these adapters")
    a = ap.parse_args()
    impls = [i for i in IMPLS if available(i) and (not a.impl or i in a.impl)]
    for impl in [i for i in impls if i in NOT_YET]:
        print(f"skip  every input ({impl}): {NOT_YET[impl]}")
    impls = [i for i in impls if i not in NOT_YET]

    vec = os.path.join(ROOT, "vectors", VECTOR)
    rec = os.path.join(ROOT, "vectors", RECEIPT)
    at = json.load(open(os.path.join(vec, "args.json")))["at"]
    rat = json.load(open(os.path.join(rec, "args.json")))["at"]
    bundle = open(os.path.join(vec, "bundle.zip"), "rb").read()
    receipt = open(os.path.join(rec, "receipt.json"), "rb").read()
    exp = json.load(open(os.path.join(vec, "expected.json")))
    rexp = json.load(open(os.path.join(rec, "expected.json")))
    valid = (exp["outcome"], exp["primary"], exp["exit"])
    rvalid = (rexp["outcome"], rexp["primary"], rexp["exit"])
    trust, rtrust = os.path.join(vec, "trust.json"), os.path.join(rec, "trust.json")

    def verify(path):
        return ["verify", path, "--trust", trust, "--at", at]

    def rverify(path):
        return ["receipt-verify", path, "--trust", rtrust, "--at", rat]

    io_error = ("ERROR", "cli.io", 4)
    cases = [
        # (name, how the path is made, argv builder, expected triple or None = agreement only)
        ("verify FIFO with a valid bundle", ("fifo", bundle), verify, valid),
        ("verify /dev/fd pipe with a valid bundle", ("pipe", bundle), verify, valid),
        ("verify an empty FIFO", ("fifo", b""), verify, ("INVALID", "zip.eocd", 1)),
        ("verify a directory", ("dir", None), verify, io_error),
        ("verify /dev/null", ("path", "/dev/null"), verify, ("INVALID", "zip.eocd", 1)),
        ("receipt-verify FIFO with a valid receipt", ("fifo", receipt), rverify, rvalid),
        ("receipt-verify a directory", ("dir", None), rverify, io_error),
        ("receipt-verify /dev/null", ("path", "/dev/null"), rverify, None),
        ("receipt-verify /dev/zero (longer than L23)", ("path", "/dev/zero"), rverify,
         ("INVALID", "receipt.too_large", 1)),
        ("verify with a directory as trust file", ("trustdir", None),
         lambda p: ["verify", os.path.join(vec, "bundle.zip"), "--trust", p, "--at", at], io_error),
    ]
    if a.big:
        cases.append(("verify /dev/zero (longer than L10)", ("path", "/dev/zero"), verify,
                      ("INVALID", "zip.size_limit", 1)))

    failures = 0
    for name, (kind, data), argv, want in cases:
        got = {}
        for impl in impls:
            adapter = os.path.join(HERE, "adapters", impl)
            if "L10" in name and impl == "python":
                # The Python API takes a bundle as bytes: it would buffer L10 + 1 bytes (§6.7).
                print(f"skip  {name} ({impl}): the API takes bytes; a 4 GiB buffer, by design")
                continue

            def body(path, fds):
                obj, code, rss = run(adapter, argv(path), fds)
                return triple(obj, code), rss
            if kind == "fifo":
                got[impl] = with_fifo(data, body)
            elif kind == "pipe":
                got[impl] = with_pipe(data, body)
            elif kind in ("dir", "trustdir"):
                with tempfile.TemporaryDirectory() as d:
                    got[impl] = body(d, ())
            else:
                got[impl] = body(data, ())
        answers = {t for t, _ in got.values()}
        bad = (want is not None and answers != {want}) or len(answers) > 1
        if a.big and "L10" in name:
            bad = bad or any(rss > FLAT_RSS for _, rss in got.values())
        failures += bad
        cells = "  ".join(f"{i}={'/'.join(map(str, t))} ({rss >> 20} MiB)" for i, (t, rss) in got.items())
        print(f"{'FAIL' if bad else 'pass'}  {name}: {cells}")

    # merkle-root reads a stream line by line: same root as the regular file.
    leaves = b"00\n\n0102\n"
    for impl in impls:
        adapter = os.path.join(HERE, "adapters", impl)
        with tempfile.NamedTemporaryFile() as f:
            f.write(leaves)
            f.flush()
            ref = triple(*run(adapter, ["merkle-root", f.name])[:2])
        if ref[0] != "ok":
            print(f"skip  merkle-root ({impl}): the adapter has no merkle-root ({'/'.join(map(str, ref))})")
            continue
        fifo = with_fifo(leaves, lambda p, fds: triple(*run(adapter, ["merkle-root", p], fds)[:2]))
        with tempfile.TemporaryDirectory() as d:
            directory = triple(*run(adapter, ["merkle-root", d])[:2])
        ok = fifo == ref and directory == ("error", "cli.io", 4)
        failures += not ok
        print(f"{'pass' if ok else 'FAIL'}  merkle-root ({impl}): FIFO {fifo}, directory {directory}")

    print(f"{len(impls)} implementations ({', '.join(impls)}); {failures} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
