// A large bundle in the page (issue 13): the 1 GiB bundle that `bash node/ci.sh big` builds
// (benches/make_bundle.sh) verifies VALID in headless Chromium, and the wasm module's memory
// (WebAssembly.Memory.buffer.byteLength, reported by the worker) stays under 64 MiB: the worker
// reads the File in windows of at most 8 MiB, never whole. Runs only when CLYRA_BIG_BUNDLE names the folder
// holding bundle.zip and key/clyra.pub; skipped otherwise (the bundle is too big to keep).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { chromium } from 'playwright-core'

import { createServer } from '../serve.mjs'

const dir = process.env.CLYRA_BIG_BUNDLE
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const LIMIT = 64 << 20

test('a 1 GiB bundle verifies in the page with wasm memory under 64 MiB',
  { skip: dir ? false : 'set CLYRA_BIG_BUNDLE (bash node/ci.sh big)', timeout: 600_000 }, async () => {
    const bundle = path.join(dir, 'bundle.zip')
    const size = fs.statSync(bundle).size
    assert.ok(size >= 1 << 30, `the bundle is ${size} bytes, not 1 GiB`)
    const server = createServer()
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
    try {
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${server.address().port}/`)
      await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 })
      await page.setInputFiles('#bundle', bundle)
      await page.setInputFiles('#trust', path.join(dir, 'key', 'clyra.pub'))
      await page.fill('#at', '2026-11-21T00:00:00Z')
      await page.selectOption('#format', 'json')
      const started = Date.now()
      await page.click('#verify')
      await page.waitForSelector('body[data-state="done"]', { timeout: 540_000 })
      const seconds = (Date.now() - started) / 1000
      const verdict = JSON.parse(await page.textContent('#output'))
      assert.equal(verdict.outcome, 'VALID', JSON.stringify(verdict).slice(0, 400))
      const memory = Number(await page.getAttribute('#result', 'data-wasm-memory'))
      console.log(`# 1 GiB bundle (${size} bytes) VALID in the page in ${seconds.toFixed(1)} s; wasm memory ${(memory / 1048576).toFixed(1)} MiB`)
      assert.ok(memory > 0 && memory < LIMIT, `wasm memory ${memory} bytes, limit ${LIMIT}`)
    } finally {
      await browser.close()
      server.close()
    }
  })
