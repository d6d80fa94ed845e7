"""Keys, build, co-sign, approve, verify, inspect, receipts (bindings/python/src/bundle.rs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import clyra
from conftest import AT, spec


def test_keygen_schemes() -> None:
    ed = clyra.keygen()
    assert ed.scheme == "ed25519" and ed.keyid.startswith("sha256:")
    assert ed.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    p = clyra.keygen("ecdsa-p256-sha256")
    assert p.scheme == "ecdsa-p256-sha256" and p.keyid != ed.keyid
    with pytest.raises(clyra.SigningKeyError) as e:
        clyra.keygen("rsa-pss-sha256")
    assert e.value.code == "key.signing_unsupported"


def test_build_is_deterministic_and_verifies(key: clyra.KeyPair, built: clyra.Built) -> None:
    again = clyra.build_bundle(spec(), [key.private_pem], {"dbt/run_results.json": b'{"results": []}'}, signed_at="2026-11-20T09:02:00Z")
    assert again.bundle == built.bundle
    assert built.bundle_id.startswith("b-") and built.entries[0] == "manifest.json"
    v = clyra.verify(built.bundle, key.public_pem, at=AT)
    assert v.ok and v.outcome == "VALID" and v.primary == "ok" and v.exit == 0
    assert v.checks[0].step == "container" and v.audit is None


def test_damaged_bundle_is_a_verdict_not_an_exception(key: clyra.KeyPair, built: clyra.Built) -> None:
    data = bytearray(built.bundle)
    data[len(data) // 2] ^= 0xFF
    v = clyra.verify(bytes(data), key.public_pem, at=AT)
    assert v.outcome == "INVALID" and not v.ok and v.exit == 1
    assert clyra.verify(b"not a zip", key.public_pem, at=AT).outcome == "INVALID"


def test_untrusted_and_future(built: clyra.Built) -> None:
    other = clyra.keygen()
    assert clyra.verify(built.bundle, other.public_pem, at=AT).outcome == "VALID_UNTRUSTED"
    key_pem = clyra.inspect(built.bundle)
    assert key_pem["format"] == "def/v0"


def test_verify_from_paths_with_auditor_view(tmp_path: Path, key: clyra.KeyPair, built: clyra.Built) -> None:
    (tmp_path / "b.zip").write_bytes(built.bundle)
    (tmp_path / "trust.pem").write_text(key.public_pem)
    v = clyra.verify(tmp_path / "b.zip", str(tmp_path / "trust.pem"), at=AT, auditor=True)
    assert v.ok and v.audit is not None and v.audit_text and "AUDITOR VIEW" in v.audit_text


def test_bundle_paths_that_are_not_regular_files(tmp_path: Path, key: clyra.KeyPair, built: clyra.Built) -> None:
    """conformance.md §6.7: a directory is an OSError; a FIFO is read as a stream and judged on
    the bytes read; a device too (/dev/null is an empty bundle)."""
    import os
    import threading

    with pytest.raises(IsADirectoryError):
        clyra.verify(tmp_path, key.public_pem, at=AT)
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(built.bundle)

    writer = threading.Thread(target=feed)
    writer.start()
    assert clyra.verify(fifo, key.public_pem, at=AT).ok
    writer.join()
    v = clyra.verify("/dev/null", key.public_pem, at=AT)
    assert (v.outcome, v.primary) == ("INVALID", "zip.eocd")


def test_a_stream_is_read_at_most_one_byte_past_l10(monkeypatch: pytest.MonkeyPatch) -> None:
    # With L10 lowered for the test: /dev/zero never ends, the read stops at L10 + 1 bytes.
    monkeypatch.setattr(clyra, "_BUNDLE_MAX_BYTES", 1000)
    assert len(clyra._bytes("/dev/zero")) == 1001


def test_a_trust_or_policy_stream_is_read_at_most_one_byte_past_l1(monkeypatch: pytest.MonkeyPatch, built: clyra.Built) -> None:
    # conformance.md §6.7 for trust files and policies: /dev/zero never ends; the read stops at
    # L1 + 1 bytes (lowered here) and the core refuses the document, never reading without bound.
    monkeypatch.setattr(clyra, "_JSON_MAX_BYTES", 1000)
    assert len(clyra._text("/dev/zero")) == 1001
    with pytest.raises(clyra.TrustError) as e:
        clyra.verify(built.bundle, "/dev/zero", at=AT)
    assert e.value.code == "trust.file"


def test_policy_hash_is_checked(key: clyra.KeyPair) -> None:
    policy = '{"version": 1, "data_platform": {"rules": []}}'
    digest = clyra.canonicalize(policy).digest
    b = clyra.build_bundle(spec(policy={"hash": digest, "required": True, "decisions": []}), [key.private_pem], signed_at="2026-11-20T09:02:00Z")
    assert clyra.verify(b.bundle, key.public_pem, at=AT).outcome == "INDETERMINATE"
    assert clyra.verify(b.bundle, key.public_pem, at=AT, policy=policy).outcome == "VALID"
    assert clyra.verify(b.bundle, key.public_pem, at=AT, policy='{"version": 1, "name": "other"}').primary == "policy.hash_mismatch"
    with pytest.raises(clyra.PolicyError):
        clyra.verify(b.bundle, key.public_pem, at=AT, policy='{"a":1,"a":1}')
    # policy-v1.md §1.3: a file off its schema, or with a byte-order mark, is unusable.
    for bad in ('{"other": 1}', b"\xef\xbb\xbf" + policy.encode()):
        with pytest.raises(clyra.PolicyError) as e:
            clyra.verify(b.bundle, key.public_pem, at=AT, policy=bad)
        assert e.value.code == "policy.file"
    # The same policy with a number spelled beyond L45 (800 bytes), as JSON or YAML: refused.
    for long in [b'{"data_platform": {"rules": []}, "v": 1.%s}' % (b"0" * 800), b"data_platform:\n  rules: []\nv: 1.%s\n" % (b"0" * 800)]:
        with pytest.raises(clyra.PolicyError) as e:
            clyra.verify(b.bundle, key.public_pem, at=AT, policy=long)
        assert e.value.code == "policy.file"


def test_trust_file_with_a_long_number_is_refused(built: clyra.Built, key: clyra.KeyPair) -> None:
    trust = '{"version": 0, "keys": [], "thresholds": {"producer": 1.%s}}' % ("0" * 800)
    with pytest.raises(clyra.TrustError) as e:
        clyra.verify(built.bundle, trust, at=AT)
    assert e.value.code == "trust.file" and '"detail":"jcs.number_too_long"' in e.value.errors[0]


def test_build_errors_are_coded(key: clyra.KeyPair) -> None:
    with pytest.raises(clyra.BuildError) as e:
        clyra.build_bundle(spec(extra=1), [key.private_pem], signed_at="2026-11-20T09:02:00Z")
    assert e.value.code == "build.spec_schema"
    with pytest.raises(clyra.BuildError) as e2:
        clyra.build_bundle(spec(), [key.private_pem], signed_at="2026-11-20T09:00:00Z")
    assert e2.value.code == "build.time"
    with pytest.raises(clyra.SigningKeyError):
        clyra.build_bundle(spec(), [b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"], signed_at="2026-11-20T09:02:00Z")


def test_co_sign(key: clyra.KeyPair, built: clyra.Built) -> None:
    second = clyra.keygen("ecdsa-p256-sha256")
    signed = clyra.sign(built.bundle, second.private_pem, signed_at="2026-11-20T09:03:00Z")
    trust = {"version": 0, "thresholds": {"producer": 2}, "keys": [
        {"keyid": k.keyid, "scheme": k.scheme, "public_key_pem": k.public_pem, "roles": ["producer"]} for k in (key, second)]}
    assert clyra.verify(signed, json.dumps(trust), at=AT).outcome == "VALID"
    assert clyra.verify(built.bundle, json.dumps(trust), at=AT).outcome != "VALID"
    with pytest.raises(clyra.BuildError) as e:
        clyra.sign(signed, key.private_pem, signed_at="2026-11-20T09:03:00Z")
    assert e.value.code == "build.signer"


def test_approval_flow(key: clyra.KeyPair) -> None:
    approver = clyra.keygen()
    s = spec(approvals={"required": 1}, journal=[{"at": "2026-11-20T09:00:00Z", "kind": "run.started", "data": {}}])
    nonce = "n-0123456789abcdef"
    envelope = clyra.approve(s, approver.private_pem, sso_sub="lee@example.com", idp_domain="idp.example", nonce=nonce,
                             approved_at="2026-11-20T08:00:00Z", expires_at="2026-11-20T12:00:00Z", mfa_verified=True)
    b = clyra.build_bundle(s, [key.private_pem], approvals=[(envelope, nonce)], approver_keys=[approver.public_pem],
                           signed_at="2026-11-20T09:02:00Z")
    trust = {"version": 0, "thresholds": {"producer": 1}, "keys": [
        {"keyid": key.keyid, "scheme": key.scheme, "public_key_pem": key.public_pem, "roles": ["producer"]},
        {"keyid": approver.keyid, "scheme": approver.scheme, "public_key_pem": approver.public_pem, "roles": ["approver"]}]}
    assert clyra.verify(b.bundle, json.dumps(trust), at=AT).outcome == "VALID"
    with pytest.raises(clyra.BuildError) as e:
        clyra.approve(s, approver.private_pem, sso_sub="lee", idp_domain="idp.example", nonce=nonce,
                      approved_at="2026-11-20T13:00:00Z", expires_at="2026-11-20T12:00:00Z")
    assert e.value.code == "build.approval"


def test_receipts(key: clyra.KeyPair, built: clyra.Built) -> None:
    receipt = clyra.extract_receipt(built.bundle, 1)
    assert json.loads(receipt)["leaf_index"] == 1
    verdict = clyra.verify_receipt(receipt, key.public_pem, at=AT)
    assert verdict.outcome == "VALID"
    # verdicts.md §3.2: a receipt's verdict says what it does not cover.
    assert verdict.not_covered == ("artifacts", "journal", "approvals", "policy")
    assert clyra.verify_receipt(receipt.replace("run.finished", "run.finishe_"), key.public_pem, at=AT).outcome == "INVALID"
    with pytest.raises(clyra.ReceiptError) as e:
        clyra.extract_receipt(built.bundle, 99)
    assert e.value.code == "receipt.no_event"


TEST_SIGNER = Path(__file__).resolve().parents[2] / "signer" / "tests" / "data" / "openssl-signer.sh"


def test_build_sign_and_approve_take_key_uris(tmp_path: Path, key: clyra.KeyPair) -> None:
    # spec/signer-command-v0.md: a key URI (here a signer command) signs like the PEM it holds,
    # and `file:` names a PEM file; Ed25519 is deterministic, so the bytes are the same.
    import subprocess

    pem = tmp_path / "kms.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(pem)], check=True)
    public = subprocess.run(["openssl", "pkey", "-in", str(pem), "-pubout"], check=True, capture_output=True).stdout.decode()
    cmd = f"cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={pem} {TEST_SIGNER}"
    when = "2026-11-20T09:02:00Z"
    by_pem = clyra.build_bundle(spec(), [pem.read_bytes()], signed_at=when)
    by_cmd = clyra.build_bundle(spec(), [cmd], signed_at=when)
    by_file = clyra.build_bundle(spec(), [f"file:{pem}"], signed_at=when)
    assert by_cmd.bundle == by_pem.bundle == by_file.bundle
    assert clyra.verify(by_cmd.bundle, public, at=AT).outcome == "VALID"
    # PEM keys and URI keys together: both signatures are in the bundle.
    both = clyra.build_bundle(spec(), [cmd, key.private_pem], signed_at=when)
    assert clyra.verify(both.bundle, public, at=AT).outcome == "VALID"
    assert clyra.verify(both.bundle, key.public_pem, at=AT).outcome == "VALID"
    # Co-signing and approving through the command.
    built = clyra.build_bundle(spec(), [key.private_pem], signed_at=when)
    assert clyra.sign(built.bundle, cmd, signed_at="2026-11-20T09:03:00Z") == clyra.sign(built.bundle, pem.read_bytes(), signed_at="2026-11-20T09:03:00Z")
    s = spec(approvals={"required": 1})
    args = dict(sso_sub="lee@example.com", idp_domain="idp.example", nonce="n-0123456789abcdef",
                approved_at="2026-11-20T08:00:00Z", expires_at="2026-11-20T12:00:00Z")
    assert clyra.approve(s, cmd, **args) == clyra.approve(s, pem.read_bytes(), **args)
    # A failing signer is one coded exception; a PIN in a URI never reaches the message.
    with pytest.raises(clyra.BuildError) as b:
        clyra.sign(built.bundle, f"cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={pem} CLYRA_TEST_SIGNER_MODE=exit1 {TEST_SIGNER}")
    assert b.value.code == "build.signer" and "signer.failed" in str(b.value)
    with pytest.raises(clyra.SigningKeyError) as e:
        clyra.approve(s, "pkcs11:object=k?pin-value=hunter2-secret", **args)
    assert e.value.code == "signer.pin" and "hunter2" not in str(e.value)


def test_verify_with_a_witnessed_ledger_proof() -> None:
    """trust-v0.md §6.5 (rule 5a): ``ledger_proof`` keeps a revoked producer key's signature when a
    trusted witness cosigned the bundle's receipt before the revocation, on every witnessed vector."""
    vectors = Path(__file__).resolve().parents[2] / "vectors"
    witnessed = sorted(d for d in vectors.iterdir() if (d / "bundle.zip").exists() and (d / "ledger-proof.json").exists())
    assert len(witnessed) >= 8
    for d in witnessed:
        expected = json.loads((d / "expected.json").read_text())
        at = json.loads((d / "args.json").read_text())["at"]
        trust, proof = (d / "trust.json").read_bytes(), (d / "ledger-proof.json").read_bytes()
        v = clyra.verify(d / "bundle.zip", trust, at=at, ledger_proof=proof)
        assert (v.outcome, v.primary, v.exit) == (expected["outcome"], expected["primary"], expected["exit"]), d.name
    # Without the receipt the revoked key fails as rule 5 says.
    d = next(d for d in witnessed if d.name.endswith("-witness-revoked-key-cosigned-before"))
    v = clyra.verify(d / "bundle.zip", (d / "trust.json").read_bytes(), at=json.loads((d / "args.json").read_text())["at"])
    assert v.primary == "time.key_revoked"
    # A trust file without ledger_keys cannot check the receipt: ledger.key.
    plain = json.loads((d / "trust.json").read_text())
    del plain["ledger_keys"]
    with pytest.raises(clyra.ClyraError) as err:
        clyra.verify(d / "bundle.zip", json.dumps(plain), at="2026-12-01T00:00:00Z", ledger_proof=(d / "ledger-proof.json").read_bytes())
    assert err.value.code == "ledger.key"
