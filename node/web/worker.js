// The verifier worker: loads the wasm module from bytes inlined in a script (the page may not
// fetch: connect-src 'none') and verifies Files in slices (FileReaderSync exists only here).
import init, { receiptVerifyPrinted, verifyPrinted, version } from './pkg/clyra_wasm.js'
import { wasmBase64 } from './pkg/clyra_wasm_bytes.js'

const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0))
await init({ module_or_path: bytes })
self.postMessage({ ready: true, version: version() })

self.onmessage = async ({ data }) => {
  const call = JSON.stringify(data.call)
  const answer = data.receipt
    ? receiptVerifyPrinted(call, new Uint8Array(await data.bundle.arrayBuffer()))
    : verifyPrinted(call, data.bundle)
  self.postMessage({ answer })
}
