"""Clyra: signed, portable evidence bundles, and their verification, from Python.

Every function forwards to the Rust core (``clyra._clyra``, the same code as the ``clyra``
command); errors are :class:`ClyraError` subclasses whose ``.code`` is the stable code of
``spec/verdicts.md``. A damaged bundle is a :class:`Verdict` (INVALID), never an exception.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

from . import _clyra
from ._clyra import (
    ApprovalError,
    BuildError,
    BundleError,
    CanonError,
    ClyraError,
    GuardError,
    PolicyError,
    ReceiptError,
    SealError,
    SigningKeyError,
    TrustError,
    UsageError,
)

__version__: str = _clyra.__version__

__all__ = [
    "ApprovalError",
    "BadgeClaims",
    "BadgeVerdict",
    "BuildError",
    "Built",
    "BundleError",
    "CanonError",
    "Canonical",
    "Check",
    "ClyraError",
    "GuardError",
    "KeyPair",
    "PolicyError",
    "ReceiptError",
    "SealError",
    "SigningKeyError",
    "TrustError",
    "UsageError",
    "Verdict",
    "approve",
    "build_bundle",
    "canonicalize",
    "canonicalize_policy",
    "check_sql",
    "evaluate_policy",
    "extract_receipt",
    "fingerprint",
    "inspect",
    "keygen",
    "lint_policy",
    "load_policy",
    "scan_genai",
    "sign",
    "verify",
    "verify_badge",
    "verify_receipt",
]

Source = Union[str, bytes, "_os.PathLike[str]"]


@dataclass(frozen=True)
class Canonical:
    """A JSON text's canonical form (RFC 8785) and the ``sha256:`` digest of its bytes."""

    canonical: str
    digest: str


@dataclass(frozen=True)
class Check:
    """One check of a verification, in pipeline order."""

    step: str
    code: str
    severity: str
    message: str
    subject: Optional[str] = None


class _Judged:
    """What every verdict answers: is its outcome (verdicts.md §1) VALID."""

    outcome: str

    @property
    def ok(self) -> bool:
        """Whether the outcome is VALID (warnings allowed; for a badge, its own ``status`` aside)."""
        return self.outcome == "VALID"


@dataclass(frozen=True)
class Verdict(_Judged):
    """The result of verifying a bundle or a receipt (verdicts.md §3)."""

    outcome: str
    primary: str
    exit: int
    checks: tuple[Check, ...]
    audit: Optional[dict[str, Any]] = None
    audit_text: Optional[str] = None
    #: For a receipt: the steps its verdict does not cover (verdicts.md §3.2), always
    #: ("artifacts", "journal", "approvals", "policy"); empty for a bundle.
    not_covered: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, text: str) -> "Verdict":
        """The verdict of its JSON form."""
        v = _json.loads(text)
        checks = tuple(
            Check(c["step"], c["code"], c["severity"], c.get("message", ""), c.get("subject"))
            for c in v["checks"]
        )
        return cls(v["outcome"], v["primary"], v["exit"], checks, v.get("audit"), v.get("audit_text"),
                   tuple(v.get("not_covered", ())))


@dataclass(frozen=True)
class BadgeClaims:
    """What a badge states (badge-v0.md §4), reported once its claims passed §4.2."""

    iss: str
    sub: str
    framework: str
    status: str
    iat: int
    exp: int
    jti: str


@dataclass(frozen=True)
class BadgeVerdict(_Judged):
    """The result of verifying a badge (badge-v0.md §5.3). A badge whose ``status`` is
    ``failing`` is a valid badge that says so: its outcome is VALID."""

    outcome: str
    primary: str
    exit: int
    message: str
    badge: Optional[BadgeClaims] = None

    @classmethod
    def from_json(cls, text: str) -> "BadgeVerdict":
        """The verdict of its JSON form."""
        v = _json.loads(text)
        # badge-v0.md §5.3 pins the members of `badge`: exactly the fields of BadgeClaims.
        claims = BadgeClaims(**v["badge"]) if "badge" in v else None
        return cls(v["outcome"], v["primary"], v["exit"], v.get("message", ""), claims)


@dataclass(frozen=True)
class KeyPair:
    """A new signing key: its private PKCS#8 PEM, public PEM, keyid and scheme."""

    private_pem: bytes
    public_pem: str
    keyid: str
    scheme: str


@dataclass(frozen=True)
class Built:
    """A bundle just built, with what the builder computed."""

    bundle: bytes
    bundle_id: str
    manifest_digest: str
    merkle_root: str
    journal_head: str
    risk_score: int
    entries: tuple[str, ...]


