// The verifier worker: loads the wasm module from bytes inlined in a script (the page may not
// fetch: connect-src 'none') and verifies Files in slices (FileReaderSync exists only here), with
// a second worker (digest.js) that digests stored artifacts beside it.
// Each answer carries the module's memory size, so a test can prove a large bundle was never
// copied whole into wasm memory.
import init, { attestVerify, badgeVerify, crc32Update, ledgerProofVerify, receiptVerifyPrinted, storedArtifacts, verifyPrinted, version } from './pkg/clyra_wasm.js'
import { wasmBase64 } from './pkg/clyra_wasm_bytes.js'

import { digestEntry } from './entry.js'

// The largest stored artifact hashed with the browser's SHA-256 (issue 13). WebCrypto has no
// streaming digest: the entry is read whole into JS memory and WebCrypto copies it, on each of the
// two threads, so the page holds up to about 4 such entries (256 MiB at this cap) outside wasm
// memory. Larger entries, deflated ones and every entry when crypto.subtle is missing go through
// the wasm verifier's own streaming SHA-256 (8 MiB windows).
const WEBCRYPTO_MAX = 64 << 20

const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0))
const module = await WebAssembly.compile(bytes)
const wasm = await init({ module_or_path: module })
const helper = await startHelper()
self.postMessage({ ready: true, version: version() })

/**
 * The second thread (digest.js), started and loaded before the worker says it is ready (nothing is
 * fetched while verifying); null without WebCrypto or nested workers (this thread does it all).
 */
async function startHelper() {
  if (!self.crypto?.subtle || typeof Worker !== 'function') return null
  try {
    const worker = new Worker(new URL('./digest.js', import.meta.url), { type: 'module' })
    await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => data.ready && resolve()
      worker.onerror = reject
      worker.postMessage({ module })
    })
    const waiting = new Map()
    worker.onmessage = ({ data }) => {
      const answer = waiting.get(data.id)
      waiting.delete(data.id)
      if (data.error) answer.reject(new Error(data.error))
      else answer.resolve(data.digest)
    }
    let next = 0
    return (bundle, entry) => new Promise((resolve, reject) => {
      const id = next++
      waiting.set(id, { resolve, reject })
      worker.postMessage({ id, bundle, entry })
    })
  } catch {
    return null
  }
}

/**
 * The `artifact_digests` of a verify call (ffi::verifier::PrintCall): each stored artifact of
 * `bundle` up to WEBCRYPTO_MAX bytes digested (entry.js) on this thread or the helper's. Any
 * failure leaves the entries without a digest to the wasm path: the verdict is the same.
 */
async function artifactDigests(bundle) {
  if (!self.crypto?.subtle) return []
  const entries = JSON.parse(storedArtifacts(bundle)).result.entries.filter((e) => e.size <= WEBCRYPTO_MAX)
  // Split by size, largest first to the less loaded thread (as the CLI's ParallelHasher): this
  // thread works through its share without yielding, so the helper gets all of its share at once.
  const mine = []
  const theirs = []
  let load = 0
  for (const entry of [...entries].sort((a, b) => b.size - a.size)) {
    if (helper && load <= 0) {
      theirs.push(entry)
      load += entry.size
    } else {
      mine.push(entry)
      load -= entry.size
    }
  }
  const digests = []
  try {
    await Promise.all([
      ...theirs.map(async (entry) => digests.push(await helper(bundle, entry))),
      (async () => {
        for (const entry of mine) digests.push(await digestEntry(bundle, entry, crc32Update))
      })(),
    ])
  } catch {
    // Entries left without a digest are read by the wasm path.
  }
  return digests
}

self.onmessage = async ({ data }) => {
  let answer, digests = []
  if (data.attest) answer = attestVerify(JSON.stringify(data.call), new Uint8Array(await data.bundle.arrayBuffer()), data.bundles || [])
  else if (data.badge) answer = badgeVerify(JSON.stringify(data.call), new Uint8Array(await data.bundle.arrayBuffer()))
  else if (data.ledger) answer = ledgerProofVerify(JSON.stringify(data.call), new Uint8Array(await data.bundle.arrayBuffer()))
  else if (data.receipt) answer = receiptVerifyPrinted(JSON.stringify(data.call), new Uint8Array(await data.bundle.arrayBuffer()))
  else {
    // `wasmOnly` (tests, benches): the wasm SHA-256 for every entry, as without WebCrypto.
    if (!data.wasmOnly) digests = await artifactDigests(data.bundle)
    answer = verifyPrinted(JSON.stringify({ ...data.call, artifact_digests: digests }), data.bundle)
  }
  // `webcrypto`: how many artifacts WebCrypto hashed (tests prove the path is taken).
  self.postMessage({ answer, memory: wasm.memory.buffer.byteLength, webcrypto: digests.length })
}
