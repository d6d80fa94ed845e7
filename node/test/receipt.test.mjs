// The SDK over receipts (bindings/node/src/receipt.rs): verifyReceipt on every receipt vector.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'

import clyra from '../index.js'
import { vectors } from './helpers.mjs'

test('verifyReceipt gives every receipt vector its expected outcome, primary and exit', async () => {
  const receipts = vectors().filter((v) => v.receipt)
  assert.ok(receipts.length > 0)
  for (const v of receipts) {
    let verdict
    try {
      verdict = await clyra.verifyReceipt(fs.readFileSync(v.receipt), v.trust, { at: v.args.at })
    } catch (e) {
      assert.equal(v.expected.exit, 4, `${v.name}: ${e.message}`)
      assert.equal(e.code, v.expected.primary, v.name)
      continue
    }
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit],
      [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
  }
})

test('a receipt that is not JSON is an INVALID verdict', async () => {
  const v = vectors().find((v) => v.receipt)
  const verdict = await clyra.verifyReceipt('garbage', v.trust, { at: v.args.at })
  assert.equal(verdict.outcome, 'INVALID')
})
