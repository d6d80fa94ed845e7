// The SDK over badges (bindings/node/src/badge.rs): verifyBadge on every badge vector, and the
// standard JOSE library `jose` (pinned in package.json) verifying our badge with our public key
// and rejecting an expired, altered or foreign one (spec/badge-v0.md §1.1).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'

import * as jose from 'jose'

import clyra from '../index.js'
import { badges } from './helpers.mjs'

const byName = (suffix) => badges().find((v) => v.name.endsWith(suffix))

test('verifyBadge gives every badge vector its expected outcome, primary and exit', async () => {
  const all = badges()
  assert.ok(all.length >= 9)
  for (const v of all) {
    const verdict = await clyra.verifyBadge(v.badge, v.trust, { at: v.args.at })
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit],
      [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
  }
})

test('verifyBadge takes text or bytes, reports the claims, and throws only for unusable inputs', async () => {
  const v = byName('-badge-valid')
  const text = fs.readFileSync(v.badge, 'utf8').trim()
  const verdict = await clyra.verifyBadge(text, fs.readFileSync(v.trust), { at: v.args.at })
  assert.equal(verdict.outcome, 'VALID')
  assert.equal(verdict.badge.sub, 'vectors/shop')
  assert.equal(verdict.badge.exp - verdict.badge.iat, 7776000)
  assert.equal((await clyra.verifyBadge(new Uint8Array([1, 2]), v.trust, { at: v.args.at })).primary, 'badge.malformed')
  await assert.rejects(clyra.verifyBadge(v.badge, '{}', { at: v.args.at }), { code: 'trust.file' })
  await assert.rejects(clyra.verifyBadge(v.badge, v.trust, { at: 'yesterday' }), { code: 'cli.usage' })
  await assert.rejects(clyra.verifyBadge('/no/such/badge.jws', v.trust), { code: 'cli.io' })
})

/** The issuer's public key, as jose imports it from the trust file's PEM. */
async function issuerKey(v) {
  const trust = JSON.parse(fs.readFileSync(v.trust, 'utf8'))
  return jose.importSPKI(trust.keys[0].public_key_pem, 'EdDSA')
}

const jwt = (v) => fs.readFileSync(v.badge, 'utf8').trim()

test('jose verifies our badge with our public key', async () => {
  const v = byName('-badge-valid')
  const { payload, protectedHeader } = await jose.jwtVerify(jwt(v), await issuerKey(v),
    { algorithms: ['EdDSA'], currentDate: new Date(v.args.at), typ: 'clyra-badge+jwt' })
  assert.equal(protectedHeader.alg, 'EdDSA')
  assert.equal(payload.sub, 'vectors/shop')
  assert.equal(payload.framework, 'sox')
})

test('jose rejects the expired, altered and foreign badges', async () => {
  const expired = byName('-badge-expired')
  await assert.rejects(jose.jwtVerify(jwt(expired), await issuerKey(expired),
    { algorithms: ['EdDSA'], currentDate: new Date(expired.args.at) }), { code: 'ERR_JWT_EXPIRED' })
  const altered = byName('-badge-altered')
  await assert.rejects(jose.jwtVerify(jwt(altered), await issuerKey(altered),
    { algorithms: ['EdDSA'], currentDate: new Date(altered.args.at) }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  const foreign = byName('-badge-wrong-key')
  await assert.rejects(jose.jwtVerify(jwt(foreign), await issuerKey(foreign),
    { algorithms: ['EdDSA'], currentDate: new Date(foreign.args.at) }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  const none = byName('-badge-alg-none')
  await assert.rejects(jose.jwtVerify(jwt(none), await issuerKey(none), { algorithms: ['EdDSA'] }))
})
