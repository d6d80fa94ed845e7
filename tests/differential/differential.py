#!/usr/bin/env python3
"""Differential testing of the Rust implementation against the independent Go verifier.

From a fixed seed it generates
  (a) random JSON documents (valid and invalid: nesting, escapes, unicode, surrogate pairs, numbers
      of every shape — long literals too: many digits, leading and trailing zeros, huge and tiny
      exponents, one value spelled many ways, lengths around limits.md L45–L46 —, duplicate keys,
      byte corruptions) and requires `clyra canon --format json` and
      `clyra-verify-go jcs` to give the same canonical bytes, or the same rejection code AND offset
      (primitives.md §2, conformance.md §6.2);
  (b) random mutations of the VALID bundle vectors of vectors/ (byte flips, truncations, insertions,
      swaps, random runs, mutations inside one entry's data region, entry-content mutations
      repacked by a bundle-v0.md §2.3 writer so that they pass the container checks, numbers of an
      entry, of the trust file or of the policy respelled as long literals) and requires
      `clyra verify --format json` and `clyra-verify-go verify` to give the same (outcome, primary,
      exit) with the vector's trust file and args — and, with --node, the Node package's
      `clyra-verify` bin (node/bin/clyra-verify.js over the napi addon) to give the same too.

Every case is derived from (seed, kind, index) alone, so one case is reproducible without the others.
A disagreement is saved under --out (default tests/differential/out/) as a minimal reproducer (JSON
inputs are shrunk by deleting bytes while the disagreement persists) with a `repro.json` describing
both answers. Exits 1 on any disagreement. Python 3 stdlib only.

Usage: differential.py --seed N --json-cases K --bundle-cases M --rust CLYRA --go CLYRA_VERIFY_GO
                       [--node node/bin/clyra-verify.js]
"""

import argparse
import base64
import concurrent.futures
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# ---------------------------------------------------------------------------------------------
# (a) JSON documents


def gen_string(r):
    """Returns the JSON text of a string literal (quotes included), with a mix of encodings."""
    parts = ['"']
    for _ in range(r.choice([0, 1, 2, 3, 5, 8, 20])):
        k = r.random()
        if k < 0.35:
            parts.append(r.choice("abcxyz AZ09_-/:."))
        elif k < 0.45:
            parts.append(r.choice(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]))
        elif k < 0.55:  # \u escape of a BMP char (control chars included), random hex case
            cp = r.choice([r.randrange(0, 0x20), r.randrange(0x20, 0x80), r.randrange(0x80, 0xD800),
                           r.randrange(0xE000, 0x10000), 0x7F, 0x2028, 0xFEFF, 0xFFFF])
            h = "%04x" % cp
            parts.append("\\u" + (h.upper() if r.random() < 0.3 else h))
        elif k < 0.65:  # escaped surrogate pair (sometimes a lone or reversed surrogate)
            cp = r.randrange(0x10000, 0x110000)
            v = cp - 0x10000
            hi, lo = 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)
            m = r.random()
            if m < 0.85:
                parts.append("\\u%04x\\u%04x" % (hi, lo))
            elif m < 0.9:
                parts.append("\\u%04x" % hi)
            elif m < 0.95:
                parts.append("\\u%04x" % lo)
            else:
                parts.append("\\u%04x\\u%04x" % (lo, hi))
        elif k < 0.85:  # raw UTF-8, BMP and astral
            cp = r.choice([r.randrange(0x80, 0x800), r.randrange(0x800, 0xD800),
                           r.randrange(0xE000, 0x10000), r.randrange(0x10000, 0x110000), 0x7F, 0xFFFD])
            parts.append(chr(cp))
        elif k < 0.9:  # raw control char (invalid)
            parts.append(chr(r.randrange(0, 0x20)))
        elif k < 0.95:  # bad escapes
            parts.append(r.choice(["\\x41", "\\u12", "\\u12G4", "\\", "\\U0041", "\\a", "\\'"]))
        else:
            parts.append(r.choice(["é", "€", "😀", "\u0300", "ﬀ", "Ω"]))
    parts.append('"')
    return "".join(parts)