# limits.md L1: a JSON document (a trust file, a policy) is at most this many bytes.
_JSON_MAX_BYTES = 64 * 1024 * 1024


def _text(value: Source) -> str:
    """The text of a trust file, key or policy given as text, bytes or a path. A path is read
    as at most L1 + 1 bytes, whatever it is (a FIFO or a device too: conformance.md §6.7), so
    the core reports an oversized document instead of the host reading without bound."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str) and value.lstrip().startswith(("{", "-----BEGIN")):
        return value
    with open(value, "rb") as f:
        data = f.read(_JSON_MAX_BYTES + 1)
    # Cut at L1 + 1 bytes, the text may end inside a character; it is refused for its size anyway.
    return data.decode("utf-8", errors="replace" if len(data) > _JSON_MAX_BYTES else "strict")


# limits.md L10: a bundle file is at most this many bytes.
_BUNDLE_MAX_BYTES = 4 * 1024 * 1024 * 1024 + 1024 * 1024


# spec/signer-command-v0.md §2: a key given as one of these is opened by the signer, not read.
_KEY_URI_SCHEMES = ("file:", "pkcs11:", "cmd:")


def _key_uri(value: Source) -> Optional[str]:
    """The key URI a signing key names (``file:``, ``pkcs11:``, ``cmd:``), or None for a PEM
    given as text, bytes or a path."""
    if isinstance(value, str) and value.startswith(_KEY_URI_SCHEMES):
        return value
    return None


def _bytes(value: Union[bytes, str, "_os.PathLike[str]"]) -> bytes:
    """A bundle given as bytes or as a path. A directory raises ``IsADirectoryError`` (an
    ``OSError``); a pipe, FIFO or device is read as a stream of at most L10 + 1 bytes, and the
    verdict is judged on the bytes read (conformance.md §6.7)."""
    if isinstance(value, bytes):
        return value
    with open(value, "rb") as f:
        return f.read(_BUNDLE_MAX_BYTES + 1)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_text(value: Union[str, bytes, Mapping[str, Any]]) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    return _json.dumps(value)


def canonicalize(json_text: Union[str, bytes]) -> Canonical:
    """The canonical form of a strict JSON text; raises :class:`CanonError` (``jcs.*``)."""
    r = _json.loads(_clyra.canonicalize(json_text.decode("utf-8") if isinstance(json_text, bytes) else json_text))
    return Canonical(r["canonical"], r["digest"])


def keygen(scheme: str = "ed25519") -> KeyPair:
    """A new signing key (``ed25519`` or ``ecdsa-p256-sha256``) from the OS's randomness."""
    result, pem = _clyra.keygen(_json.dumps({"scheme": scheme}))
    r = _json.loads(result)
    return KeyPair(pem, r["public_pem"], r["keyid"], r["scheme"])


def build_bundle(
    spec: Union[str, bytes, Mapping[str, Any]],
    keys: Sequence[Source],
    artifacts: Optional[Mapping[str, bytes]] = None,
    signed_at: Optional[str] = None,
    approvals: Sequence[tuple[Source, str]] = (),
    approver_keys: Sequence[Source] = (),
) -> Built:
    """Builds one signed bundle from a bundle spec (bundle-v0.md §9) and artifacts. A key is a
    PEM (text, bytes or a path) or a key URI (``file:``, ``pkcs11:``, ``cmd:``); URI keys sign
    after the PEM keys."""
    uris = [u for u in (_key_uri(k) for k in keys) if u is not None]
    call = {
        "spec": _json_text(spec),
        "keys": [_text(k) for k in keys if _key_uri(k) is None],
        "approvals": [{"envelope": _text(e), "nonce": n} for e, n in approvals],
        "approver_keys": [_text(k) for k in approver_keys],
        "signed_at": signed_at or _now(),
    }
    result, bundle = _clyra.build_bundle(_json.dumps(call), list((artifacts or {}).items()), uris)
    r = _json.loads(result)
    return Built(bundle, r["bundle_id"], r["manifest_digest"], r["merkle_root"], r["journal_head"], r["risk_score"], tuple(r["entries"]))


def sign(bundle: Union[bytes, str, "_os.PathLike[str]"], key: Source, signed_at: Optional[str] = None) -> bytes:
    """The bundle with one more producer signature (co-signing). ``key`` is a PEM (text, bytes
    or a path) or a key URI (``file:``, ``pkcs11:``, ``cmd:``)."""
    uri = _key_uri(key)
    call: dict[str, Any] = {"signed_at": signed_at or _now()}
    if uri is None:
        call["key"] = _text(key)
    _, signed = _clyra.sign_bundle(_json.dumps(call), _bytes(bundle), uri)
    return signed


