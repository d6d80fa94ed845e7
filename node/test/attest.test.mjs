// Attestations in Node (bindings/node/src/attest.rs over core::ffi::attest): verifyAttestation on
// every attestation vector (statuses recomputed from the bundle), and `clyra-verify attest verify`
// byte for byte against `clyra attest verify`.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import clyra from '../index.js'
import { bothClis, rustCli, special } from './helpers.mjs'

const attestations = () => special('attestation.dsse.json').map((v) => ({
  ...v,
  attestation: path.join(v.dir, 'attestation.dsse.json'),
  bundle: path.join(v.dir, 'bundle.zip'),
  trust: path.join(v.dir, 'trust.json'),
}))

test('verifyAttestation gives every attestation vector its expected outcome, primary and exit', async () => {
  const all = attestations()
  assert.ok(all.length >= 4)
  for (const v of all) {
    const verdict = await clyra.verifyAttestation(v.attestation, v.trust, { at: v.args.at, bundles: [v.bundle] })
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit],
      [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
    assert.ok(verdict.checks.length > 0)
  }
})

test('verifyAttestation recomputes statuses only with the bundles, and throws only for unusable inputs', async () => {
  const v = attestations().find((a) => a.name.endsWith('-status-altered-trusted-signer'))
  // Without the bundle the altered status cannot be seen: not INVALID (§6.1 item 5 unchecked).
  const without = await clyra.verifyAttestation(fs.readFileSync(v.attestation, 'utf8'), fs.readFileSync(v.trust), { at: v.args.at })
  assert.notEqual(without.outcome, 'INVALID')
  const withBundle = await clyra.verifyAttestation(fs.readFileSync(v.attestation), v.trust, { at: v.args.at, bundles: [v.bundle] })
  assert.equal(withBundle.primary, 'attest.status_mismatch')
  assert.equal((await clyra.verifyAttestation(new Uint8Array([1]), v.trust, { at: v.args.at })).exit, 1)
  await assert.rejects(clyra.verifyAttestation(v.attestation, '{}', { at: v.args.at }), { code: 'trust.file' })
  await assert.rejects(clyra.verifyAttestation(v.attestation, v.trust, { at: 'yesterday' }), { code: 'cli.usage' })
  await assert.rejects(clyra.verifyAttestation(v.attestation, v.trust, { at: v.args.at, bundles: ['/no/such.zip'] }), { code: 'cli.io' })
  await assert.rejects(clyra.verifyAttestation(v.attestation, v.trust, { at: v.args.at, bundles: [v.dir] }), { code: 'cli.io' })
  await assert.rejects(clyra.verifyAttestation(v.attestation, v.trust, { bundles: 'x' }), { code: 'cli.usage' })
  await assert.rejects(clyra.verifyAttestation(v.attestation, v.trust, { policy: '{"not": "a policy"}' }), { code: 'policy.file' })
})

test('clyra-verify attest verify prints what clyra attest verify prints, with its exit code', (t) => {
  const bin = rustCli()
  if (!bin) return t.skip('the Rust CLI is not built (cargo build -p clyra-cli)')
  const all = attestations()
  const v = all[0]
  const cases = all.flatMap((a) => [
    [a.attestation, a.bundle, '--trust', a.trust, '--at', a.args.at],
    [a.attestation, '--trust', a.trust, '--at', a.args.at],
  ])
  cases.push(
    [v.attestation, '/no/such.zip', '--trust', v.trust],
    [v.attestation, v.dir, '--trust', v.trust, '--at', v.args.at],
    [v.attestation, '--trust', '/no/trust.json'],
    [v.attestation, '--trust', v.trust, '--at', 'yesterday'],
    ['/no/attestation.json', '--trust', v.trust, '--at', v.args.at],
  )
  for (const args of cases) {
    for (const format of ['human', 'json']) {
      const argv = ['attest', 'verify', ...args, '--format', format]
      const { rust, node } = bothClis(bin, argv)
      assert.deepEqual(node, rust, argv.join(' '))
    }
  }
})
