// Conformance adapter body for the Node host (see `node` beside this file): verify and
// receipt-verify, badge-verify, ledger-verify and attest-verify through the public SDK of node/ (clyra-verify), printing the verdict JSON line.
import fs from 'node:fs'
import { createRequire } from 'node:module'

import { attestArgs, options } from './args.mjs'

const require = createRequire(import.meta.url)
const clyra = require('../../../node/index.js')

function print(value) {
  process.stdout.write(JSON.stringify(value) + '\n')
}

function error(code, detail) {
  const answer = { outcome: 'ERROR', primary: code, exit: 4, checks: [] }
  if (detail) answer.detail = detail
  print(answer)
  return 4
}

/** Prints the verdict `run` resolves with (its exit), or the §6.6 error line. */
async function answer(run) {
  try {
    const verdict = await run()
    print(verdict)
    return verdict.exit
  } catch (e) {
    if (e instanceof clyra.ClyraError) return error(e.code, e.detail)
    if (e && e.code && typeof e.code === 'string' && e.syscall) return error('cli.io')
    throw e
  }
}

async function main([cmd, ...args]) {
  if (cmd === 'verify' || cmd === 'receipt-verify') {
    const opts = args.length ? options(args.slice(1)) : null
    if (!opts || !opts.trust || !opts.at) return error('cli.usage')
    try {
      // Trust and policy travel as text, like every host's API; unreadable files are cli.io.
      const trust = fs.readFileSync(opts.trust)
      let verdict
      if (cmd === 'verify') {
        const policy = opts.policy === undefined ? undefined : fs.readFileSync(opts.policy)
        // A witnessed vector's receipt (conformance.md §2.9, §6.4).
        const ledgerProof = opts['ledger-proof'] === undefined ? undefined : fs.readFileSync(opts['ledger-proof'])
        verdict = await clyra.verify(args[0], trust, { at: opts.at, policy, ledgerProof })
      } else {
        // A path: read as the CLI reads it (conformance.md §6.7), bounded by L23.
        verdict = await clyra.verifyReceipt(args[0], trust, { at: opts.at })
      }
      print(verdict)
      return verdict.exit
    } catch (e) {
      if (e instanceof clyra.ClyraError) return error(e.code, e.detail)
      if (e && e.code && typeof e.code === 'string' && e.syscall) return error('cli.io')
      throw e
    }
  }
  if (cmd === 'badge-verify') {
    const opts = args.length ? options(args.slice(1)) : null
    if (!opts || !opts.trust || !opts.at) return error('cli.usage')
    return answer(() => clyra.verifyBadge(args[0], fs.readFileSync(opts.trust), { at: opts.at }))
  }
  if (cmd === 'ledger-verify') {
    // ledger-verify PROOF --key KEYFILE (conformance.md §6.9)
    const opts = args.length ? options(args.slice(1)) : null
    if (!opts || !opts.key) return error('cli.usage')
    return answer(() => clyra.verifyLedgerProof(args[0], opts.key))
  }
  if (cmd === 'attest-verify') {
    const a = attestArgs(args)
    if (!a) return error('cli.usage')
    return answer(() => clyra.verifyAttestation(a.attestation, fs.readFileSync(a.trust),
      { at: a.at, policy: a.policies.map((p) => fs.readFileSync(p)), bundles: a.bundles }))
  }
  if (cmd === 'jcs' && args.length === 1) {
    let bytes
    try {
      bytes = fs.readFileSync(args[0])
    } catch {
      print({ ok: false, code: 'cli.io', offset: 0 })
      return 4
    }
    try {
      const { canonical } = clyra.canonicalize(bytes)
      print({ ok: true, canonical: Buffer.from(canonical, 'utf8').toString('base64') })
      return 0
    } catch (e) {
      if (!(e instanceof clyra.ClyraError)) throw e
      const offset = /byte (\d+)/.exec(e.message)
      print({ ok: false, code: e.code, offset: offset ? Number(offset[1]) : 0 })
      return 1
    }
  }
  process.stderr.write(`clyra (node): ${cmd} not implemented\n`)
  print({ ok: false, code: 'cli.usage', offset: 0 })
  return 4
}

process.exitCode = await main(process.argv.slice(2))
