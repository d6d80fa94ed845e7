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
