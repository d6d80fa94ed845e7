// The verify page in a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download): every golden vector verified in the page gives the Rust
// CLI's verdict JSON; no request leaves the page; screenshots of a VALID and an INVALID verdict
// go to node/out/screenshots/ (git-ignored). Needs `npm run build:web` and the Rust CLI.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'

import { chromium } from 'playwright-core'

import { pkg, rustCli, special, vectors } from '../../test/helpers.mjs'
import { CSP } from '../csp.mjs'
import { createServer } from '../serve.mjs'

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
// The flags this machine needs (.library/env/machines/polyglot.md): no background traffic.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const shots = path.join(pkg, 'out', 'screenshots')

let server, origin, browser, page
const requests = []

before(async () => {
  server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${server.address().port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
  context.on('request', (r) => requests.push(r.url()))
  page = await context.newPage()
  page.on('request', (r) => requests.push(r.url()))
  page.on('pageerror', (e) => { throw e })
  await page.goto(origin + '/')
  await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 })
})

after(async () => {
  await browser?.close()
  server?.close()
})

/** Verifies `v` in the page with `format` and the auditor view; the output text and exit. */
async function verifyInPage(v, format, auditor = true) {
  await page.setInputFiles('#bundle', v.bundle || v.receipt)
  await page.setInputFiles('#trust', v.trust)
  await page.setInputFiles('#policy', v.policy ? [v.policy] : [])
  await page.fill('#at', v.args.at)
  await page.selectOption('#format', format)
  await page.setChecked('#auditor', auditor)
  await page.click('#verify')
  await page.waitForSelector('body[data-state="done"]')
  const out = await page.textContent('#output')
  const exit = Number(await page.getAttribute('#result', 'data-exit'))
  await page.evaluate(() => { document.body.dataset.state = 'ready' })
  return { out, exit }
}

test('the page is served with connect-src none and the page cannot fetch', async () => {
  const res = await fetch(origin + '/')
  assert.equal(res.headers.get('content-security-policy'), CSP)
  assert.match(CSP, /connect-src 'none'/)
  const attempt = await page.evaluate(async (url) => {
    try { await fetch(url); return 'sent' } catch { return 'blocked' }
  }, origin + '/index.html')
  assert.equal(attempt, 'blocked')
  // The listeners see the page's own loads (the worker's module included): the check below,
  // that verification adds none, is not vacuous.
  assert.ok(requests.some((u) => u.endsWith('/worker.js')), String(requests))
  assert.ok(requests.every((u) => u.startsWith(origin + '/')), String(requests))
})

test('every golden vector: the verdict JSON the Rust CLI prints, byte for byte', { timeout: 600_000 }, async () => {
  const rust = rustCli()
  assert.ok(rust, 'the Rust CLI is needed: cargo build -p clyra-cli')
  const before = requests.length
  for (const v of vectors()) {
    const { out, exit } = await verifyInPage(v, 'json', Boolean(v.bundle))
    const args = ['--trust', v.trust, '--at', v.args.at, '--format', 'json']
    if (v.policy) args.push('--policy', v.policy)
    const cmd = v.bundle ? ['verify', v.bundle, '--auditor', ...args] : ['receipt', 'verify', v.receipt, ...args]
    const p = spawnSync(rust, cmd, { encoding: 'utf8' })
    assert.equal(exit, p.status, v.name)
    if (p.status === 4) {
      // The failure names the file as the user gave it (a full path to the CLI, a name here).
      assert.equal(JSON.parse(out).errors[0].code, JSON.parse(p.stdout).errors[0].code, v.name)
    } else {
      assert.equal(out, p.stdout, v.name)
    }
  }
  assert.deepEqual(requests.slice(before), [], 'no request may leave the page while verifying')
})

test('attestations: the page recomputes statuses from the covered bundles as `clyra attest verify`', { timeout: 120_000 }, async () => {
  const rust = rustCli()
  assert.ok(rust, 'the Rust CLI is needed: cargo build -p clyra-cli')
  const cases = special('attestation.dsse.json').map((v) => ({
    ...v, bundle: path.join(v.dir, 'bundle.zip'), trust: path.join(v.dir, 'trust.json'),
  }))
  assert.ok(cases.length >= 4, `attestation vectors: ${cases.length}`)
  for (const v of cases) {
    const attestation = path.join(v.dir, 'attestation.dsse.json')
    for (const covered of [[v.bundle], []]) {
      await page.setInputFiles('#covered', covered)
      const { out, exit } = await verifyInPage({ ...v, bundle: attestation, policy: null }, 'json')
      const p = spawnSync(rust, ['attest', 'verify', attestation, ...covered, '--trust', v.trust,
        '--at', v.args.at, '--format', 'json'], { encoding: 'utf8' })
      assert.equal(exit, p.status, `${v.name} with ${covered.length} bundle(s)`)
      assert.equal(out, p.stdout, `${v.name} with ${covered.length} bundle(s)`)
    }
  }
  await page.setInputFiles('#covered', [])
})

