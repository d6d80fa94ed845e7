// The published shape: `npm pack` the package and its linux-x64-gnu platform package (made by
// `napi create-npm-dirs`, as at release), install both tarballs into an empty folder, run
// `npx clyra-verify` on a golden vector. Needs the addon built (npm run build:debug or build).
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

import { pkg, vectors } from './helpers.mjs'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'
const quiet = { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }

test('npm pack, install into an empty folder, npx clyra-verify', { timeout: 180_000 }, () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'))
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-stage-'))
  for (const file of manifest.files) {
    fs.cpSync(path.join(pkg, file), path.join(stage, file), { recursive: true })
  }
  // What `napi pre-publish` does to the root package at release: one optional dependency per
  // platform package, at the same version.
  const platform = `${manifest.name}-linux-x64-gnu`
  manifest.optionalDependencies = { [platform]: manifest.version }
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2))
  execFileSync(npx, ['napi', 'create-npm-dirs', '--cwd', stage], { ...quiet, cwd: pkg })
  const platformDir = path.join(stage, 'npm', 'linux-x64-gnu')
  fs.copyFileSync(path.join(pkg, 'clyra.linux-x64-gnu.node'), path.join(platformDir, 'clyra.linux-x64-gnu.node'))

  const main = execFileSync(npm, ['pack', '--silent'], { ...quiet, cwd: stage }).trim().split('\n').pop()
  const native = execFileSync(npm, ['pack', '--silent'], { ...quiet, cwd: platformDir }).trim().split('\n').pop()
  const listing = execFileSync('tar', ['tzf', path.join(stage, main)], quiet)
  assert.match(listing, /package\/bin\/clyra-verify\.js/)
  assert.match(listing, /package\/index\.d\.ts/)
  assert.doesNotMatch(listing, /\.node\n/, 'the root package carries no addon')

  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'clyra-npx-'))
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts',
    path.join(stage, main), path.join(platformDir, native)], { ...quiet, cwd: empty })
  const v = vectors().find((v) => v.name.endsWith('-def-minimal'))
  const r = spawnSync(npx, ['--no-install', 'clyra-verify', v.bundle, '--trust', v.trust, '--at', v.args.at, '--format', 'json'],
    { ...quiet, cwd: empty })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(JSON.parse(r.stdout).outcome, 'VALID')
  const bad = spawnSync(npx, ['--no-install', 'clyra-verify', v.trust, '--trust', v.trust, '--at', v.args.at],
    { ...quiet, cwd: empty })
  assert.equal(bad.status, 1)
  assert.match(bad.stdout, /INVALID \(zip\./)
  fs.rmSync(stage, { recursive: true, force: true })
  fs.rmSync(empty, { recursive: true, force: true })
})
