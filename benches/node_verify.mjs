// Bench helper (benches/hosts_scale.sh): one verification through the Node SDK
// (node/index.js, clyra.verify(path, trust, {at}) on the napi addon's AsyncTask), as a whole
// process like the CLI it is compared with. Prints the outcome; exits with the verdict's code.
import fs from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const clyra = require('../node/index.js')
const [bundle, trust, at] = process.argv.slice(2)
const verdict = await clyra.verify(bundle, fs.readFileSync(trust), { at })
console.log(verdict.outcome)
process.exitCode = verdict.exit
