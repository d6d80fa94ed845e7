// One DSSE verification in Node, ours beside the peer, in one process (issue 13):
//   node benches/dsse_node.mjs EXPORT.sigstore.json PUBKEY.pem RECEIPT.json TRUST.json AT [N]
// peer: npm @sigstore/verify 3.1.1 (tests/interop's pinned copy) verifying the `clyra export
// --sigstore` bundle (one DSSE envelope, ECDSA/Ed25519 by its public-key hint);
// ours, DSSE only (the peer's work, dsse.md §10): clyra.verifyEnvelopeSync and clyra.verifyEnvelope
// on the *same* envelope (the export's, with its keyid `sha256:<hex of the hint>` restored: the
// bundle's producer envelope), the trust file (the PEM) parsed per call where the peer's key is
// parsed once; and the Node SDK's clyra.verifyReceipt on a receipt (one DSSE envelope over the
// in-toto statement, plus the statement's checks, its Merkle inclusion proof and the trust lookup:
// a superset of the peer's work).
// Prints a table: µs per verification (mean over N, default 2000, after 200 warm-up calls).
import { createHash, createPublicKey } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const interop = createRequire(path.join(root, 'tests', 'interop', 'package.json'))
const load = (name) => import(pathToFileURL(interop.resolve(name)).href)
const { bundleFromJSON } = await load('@sigstore/bundle')
const { toSignedEntity, Verifier } = await load('@sigstore/verify')
const clyra = createRequire(import.meta.url)('../node/index.js')

const [exported, pem, receiptPath, trustPath, at, count] = process.argv.slice(2)
const n = Number(count || 2000)
const key = createPublicKey(fs.readFileSync(pem, 'utf8'))
const hint = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64')
const trust = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [],
  publicKey: (wanted) => { if (wanted !== hint) throw new Error('unknown key'); return { publicKey: key, validFor: () => true } } }
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 })
const entity = toSignedEntity(bundleFromJSON(JSON.parse(fs.readFileSync(exported, 'utf8'))))
const receipt = fs.readFileSync(receiptPath)
const dsse = JSON.parse(fs.readFileSync(exported, 'utf8')).dsseEnvelope
const keyid = 'sha256:' + Buffer.from(hint, 'base64').toString('hex')
// The producer envelope as the bundle holds it (dsse.md §2: canonical member order).
const envelope = Buffer.from(JSON.stringify({ payload: dsse.payload, payloadType: dsse.payloadType,
  signatures: [{ keyid, sig: dsse.signatures[0].sig }] }))
const pemText = fs.readFileSync(pem)
const trustFile = fs.readFileSync(trustPath)

async function mean(fn) {
  for (let i = 0; i < 200; i++) await fn()
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await fn()
  return Number(process.hrtime.bigint() - t) / 1e3 / n
}
const peer = await mean(() => verifier.verify(entity))
const sync = await mean(() => {
  const v = clyra.verifyEnvelopeSync(envelope, pemText, { at })
  if (v.outcome !== 'VALID') throw new Error(`envelope: ${v.outcome} ${v.primary}`)
})
const async_ = await mean(async () => {
  const v = await clyra.verifyEnvelope(envelope, pemText, { at })
  if (v.outcome !== 'VALID') throw new Error(`envelope: ${v.outcome} ${v.primary}`)
})
const ours = await mean(async () => {
  const v = await clyra.verifyReceipt(receipt, trustFile, { at })
  if (v.outcome !== 'VALID') throw new Error(`receipt: ${v.outcome} ${v.primary}`)
})
const row = (a, b, c) => console.log(`${a.padEnd(60)} ${b.padStart(10)} ${c.padStart(8)}`)
row(`one DSSE verification in Node (mean of ${n})`, 'µs', 'ratio')
row('peer: @sigstore/verify Verifier.verify (clyra export --sigstore)', peer.toFixed(1), 'peer')
row('ours: clyra.verifyEnvelopeSync (same envelope, DSSE only)', sync.toFixed(1), (sync / peer).toFixed(2) + 'x')
row('ours: clyra.verifyEnvelope (same, async napi)', async_.toFixed(1), (async_ / peer).toFixed(2) + 'x')
row('ours: clyra.verifyReceipt (DSSE + Merkle proof, async napi)', ours.toFixed(1), (ours / peer).toFixed(2) + 'x')
