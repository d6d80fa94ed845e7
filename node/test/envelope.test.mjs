// One DSSE envelope against a trust file (bindings/node/src/envelope.rs over core::ffi::dsse,
// spec/dsse.md §10): verifyEnvelope and verifyEnvelopeSync on a receipt vector's producer envelope.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import clyra from '../index.js'
import { vectorsDir } from './helpers.mjs'

const dir = path.join(vectorsDir, '0089-receipt-first-event')
const receipt = JSON.parse(fs.readFileSync(path.join(dir, 'receipt.json'), 'utf8'))
const envelope = Buffer.from(receipt.envelopes[0], 'base64')
const trust = path.join(dir, 'trust.json')
const { at } = JSON.parse(fs.readFileSync(path.join(dir, 'args.json'), 'utf8'))

test('a producer envelope verifies with its trust file, async and sync alike', async () => {
  const verdict = await clyra.verifyEnvelope(envelope, trust, { at })
  assert.equal(verdict.outcome, 'VALID', verdict.message)
  assert.deepEqual([verdict.primary, verdict.exit], ['ok', 0])
  const keyid = JSON.parse(fs.readFileSync(trust, 'utf8')).keys[0].keyid
  assert.equal(verdict.envelope.keyid, keyid)
  assert.equal(verdict.envelope.payloadType, 'application/vnd.in-toto+json')
  const statement = JSON.parse(Buffer.from(verdict.envelope.payload, 'base64').toString('utf8'))
  assert.equal(statement._type, 'https://in-toto.io/Statement/v1')
  assert.deepEqual(clyra.verifyEnvelopeSync(envelope, trust, { at }), verdict)
  // The envelope's JSON text is taken as the envelope, as its bytes are.
  assert.deepEqual(await clyra.verifyEnvelope(envelope.toString('utf8'), trust, { at }), verdict)
})

test('a tampered, foreign or malformed envelope is an INVALID verdict with its code', async () => {
  const parsed = JSON.parse(envelope.toString('utf8'))
  const payload = Buffer.from(parsed.payload, 'base64').toString('utf8').replace('Statement/v1', 'Statement/v2')
  const tampered = JSON.stringify({ ...parsed, payload: Buffer.from(payload).toString('base64') })
  const check = async (bytes, trustFile, primary) => {
    const verdict = await clyra.verifyEnvelope(bytes, trustFile, { at })
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit, verdict.envelope], ['INVALID', primary, 1, undefined])
  }
  await check(Buffer.from(tampered), trust, 'sig.invalid')
  await check(envelope, path.join(vectorsDir, '0003-def-p256-producer', 'trust.json'), 'dsse.keyid_mismatch')
  await check(Buffer.from('{"payload":"e30=","payloadType":"application/json"}'), trust, 'dsse.missing_field')
  await check(Buffer.from('{"payload":'), trust, clyra.verifyEnvelopeSync(Buffer.from('{"payload":'), trust, { at }).primary)
  assert.match(clyra.verifyEnvelopeSync(Buffer.from('{"payload":'), trust, { at }).primary, /^jcs\./)
})

test('an unusable trust file or time rejects with its ClyraError code', async () => {
  await assert.rejects(clyra.verifyEnvelope(envelope, '{"keys": 1}', { at }), { code: 'trust.file' })
  await assert.rejects(clyra.verifyEnvelope(envelope, trust, { at: 'yesterday' }), { code: 'cli.usage' })
  assert.throws(() => clyra.verifyEnvelopeSync(envelope, '{"keys": 1}', { at }), { code: 'trust.file' })
})
