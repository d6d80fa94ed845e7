// The verify worker's second thread (node/web/worker.js): digests the stored artifacts it is
// handed (entry.js) while the verify worker digests the others, as the native CLI hashes on two
// threads. Its first message is the compiled wasm module (for the CRC-32), then {id, bundle, entry}
// messages, taken one at a time so that one entry at a time is in memory here.
import init, { crc32Update } from './pkg/clyra_wasm.js'

import { digestEntry } from './entry.js'

let queue = Promise.resolve()

async function handle(data) {
  if (data.module) {
    await init({ module_or_path: data.module })
    self.postMessage({ ready: true })
    return
  }
  try {
    self.postMessage({ id: data.id, digest: await digestEntry(data.bundle, data.entry, crc32Update) })
  } catch (error) {
    self.postMessage({ id: data.id, error: String(error) })
  }
}

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data))
}
