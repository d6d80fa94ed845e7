// The verify page: reads the chosen files' texts, hands the bundle File to the worker (which
// reads it in slices through wasm) and shows what `clyra verify` prints.
const $ = (id) => document.getElementById(id)
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })
let pending = null

worker.onmessage = ({ data }) => {
  if (data.ready) {
    $('version').textContent = `clyra-core ${data.version} (WebAssembly)`
    $('verify').disabled = false
    document.body.dataset.state = 'ready'
    return
  }
  if (pending) pending(data)
}

function now() {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

/** A file's text exactly as written: Blob.text() drops a leading byte-order mark, which
 * policy-v1.md §1.3 requires a verifier to see (and refuse), as `clyra verify` does. */
async function exactText(file) {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer())
}

/** A failure as `clyra` reports it: human on stderr, one JSON line on stdout. */
function failureText(format, error) {
  if (format === 'json') {
    const out = { code: error.code }
    if (error.detail) out.detail = error.detail
    out.message = error.message
    if (error.path) out.path = error.path
    return JSON.stringify({ errors: [out] }) + '\n'
  }
  const where = error.path ? `${error.path}: ` : ''
  const code = error.detail ? `${error.code}, ${error.detail}` : error.code
  return `error: ${where}${error.message} (${code})\n`
}

/** Whether a JSON file is an attestation: a DSSE envelope of an in-toto statement. */
async function isAttestation(file) {
  try {
    return /in-toto/.test(JSON.parse(await file.slice(0, 1 << 20).text()).payloadType || '')
  } catch {
    return false
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const bundle = $('bundle').files[0]
  const trust = $('trust').files[0]
  const policy = $('policy').files[0]
  if (!bundle || !trust) return
  document.body.dataset.state = 'running'
  $('verify').disabled = true
  const format = $('format').value
  const json = /\.json$/i.test(bundle.name)
  const attest = json && await isAttestation(bundle)
  const request = {
    bundle,
    receipt: json && !attest,
    attest,
    call: {
      trust: await exactText(trust), trust_name: trust.name, at: $('at').value || now(),
      format, name: bundle.name,
    },
  }
  if (attest) {
    // attestation-v0.md §6: the covered bundles are read in slices like a bundle.
    request.bundles = [...$('covered').files]
    Object.assign(request.call, { bundles: request.bundles.map((f) => f.name) })
    if (policy) Object.assign(request.call, { policies: [await exactText(policy)], policy_names: [policy.name] })
  } else if (!request.receipt) {
    request.call.auditor = $('auditor').checked
    if (policy) Object.assign(request.call, { policy: await exactText(policy), policy_name: policy.name })
    // trust-v0.md rule 5a: a ledger receipt cosigned by a trusted witness.
    const proof = $('ledger-proof').files[0]
    if (proof) request.call.ledger_proof = await exactText(proof)
  }
  const answer = await new Promise((resolve) => { pending = resolve; worker.postMessage(request) })
  pending = null
  const parsed = JSON.parse(answer.answer)
  let outcome, text, exit
  if (parsed.type === 'success') {
    ({ text, exit } = parsed.result)
    outcome = format === 'json' ? JSON.parse(text).outcome : text.split('\n')[0].match(/: ([A-Z_]+) \(/)[1]
  } else {
    outcome = 'ERROR'
    exit = 4
    text = failureText(format, parsed.errors[0])
  }
  $('verdict').textContent = outcome === 'ERROR' ? 'could not verify (exit 4)' : `${outcome} (exit ${exit})`
  $('verdict').dataset.outcome = outcome
  $('output').textContent = text
  $('result').hidden = false
  $('result').dataset.exit = String(exit)
  // The wasm module's memory after verifying: a large bundle is read in slices, never copied whole.
  $('result').dataset.wasmMemory = String(answer.memory)
  // How many stored artifacts the browser's SHA-256 (WebCrypto) hashed; the others were in wasm.
  $('result').dataset.webcrypto = String(answer.webcrypto || 0)
  $('verify').disabled = false
  document.body.dataset.state = 'done'
})
