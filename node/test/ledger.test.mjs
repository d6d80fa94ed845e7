// Ledger proofs in Node (bindings/node/src/ledger.rs over core::ffi::ledger): verifyLedgerProof on
// every ledger vector, and `clyra-verify ledger check` byte for byte against `clyra ledger check`.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import clyra from '../index.js'
import { bothClis, rustCli, special } from './helpers.mjs'

const proofs = () => special('ledger-proof.json').map((v) => ({
  ...v, proof: path.join(v.dir, 'ledger-proof.json'), key: path.join(v.dir, 'ledger-key.txt'),
}))

test('verifyLedgerProof gives every ledger vector its expected outcome, primary and exit', async () => {
  const all = proofs()
  assert.ok(all.length >= 11)
  for (const v of all) {
    const verdict = await clyra.verifyLedgerProof(v.proof, v.key)
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit],
      [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
  }
})

test('verifyLedgerProof takes text or bytes and throws only for an unusable key or path', async () => {
  const v = proofs().find((p) => p.name.endsWith('-ledger-inclusion-valid'))
  const keyText = fs.readFileSync(v.key, 'utf8')
  const fromText = await clyra.verifyLedgerProof(fs.readFileSync(v.proof, 'utf8'), keyText)
  assert.equal(fromText.outcome, 'VALID')
  const fromBytes = await clyra.verifyLedgerProof(fs.readFileSync(v.proof), Buffer.from(keyText))
  assert.equal(fromBytes.outcome, 'VALID')
  assert.equal((await clyra.verifyLedgerProof(new Uint8Array([1]), v.key)).outcome, 'INVALID')
  await assert.rejects(clyra.verifyLedgerProof(v.proof, 'not a key'), { code: 'ledger.key' })
  await assert.rejects(clyra.verifyLedgerProof('/no/such/proof.json', v.key), { code: 'cli.io' })
  await assert.rejects(clyra.verifyLedgerProof(v.dir, v.key), { code: 'cli.io' })
})

test('clyra-verify ledger check prints what clyra ledger check prints, with its exit code', (t) => {
  const bin = rustCli()
  if (!bin) return t.skip('the Rust CLI is not built (cargo build -p clyra-cli)')
  const now = (s) => s.replace(/at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'at NOW')
  const first = proofs()[0]
  const cases = proofs().flatMap((v) => [[v.proof, '--key', v.key]])
  cases.push(['/no/such.json', '--key', first.key], [first.proof, '--key', 'garbage'], [first.dir, '--key', first.key])
  for (const args of cases) {
    for (const format of ['human', 'json']) {
      const argv = ['ledger', 'check', ...args, '--format', format]
      const { rust, node } = bothClis(bin, argv)
      assert.deepEqual({ ...node, stdout: now(node.stdout) }, { ...rust, stdout: now(rust.stdout) }, argv.join(' '))
    }
  }
})
