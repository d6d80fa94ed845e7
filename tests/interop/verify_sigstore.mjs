// Verifies a `clyra export --sigstore` bundle offline with npm @sigstore/verify (spec/dsse.md §9).
//
//   node tests/interop/verify_sigstore.mjs EXPORT.json PUBKEY.pem [MANIFEST_SHA256_HEX]
//
// Trust material is the one public key, found by the bundle's public-key hint (base64 of SHA-256
// over the key's SPKI DER); no transparency log, CT log or timestamp is required or contacted.
// @sigstore/verify checks only the DSSE signature, so this script also checks the payloadType and
// the in-toto Statement's subject (manifest.json, and its digest when MANIFEST_SHA256_HEX is given).
// Exit 0: verified; 1: rejected; 2: usage or unreadable input.
// Needs `npm ci --prefix tests/interop` (package.json pins @sigstore/verify 3.1.1 exactly).
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { assertBundleLatest, bundleFromJSON, BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';
import { toSignedEntity, Verifier } from '@sigstore/verify';

const IN_TOTO = 'application/vnd.in-toto+json';
const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

function reject(message) {
  console.error(`REJECTED: ${message}`);
  process.exit(1);
}

const [exportPath, pemPath, manifestSha256] = process.argv.slice(2);
if (!exportPath || !pemPath) {
  console.error('usage: node verify_sigstore.mjs EXPORT.json PUBKEY.pem [MANIFEST_SHA256_HEX]');
  process.exit(2);
}
let json;
let key;
try {
  json = JSON.parse(readFileSync(exportPath, 'utf8'));
  key = createPublicKey(readFileSync(pemPath, 'utf8'));
} catch (err) {
  console.error(`error: ${err.message}`);
  process.exit(2);
}
const hint = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64');

let payloadType;
let payload;
try {
  if (json.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    reject(`mediaType ${JSON.stringify(json.mediaType)} is not ${BUNDLE_V03_MEDIA_TYPE}`);
  }
  const bundle = bundleFromJSON(json);
  assertBundleLatest(bundle);
  const trust = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    // The only trusted key: looked up by its hint, valid at any time (no timestamps are used).
    publicKey: (wanted) => {
      if (wanted !== hint) {
        throw new Error(`public-key hint ${wanted} is not the given key's ${hint}`);
      }
      return { publicKey: key, validFor: () => true };
    },
  };
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));
  payloadType = bundle.content.dsseEnvelope.payloadType;
  payload = bundle.content.dsseEnvelope.payload;
} catch (err) {
  reject(`@sigstore/verify: ${err.code ?? err.name}: ${err.message}`);
}

// What @sigstore/verify does not check.
if (payloadType !== IN_TOTO) {
  reject(`payloadType ${JSON.stringify(payloadType)} is not ${IN_TOTO}`);
}
let statement;
try {
  statement = JSON.parse(Buffer.from(payload).toString('utf8'));
} catch (err) {
  reject(`payload is not JSON: ${err.message}`);
}
if (statement._type !== STATEMENT_V1) {
  reject(`_type ${JSON.stringify(statement._type)} is not ${STATEMENT_V1}`);
}
const subject = statement.subject;
if (!Array.isArray(subject) || subject.length !== 1) {
  reject('the subject is not exactly one entry');
}
const [only] = subject;
const digest = only?.digest?.sha256;
if (only?.name !== 'manifest.json' || typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) {
  reject(`subject ${JSON.stringify(only)} is not manifest.json with a sha256 digest`);
}
if (manifestSha256 !== undefined && digest !== manifestSha256) {
  reject(`subject digest ${digest} is not the manifest's ${manifestSha256}`);
}
console.log(`VERIFIED: ${statement.predicateType} over manifest.json sha256:${digest}`);
