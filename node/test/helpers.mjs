// Shared by node/test: the golden vectors (vectors/) and how to run the clyra-verify command.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const here = path.dirname(fileURLToPath(import.meta.url))
export const pkg = path.resolve(here, '..')
export const root = path.resolve(pkg, '..')
export const vectorsDir = path.join(root, 'vectors')

/** Every vector folder not superseded in vectors/ERRATA.md, with its args and expectation. */
export function vectors() {
  const errata = fs.existsSync(path.join(vectorsDir, 'ERRATA.md'))
    ? fs.readFileSync(path.join(vectorsDir, 'ERRATA.md'), 'utf8') : ''
  return fs.readdirSync(vectorsDir)
    .filter((d) => /^\d{4}-[a-z0-9-]+$/.test(d))
    .filter((d) => !new RegExp(`^- ${d} superseded by`, 'm').test(errata))
    // Ledger vectors (conformance.md §2.6) are proofs, not bundles: see special('ledger-proof.json').
    .filter((d) => !fs.existsSync(path.join(vectorsDir, d, 'ledger-proof.json')))
    // Badge vectors (conformance.md §2.7) are neither bundles nor receipts: see badges().
    .filter((d) => !fs.existsSync(path.join(vectorsDir, d, 'badge.jws')))
    // Attestation vectors (attestation-v0.md §6): see special('attestation.dsse.json').
    .filter((d) => !fs.existsSync(path.join(vectorsDir, d, 'attestation.dsse.json')))
    .sort()
    .map((name) => {
      const dir = path.join(vectorsDir, name)
      const args = JSON.parse(fs.readFileSync(path.join(dir, 'args.json'), 'utf8'))
      const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'))
      const bundle = path.join(dir, 'bundle.zip')
      return {
        name, dir, args, expected,
        bundle: fs.existsSync(bundle) ? bundle : null,
        receipt: fs.existsSync(bundle) ? null : path.join(dir, 'receipt.json'),
        trust: path.join(dir, 'trust.json'),
        policy: args.policy ? path.join(dir, args.policy) : null,
      }
    })
}

/** Every vector holding `file` (ledger-proof.json, attestation.dsse.json): {name, dir, args, expected}. */
export function special(file) {
  return fs.readdirSync(vectorsDir)
    .filter((d) => fs.existsSync(path.join(vectorsDir, d, file)))
    .sort()
    .map((name) => {
      const dir = path.join(vectorsDir, name)
      return {
        name, dir,
        args: JSON.parse(fs.readFileSync(path.join(dir, 'args.json'), 'utf8')),
        expected: JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')),
      }
    })
}

/** Every badge vector (conformance.md §2.7): {name, dir, args, expected, badge, trust}. */
export function badges() {
  return special('badge.jws').map((v) => ({
    ...v, badge: path.join(v.dir, 'badge.jws'), trust: path.join(v.dir, 'trust.json'),
  }))
}

/** Runs bin/clyra-verify.js with `args`: {status, stdout, stderr}. */
export function cli(args, options = {}) {
  const p = spawnSync(process.execPath, [path.join(pkg, 'bin', 'clyra-verify.js'), ...args],
    { encoding: 'utf8', ...options })
  return { status: p.status, stdout: p.stdout, stderr: p.stderr }
}

/** The Rust CLI `bin` with `rustArgs` and bin/clyra-verify.js with `nodeArgs` (default the same):
 * {rust, node}, each {status, stdout, stderr}, for tests that the two print the same. */
export function bothClis(bin, rustArgs, nodeArgs = rustArgs) {
  const p = spawnSync(bin, rustArgs, { encoding: 'utf8' })
  return { rust: { status: p.status, stdout: p.stdout, stderr: p.stderr }, node: cli(nodeArgs) }
}

/** The Rust CLI, when built (CLYRA_BIN, or the debug build under CARGO_TARGET_DIR or target/). */
export function rustCli() {
  const candidates = [process.env.CLYRA_BIN,
    path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'debug', 'clyra')]
  return candidates.find((c) => c && fs.existsSync(c)) || null
}
