// Types of the clyra-verify SDK (index.js). The native addon's own declarations are generated
// by napi-rs into binding.d.ts.

/** One check of a verification, in pipeline order (verdicts.md §3). */
export interface Check {
  step: string
  code: string
  severity: 'ok' | 'warn' | 'untrusted' | 'indeterminate' | 'fail' | 'skipped'
  subject?: string
  message: string
}

/** The result of verifying a bundle or a receipt (verdicts.md §3). */
export interface Verdict {
  outcome: 'VALID' | 'VALID_UNTRUSTED' | 'INVALID' | 'INDETERMINATE'
  /** The code of the first check with the worst severity (`ok` for a clean VALID). */
  primary: string
  /** 0 VALID, 1 INVALID, 2 warnings or VALID_UNTRUSTED, 3 INDETERMINATE. */
  exit: 0 | 1 | 2 | 3
  checks: Check[]
  /** The auditor view (with `auditor: true`). */
  audit?: Record<string, unknown>
  /** The auditor view as text (with `auditor: true`). */
  audit_text?: string
}

/** A trust file, key or policy: its text, its bytes, or a path to it. */
export type Source = string | Uint8Array

export interface VerifyOptions {
  /** Verification time, e.g. `2026-12-01T00:00:00Z` (UTC); default: now. */
  at?: string
  /** The policy the bundle must have been produced under (JSON or the policy YAML subset). */
  policy?: Source
  /** Adds the auditor view (`audit`, `audit_text`). */
  auditor?: boolean
  /**
   * A ledger receipt (`clyra ledger prove`): its checks are appended, and, cosigned by a witness
   * the trust file lists before a producer key's revocation, it keeps that key's signature
   * (trust-v0.md §6.5). The trust file lists the ledger key in `ledger_keys`.
   */
  ledgerProof?: Source
}

/** An error of the Clyra core: the call could not run. */
export declare class ClyraError extends Error {
  /** Stable code of spec/verdicts.md, e.g. `trust.file`, `cli.io`, `jcs.duplicate_key`. */
  readonly code: string
  readonly help?: string
  /** The file or location concerned, when known. */
  readonly path?: string
  /** The underlying rule, e.g. `window` for `trust.file` (trust-v0.md §3.4). */
  readonly detail?: string
  /** Every error the core reported, most important first. */
  readonly errors: Array<{ code: string; message: string; help?: string; path?: string; detail?: string }>
}

/**
 * Verifies a bundle: a path (streamed from disk off the main thread) or its bytes.
 * A damaged or untrusted bundle resolves with a Verdict; rejects with ClyraError only when the
 * trust file, policy, time or path is unusable.
 */
export declare function verify(bundle: string | Uint8Array, trust: Source, options?: VerifyOptions): Promise<Verdict>

/** What is inside a bundle (not a verdict). */
export declare function inspect(bundle: string | Uint8Array): Promise<Record<string, unknown>>

/** The receipt (receipt-v0.md) of journal event `seq`, as canonical JSON text. */
export declare function extractReceipt(bundle: string | Uint8Array, seq: number): Promise<string>

/** Verifies a receipt given as its JSON text (starting with `{`), a path to an existing file (read up to the receipt limit L23, conformance.md §6.7), or bytes. */
export declare function verifyReceipt(receipt: string | Uint8Array, trust: Source, options?: { at?: string }): Promise<Verdict>

/** The verdict on a badge (spec/badge-v0.md §5.3). */
export interface BadgeVerdict {
  outcome: 'VALID' | 'VALID_UNTRUSTED' | 'INVALID' | 'INDETERMINATE'
  primary: string
  exit: 0 | 1 | 2 | 3
  message: string
  badge?: { iss: string; sub: string; framework: string; status: string; iat: number; exp: number; jti: string }
}

/** Verifies a badge (its JWS text, a path to badge.jws, or bytes) against a trust file. */
export declare function verifyBadge(badge: string | Uint8Array, trust: Source, options?: { at?: string }): Promise<BadgeVerdict>

/** The verdict of one DSSE envelope (spec/dsse.md §10). */
export interface EnvelopeVerdict {
  outcome: 'VALID' | 'INVALID'
  /** `ok`, or the failing code (`dsse.*`, `jcs.*`, `sig.*`, `time.key_revoked`, `time.key_window`). */
  primary: string
  exit: 0 | 1
  message: string
  /** What verified (VALID only): the trusted key's keyid, the payload type, the payload in base64. */
  envelope?: { keyid: string; payloadType: string; payload: string }
}

/**
 * Verifies one DSSE envelope (its JSON text, a path, or bytes) against a trust file at
 * `options.at` (default now), DSSE only: strict decoding, a signature by a key of the trust file,
 * the canonical-payload rule, the key's window. The payload (a Statement) is the caller's to read.
 * Rejects with ClyraError only for an unusable trust file (`trust.file`) or time (`cli.usage`).
 */
export declare function verifyEnvelope(envelope: string | Uint8Array, trust: Source, options?: { at?: string }): Promise<EnvelopeVerdict>

/** verifyEnvelope on the calling thread (no thread-pool hop; an envelope is at most 16 MiB). */
export declare function verifyEnvelopeSync(envelope: string | Uint8Array, trust: Source, options?: { at?: string }): EnvelopeVerdict

/** A JSON text's canonical form (RFC 8785) and the `sha256:` digest of its bytes. */
export declare function canonicalize(json: string | Uint8Array): { canonical: string; digest: string }

/**
 * Verifies a ledger proof file (ledger-v0.md §6: an inclusion receipt or a consistency proof;
 * its JSON text, bytes, or a path) against the ledger's verifier key (its text, bytes, or a path
 * to the file holding it). Rejects with ClyraError (`ledger.key`, `cli.io`) only for an unusable
 * key or path; a forged or inconsistent proof resolves with an INVALID Verdict.
 */
export declare function verifyLedgerProof(proof: string | Uint8Array, key: Source): Promise<Verdict>

/** One check of an attestation verification (attestation-v0.md §6.1). */
export interface AttestCheck {
  code: string
  severity: 'ok' | 'warn' | 'untrusted' | 'indeterminate' | 'fail' | 'skipped'
  message: string
}

/** The verdict on an attestation (attestation-v0.md §6.2). */
export interface AttestVerdict {
  outcome: 'VALID' | 'VALID_UNTRUSTED' | 'INVALID' | 'INDETERMINATE'
  primary: string
  exit: 0 | 1 | 2 | 3
  checks: AttestCheck[]
}

export interface AttestOptions {
  /** Verification time (UTC); default: now. */
  at?: string
  /** The policy (or policies) the bundles were produced under: each bundle is verified with the one whose hash its manifest records. */
  policy?: Source | Source[]
  /** Paths of the bundle files the attestation covers: their digests are matched and every status recomputed. */
  bundles?: string[]
}

/**
 * Verifies an attestation (its DSSE JSON text, bytes, or a path) as `clyra attest verify` does:
 * signature, subjects against the bundles, statuses recomputed.
 */
export declare function verifyAttestation(attestation: string | Uint8Array, trust: Source, options?: AttestOptions): Promise<AttestVerdict>

/** The version of the native core. */
export declare const version: string
