// Shared by the JavaScript conformance adapters (node, wasm): their command-line options.

/** `--name value` pairs as {name: value}, or null when the pairs are malformed. */
export function options(args) {
  const out = {}
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || args[i + 1] === undefined) return null
    out[args[i].slice(2)] = args[i + 1]
  }
  return out
}

/** attest-verify ATTESTATION BUNDLE… --trust T --at TIME [--policy P]… (attestation-v0.md §6)
 * as {attestation, bundles, policies, trust, at}, or null when the arguments are unusable. */
export function attestArgs(args) {
  const first = args.findIndex((a) => a.startsWith('--'))
  const positional = first < 0 ? args : args.slice(0, first)
  const flags = first < 0 ? [] : args.slice(first)
  const policies = flags.filter((_, i) => i % 2 === 1 && flags[i - 1] === '--policy')
  const opts = options(flags.filter((_, i) => flags[i] !== '--policy' && flags[i - 1] !== '--policy'))
  if (!positional.length || !opts || !opts.trust || !opts.at) return null
  const [attestation, ...bundles] = positional
  return { attestation, bundles, policies, trust: opts.trust, at: opts.at }
}
