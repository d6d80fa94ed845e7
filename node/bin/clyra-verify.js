#!/usr/bin/env node
'use strict'
// clyra-verify: `clyra verify` for Node. Same arguments (--trust, --at, --policy, --auditor,
// --format human|json), same output and exit codes (0 VALID, 1 INVALID, 2 warnings or
// VALID_UNTRUSTED, 3 INDETERMINATE, 4 could not run): the text is rendered by the Rust core
// (clyra_core::ffi::verifier), not here. `clyra-verify receipt RECEIPT.json` is
// `clyra receipt verify`, `clyra-verify ledger check PROOF --key VKEY` is `clyra ledger check`,
// `clyra-verify attest verify ATTESTATION [BUNDLE]... --trust T` is `clyra attest verify`.
// `--ledger-proof PROOF [--ledger-key VKEY]` adds a ledger receipt's checks, as `clyra verify` does.

const { _printed: printed, version } = require('../index.js')

const USAGE = `Verify a Clyra evidence bundle (or receipt) offline and print the verdict

Usage: clyra-verify [OPTIONS] --trust <TRUST> <BUNDLE>
       clyra-verify receipt [OPTIONS] --trust <TRUST> <RECEIPT.json>
       clyra-verify ledger check [OPTIONS] --key <VKEY> <PROOF>
       clyra-verify attest verify [OPTIONS] --trust <TRUST> <ATTESTATION> [BUNDLE]...

Options:
      --trust <TRUST>    Trust file: the keys you trust (trust-v0 JSON, or one public key PEM)
      --at <TIME>        Verification time, e.g. 2026-12-01T00:00:00Z (UTC); default: now
      --policy <POLICY>  Policy the bundle must have been produced under (.clyra/policy.yaml, or its JSON form)
      --auditor          Auditor view: controls, summary, risk breakdown and lineage
      --ledger-proof <PROOF>  A ledger receipt (\`clyra ledger prove BUNDLE\`): adds the check that
                         this bundle is in the ledger at the receipt's checkpoint; cosigned by a
                         witness of the trust file before a producer key's revocation, it keeps
                         that key's signature counted (trust-v0 rule 5a)
      --ledger-key <VKEY>  The ledger's verifier key (text or file), for --ledger-proof (default:
                         the trust file's \`ledger_keys\` entry named as the checkpoint's origin)
      --key <VKEY>       ledger check: the ledger's verifier key (text or file)
      --format <FORMAT>  Output format [default: human] [possible values: human, json]
  -h, --help             Print help
  -V, --version          Print version

Exit codes: 0 VALID, 1 INVALID, 2 VALID with warnings or VALID_UNTRUSTED, 3 INDETERMINATE, 4 could not run
`

class Usage extends Error {}

/** The value names clap shows for flags whose option key is not the upper-cased name. */
const VALUE_NAMES = { '--ledger-proof': 'PROOF', '--ledger-key': 'VKEY', '--key': 'VKEY' }

/** The subcommand the command line starts with: verify (none), receipt, ledger check, attest verify. */
const COMMANDS = [
  { words: ['receipt'], name: 'receipt', operand: 'RECEIPT.json', valued: ['--trust', '--at', '--format'] },
  { words: ['ledger', 'check'], name: 'ledger', operand: 'PROOF', valued: ['--key', '--format'] },
  { words: ['attest', 'verify'], name: 'attest', operand: 'ATTESTATION', many: true, valued: ['--trust', '--at', '--policy', '--format'] },
]

