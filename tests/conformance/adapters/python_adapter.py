"""Conformance adapter body for the Python host (see `python` beside this file): verify,
receipt-verify and badge-verify through the `clyra` package's compiled API, printing the verdict JSON line."""

import base64
import dataclasses
import json
import sys

import clyra
from clyra import _clyra


def error(code: str, detail: str | None = None) -> int:
    answer = {"outcome": "ERROR", "primary": code, "exit": 4, "checks": []}
    if detail:
        answer["detail"] = detail
    print(json.dumps(answer))
    return 4


def detail_of(e: "clyra.ClyraError") -> str | None:
    """The first error's `detail` (trust-v0.md §3.4), from the failure answer's errors."""
    for text in e.errors[:1]:
        return json.loads(text).get("detail")
    return None


class Unusable(Exception):
    """An input file that cannot be given to the API as text: the adapter's exit-4 code."""


def read(path: str, code: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unusable(code) from None


def options(args: list[str]) -> dict[str, str]:
    out = {}
    it = iter(args)
    for a in it:
        if not a.startswith("--"):
            raise ValueError(a)
        out[a[2:]] = next(it)
    return out


def via_cli(argv: list[str]) -> int:
    """Runs `clyra ARGV --format json` through the extension's CLI entry; prints its first line."""
    import os
    import tempfile

    with tempfile.TemporaryFile() as out:
        saved = os.dup(1)
        try:
            sys.stdout.flush()
            os.dup2(out.fileno(), 1)
            code = _clyra.run(["clyra", *argv, "--format", "json"])
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        out.seek(0)
        line = out.read().decode("utf-8", "replace").splitlines()[:1]
    answer = json.loads(line[0]) if line else {}
    if "errors" in answer:
        return error(answer["errors"][0].get("code", "cli.usage"))
    print(json.dumps(answer))
    return int(code)


def subject_and_options(args: list[str]) -> tuple[str, dict[str, str]] | None:
    """`SUBJECT --trust T --at TIME [--flag VALUE]…`: the subject and the flags, or None."""
    try:
        opts = options(args[1:])
        if args and "trust" in opts and "at" in opts:
            return args[0], opts
    except (ValueError, StopIteration):
        pass
    return None


def answered(run) -> int:
    """Runs one verification; an unusable input becomes its §6.6 failure line."""
    try:
        return run()
    except OSError:
        return error("cli.io")
    except Unusable as e:
        return error(str(e))
    except clyra.ClyraError as e:
        return error(e.code or str(e), detail_of(e))


def verify(cmd: str, subject: str, opts: dict[str, str]) -> int:
    """verify / receipt-verify. conformance.md §6.7: at most the input's limit + 1 bytes (L10
    bundle, L23 receipt); a directory raises IsADirectoryError, an OSError: cli.io."""
    limit = 4 * 1024 * 1024 * 1024 + 1024 * 1024 if cmd == "verify" else 32 * 1024 * 1024
    with open(subject, "rb") as f:
        data = f.read(limit + 1)
    call = {"trust": read(opts["trust"], "trust.file"), "at": opts["at"]}
    if cmd == "verify":
        if "policy" in opts:
            call["policy"] = read(opts["policy"], "policy.file")
        if "ledger-proof" in opts:  # witnessed vectors (conformance.md §2.9, §6.4)
            call["ledger_proof"] = read(opts["ledger-proof"], "ledger.proof_schema")
        verdict = _clyra.verify_bundle(json.dumps(call), data)
    else:
        verdict = _clyra.receipt_verify(json.dumps(call), data)
    print(verdict)
    return int(json.loads(verdict)["exit"])


def verify_badge(subject: str, opts: dict[str, str]) -> int:
    """badge-verify (conformance.md §6.10) through the package's public API."""
    verdict = clyra.verify_badge(subject, read(opts["trust"], "trust.file"), at=opts["at"])
    out: dict[str, object] = {"outcome": verdict.outcome, "primary": verdict.primary,
                              "exit": verdict.exit, "message": verdict.message}
    if verdict.badge is not None:
        out["badge"] = dataclasses.asdict(verdict.badge)
    print(json.dumps(out))
    return verdict.exit


def main(argv: list[str]) -> int:
    cmd, args = (argv[0], argv[1:]) if argv else ("", [])
    if cmd in ("verify", "receipt-verify", "badge-verify"):
        parsed = subject_and_options(args)
        if parsed is None:
            return error("cli.usage")
        subject, opts = parsed
        if cmd == "badge-verify":
            return answered(lambda: verify_badge(subject, opts))
        return answered(lambda: verify(cmd, subject, opts))
    if cmd == "ledger-verify":
        # conformance.md §6.9 through the package's compiled CLI entry (`clyra ledger check`):
        # the same core code as the Rust adapter, reached through the Python extension.
        if len(args) != 3 or args[1] != "--key":
            return error("cli.usage")
        return via_cli(["ledger", "check", args[0], "--key", args[2]])
    if cmd == "attest-verify":
        # conformance.md §6.11 (attestation-v0.md §6) through the package's CLI entry.
        if not args:
            return error("cli.usage")
        return via_cli(["attest", "verify", *args])
    if cmd == "jcs" and len(args) == 1:
        try:
            canonical = clyra.canonicalize(read(args[0], "jcs.utf8")).canonical.encode("utf-8")
        except (OSError, Unusable, clyra.ClyraError):
            print(json.dumps({"ok": False, "code": "cli.usage", "offset": 0}))
            return 4
        print(json.dumps({"ok": True, "canonical": base64.b64encode(canonical).decode()}))
        return 0
    print(f"clyra (python): {cmd} not implemented", file=sys.stderr)
    print(json.dumps({"ok": False, "code": "cli.usage", "offset": 0}))
    return 4


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