def gen_number(r):
    k = r.random()
    if k < 0.2:
        return str(r.randrange(-1000, 1000))
    if k < 0.3:  # around ±2^53
        return str(r.choice([1, -1]) * (2**53 + r.randrange(-3, 3)))
    if k < 0.35:
        return r.choice(["0", "-0", "-0.0", "0.0", "0e0", "-0E-0", "0e+5"])
    if k < 0.55:  # decimal with fraction and/or exponent
        ip = r.choice(["0", str(r.randrange(1, 10)), str(r.randrange(1, 10**r.randrange(1, 20)))])
        s = r.choice(["", "-"]) + ip
        if r.random() < 0.6:
            s += "." + "".join(r.choice("0123456789") for _ in range(r.randrange(1, 20)))
        if r.random() < 0.6:
            s += r.choice("eE") + r.choice(["", "+", "-"]) + str(r.randrange(0, 400))
        return s
    if k < 0.65:  # doubles printed by repr: round trip, shortest form
        return repr(r.choice([r.uniform(-1e6, 1e6), r.random() * 10.0**r.randrange(-330, 309),
                              -r.random() * 10.0**r.randrange(-330, 309), 5e-324, 1.7976931348623157e308,
                              1e21, 1e-7, 123456789012345680000.0, 0.1 + 0.2]))
    if k < 0.75:  # large integer literals written as decimals/exponents (allowed if integral & safe?)
        return r.choice(["1e21", "1e20", "1E300", "9007199254740991", "9007199254740991.0",
                         "9007199254740992", "1" + "0" * r.randrange(16, 30), "123e-2", "1.5e1",
                         "4.35", "100e-2", "1e-7", "1e-6", "2e308", "-1e309", "1e-400", "12.50e+2"])
    if k < 0.85:  # invalid shapes
        return r.choice(["01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity",
                         "-Infinity", "1.2.3", "--1", "1ee2", "00", "-01", "1_000"])
    if k < 0.9:
        return str(r.randrange(-(2**63), 2**63))
    return gen_long_number(r)


# Number tokens around limits.md L45 (800 bytes) and L46 (4 exponent digits), primitives.md §2.2.6.
NUMBER_MAX_BYTES, EXPONENT_MAX_DIGITS = 800, 4


def decompose(token):
    """(sign, digits, exponent) with value = sign·int(digits)·10^exponent, for a JSON number token
    (digits without leading zeros, "0" for zero)."""
    sign = "-" if token.startswith("-") else ""
    body = token.lstrip("-")
    mant, _, exp = body.lower().partition("e")
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0") or "0"
    return sign, digits, (int(exp) if exp else 0) - len(fp)


def spell(r, sign, digits, exponent, target=None):
    """A number token worth sign·int(digits)·10^exponent, in a random layout (leading zeros after
    `0.`, trailing zeros, the point anywhere, exponent with padding and either case), stretched
    with zeros to about `target` bytes when given."""
    shape = r.randrange(3)
    pad = 0
    for _ in range(3):  # the exponent's width depends on the padding: settle it
        if shape == 0:  # 0.{zeros}digits{…} e+n
            m = "0." + "0" * pad + digits
            e = exponent + pad + len(digits)
        elif shape == 1:  # digits{zeros} e-n
            m = digits + "0" * pad if digits != "0" else "0." + "0" * max(pad, 1)
            e = exponent - pad if digits != "0" else 0
        else:  # point inside the digits, zeros after
            p = r.randrange(1, len(digits) + 1) if digits != "0" else 1
            frac = digits[p:] + "0" * pad
            m = digits[:p] + ("." + frac if frac else "")
            e = exponent + len(digits) - p
        ex = ""
        if e != 0 or r.random() < 0.3:
            width = r.choice([0, 0, 0, 2, 3, 4, 5])
            ex = r.choice("eE") + ("-" if e < 0 else r.choice(["", "+"])) + str(abs(e)).rjust(width, "0")
        tok = sign + m + ex
        if target is None or len(tok) >= target:
            break
        pad += target - len(tok)
    return tok


