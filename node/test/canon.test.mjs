// canonicalize (bindings/node/src/canon.rs): RFC 8785 with strict parsing and coded errors.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import clyra from '../index.js'

test('canonicalize sorts keys, formats numbers and digests the bytes', () => {
  const c = clyra.canonicalize('{"b": 1.0e2, "a": [true, null, "é"]}')
  assert.equal(c.canonical, '{"a":[true,null,"é"],"b":100}')
  assert.match(c.digest, /^sha256:[0-9a-f]{64}$/)
  assert.deepEqual(clyra.canonicalize(Buffer.from('{"b":100,"a":[true,null,"é"]}')), c)
})

test('strict JSON errors carry their jcs code', () => {
  assert.throws(() => clyra.canonicalize('{"a":1,"a":2}'),
    (e) => e instanceof clyra.ClyraError && e.code === 'jcs.duplicate_key')
  assert.throws(() => clyra.canonicalize('[1,'), (e) => e.code.startsWith('jcs.'))
})

test('version is the core version', () => {
  assert.match(clyra.version, /^\d+\.\d+\.\d+/)
})
