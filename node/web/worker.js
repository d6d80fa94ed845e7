// The verifier worker: loads the wasm module from bytes inlined in a script (the page may not
// fetch: connect-src 'none') and verifies Files in slices (FileReaderSync exists only here).
// Each answer carries the module's memory size, so a test can prove a large bundle was never
// copied whole into wasm memory.
import init, { attestVerify, badgeVerify, crc32Update, ledgerProofVerify, receiptVerifyPrinted, storedArtifacts, verifyPrinted, version } from './pkg/clyra_wasm.js'
import { wasmBase64 } from './pkg/clyra_wasm_bytes.js'

// The largest stored artifact hashed with the browser's SHA-256 (issue 13). WebCrypto has no
// streaming digest: the entry is read whole into JS memory and WebCrypto copies it, and one
// digest runs while the next entry is read, so the page holds up to about 4 such entries (256 MiB
// at this cap) outside wasm memory. Larger entries, deflated ones and every entry when
// crypto.subtle is missing go through the wasm verifier's own streaming SHA-256 (8 MiB windows).
const WEBCRYPTO_MAX = 64 << 20
// The piece of an entry copied into wasm memory at a time for its CRC-32.
const CRC_PIECE = 8 << 20

const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0))
const wasm = await init({ module_or_path: bytes })
const sha256Worker = await startSha256Worker()
self.postMessage({ ready: true, version: version() })

/**
 * The second thread of WebCrypto digests (digest.js), started and loaded before the worker says
 * it is ready (nothing is fetched while verifying); null without WebCrypto or nested workers
 * (digests then run on this thread).
 */
async function startSha256Worker() {
  if (!self.crypto?.subtle || typeof Worker !== 'function') return null
  try {
    const helper = new Worker(new URL('./digest.js', import.meta.url))
    await new Promise((resolve, reject) => {
      helper.onmessage = ({ data }) => data.ready && resolve()
      helper.onerror = reject
    })
    const waiting = new Map()
    helper.onmessage = ({ data }) => {
      const answer = waiting.get(data.id)
      waiting.delete(data.id)
      if (data.error) answer.reject(new Error(data.error))
      else answer.resolve(data.sha256)
    }
    let next = 0
    return {
      /** The SHA-256 of `data`, which is handed over (detached here). */
      digest(data) {
        const id = next++
        return new Promise((resolve, reject) => {
          waiting.set(id, { resolve, reject })
          helper.postMessage({ id, bytes: data }, [data])
        })
      },
    }
  } catch {
    return null
  }
}

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * The `artifact_digests` of a verify call (ffi::verifier::PrintCall): for each stored artifact of
 * `bundle` up to WEBCRYPTO_MAX bytes, its SHA-256 from WebCrypto (BoringSSL, off this thread) and
 * the CRC-32 and length of the same bytes from wasm, which the core checks against the entry
 * (bundle-v0 §2.4.3 item 8). Any failure leaves the rest to the wasm path: the verdict is the same.
 */
async function artifactDigests(bundle) {
  if (!self.crypto?.subtle) return []
  const digests = []
  let waiting = null
  try {
    const reader = new FileReaderSync()
    for (const entry of JSON.parse(storedArtifacts(bundle)).result.entries) {
      if (entry.size > WEBCRYPTO_MAX) continue
      const data = reader.readAsArrayBuffer(bundle.slice(entry.offset, entry.offset + entry.size))
      let crc32 = 0
      for (let at = 0; at < data.byteLength; at += CRC_PIECE) {
        crc32 = crc32Update(crc32, new Uint8Array(data, at, Math.min(CRC_PIECE, data.byteLength - at)))
      }
      const read = data.byteLength
      const sha256 = sha256Worker ? sha256Worker.digest(data) : crypto.subtle.digest('SHA-256', data)
      if (waiting) digests.push(await waiting)
      waiting = sha256.then((d) => ({ name: entry.name, offset: entry.offset, read, crc32, sha256: hex(d) }))
    }
    if (waiting) digests.push(await waiting)
  } catch {
    // A digest that failed is taken by the wasm path; the ones before it still count.
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
