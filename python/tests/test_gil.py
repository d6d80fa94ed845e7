"""The GIL is released around hashing, signing and verifying (bindings/python/src/gil.rs)."""

from __future__ import annotations

import threading
import time

import clyra
from conftest import AT, spec


def test_other_threads_run_while_a_bundle_is_verified(key: clyra.KeyPair) -> None:
    big = clyra.build_bundle(spec(), [key.private_pem], {"blob.bin": bytes(64 * 1024 * 1024)}, signed_at="2026-11-20T09:02:00Z")
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0)

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.01)
    before = ticks
    start = time.perf_counter()
    verdict = clyra.verify(big.bundle, key.public_pem, at=AT)
    elapsed = time.perf_counter() - start
    during = ticks - before
    stop.set()
    t.join()
    assert verdict.ok
    # Hashing 64 MiB takes tens of milliseconds; a held GIL would freeze the counter meanwhile.
    assert elapsed > 0.005 and during > 100, (elapsed, during)


def test_threads_verify_concurrently(key: clyra.KeyPair, built: clyra.Built) -> None:
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(clyra.verify(built.bundle, key.public_pem, at=AT).outcome)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["VALID"] * 8
