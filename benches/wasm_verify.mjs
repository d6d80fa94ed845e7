// Bench helper (benches/hosts_scale.sh): verification in the verify page's worker (wasm in
// headless Chromium, through tests/conformance/adapters/wasm_driver.mjs). The browser start is
// not timed; each verification is (the File chosen, read in slices, verdict back).
//
//   node wasm_verify.mjs [--wasm-only] BUNDLE TRUST AT [RUNS]
//
// prints `SECONDS OUTCOME WASM_MEMORY_BYTES`, the best of RUNS (default 1) in one browser. With
// --wasm-only the page hashes every artifact in wasm (its path without WebCrypto).
import { startDriver } from '../tests/conformance/adapters/wasm_driver.mjs'

const args = process.argv.slice(2)
const wasmOnly = args[0] === '--wasm-only'
const [bundle, trust, at, runs = '1'] = wasmOnly ? args.slice(1) : args
const driver = await startDriver({ wasmOnly })
try {
  let best = null
  for (let i = 0; i < Number(runs); i++) {
    const started = process.hrtime.bigint()
    const answer = await driver.run(['verify', bundle, '--trust', trust, '--at', at])
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const outcome = JSON.parse(answer.stdout).outcome
    if (!best || seconds < best.seconds || outcome !== 'VALID') best = { seconds, outcome, memory: answer.memory }
    if (outcome !== 'VALID') break
  }
  console.log(`${best.seconds.toFixed(3)} ${best.outcome} ${best.memory}`)
} finally {
  await driver.close()
}
