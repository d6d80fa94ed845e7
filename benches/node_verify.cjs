'use strict'
// Bench helper (benches/hosts_scale.sh): one verification through the Node SDK
// (node/index.js, clyra.verify(path, trust, {at}) on the napi addon's AsyncTask), as a whole
// process like the CLI it is compared with. A CommonJS script, as `require('clyra-verify')` is
// used: an ES module entry point adds Node's ESM loader (~5 ms) to the process, not the SDK's work.
// Prints the outcome and the seconds of the verify call alone (inside the process); exits with
// the verdict's code.
const fs = require('node:fs')

const clyra = require('../node/index.js')
const [bundle, trust, at] = process.argv.slice(2)
const start = process.hrtime.bigint()
clyra.verify(bundle, fs.readFileSync(trust), { at }).then((verdict) => {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(`${verdict.outcome} ${seconds.toFixed(3)}`)
  process.exitCode = verdict.exit
})
