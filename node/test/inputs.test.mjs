// Inputs that are not regular files (conformance.md §6.7) through the SDK, opened as the CLI opens
// them (the shared clyra-host crate): a FIFO bundle is spooled, a directory is cli.io, an endless
// receipt stream stops one byte past L23.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

import clyra from '../index.js'
import { vectors } from './helpers.mjs'

test('a FIFO bundle verifies, a directory is cli.io, /dev/zero as a receipt is receipt.too_large', async () => {
  const v = vectors().find((x) => x.name === '0001-def-minimal')
  const r = vectors().find((x) => x.name === '0089-receipt-first-event')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-node-inputs-'))
  try {
    const fifo = path.join(dir, 'bundle')
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
    // The writer runs in another process: this one's thread pool is the reader.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', v.bundle, fifo], { stdio: 'ignore' })
    const written = new Promise((resolve) => writer.once('exit', resolve))
    const verdict = await clyra.verify(fifo, v.trust, { at: v.args.at })
    assert.equal(verdict.outcome, 'VALID')
    assert.equal(await written, 0)
    await assert.rejects(clyra.verify(dir, v.trust, { at: v.args.at }), { code: 'cli.io' })
    await assert.rejects(clyra.verify(v.bundle, dir, { at: v.args.at }), { code: 'cli.io' })
    await assert.rejects(clyra.verifyReceipt(dir, r.trust, { at: r.args.at }), { code: 'cli.io' })
    const endless = await clyra.verifyReceipt('/dev/zero', r.trust, { at: r.args.at })
    assert.equal(endless.primary, 'receipt.too_large')
    assert.equal((await clyra.verify('/dev/null', v.trust, { at: v.args.at })).primary, 'zip.eocd')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
