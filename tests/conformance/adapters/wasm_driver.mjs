// The browser side of the `wasm` conformance adapter (conformance.md §6): one headless Chromium
// (Debian's /usr/bin/chromium through playwright-core, as node/web/test does) opens the verify
// page of node/web and verifies each vector in the page's worker (node/web/worker.js: the wasm
// build reading the chosen File in 1 MiB slices). Launched once per conformance run:
//
//   node wasm_driver.mjs --socket PATH   serve adapter calls on a Unix socket; prints `ready`
//
// Each call is one JSON line {argv} (the adapter's arguments); the answer is one JSON line
// {stdout, exit}: what the adapter prints and its exit code. Needs `npm run build:web` in node/.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { attestArgs, options } from './args.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const pkg = path.resolve(here, '..', '..', '..', 'node')
const require = createRequire(path.join(pkg, 'package.json'))
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
// The flags this machine needs (as node/web/test/page.test.mjs): no background traffic.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** The §6.6 answer of a failure before a verdict. */
function failure(code, detail) {
  const answer = { outcome: 'ERROR', primary: code, exit: 4, checks: [] }
  if (detail) answer.detail = detail
  return { stdout: JSON.stringify(answer) + '\n', exit: 4 }
}

/** A file's text as the page reads it (node/web/page.js `exactText`: a BOM is kept). */
function exactText(file) {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(fs.readFileSync(file))
}

/** Starts the page server and the browser; `run(argv)` verifies one vector in the page. With
 * `wasmOnly`, bundles are hashed by the wasm verifier alone, never WebCrypto (node/web/worker.js). */