def approve(
    spec: Union[str, bytes, Mapping[str, Any]],
    key: Source,
    *,
    sso_sub: str,
    idp_domain: str,
    nonce: str,
    expires_at: str,
    approved_at: Optional[str] = None,
    mfa_verified: bool = False,
) -> bytes:
    """As the approver, the signed approval envelope of the spec's ``change`` (approval-v0.md).
    ``key`` is a PEM (text, bytes or a path) or a key URI (``file:``, ``pkcs11:``, ``cmd:``)."""
    uri = _key_uri(key)
    call: dict[str, Any] = {
        "spec": _json_text(spec),
        "sso_sub": sso_sub,
        "idp_domain": idp_domain,
        "mfa_verified": mfa_verified,
        "nonce": nonce,
        "approved_at": approved_at or _now(),
        "expires_at": expires_at,
    }
    if uri is None:
        call["key"] = _text(key)
    _, envelope = _clyra.approve(_json.dumps(call), uri)
    return envelope


def verify(
    bundle: Union[bytes, str, "_os.PathLike[str]"],
    trust: Source,
    at: Optional[str] = None,
    policy: Optional[Source] = None,
    auditor: bool = False,
    ledger_proof: Optional[Source] = None,
) -> Verdict:
    """Verifies a bundle offline (bundle-v0.md §7); raises only for an unusable trust file,
    policy or time. ``trust`` and ``policy`` are texts, bytes or paths; ``at`` defaults to now.
    ``ledger_proof`` (a ledger receipt, ``clyra ledger prove``) adds its checks and, cosigned by a
    witness of the trust file before a producer key's revocation, keeps that key's signature
    (trust-v0.md §6.5); the trust file then lists the ledger key in ``ledger_keys``."""
    call: dict[str, Any] = {"trust": _text(trust), "at": at or _now(), "auditor": auditor}
    if policy is not None:
        call["policy"] = _text(policy)
    if ledger_proof is not None:
        call["ledger_proof"] = _text(ledger_proof)
    return Verdict.from_json(_clyra.verify_bundle(_json.dumps(call), _bytes(bundle)))


def inspect(bundle: Union[bytes, str, "_os.PathLike[str]"]) -> dict[str, Any]:
    """What is inside a bundle (not a verdict)."""
    result: dict[str, Any] = _json.loads(_clyra.inspect_bundle(_bytes(bundle)))
    return result


def extract_receipt(bundle: Union[bytes, str, "_os.PathLike[str]"], seq: int) -> str:
    """The receipt (receipt-v0.md) of journal event ``seq``, as canonical JSON text."""
    text: str = _json.loads(_clyra.receipt_extract(_json.dumps({"seq": seq}), _bytes(bundle)))
    return text


def verify_receipt(receipt: Union[str, bytes], trust: Source, at: Optional[str] = None) -> Verdict:
    """Verifies a receipt offline."""
    call = {"trust": _text(trust), "at": at or _now()}
    data = receipt.encode("utf-8") if isinstance(receipt, str) else receipt
    return Verdict.from_json(_clyra.receipt_verify(_json.dumps(call), data))


# badge-v0.md §2.1: a badge is at most this many bytes (a longer one is `badge.malformed`).
_BADGE_MAX_BYTES = 65_536


def verify_badge(badge: Source, trust: Source, at: Optional[str] = None) -> BadgeVerdict:
    """Verifies a badge offline (badge-v0.md §5) against the keys of ``trust`` at ``at``
    (default now). ``badge`` is its compact JWS text (starting ``eyJ``), its bytes, or a path to
    badge.jws (read as at most 64 KiB + 1 bytes, so an oversized file is a verdict too). Any
    bytes give a :class:`BadgeVerdict`; raises only for an unreadable path (``OSError``), an
    unusable trust file (:class:`TrustError`) or time (:class:`UsageError`, ``cli.usage``)."""
    if isinstance(badge, bytes):
        data = badge
    elif isinstance(badge, str) and badge.startswith("eyJ"):
        data = badge.encode("utf-8")
    else:
        with open(badge, "rb") as f:
            data = f.read(_BADGE_MAX_BYTES + 1)
    call = {"trust": _text(trust), "at": at or _now()}
    return BadgeVerdict.from_json(_clyra.badge_verify(_json.dumps(call), data))


