// Serves the verify page (node/web) on loopback with its Content-Security-Policy:
// `node web/serve.mjs [PORT]`, then open http://127.0.0.1:PORT/. Build it first: npm run build:web.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { CSP } from './csp.mjs'

const root = path.dirname(fileURLToPath(import.meta.url))
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' }

/** An HTTP server for the page's files only, every response with the CSP. */
export function createServer() {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost')
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1))
    const file = path.resolve(root, rel)
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Security-Policy': CSP })
      res.end('not found')
      return
    }
    res.writeHead(200, {
      'Content-Type': types[path.extname(file)] || 'application/octet-stream',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
    })
    fs.createReadStream(file).pipe(res)
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] || 8080)
  createServer().listen(port, '127.0.0.1', () => console.log(`verify page: http://127.0.0.1:${port}/`))
}
