// The SDK over bundles (bindings/node/src/bundle.rs): verify, inspect, extractReceipt.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

import clyra from '../index.js'
import { vectors } from './helpers.mjs'

const all = vectors()
const minimal = all.find((v) => v.name.endsWith('-def-minimal'))

test('verify gives every bundle vector its expected outcome, primary and exit (path and bytes)', async () => {
  for (const v of all.filter((v) => v.bundle)) {
    const options = { at: v.args.at, policy: v.policy || undefined }
    let verdict
    try {
      verdict = await clyra.verify(v.bundle, v.trust, options)
    } catch (e) {
      // An unusable trust file or policy is an error with the code the vector expects.
      assert.equal(v.expected.exit, 4, `${v.name}: ${e.message}`)
      assert.ok(e instanceof clyra.ClyraError, v.name)
      assert.equal(e.code, v.expected.primary, v.name)
      continue
    }
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit],
      [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
    const fromBytes = await clyra.verify(fs.readFileSync(v.bundle), fs.readFileSync(v.trust), options)
    assert.deepEqual(fromBytes, verdict, v.name)
  }
})

test('a failed verification is a verdict, not an exception: garbage, truncation, empty', async () => {
  const bytes = fs.readFileSync(minimal.bundle)
  for (const bad of [Buffer.from('not a zip'), bytes.subarray(0, bytes.length / 2), new Uint8Array(0),
    Buffer.alloc(1 << 20, 0xa5)]) {
    const verdict = await clyra.verify(bad, minimal.trust, { at: minimal.args.at })
    assert.equal(verdict.outcome, 'INVALID')
    assert.equal(verdict.exit, 1)
    assert.ok(verdict.primary.startsWith('zip.'), verdict.primary)
  }
})

test('unusable arguments are ClyraError with the CLI code', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-node-'))
  const notJson = path.join(dir, 'trust.json')
  fs.writeFileSync(notJson, '{not json')
  await assert.rejects(clyra.verify(minimal.bundle, notJson, { at: minimal.args.at }),
    (e) => e instanceof clyra.ClyraError && e.code === 'trust.file' && e.detail === 'jcs.unexpected_character')
  await assert.rejects(clyra.verify(minimal.bundle, minimal.trust, { at: 'yesterday' }),
    (e) => e.code === 'cli.usage')
  await assert.rejects(clyra.verify(path.join(dir, 'missing.zip'), minimal.trust, { at: minimal.args.at }),
    (e) => e.code === 'cli.io' && e.path.endsWith('missing.zip'))
  await assert.rejects(clyra.verify(minimal.bundle, minimal.trust, { at: minimal.args.at, policy: '{"a":1,"a":2}' }),
    (e) => e.code === 'policy.file')
  await assert.rejects(clyra.verify(42, minimal.trust), (e) => e.code === 'cli.usage')
})

test('the auditor view comes with the verdict', async () => {
  const verdict = await clyra.verify(minimal.bundle, minimal.trust, { at: minimal.args.at, auditor: true })
  assert.equal(verdict.outcome, 'VALID')
  assert.equal(typeof verdict.audit, 'object')
  assert.match(verdict.audit_text, /\S/)
})

test('inspect and extractReceipt read a bundle by path or bytes; a receipt verifies alone', async () => {
  const summary = await clyra.inspect(minimal.bundle)
  assert.deepEqual(await clyra.inspect(fs.readFileSync(minimal.bundle)), summary)
  const receipt = await clyra.extractReceipt(minimal.bundle, 0)
  assert.equal(receipt, await clyra.extractReceipt(fs.readFileSync(minimal.bundle), 0))
  const verdict = await clyra.verifyReceipt(receipt, minimal.trust, { at: minimal.args.at })
  assert.equal(verdict.outcome, 'VALID')
  await assert.rejects(clyra.inspect(Buffer.from('garbage')), (e) => e instanceof clyra.ClyraError && e.code.startsWith('zip.'))
  await assert.rejects(clyra.extractReceipt(minimal.bundle, 99999), (e) => e.code.startsWith('receipt.'))
})

test('verification runs off the main thread: the event loop keeps turning', async () => {
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 0)
  const big = Buffer.alloc(64 << 20, 0x41)
  const verdicts = await Promise.all([1, 2, 3].map(() => clyra.verify(big, minimal.trust, { at: minimal.args.at })))
  clearInterval(timer)
  assert.ok(verdicts.every((v) => v.outcome === 'INVALID'))
  assert.ok(ticks > 0, 'no timer tick while verifying')
})