test('witnessed vectors: with their ledger receipt the page gives `clyra verify --ledger-proof`', { timeout: 120_000 }, async () => {
  const rust = rustCli()
  assert.ok(rust, 'the Rust CLI is needed: cargo build -p clyra-cli')
  const cases = special('ledger-proof.json').filter((v) => fs.existsSync(path.join(v.dir, 'bundle.zip')))
  assert.ok(cases.length >= 8, `witnessed vectors: ${cases.length}`)
  for (const v of cases) {
    const proof = path.join(v.dir, 'ledger-proof.json')
    const trust = path.join(v.dir, 'trust.json')
    await page.setInputFiles('#ledger-proof', proof)
    const { out, exit } = await verifyInPage({ ...v, bundle: path.join(v.dir, 'bundle.zip'), trust, policy: null }, 'json', false)
    const p = spawnSync(rust, ['verify', path.join(v.dir, 'bundle.zip'), '--ledger-proof', proof, '--trust', trust,
      '--at', v.args.at, '--format', 'json'], { encoding: 'utf8' })
    assert.equal(exit, p.status, v.name)
    if (p.status === 4) assert.equal(JSON.parse(out).errors[0].code, JSON.parse(p.stdout).errors[0].code, v.name)
    else assert.equal(out, p.stdout, v.name)
    assert.equal(exit, v.expected.exit, v.name)
  }
  await page.setInputFiles('#ledger-proof', [])
})

test('bad input is a verdict, not a crashed tab: garbage and a truncated bundle', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-page-'))
  const v = vectors().find((v) => v.name.endsWith('-def-minimal'))
  const garbage = path.join(dir, 'garbage.zip')
  fs.writeFileSync(garbage, Buffer.alloc(64 << 20, 0x5a))
  const truncated = path.join(dir, 'truncated.zip')
  fs.writeFileSync(truncated, fs.readFileSync(v.bundle).subarray(0, 300))
  for (const file of [garbage, truncated]) {
    const { out, exit } = await verifyInPage({ ...v, bundle: file, policy: null }, 'json')
    assert.equal(exit, 1)
    assert.match(JSON.parse(out).primary, /^zip\./)
  }
  const notJson = path.join(dir, 'trust.json')
  fs.writeFileSync(notJson, 'not json')
  const { out, exit } = await verifyInPage({ ...v, trust: notJson }, 'json')
  assert.equal(exit, 4)
  assert.equal(JSON.parse(out).errors[0].code, 'trust.file')
})

test('stored artifacts are hashed by WebCrypto, with the verdict of the wasm path and of the CLI', { timeout: 120_000 }, async () => {
  const rust = rustCli()
  assert.ok(rust, 'the Rust CLI is needed: cargo build -p clyra-cli')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-page-'))
  const stored = vectors().filter((v) => /-def-several-artifacts$|-def-deflated-and-stored-artifacts$|-artifact-unlisted$/.test(v.name))
  assert.equal(stored.length, 3, stored.map((v) => v.name).join())
  // One byte of the first stored artifact changed: zip.crc, found by the CRC-32 beside WebCrypto.
  const bytes = fs.readFileSync(stored[0].bundle)
  let data = -1
  for (let at = bytes.indexOf('PK\x03\x04', 0, 'latin1'); at >= 0 && data < 0; at = bytes.indexOf('PK\x03\x04', at + 4, 'latin1')) {
    const name = bytes.subarray(at + 30, at + 30 + bytes.readUInt16LE(at + 26)).toString('latin1')
    if (name.startsWith('artifacts/') && bytes.readUInt16LE(at + 8) === 0 && bytes.readUInt32LE(at + 18) > 0) {
      data = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28)
    }
  }
  assert.ok(data > 0, 'a stored artifact')
  bytes[data] ^= 0x20
  const changed = path.join(dir, 'changed.zip')
  fs.writeFileSync(changed, bytes)
  for (const v of [...stored, { ...stored[0], name: 'changed', bundle: changed }]) {
    const { out, exit } = await verifyInPage(v, 'json', false)
    assert.ok(Number(await page.getAttribute('#result', 'data-webcrypto')) > 0, v.name)
    const args = ['--trust', v.trust, '--at', v.args.at, '--format', 'json']
    if (v.policy) args.push('--policy', v.policy)
    const p = spawnSync(rust, ['verify', v.bundle, ...args], { encoding: 'utf8' })
    assert.equal(out, p.stdout, v.name)
    assert.equal(exit, p.status, v.name)
    if (v.name === 'changed') assert.equal(JSON.parse(out).primary, 'zip.crc')
    // The same File through the wasm path alone (the page without WebCrypto).
    const wasmOnly = await page.evaluate(async (call) => {
      const worker = new Worker(new URL('./worker.js', location.href), { type: 'module' })
      await new Promise((resolve) => { worker.onmessage = ({ data }) => data.ready && resolve() })
      const bundle = document.getElementById('bundle').files[0]
      const answer = await new Promise((resolve) => {
        worker.onmessage = ({ data }) => resolve(data)
        worker.postMessage({ bundle, call, wasmOnly: true })
      })
      worker.terminate()
      return answer
    }, { trust: fs.readFileSync(v.trust, 'utf8'), trust_name: path.basename(v.trust), at: v.args.at,
      format: 'json', name: path.basename(v.bundle), auditor: false, ...(v.policy ? { policy: fs.readFileSync(v.policy, 'utf8'), policy_name: path.basename(v.policy) } : {}) })
    assert.equal(wasmOnly.webcrypto, 0)
    assert.equal(JSON.parse(wasmOnly.answer).result.text, out, v.name)
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

test('screenshots of a VALID and an INVALID verdict (auditor view)', async () => {
  fs.mkdirSync(shots, { recursive: true })
  const all = vectors()
  const valid = all.find((v) => v.name.endsWith('-def-minimal'))
  const invalid = all.find((v) => v.bundle && v.expected.outcome === 'INVALID' && v.expected.primary.startsWith('artifact'))
    || all.find((v) => v.bundle && v.expected.outcome === 'INVALID')
  for (const [name, v] of [['valid', valid], ['invalid', invalid]]) {
    const { out } = await verifyInPage(v, 'human')
    assert.match(out, new RegExp(`: ${v.expected.outcome} \\(`))
    assert.equal(await page.getAttribute('#verdict', 'data-outcome'), v.expected.outcome)
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true })
  }
})
