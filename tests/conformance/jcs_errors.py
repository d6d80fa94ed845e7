#!/usr/bin/env python3
"""Rust vs Go on canonical-JSON rejections: both must report the same (code, offset) for every input.

primitives.md §2.3 fixes the code and byte offset of every rejection; this runs the Rust CLI
(`clyra canon --format json`) and the Go verifier's conformance adapter (`clyra-verify-go jcs`) over
inputs covering every row of that table, including the L3 and L4 offsets at full size.

Usage: jcs_errors.py RUST_CLYRA GO_CLYRA_VERIFY
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

RUST, GO = sys.argv[1], sys.argv[2]
cases = [b"", b"   ", b"[1,]", b'{"a":1,}', b'{"a" 1}', b"{a:1}", b"[1 2]", b"01", b"-", b"-x", b"1.", b"1.x", b"1e", b"1ex", b"1e+", b".5", b"+1",
 b"tru", b"trux", b"nul1", b"1 2", b"{} x", b"\xef\xbb\xbf{}", b'"abc', b"[", b'{"a":', b"\x0c1", b"NaN", b"[Infinity]", b'{"x":-Infinity}', b"-NaN", b"Inf", b"NaNx",
 b"1e309", b"[-1.8e308]", b"9007199254740992", b"[-9007199254740992]", b"1" + b"0"*400, b"9007199254740993.0", b"[-9e18]", b"1e20",
 b'"\\ud800"', b'"\\udc00"', b'"\\ud800\\u0041"', b'"\\ud800x"', b'"\\ud800\\u00G1"', b'"\\x41"', b'"\\u12"', b'"\\u12G4"', b'"\\', b'"\\u',
 b'"a\tb"', b'"\x00"', b'{"k\n":1}', b'"ab\xff"', b'"\xc3\x28"', b'"\xed\xa0\x80"', b'"\xe2\x82"', b"\xff", b"[1,\xc0\x80]", b'"abc\xe2', b"\xe2", b"[1]\xff",
 b'{"a":1,"a":2}', b'{"b":1,"a":2,"b":3}', b'{"a":1,"a":{"b":1,"b":2}}', b"["*129 + b"]"*129, b'{"a":'*200]
def rust(data):
    p = subprocess.run([RUST, "canon", "--format", "json"], input=data, capture_output=True)
    if p.returncode == 0: return ("ok",)
    e = json.loads(p.stdout)["errors"][0]
    return (e["code"], e.get("offset"))
def go(data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        p = subprocess.run([GO, "jcs", f.name], capture_output=True)
    o = json.loads(p.stdout)
    return ("ok",) if o.get("ok") else (o["code"], o["offset"])
diff = 0
for c in cases:
    r, g = rust(c), go(c)
    if r != g:
        diff += 1
        print(f"{c[:40]!r:45} rust={r} go={g}")
print(f"jcs rejections: {len(cases)} small inputs, {diff} disagreements")
M = 16*1024*1024
big = [b'"' + b"a"*M + b'b"', b'"' + b"a"*(M-1) + b'\\nx"', b'"' + b"a"*(M-1) + "é".encode() + b'"', b'"' + b"a"*M + b"\\n\"",
       b'"' + b"a"*(M+5), b'"' + b"a"*(M-2) + b"\xff" + b"a"*10 + b'"',
       b"[" + b"0,"*1000000 + b"0]", b"[" + b"0, "*1000000 + b" 7]", b"{" + b",".join(b'"k%d":0' % i for i in range(1000001)) + b"}",
       # L4 with entries of 8 bytes, so that the value budget (L43-L44) is not what stops them
       b"[" + b"1000000,"*1000000 + b"1000000]", b"{" + b",".join(b'"k%07d":0' % i for i in range(1000001)) + b"}",
       # L43-L44: the value budget, at its edge and beyond, in every value kind
       b"[" + b"[],"*(1 << 20) + b"[]]", b"[" + b"{},"*(1 << 20) + b"{}]", b'[' + b'"",'*(1 << 20) + b'""]',
       b"[" + b"0,"*(1 << 20) + b"0]", b"[" + b"null,"*(1 << 20) + b"null]",
       b'{"a":[' + b'{"b":0},'*(1 << 20) + b'{"b":0}]}']
d2 = 0
for c in big:
    r, g = rust(c), go(c)
    if r != g:
        print(f"{len(c)}-byte input: rust={r} go={g}")
    d2 += r != g
print(f"jcs rejections: {len(big)} limit-size inputs, {d2} disagreements")
# Number tokens (primitives.md §2.2.6, limits.md L45–L46): the bound's edges, then literals that a
# parser keeping 800 digits or clamping exponents at 10,000 misread (issue 21). Accepted inputs
# must give the same canonical bytes; each expected result is pinned from the spec.
def below_halfway(integer, m, exponent):
    half_ulp = str(5 ** m).rjust(m, "0")
    return f"{integer}{half_ulp[:-1]}4{'9' * (exponent - m)}e-{exponent}".encode()
HALF = b"1.00000000000000011102230246251565404236316680908203125"  # 1 + 2^-53
TOO_LONG = ("jcs.number_too_long", 0)
numbers = [
    (b"1." + b"0" * 797 + b"1", b"1"), (b"1." + b"0" * 798 + b"1", TOO_LONG),
    (b"[0,1." + b"0" * 798 + b"1]", ("jcs.number_too_long", 3)), (b"-1" + b"0" * 799, TOO_LONG),
    (b"1" + b"0" * 800, TOO_LONG), (b"1" + b"0" * 799, ("jcs.number_overflow", 0)),
    (b"1." + b"0" * 900 + b"ex", ("jcs.invalid_number", 903)), (b"1." + b"0" * 900 + b"e", ("jcs.unexpected_end", 903)),
    (b"1." + b"0" * 900 + b"x", TOO_LONG), (b"1e0005", b"100000"), (b"1E-0007", b"1e-7"), (b"1e00005", TOO_LONG),
    (b"1e9999", ("jcs.number_overflow", 0)), (b"1e-9999", b"0"), (b"1e10000", TOO_LONG), (b"[1,5e-10001]", ("jcs.number_too_long", 3)),
    (HALF, b"1"), (HALF + b"0" * (800 - len(HALF) - 1) + b"1", b"1.0000000000000002"),
    (HALF[:-1] + b"4" + b"9" * (800 - len(HALF)), b"1"), (b"1" + b"0" * 790 + b"e-789", b"10"), (b"0." + b"0" * 792 + b"5e+793", b"5"),
    (below_halfway(1024000, 34, 796), TOO_LONG), (below_halfway(2048000, 33, 796), TOO_LONG), (below_halfway(10, 50, 799), TOO_LONG),
    (b"1842" + b"0" * 10000 + b"e-100000", TOO_LONG), (b"0." + b"0" * 20000 + b"5e+20001", TOO_LONG), (b"1" + b"0" * (1 << 20) + b"e-1048576", TOO_LONG),
]
def rust_canon(data):
    p = subprocess.run([RUST, "canon", "--format", "json"], input=data, capture_output=True)
    return p.stdout.rstrip(b"\n") if p.returncode == 0 else rust(data)
def go_canon(data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        o = json.loads(subprocess.run([GO, "jcs", f.name], capture_output=True).stdout)
    return base64.b64decode(o["canonical"]) if o.get("ok") else (o["code"], o["offset"])
d3 = 0
for c, want in numbers:
    r, g = rust_canon(c), go_canon(c)
    if not (r == g == want):
        d3 += 1
        print(f"{len(c)}-byte number {c[:24]!r}...: rust={r!r:.60} go={g!r:.60} want={want!r:.60}")
print(f"jcs numbers: {len(numbers)} long-literal inputs, {d3} disagreements or departures from the spec")
sys.exit(1 if diff or d2 or d3 else 0)