def fingerprint(relation: str, columns: Sequence[Mapping[str, Any]]) -> str:
    """The schema fingerprint (def-v0.md §3) of ``relation`` with columns ``{name, type, nullable}``."""
    call = {"relation": relation, "columns": [dict(c) for c in columns]}
    fp: str = _json.loads(_clyra.fingerprint(_json.dumps(call)))["fingerprint"]
    return fp


def check_sql(
    sql: str,
    dialect: Optional[str] = None,
    dbt_relations: Optional[Sequence[str]] = None,
    policy: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """The SQL guard's report (guard-sql.md): ``findings`` (rule, severity, statement, object,
    message), ``counts`` and ``exit`` (0 clean, 1 errors, 2 warnings only). ``dialect`` is
    ``postgres`` (default), ``snowflake``, ``databricks``, ``bigquery`` or ``duckdb``;
    ``dbt_relations`` names the relations a dbt run materialises, whose own statements are not
    flagged. Raises :class:`GuardError` (``sql.dialect``, ``sql.policy``)."""
    call: dict[str, Any] = {"sql": sql}
    if dialect is not None:
        call["dialect"] = dialect
    if dbt_relations is not None:
        call["dbt"] = {"relations": list(dbt_relations)}
    if policy is not None:
        call["policy"] = dict(policy)
    report: dict[str, Any] = _json.loads(_clyra.sql_check(_json.dumps(call)))
    return report


def scan_genai(text: Optional[str] = None, steps: Optional[Sequence[Mapping[str, Any]]] = None) -> dict[str, Any]:
    """The GenAI guard's report (guard-genai.md) of one text or of agent steps (exactly one):
    ``findings`` (detector, severity, OWASP LLM and MITRE ATLAS ids), ``worst``, ``decoded``."""
    call: dict[str, Any] = {}
    if text is not None:
        call["text"] = text
    if steps is not None:
        call["steps"] = [dict(s) for s in steps]
    report: dict[str, Any] = _json.loads(_clyra.genai_scan(_json.dumps(call)))
    return report


def _policy_call(policy: Source, file: Optional[str]) -> dict[str, Any]:
    """The ``{"policy", "file"}`` call of a policy given as text, bytes or a path (a ``str``
    holding a newline or starting with ``{`` is the text itself)."""
    if isinstance(policy, bytes):
        text, name = policy.decode("utf-8"), "policy.yaml"
    elif isinstance(policy, str) and ("\n" in policy or policy.lstrip().startswith("{")):
        text, name = policy, "policy.yaml"
    else:
        with open(policy, encoding="utf-8") as f:
            text = f.read()
        name = _os.fspath(policy)
    return {"policy": text, "file": file or name}


def load_policy(policy: Source, file: Optional[str] = None) -> dict[str, Any]:
    """Loads and checks a policy (policy-v1.md): ``policy_hash`` (the manifest's
    ``policy.hash``), ``canonical`` and ``rules`` (id, section, decision, mode, facts). Raises
    :class:`PolicyError` (``policy.*``) with ``.path`` at ``file:line:column``."""
    loaded: dict[str, Any] = _json.loads(_clyra.policy_load(_json.dumps(_policy_call(policy, file))))
    return loaded


def canonicalize_policy(policy: Source) -> Canonical:
    """The canonical JSON of a policy document as written and its ``sha256:`` digest (the hash
    ``clyra verify --policy`` compares); subset checks only, like a verifier."""
    call = {"policy": _policy_call(policy, None)["policy"]}
    r = _json.loads(_clyra.policy_canon(_json.dumps(call)))
    return Canonical(r["canonical"], r["digest"])


def lint_policy(policy: Source, file: Optional[str] = None) -> dict[str, Any]:
    """The lint report of a policy: ``findings`` (code, severity, message, location) and
    ``policy_hash`` when it parses. A policy that does not load is findings, not an exception."""
    report: dict[str, Any] = _json.loads(_clyra.policy_lint(_json.dumps(_policy_call(policy, file))))
    return report


def evaluate_policy(policy: Source, facts: Mapping[str, Any], file: Optional[str] = None) -> dict[str, Any]:
    """Evaluates a policy over a facts document (policy-v1.md §5): ``decision``, ``mode``,
    ``rule``, ``reason``, ``blocked``, ``approvals_required``, ``matched``, ``not_applicable``,
    ``policy_hash`` and the manifest's ``decisions``. Raises :class:`PolicyError`."""
    call = _policy_call(policy, file)
    call["facts"] = dict(facts)
    result: dict[str, Any] = _json.loads(_clyra.policy_eval(_json.dumps(call)))
    return result