def gen_long_number(r):
    """A long or oddly spelled literal: the same double many ways, lengths at the L45 edge, long
    digit strings, halfway points between doubles, huge and tiny exponents."""
    k = r.random()
    if k < 0.35:  # one value, many spellings, at lengths around the bound
        x = r.choice([1.0, 10.0, 5.0, 0.1, 1842.0, 2048000.0, 1e-7, 5e-324, 1.7976931348623157e308,
                      r.uniform(-1e6, 1e6), r.random() * 10.0 ** r.randrange(-320, 300)])
        sign, digits, exponent = decompose(repr(x).replace("inf", "1e309"))
        target = r.choice([None, r.randrange(20, 400), NUMBER_MAX_BYTES - 1, NUMBER_MAX_BYTES, NUMBER_MAX_BYTES + 1,
                           r.randrange(780, 830), r.randrange(800, 3000), 20000])
        return spell(r, sign or r.choice(["", "-"]), digits, exponent, target)
    if k < 0.55:  # a random digit string of a length near or beyond the bound
        n = r.choice([r.randrange(1, 40), r.randrange(700, 800), r.randrange(790, 810), r.randrange(800, 1200)])
        digits = str(r.randrange(1, 10)) + "".join(r.choice("0123456789") for _ in range(n - 1))
        return spell(r, r.choice(["", "-"]), digits, r.randrange(-1100, 400))
    if k < 0.75:  # a halfway point between doubles, exactly or nudged at the last digit
        bits = r.getrandbits(63) & 0x7FEFFFFFFFFFFFFE
        lo = struct.unpack("<d", struct.pack("<Q", bits))[0]
        hi = struct.unpack("<d", struct.pack("<Q", bits + 1))[0]
        from fractions import Fraction
        h = (Fraction(lo) + Fraction(hi)) / 2
        den_pow = 0
        while h.denominator != 1:
            h *= 10
            den_pow += 1
        digits, exponent = str(h.numerator), -den_pow
        nudge = r.random()
        if nudge < 0.33 and len(digits) < NUMBER_MAX_BYTES:  # plus one unit far below the last digit
            z = r.randrange(0, NUMBER_MAX_BYTES - len(digits))
            digits, exponent = digits + "0" * z + "1", exponent - z - 1
        elif nudge < 0.66:  # minus one unit at the last digit
            digits = str(int(digits) - 1)
        return spell(r, r.choice(["", "-"]), digits.lstrip("0") or "0", exponent)
    # exponents: many digits, leading zeros, at and beyond 4 digits and Go's old clamp of 10,000
    e = r.choice([r.randrange(0, 400), 9999, 10000, 10001, 99999, 100000, r.randrange(0, 10**7)])
    return (r.choice(["", "-"]) + r.choice(["1", "5", "0", "1.5", "0.0001", "1" + "0" * r.randrange(1, 900)])
            + r.choice("eE") + r.choice(["", "+", "-"]) + str(e).rjust(r.choice([0, 4, 5, 8]), "0"))


def gen_value(r, depth):
    k = r.random()
    if depth > 0 and k < 0.25:
        n = r.choice([0, 1, 2, 3, 5])
        return "[" + ",".join(gen_value(r, depth - 1) for _ in range(n)) + "]"
    if depth > 0 and k < 0.5:
        n = r.choice([0, 1, 2, 3, 6])
        keys = [gen_string(r) if r.random() < 0.5 else '"%s"' % r.choice(["a", "b", "B", "aa", "é", "😀", "\ufb00", "\\u0061", ""])
                for _ in range(n)]
        if keys and r.random() < 0.08:  # duplicate key, sometimes spelled differently
            d = r.choice(keys)
            keys.insert(r.randrange(len(keys) + 1), d if r.random() < 0.7 else d.replace("a", "\\u0061"))
        return "{" + ",".join(k + ":" + gen_value(r, depth - 1) for k in keys) + "}"
    if k < 0.7:
        return gen_string(r)
    if k < 0.92:
        return gen_number(r)
    return r.choice(["true", "false", "null", "tru", "nul", "True", "None"])