export async function startDriver({ wasmOnly = false } = {}) {
  const { chromium } = require('playwright-core')
  const { createServer } = await import(pathToFileURL(path.join(pkg, 'web', 'serve.mjs')).href)
  if (!fs.existsSync(path.join(pkg, 'web', 'pkg', 'clyra_wasm_bytes.js'))) {
    throw new Error('node/web/pkg is missing: build the page first (cd node && npm run build:web)')
  }
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${server.address().port}`
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
  const page = await browser.newPage()
  const requests = []
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(origin + '/')
  await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 })
  const loaded = requests.length

  /** Posts the chosen File with `call` to a worker of the page's own worker.js. */
  async function inWorker(kind, call) {
    return page.evaluate(async ({ kind, call, wasmOnly }) => {
      if (!window.conformanceWorker) {
        const worker = new Worker(new URL('./worker.js', location.href), { type: 'module' })
        await new Promise((resolve) => { worker.onmessage = ({ data }) => data.ready && resolve() })
        window.conformanceWorker = worker
      }
      const worker = window.conformanceWorker
      const bundle = document.getElementById('bundle').files[0]
      const bundles = kind === 'attest' ? [...document.getElementById('covered').files] : []
      return new Promise((resolve) => {
        worker.onmessage = ({ data }) => resolve(data)
        worker.postMessage({ bundle, bundles, call, wasmOnly, receipt: kind === 'receipt', badge: kind === 'badge', ledger: kind === 'ledger', attest: kind === 'attest' })
      })
    }, { kind, call, wasmOnly })
  }

  /** attest-verify ATTESTATION BUNDLE… --trust T --at TIME [--policy P]… (attestation-v0.md §6):
   * the attestation as the chosen File, the bundles it covers as the page's `covered` Files. */
  async function attest(args) {
    const a = attestArgs(args)
    if (!a) return failure('cli.usage')
    const { attestation: file, bundles, policies, trust, at } = a
    let call
    try {
      call = { trust: exactText(trust), trust_name: path.basename(trust), at,
        policies: policies.map(exactText), policy_names: policies.map((p) => path.basename(p)), bundles }
      for (const f of [file, ...bundles]) fs.accessSync(f, fs.constants.R_OK)
    } catch {
      return failure('cli.io')
    }
    await page.setInputFiles('#bundle', file)
    await page.setInputFiles('#covered', bundles)
    const { answer, memory } = await inWorker('attest', call)
    await page.setInputFiles('#covered', [])
    const parsed = JSON.parse(answer)
    if (parsed.type !== 'success') return { ...failure(parsed.errors[0].code, parsed.errors[0].detail), memory }
    return { stdout: JSON.stringify(parsed.result) + '\n', exit: parsed.result.exit, memory }
  }

  async function run([cmd, file, ...rest]) {
    if (cmd === 'attest-verify') return attest(file === undefined ? [] : [file, ...rest])
    const kinds = { verify: 'bundle', 'receipt-verify': 'receipt', 'badge-verify': 'badge', 'ledger-verify': 'ledger' }
    const kind = kinds[cmd]
    if (!kind) return { stdout: JSON.stringify({ ok: false, code: 'cli.usage', offset: 0 }) + '\n', exit: 4 }
    const opts = file === undefined ? null : options(rest)
    if (!opts || (kind === 'ledger' ? !opts.key : !opts.trust || !opts.at)) return failure('cli.usage')
    let call
    try {
      call = kind === 'ledger'
        ? { key: exactText(opts.key) }
        : kind === 'badge'
        ? { trust: exactText(opts.trust), at: opts.at }
        : { trust: exactText(opts.trust), trust_name: path.basename(opts.trust), at: opts.at, format: 'json', name: path.basename(file) }
      if (kind === 'bundle') {
        call.auditor = false
        if (opts.policy !== undefined) Object.assign(call, { policy: exactText(opts.policy), policy_name: path.basename(opts.policy) })
        // A witnessed vector's receipt (conformance.md §2.9, §6.4).
        if (opts['ledger-proof'] !== undefined) call.ledger_proof = exactText(opts['ledger-proof'])
      }
      fs.accessSync(file, fs.constants.R_OK)
    } catch {
      return failure('cli.io')
    }
    await page.setInputFiles('#bundle', file)
    const { answer, memory } = await inWorker(kind, call)
    const parsed = JSON.parse(answer)
    if (parsed.type !== 'success') return { ...failure(parsed.errors[0].code, parsed.errors[0].detail), memory }
    if (kind === 'badge' || kind === 'ledger') return { stdout: JSON.stringify(parsed.result) + '\n', exit: parsed.result.exit, memory }
    return { stdout: parsed.result.text, exit: parsed.result.exit, memory }
  }

  async function close() {
    await browser.close()
    server.close()
  }
  /** Requests past the page's own load, less the conformance worker's own modules (worker.js and
   * what it imports from pkg/): verification must add none (connect-src 'none'). */
  const own = new Set(['/worker.js', '/digest.js', '/entry.js', '/pkg/clyra_wasm.js', '/pkg/clyra_wasm_bytes.js'].map((p) => origin + p))
  const leaked = () => requests.slice(loaded).filter((u) => !own.has(u))
  return { run, close, leaked }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--socket')
  const socket = at > 0 ? process.argv[at + 1] : null
  if (!socket) {
    process.stderr.write('usage: node wasm_driver.mjs --socket PATH\n')
    process.exit(4)
  }
  const driver = await startDriver()
  let queue = Promise.resolve()
  const server = net.createServer((conn) => {
    let buffered = ''
    conn.on('data', (chunk) => {
      buffered += chunk
      const nl = buffered.indexOf('\n')
      if (nl < 0) return
      const { argv } = JSON.parse(buffered.slice(0, nl))
      queue = queue.then(() => driver.run(argv)).then(
        (answer) => conn.end(JSON.stringify(answer) + '\n'),
        (e) => conn.end(JSON.stringify({ stdout: '', exit: 4, stderr: String(e && e.stack) }) + '\n'))
    })
  })
  fs.rmSync(socket, { force: true })
  server.listen(socket, () => process.stdout.write('ready\n'))
  const stop = async () => {
    server.close()
    const leaked = driver.leaked()
    await driver.close()
    fs.rmSync(socket, { force: true })
    if (leaked.length) {
      process.stderr.write(`wasm driver: requests left the page: ${leaked.join(' ')}\n`)
      process.exit(1)
    }
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.stdin.on('end', stop)
  process.stdin.resume()
}
