// The Content-Security-Policy of the verify page, one place for the server and the test:
// nothing may leave the page (connect-src 'none'); scripts, the worker and styles come from the
// page's own origin; WebAssembly may compile ('wasm-unsafe-eval').
export const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')