def add_whitespace(r, text):
    if r.random() < 0.5:
        return text
    out = []
    inside = False
    esc = False
    for ch in text:
        out.append(ch)
        if inside:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                inside = False
        elif ch == '"':
            inside = True
        if not inside and ch in ",:[]{}" and r.random() < 0.3:
            out.append(r.choice([" ", "\n", "\t", "\r", "  ", "\r\n"]))
    return r.choice(["", " ", "\n"]) + "".join(out) + r.choice(["", " ", "\n", "\t"])


def corrupt(r, data):
    data = bytearray(data)
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        k = r.randrange(6)
        n = len(data)
        if k == 0 and n:
            data[r.randrange(n)] ^= 1 << r.randrange(8)
        elif k == 1 and n:
            del data[r.randrange(n):]
        elif k == 2:
            i = r.randrange(n + 1)
            data[i:i] = r.choice([b"\x00", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b",", b"]", b"}", b'"', b"\\", b"\xef\xbb\xbf", bytes([r.randrange(256)])])
        elif k == 3 and n:
            i = r.randrange(n)
            del data[i:i + r.randrange(1, 4)]
        elif k == 4 and n > 1:
            i, j = r.randrange(n), r.randrange(n)
            data[i], data[j] = data[j], data[i]
        elif k == 5 and n:
            i = r.randrange(n)
            data[i] = r.randrange(256)
    return bytes(data)


def gen_json_case(seed, i):
    r = random.Random(f"{seed}:json:{i}")
    k = r.random()
    if k < 0.03:  # nesting around the depth limit
        d = r.randrange(120, 140)
        o, c = r.choice([("[", "]"), ('{"a":', "}")])
        text = o * d + gen_value(r, 0) + c * d
    elif k < 0.08:  # long literals alone or in a list
        longs = [gen_long_number(r) for _ in range(r.randrange(1, 4))]
        text = longs[0] if r.random() < 0.5 else "[" + ",".join(longs) + "]"
    else:
        text = gen_value(r, r.randrange(0, 6))
    data = add_whitespace(r, text).encode("utf-8", "surrogatepass")
    if r.random() < 0.15:
        data = corrupt(r, data)
    return data


def rust_jcs(rust, path):
    p = subprocess.run([rust, "canon", "--format", "json", path], capture_output=True)
    if p.returncode == 0:
        return ("ok", base64.b64encode(p.stdout).decode())
    try:
        e = json.loads(p.stdout)["errors"][0]
        return ("err", e["code"], e.get("offset"))
    except (ValueError, KeyError, IndexError):
        return ("crash", p.returncode, p.stdout[:200].decode("utf-8", "replace"), p.stderr[-300:].decode("utf-8", "replace"))


def go_jcs(go, path):
    p = subprocess.run([go, "jcs", path], capture_output=True)
    try:
        o = json.loads(p.stdout)
    except ValueError:
        return ("crash", p.returncode, p.stdout[:200].decode("utf-8", "replace"), p.stderr[-300:].decode("utf-8", "replace"))
    if o.get("ok"):
        return ("ok", o["canonical"])
    return ("err", o.get("code"), o.get("offset"))


def jcs_pair(a, path):
    return rust_jcs(a.rust, path), go_jcs(a.go, path)


def shrink_json(a, data, tmp):
    """Greedy byte deletion while Rust and Go still disagree (bounded effort)."""
    path = os.path.join(tmp, "shrink.json")

    def disagrees(d):
        with open(path, "wb") as f:
            f.write(d)
        r, g = jcs_pair(a, path)
        return r != g

    budget = 400
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and budget > 0:
        i, changed = 0, False
        while i < len(data) and budget > 0:
            cand = data[:i] + data[i + chunk:]
            budget -= 1
            if cand and disagrees(cand):
                data, changed = cand, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return data


