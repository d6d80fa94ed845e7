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


def test_policy_hash_is_checked(key: clyra.KeyPair) -> None:
    policy = '{"data_platform": {"rules": []}}'
    digest = clyra.canonicalize(policy).digest
    b = clyra.build_bundle(spec(policy={"hash": digest, "required": True, "decisions": []}), [key.private_pem], signed_at="2026-11-20T09:02:00Z")
    assert clyra.verify(b.bundle, key.public_pem, at=AT).outcome == "INDETERMINATE"
    assert clyra.verify(b.bundle, key.public_pem, at=AT, policy=policy).outcome == "VALID"
    assert clyra.verify(b.bundle, key.public_pem, at=AT, policy='{"other": 1}').primary == "policy.hash_mismatch"
    with pytest.raises(clyra.PolicyError):
        clyra.verify(b.bundle, key.public_pem, at=AT, policy='{"a":1,"a":1}')
    # The same policy with a number spelled beyond L43 (800 bytes), as JSON or YAML: refused.
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
    assert clyra.verify_receipt(receipt, key.public_pem, at=AT).outcome == "VALID"
    assert clyra.verify_receipt(receipt.replace("run.finished", "run.finishe_"), key.public_pem, at=AT).outcome == "INVALID"
    with pytest.raises(clyra.ReceiptError) as e:
        clyra.extract_receipt(built.bundle, 99)
    assert e.value.code == "receipt.no_event"
