// One stored artifact's digests for the verify call's `artifact_digests` (ffi::verifier::PrintCall,
// checked by the core as verify::HostDigests): shared by the verify worker (worker.js) and its
// second thread (digest.js), each with its own instance of the wasm module.

// The piece of an entry copied into wasm memory at a time for its CRC-32.
const CRC_PIECE = 8 << 20

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * Reads `entry` ({name, offset, size} of ffi::verifier::stored_artifacts) of `bundle` whole, takes
 * its CRC-32 in wasm (`crc32Update`) and its SHA-256 with WebCrypto (BoringSSL: the CPU's SHA
 * extensions; Chromium digests on the calling thread). The HostDigest the core checks.
 */
export async function digestEntry(bundle, entry, crc32Update) {
  const data = new FileReaderSync().readAsArrayBuffer(bundle.slice(entry.offset, entry.offset + entry.size))
  let crc32 = 0
  for (let at = 0; at < data.byteLength; at += CRC_PIECE) {
    crc32 = crc32Update(crc32, new Uint8Array(data, at, Math.min(CRC_PIECE, data.byteLength - at)))
  }
  const sha256 = hex(await crypto.subtle.digest('SHA-256', data))
  return { name: entry.name, offset: entry.offset, read: data.byteLength, crc32, sha256 }
}