# ---------------------------------------------------------------------------------------------
# (b) bundles


def valid_bases(vectors):
    bases = []
    try:  # superseded vectors (vectors/ERRATA.md) are frozen and may no longer be VALID
        errata = open(os.path.join(vectors, "ERRATA.md"), encoding="utf-8").read()
    except FileNotFoundError:
        errata = ""
    frozen = set(re.findall(r"^- (\d{4}-[a-z0-9-]+) superseded by", errata, re.M))
    for name in sorted(os.listdir(vectors)):
        if name in frozen:
            continue
        folder = os.path.join(vectors, name)
        if not os.path.isfile(os.path.join(folder, "bundle.zip")):
            continue
        exp = json.load(open(os.path.join(folder, "expected.json"), encoding="utf-8"))
        if exp.get("outcome") == "VALID":
            bases.append(folder)
    return bases


def entries_of(data):
    """(name, method, data_start, data_len, plain bytes) of each entry, or [] if unreadable."""
    import io
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        out = []
        for info in z.infolist():
            h = info.header_offset
            n, e = struct.unpack("<HH", data[h + 26:h + 30])
            out.append((info.filename, info.compress_type, h + 30 + n + e, info.compress_size, z.read(info)))
        return out
    except Exception:
        return []


def write_bundle(entries):
    """bundle-v0.md §2.3 deterministic writer (no zip64): entries = [(name, method, plain bytes)]."""
    local, central = bytearray(), bytearray()
    for name, method, plain in entries:
        nb = name.encode()
        if method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(plain) + c.flush()
        else:
            comp = plain
        crc = zlib.crc32(plain) & 0xFFFFFFFF
        off = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(comp), len(plain), len(nb), 0) + nb + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 20, 0, method, 0, 0x21, crc, len(comp), len(plain),
                               len(nb), 0, 0, 0, 0, 0x81A40000, off) + nb
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    return bytes(local + central + eocd)


def mutate_bytes(r, data):
    data = bytearray(data)
    k = r.randrange(5)
    n = len(data)
    if k == 0:
        i = r.randrange(n)
        data[i] ^= 1 << r.randrange(8)
        what = f"flip bit at {i}"
    elif k == 1:
        i = r.randrange(n)
        del data[i:]
        what = f"truncate to {i}"
    elif k == 2:
        i = r.randrange(n + 1)
        ins = bytes(r.randrange(256) for _ in range(r.choice([1, 1, 2, 4, 16])))
        data[i:i] = ins
        what = f"insert {len(ins)} bytes at {i}"
    elif k == 3:
        i, j = r.randrange(n), r.randrange(n)
        data[i], data[j] = data[j], data[i]
        what = f"swap bytes {i} and {j}"
    else:
        i = r.randrange(n)
        ln = min(n - i, r.choice([1, 2, 4, 8, 32]))
        data[i:i + ln] = bytes(r.randrange(256) for _ in range(ln))
        what = f"overwrite {ln} bytes at {i}"
    return bytes(data), what


NUMBER_IN_JSON = re.compile(rb"(?<=[:,\[])-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?=[,\]}])")


def respell_number(r, plain):
    """One number token of canonical JSON text respelled as a long literal: the same value in
    another layout, or nudged far below its last digit; lengths around L45. None if none."""
    found = list(NUMBER_IN_JSON.finditer(plain))
    if not found:
        return None
    m = r.choice(found)
    sign, digits, exponent = decompose(m.group().decode())
    how = "same value"
    if r.random() < 0.3:
        z = r.randrange(0, NUMBER_MAX_BYTES)
        digits, exponent, how = digits + "0" * z + "1", exponent - z - 1, "nudged"
    target = r.choice([None, NUMBER_MAX_BYTES - 1, NUMBER_MAX_BYTES, NUMBER_MAX_BYTES + 1, r.randrange(20, 1200)])
    tok = spell(r, sign, digits, exponent, target).encode()
    what = f"number at {m.start()} {m.group()[:20]!r} respelled ({how}, {len(tok)} bytes)"
    return plain[:m.start()] + tok + plain[m.end():], what