/** The command line as {command, positional, trust, at, policy, key, auditor, format}; throws Usage. */
function parse(argv) {
  const opts = { receipt: false, command: 'verify', positional: [], format: 'human', auditor: false, policies: [] }
  const valued = {
    '--trust': 'trust', '--at': 'at', '--policy': 'policy', '--format': 'format', '--key': 'key',
    '--ledger-proof': 'ledgerProof', '--ledger-key': 'ledgerKey',
  }
  const args = [...argv]
  // --format is read first so that a usage error is reported in the format asked for.
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--format' && args[i + 1] !== undefined) opts.format = args[i + 1]
    else if (args[i].startsWith('--format=')) opts.format = args[i].slice(9)
  }
  if (opts.format !== 'human' && opts.format !== 'json') {
    const bad = opts.format
    opts.format = 'human'
    throw new Usage(`invalid value '${bad}' for '--format <FORMAT>'\n  [possible values: human, json]`)
  }
  const sub = COMMANDS.find((c) => c.words.every((w, i) => args[i] === w))
  const allowed = sub ? sub.valued : ['--trust', '--at', '--policy', '--format', '--ledger-proof', '--ledger-key']
  if (sub) {
    opts.command = sub.name
    opts.receipt = sub.name === 'receipt'
    args.splice(0, sub.words.length)
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') {
      opts.positional.push(...args.slice(i + 1))
      break
    }
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (valued[flag] && allowed.includes(flag)) {
      const value = flag !== arg ? arg.slice(eq + 1) : args[++i]
      if (value === undefined) throw new Usage(`a value is required for '${flag} <${VALUE_NAMES[flag] || valued[flag].toUpperCase()}>' but none was supplied`)
      if (flag === '--policy' && opts.command === 'attest') {
        opts.policies.push(value)
        continue
      }
      if (opts[valued[flag]] !== undefined && flag !== '--format') throw new Usage(`the argument '${flag}' cannot be used multiple times`)
      opts[valued[flag]] = value
    } else if (arg === '--auditor' && opts.command === 'verify') {
      opts.auditor = true
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new Usage(`unexpected argument '${arg}' found`)
    } else {
      opts.positional.push(arg)
    }
  }
  if (opts.positional.length === 0) throw new Usage(`the following required arguments were not provided:\n  <${sub ? sub.operand : 'BUNDLE'}>`)
  if (opts.positional.length > 1 && !(sub && sub.many)) throw new Usage(`unexpected argument '${opts.positional[1]}' found`)
  if (opts.command === 'ledger') {
    if (opts.key === undefined) throw new Usage('the following required arguments were not provided:\n  --key <VKEY>')
  } else if (opts.trust === undefined) throw new Usage('the following required arguments were not provided:\n  --trust <TRUST>')
  // As clap: --ledger-key requires --ledger-proof (a proof alone takes the trust's ledger_keys).
  if (opts.ledgerKey !== undefined && opts.ledgerProof === undefined) {
    throw new Usage('the following required arguments were not provided:\n  --ledger-proof <PROOF>')
  }
  return opts
}

/** Prints a failure the way `clyra` does: human on stderr, one JSON line on stdout. */
function fail(format, error) {
  if (format === 'json') {
    // The members in `clyra`'s order (sorted), so the line is byte for byte the CLI's.
    const out = { code: error.code }
    if (error.detail) out.detail = error.detail
    out.message = error.message
    if (error.path) out.path = error.path
    process.stdout.write(JSON.stringify({ errors: [out] }) + '\n')
  } else {
    const where = error.path ? `${error.path}: ` : ''
    const code = error.detail ? `${error.code}, ${error.detail}` : error.code
    process.stderr.write(`error: ${where}${error.message} (${code})\n`)
  }
  return 4
}

async function main(argv) {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE)
    return 0
  }
  if (argv.includes('-V') || argv.includes('--version')) {
    process.stdout.write(`clyra-verify ${version}\n`)
    return 0
  }
  let opts
  try {
    opts = parse(argv)
  } catch (e) {
    if (!(e instanceof Usage)) throw e
    const format = argv.includes('--format=json') || argv.join(' ').includes('--format json') ? 'json' : 'human'
    if (format === 'json') return fail('json', { code: 'cli.usage', message: e.message.split('\n')[0] })
    const usage = USAGE.split('\n').find((l) => l.startsWith('Usage:'))
    process.stderr.write(`error: ${e.message}\n\n${usage}\n\nFor more information, try '--help'.\n`)
    return 4
  }
  const at = opts.at === undefined ? printed.now() : opts.at
  let answer
  if (opts.command === 'receipt') {
    answer = await printed.receipt({ receipt: opts.positional[0], trust: opts.trust, at, format: opts.format })
  } else if (opts.command === 'ledger') {
    answer = await printed.ledger({ proof: opts.positional[0], key: opts.key, at, format: opts.format })
  } else if (opts.command === 'attest') {
    answer = await printed.attest({
      attestation: opts.positional[0], bundles: opts.positional.slice(1), trust: opts.trust,
      policies: opts.policies, at, format: opts.format,
    })
  } else {
    answer = await printed.verify({
      bundle: opts.positional[0], trust: opts.trust, at, policy: opts.policy,
      auditor: opts.auditor, format: opts.format, ledgerProof: opts.ledgerProof, ledgerKey: opts.ledgerKey,
    })
  }
  const parsed = JSON.parse(answer)
  if (parsed.type !== 'success') return fail(opts.format, parsed.errors[0])
  process.stdout.write(parsed.result.text)
  return parsed.result.exit
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (e) => {
    process.stderr.write(`error: ${e && e.message} (cli.internal)\n`)
    process.exitCode = 4
  },
)
