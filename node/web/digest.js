// The verify worker's second thread (node/web/worker.js): the SHA-256 of each ArrayBuffer it is
// handed, by the browser's WebCrypto. Chromium digests on the calling thread, so the verify worker
// hands each artifact here (transferred, not copied) and reads and CRC-checks the next meanwhile.
self.onmessage = async ({ data: { id, bytes } }) => {
  try {
    self.postMessage({ id, sha256: await crypto.subtle.digest('SHA-256', bytes) })
  } catch (error) {
    self.postMessage({ id, error: String(error) })
  }
}
self.postMessage({ ready: true })
