// Conformance adapter body for the browser host (see `wasm` beside this file): hands its
// arguments to the long-lived page driver (wasm_driver.mjs) named by CLYRA_WASM_DRIVER (a Unix
// socket; run.py starts one per run), or, without one, starts the browser for this one call.
import net from 'node:net'

import { startDriver } from './wasm_driver.mjs'

async function viaSocket(socket, argv) {
  return new Promise((resolve, reject) => {
    let text = ''
    const conn = net.createConnection(socket, () => conn.write(JSON.stringify({ argv }) + '\n'))
    conn.on('data', (chunk) => { text += chunk })
    conn.on('end', () => resolve(JSON.parse(text)))
    conn.on('error', reject)
  })
}

async function once(argv) {
  const driver = await startDriver()
  try {
    return await driver.run(argv)
  } finally {
    await driver.close()
  }
}

const argv = process.argv.slice(2)
const socket = process.env.CLYRA_WASM_DRIVER
const answer = socket ? await viaSocket(socket, argv) : await once(argv)
if (answer.stderr) process.stderr.write(answer.stderr + '\n')
process.stdout.write(answer.stdout)
process.exitCode = answer.exit