def mutate_text(r, plain):
    """A content mutation of one entry's plain bytes, often keeping it JSON-looking."""
    if r.random() < 0.15:
        respelled = respell_number(r, plain)
        if respelled:
            return respelled
    k = r.random()
    if k < 0.5 or not plain:
        b, what = mutate_bytes(r, plain or b"\x00")
        return b, what
    s = plain.decode("utf-8", "replace")
    # replace a token: a digit, a letter, or a quoted value
    i = r.randrange(len(s))
    if k < 0.7:
        c = s[i]
        repl = r.choice("0123456789abcdefABCDEF") if c.isalnum() else r.choice(['"', ",", " ", "\\", "}", "x"])
        return (s[:i] + repl + s[i + 1:]).encode(), f"char {i} {c!r}->{repl!r}"
    if k < 0.85:
        j = s.find('"', i)
        if j >= 0:
            ins = r.choice(['"zz":1,', '"":0,', "\\u0000", "\\ud800", "é", "1e400", ",", "null"])
            return (s[:j + 1] + ins + s[j + 1:]).encode(), f"insert {ins!r} after quote at {j}"
    lines = s.split("\n")
    if len(lines) > 1:
        a, b = r.randrange(len(lines)), r.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        op = r.random()
        if op < 0.3:
            del lines[r.randrange(len(lines))]
            return "\n".join(lines).encode(), f"swap lines {a},{b} and delete one"
        if op < 0.5:
            d = r.randrange(len(lines))
            lines.insert(d, lines[d])
            return "\n".join(lines).encode(), f"swap lines {a},{b} and duplicate line {d}"
        return "\n".join(lines).encode(), f"swap lines {a},{b}"
    return plain[:len(plain) // 2], "cut in half"


def gen_bundle_case(seed, i, bases):
    """(base folder, bundle bytes, description, {"trust.json"|"policy.json": replacement bytes})."""
    r = random.Random(f"{seed}:bundle:{i}")
    base = r.choice(bases)
    data = open(os.path.join(base, "bundle.zip"), "rb").read()
    if r.random() < 0.06:  # the bundle as is; a number of its trust file or policy respelled
        args = json.load(open(os.path.join(base, "args.json"), encoding="utf-8"))
        name = "policy.json" if "policy" in args and r.random() < 0.5 else "trust.json"
        text = open(os.path.join(base, args.get("policy", "policy.json") if name == "policy.json" else name), "rb").read()
        respelled = respell_number(r, text)
        if respelled:
            return base, data, f"{name}: {respelled[1]}", {name: respelled[0]}
    base, data, what = gen_bundle_mutation(r, base, data)
    return base, data, what, {}


def gen_bundle_mutation(r, base, data):
    k = r.random()
    ents = entries_of(data) if k >= 0.4 else []
    if k < 0.4 or not ents:
        out, what = mutate_bytes(r, data)
        if r.random() < 0.2:
            out, w2 = mutate_bytes(r, out)
            what += "; " + w2
        return base, out, "raw: " + what
    e = r.choice(ents)
    name, method, start, ln, plain = e
    if k < 0.6 and ln > 0:  # inside the stored/deflated data region, headers untouched
        j = start + r.randrange(ln)
        b = bytearray(data)
        b[j] ^= 1 << r.randrange(8)
        return base, bytes(b), f"data region of {name}: flip a bit at {j}"
    # content mutation, repacked by the deterministic writer (valid container, bad content)
    if k < 0.65:  # drop or duplicate an entry, or reorder
        lst = [(n, m, p) for n, m, _, _, p in ents]
        op = r.randrange(3)
        if op == 0:
            lst = [x for x in lst if x[0] != name]
            what = f"repack without {name}"
        elif op == 1:
            lst.append((name + r.choice(["", "x", "/"]), method, plain))
            what = f"repack with an extra {name}"
        else:
            r.shuffle(lst)
            what = "repack shuffled"
        return base, write_bundle(lst), what
    newplain, what = mutate_text(r, plain)
    lst = [(n, m, newplain if n == name else p) for n, m, _, _, p in ents]
    return base, write_bundle(lst), f"repack, {name}: {what}"


def verdict(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return ("timeout",)
    line = p.stdout.decode("utf-8", "replace").split("\n", 1)[0]
    try:
        o = json.loads(line)
    except ValueError:
        o = None
    if o is None:
        return ("crash", p.returncode, line[:200], p.stderr[-300:].decode("utf-8", "replace"))
    if "errors" in o and "outcome" not in o:  # Rust CLI exit-4 error shape (conformance.md §6.6 mapping)
        return ("ERROR", o["errors"][0].get("code"), p.returncode)
    return (o.get("outcome"), o.get("primary"), p.returncode)


def verify_pair(a, base, path, overrides=()):
    """Both verdicts on the bundle at `path` with the base's trust, time and policy; a file named
    in `overrides` is taken from beside `path` instead (`<path>.trust.json`, `<path>.policy.json`)."""
    args = json.load(open(os.path.join(base, "args.json"), encoding="utf-8"))
    trust = path + ".trust.json" if "trust.json" in overrides else os.path.join(base, "trust.json")
    tail = ["--trust", trust, "--at", args["at"]]
    if "policy" in args:
        policy = path + ".policy.json" if "policy.json" in overrides else os.path.join(base, args["policy"])
        tail += ["--policy", policy]
    answers = (verdict([a.rust, "verify", path] + tail + ["--format", "json"]), verdict([a.go, "verify", path] + tail))
    if a.node:  # the npm bin: `clyra-verify BUNDLE --trust … --format json`, as `clyra verify`
        answers += (verdict(["node", a.node, path] + tail + ["--format", "json"]),)
    return answers


def agree(answers):
    """True when every implementation gave the same verdict."""
    return len(set(answers)) == 1


def named(a, answers):
    """The answers keyed by implementation, for reproducers and messages."""
    return dict(zip(["rust", "go", "node"] if a.node else ["rust", "go"], answers))


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--json-cases", type=int, default=1000)
    ap.add_argument("--bundle-cases", type=int, default=100)
    ap.add_argument("--rust", required=True, help="the clyra CLI")
    ap.add_argument("--go", required=True, help="clyra-verify-go")
    ap.add_argument("--node", help="the Node package's clyra-verify bin (node/bin/clyra-verify.js): bundle mutations too")
    ap.add_argument("--vectors", default=os.path.join(ROOT, "vectors"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"), help="where reproducers of disagreements go")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--max-reports", type=int, default=20, help="reproducers saved per kind")
    a = ap.parse_args()
    a.rust, a.go = os.path.abspath(a.rust), os.path.abspath(a.go)
    a.node = os.path.abspath(a.node) if a.node else None

    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="clyra-diff-")
    disagreements = []
    try:
        # (a) JSON: write all cases, then run both sides over a thread pool
        paths = []
        for i in range(a.json_cases):
            p = os.path.join(tmp, f"j{i}.json")
            with open(p, "wb") as f:
                f.write(gen_json_case(a.seed, i))
            paths.append(p)
        stats = {"ok": 0, "err": 0}
        codes = {}
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            for i, (r, g) in enumerate(ex.map(lambda p: jcs_pair(a, p), paths)):
                if r == g:
                    stats[r[0]] = stats.get(r[0], 0) + 1
                    if r[0] == "err":
                        codes[r[1]] = codes.get(r[1], 0) + 1
                else:
                    disagreements.append(("json", i, r, g))
        t1 = time.time()
        nj = sum(1 for d in disagreements if d[0] == "json")
        print(f"json: {a.json_cases} cases (seed {a.seed}), {a.json_cases - nj} agree "
              f"({stats.get('ok', 0)} canonicalized, {stats.get('err', 0)} rejected alike), {nj} disagree; {t1 - t0:.1f}s")
        if codes:
            print("  rejection codes: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items(), key=lambda x: -x[1])))

        # (b) bundles
        bases = valid_bases(a.vectors)
        outcomes = {}
        if a.bundle_cases and not bases:
            print("error: no VALID bundle vectors in " + a.vectors, file=sys.stderr)
            return 4
        cases = []
        for i in range(a.bundle_cases):
            base, data, what, overrides = gen_bundle_case(a.seed, i, bases)
            p = os.path.join(tmp, f"b{i}.zip")
            with open(p, "wb") as f:
                f.write(data)
            for name, content in overrides.items():
                with open(p + "." + name, "wb") as f:
                    f.write(content)
            cases.append((base, p, what, overrides))
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            for i, answers in enumerate(ex.map(lambda c: verify_pair(a, c[0], c[1], c[3]), cases)):
                r = answers[0]
                if agree(answers):
                    key = f"{r[0]}/{r[1]}" if len(r) > 1 else r[0]
                    outcomes[key] = outcomes.get(key, 0) + 1
                else:
                    disagreements.append(("bundle", i) + tuple(answers))
        t2 = time.time()
        nb = sum(1 for d in disagreements if d[0] == "bundle")
        sides = "Rust, Go and Node" if a.node else "Rust and Go"
        print(f"bundles: {a.bundle_cases} mutations of {len(bases)} VALID vectors ({sides}), {a.bundle_cases - nb} agree, {nb} disagree; {t2 - t1:.1f}s")
        if outcomes:
            top = sorted(outcomes.items(), key=lambda x: -x[1])
            print("  agreed verdicts: " + ", ".join(f"{k} {n}" for k, n in top[:15]) + (f", … ({len(top)} kinds)" if len(top) > 15 else ""))

        # reproducers
        saved = {"json": 0, "bundle": 0}
        for kind, i, r, g, *more in disagreements:
            if saved[kind] >= a.max_reports:
                continue
            saved[kind] += 1
            d = os.path.join(a.out, f"seed{a.seed}-{kind}-{i}")
            os.makedirs(d, exist_ok=True)
            info = {"seed": a.seed, "kind": kind, "index": i, "rust": list(r), "go": list(g)}
            if more:
                info["node"] = list(more[0])
            if kind == "json":
                orig = open(paths[i], "rb").read()
                small = shrink_json(a, orig, tmp)
                with open(os.path.join(d, "input.json"), "wb") as f:
                    f.write(small)
                sp = os.path.join(d, "input.json")
                sr, sg = jcs_pair(a, sp)
                info.update({"original_len": len(orig), "shrunk_len": len(small), "rust_on_shrunk": list(sr), "go_on_shrunk": list(sg),
                             "rerun": "clyra canon --format json input.json ; clyra-verify-go jcs input.json"})
                print(f"DISAGREE json #{i}: rust={sr} go={sg} input={small[:80]!r} -> {d}")
            else:
                base, p, what, overrides = cases[i]
                shutil.copy(p, os.path.join(d, "bundle.zip"))
                for fn in os.listdir(base):
                    if fn not in ("bundle.zip", "README", "expected.json"):
                        shutil.copy(os.path.join(base, fn), os.path.join(d, fn))
                for name, content in overrides.items():
                    with open(os.path.join(d, name), "wb") as f:
                        f.write(content)
                info.update({"base": os.path.relpath(base, ROOT), "mutation": what,
                             "rerun": "clyra verify bundle.zip --trust trust.json --at AT [--policy policy.json] --format json ; clyra-verify-go verify … ; node node/bin/clyra-verify.js bundle.zip … --format json"})
                print(f"DISAGREE bundle #{i} ({os.path.basename(base)}; {what}): {named(a, (r, g) + tuple(more))} -> {d}")
            with open(os.path.join(d, "repro.json"), "w", encoding="utf-8") as f:
                json.dump(info, f, indent=1, ensure_ascii=False)
                f.write("\n")
        total = a.json_cases + a.bundle_cases
        print(f"differential: {total} cases, {total - len(disagreements)} agreements, {len(disagreements)} disagreements; {time.time() - t0:.1f}s")
        return 1 if disagreements else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
