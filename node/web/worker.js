// The verifier worker: loads the wasm module from bytes inlined in a script (the page may not
// fetch: connect-src 'none') and verifies Files in slices (FileReaderSync exists only here).
// Each answer carries the module's memory size, so a test can prove a large bundle was never
// copied whole into wasm memory.
import init, { attestVerify, badgeVerify, ledgerProofVerify, receiptVerifyPrinted, verifyPrinted, version } from './pkg/clyra_wasm.js'
import { wasmBase64 } from './pkg/clyra_wasm_bytes.js'

const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0))
const wasm = await init({ module_or_path: bytes })
self.postMessage({ ready: true, version: version() })

self.onmessage = async ({ data }) => {
  const call = JSON.stringify(data.call)
  let answer
  // An attestation: the bundles it covers are Files, each opened by its name (the call's
  // `bundles`) and read in windows like a bundle to verify.
  if (data.attest) {
    const files = new Map(data.files.map((file) => [file.name, file]))
    answer = attestVerify(call, new Uint8Array(await data.bundle.arrayBuffer()), files)
  } else if (data.badge) answer = badgeVerify(call, new Uint8Array(await data.bundle.arrayBuffer()))
  else if (data.ledger) answer = ledgerProofVerify(call, new Uint8Array(await data.bundle.arrayBuffer()))
  else if (data.receipt) answer = receiptVerifyPrinted(call, new Uint8Array(await data.bundle.arrayBuffer()))
  else answer = verifyPrinted(call, data.bundle)
  self.postMessage({ answer, memory: wasm.memory.buffer.byteLength })
}
