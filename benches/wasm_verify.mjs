// Bench helper (benches/hosts_scale.sh): one verification in the verify page's worker (wasm in
// headless Chromium, through tests/conformance/adapters/wasm_driver.mjs). The browser start is
// not timed; the verification is (the File chosen, read in slices, verdict back). Prints
// `SECONDS OUTCOME WASM_MEMORY_BYTES`. With --wasm-only the page hashes every artifact in wasm
// (its path without WebCrypto).
import { startDriver } from '../tests/conformance/adapters/wasm_driver.mjs'

const args = process.argv.slice(2)
const wasmOnly = args[0] === '--wasm-only'
const [bundle, trust, at] = wasmOnly ? args.slice(1) : args
const driver = await startDriver({ wasmOnly })
try {
  const started = process.hrtime.bigint()
  const answer = await driver.run(['verify', bundle, '--trust', trust, '--at', at])
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(`${seconds.toFixed(2)} ${JSON.parse(answer.stdout).outcome} ${answer.memory}`)
} finally {
  await driver.close()
}
