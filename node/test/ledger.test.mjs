// Ledger proofs in Node (bindings/node/src/ledger.rs over core::ffi::ledger): verifyLedgerProof on
// every ledger vector, `clyra-verify ledger check` byte for byte against `clyra ledger check`, and
// `clyra-verify BUNDLE --ledger-proof PROOF --ledger-key VKEY` against `clyra verify` with them.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

import clyra from '../index.js'
import { bothClis, cli, rustCli, special, vectorsDir } from './helpers.mjs'

// Ledger vectors (conformance.md §2.6); witnessed vectors (§2.9) also hold a bundle.
const proofs = () => special('ledger-proof.json')
  .filter((v) => !fs.existsSync(path.join(v.dir, 'bundle.zip')))
  .map((v) => ({
    ...v, proof: path.join(v.dir, 'ledger-proof.json'), key: path.join(v.dir, 'ledger-key.txt'),
  }))

test('verify with ledgerProof gives every witnessed vector its expected outcome, primary and exit', async () => {
  const witnessed = special('ledger-proof.json').filter((v) => fs.existsSync(path.join(v.dir, 'bundle.zip')))
  assert.ok(witnessed.length >= 8)
  for (const v of witnessed) {
    const verdict = await clyra.verify(path.join(v.dir, 'bundle.zip'), fs.readFileSync(path.join(v.dir, 'trust.json')),
      { at: v.args.at, ledgerProof: fs.readFileSync(path.join(v.dir, 'ledger-proof.json')) })
    assert.deepEqual([verdict.outcome, verdict.primary, verdict.exit],
      [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
  }
})

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

test('clyra-verify --ledger-proof prints what clyra verify --ledger-proof prints, with its exit code', (t) => {
  const bin = rustCli()
  if (!bin) return t.skip('the Rust CLI is not built (cargo build -p clyra-cli)')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-node-ledger-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const run = (...argv) => {
    const p = spawnSync(bin, argv, { encoding: 'utf8' })
    assert.equal(p.status, 0, `${argv.join(' ')}: ${p.stderr}`)
  }
  // A ledger of two VALID vector bundles and the receipt of the first (`clyra ledger prove`).
  const [a, b] = ['0001-def-minimal', '0002-pef-mcp'].map((n) => path.join(vectorsDir, n))
  run('keygen', '--out', path.join(dir, 'k'))
  run('ledger', 'init', path.join(dir, 'L'), '--key', path.join(dir, 'k', 'clyra.key'))
  run('ledger', 'append', '--ledger', path.join(dir, 'L'), '--key', path.join(dir, 'k', 'clyra.key'),
    '--logged-at', '2026-12-01T10:00:00Z', path.join(a, 'bundle.zip'), path.join(b, 'bundle.zip'))
  const receipt = path.join(dir, 'receipt.json')
  run('ledger', 'prove', path.join(a, 'bundle.zip'), '--ledger', path.join(dir, 'L'), '--out', receipt)
  const vkey = JSON.parse(fs.readFileSync(path.join(dir, 'L', 'ledger.json'), 'utf8')).key
  const vkeyFile = path.join(dir, 'vkey.txt')
  fs.writeFileSync(vkeyFile, vkey + '\n')
  const bundle = (v) => [path.join(v, 'bundle.zip'), '--trust', path.join(v, 'trust.json'), '--at', '2026-12-01T00:00:00Z']
  const cases = [
    { args: [...bundle(a), '--ledger-proof', receipt, '--ledger-key', vkey], exit: 0 },
    { args: [...bundle(a), '--ledger-proof', receipt, '--ledger-key', vkeyFile], exit: 0 },
    // The receipt names another bundle: INVALID (ledger-v0.md §5.2 step 5).
    { args: [...bundle(b), '--ledger-proof', receipt, '--ledger-key', vkeyFile], exit: 1 },
    // Not a receipt: INVALID; an unreadable proof, a bad key, a key file that is not text: exit 4.
    { args: [...bundle(a), '--ledger-proof', path.join(a, 'trust.json'), '--ledger-key', vkey], exit: 1 },
    { args: [...bundle(a), '--ledger-proof', '/no/such/receipt.json', '--ledger-key', vkey], exit: 4 },
    { args: [...bundle(a), '--ledger-proof', receipt, '--ledger-key', 'garbage'], exit: 4 },
    { args: [...bundle(a), '--ledger-proof', receipt, '--ledger-key', path.join(a, 'bundle.zip')], exit: 4 },
    // No --ledger-key and no `ledger_keys` in the trust file: ledger.key (trust-v0 rule 5a).
    { args: [...bundle(a), '--ledger-proof', receipt], exit: 4 },
  ]
  for (const { args, exit } of cases) {
    for (const extra of [['--format', 'human'], ['--format', 'json'], ['--auditor', '--format', 'json']]) {
      const argv = [...args, ...extra]
      const want = spawnSync(bin, ['verify', ...argv], { encoding: 'utf8' })
      const got = cli(argv)
      assert.equal(want.status, exit, `clyra verify ${argv.join(' ')}: ${want.stderr}`)
      assert.equal(got.status, want.status, argv.join(' '))
      assert.equal(got.stdout, want.stdout, argv.join(' '))
      assert.equal(got.stderr, want.stderr, argv.join(' '))
    }
  }
  // --ledger-key needs --ledger-proof, as clap says it (the usage line names the command).
  const lone = [...bundle(a), '--ledger-key', vkey]
  const want = spawnSync(bin, ['verify', ...lone], { encoding: 'utf8' })
  const got = cli(lone)
  assert.equal(got.status, 4)
  assert.equal(got.stderr.split('\n').slice(0, 2).join('\n'), want.stderr.split('\n').slice(0, 2).join('\n'))
  assert.equal(cli([...lone, '--format', 'json']).stdout,
    spawnSync(bin, ['verify', ...lone, '--format', 'json'], { encoding: 'utf8' }).stdout)
  // The passing receipt adds its five ledger checks to the bundle's.
  const plain = JSON.parse(cli([...bundle(a), '--format', 'json']).stdout)
  const withProof = JSON.parse(cli([...cases[0].args, '--format', 'json']).stdout)
  assert.equal(withProof.checks.length, plain.checks.length + 5)
})
