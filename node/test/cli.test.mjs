// The clyra-verify command (bin/clyra-verify.js): same output and exit codes as `clyra verify`.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

import { bothClis, cli, rustCli, vectors } from './helpers.mjs'

const all = vectors()
const minimal = all.find((v) => v.name.endsWith('-def-minimal'))

function argsOf(v, extra = []) {
  const args = v.bundle ? [v.bundle] : ['receipt', v.receipt]
  args.push('--trust', v.trust, '--at', v.args.at)
  if (v.policy) args.push('--policy', v.policy)
  return args.concat(extra)
}

test('every vector: the JSON verdict line and exit code the vector expects', () => {
  for (const v of all) {
    const r = cli(argsOf(v, ['--format', 'json']))
    assert.equal(r.status, v.expected.exit, `${v.name}: ${r.stdout}${r.stderr}`)
    const out = JSON.parse(r.stdout.split('\n')[0])
    if (v.expected.exit === 4) {
      assert.equal(out.errors[0].code, v.expected.primary, v.name)
    } else {
      assert.deepEqual([out.outcome, out.primary, out.exit],
        [v.expected.outcome, v.expected.primary, v.expected.exit], v.name)
    }
  }
})

const rust = rustCli()
test('every vector, human, JSON and auditor: byte for byte what the Rust CLI prints', { skip: rust ? false : 'the Rust CLI is not built (cargo build -p clyra-cli)' }, () => {
  for (const v of all) {
    for (const extra of [[], ['--format', 'json'], ['--auditor'], ['--auditor', '--format', 'json']]) {
      if (v.receipt && extra.includes('--auditor')) continue
      const args = argsOf(v, extra)
      const both = bothClis(rust, v.bundle ? ['verify', ...args] : ['receipt', 'verify', ...args.slice(1)], args)
      assert.deepEqual(both.node, both.rust, `${v.name} ${extra}`)
    }
  }
})

test('bad input: not a zip, truncated, garbage, trust not JSON, missing file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-cli-'))
  const bytes = fs.readFileSync(minimal.bundle)
  const cases = {
    'text.zip': Buffer.from('hello, not a zip\n'),
    'truncated.zip': bytes.subarray(0, bytes.length - 7),
    'garbage.zip': Buffer.alloc(8 << 20, 0x5a),
  }
  for (const [name, data] of Object.entries(cases)) {
    fs.writeFileSync(path.join(dir, name), data)
    const r = cli([path.join(dir, name), '--trust', minimal.trust, '--at', minimal.args.at, '--format', 'json'])
    assert.equal(r.status, 1, name)
    const out = JSON.parse(r.stdout)
    assert.equal(out.outcome, 'INVALID', name)
    assert.match(out.primary, /^zip\./, name)
  }
  fs.writeFileSync(path.join(dir, 'trust.json'), 'not json')
  let r = cli([minimal.bundle, '--trust', path.join(dir, 'trust.json'), '--at', minimal.args.at, '--format', 'json'])
  assert.equal(r.status, 4)
  assert.equal(JSON.parse(r.stdout).errors[0].code, 'trust.file')
  r = cli([minimal.bundle, '--trust', path.join(dir, 'trust.json'), '--at', minimal.args.at])
  assert.equal(r.status, 4)
  assert.match(r.stderr, /^error: .*trust\.json: .*\(trust\.file, jcs\.unexpected_character\)\n$/)
  r = cli([path.join(dir, 'none.zip'), '--trust', minimal.trust, '--format', 'json'])
  assert.equal(r.status, 4)
  assert.equal(JSON.parse(r.stdout).errors[0].code, 'cli.io')
})

test('usage errors are exit 4 with cli.usage; --help and --version exit 0', () => {
  for (const args of [[], ['x.zip'], ['--trust', 't.json'], ['x.zip', '--trust', 't', '--bogus'],
    ['x.zip', '--trust', 't', '--format', 'xml']]) {
    const r = cli(args)
    assert.equal(r.status, 4, String(args))
    assert.match(r.stderr, /^error: /)
  }
  const r = cli(['x.zip', '--format', 'json'])
  assert.equal(JSON.parse(r.stdout).errors[0].code, 'cli.usage')
  assert.equal(cli(['--help']).status, 0)
  assert.match(cli(['--version']).stdout, /^clyra-verify \d/)
})

test('--at defaults to now: a bundle from the past verifies', () => {
  const r = cli([minimal.bundle, '--trust', minimal.trust, '--format', 'json'])
  assert.equal(JSON.parse(r.stdout).outcome, 'VALID')
})
