// The test suite on newer Node versions: the same addon binary (built once against Node 20's
// headers, Node-API 8) loaded by Node 22 and Node 24, whose libuv is newer (1.51, 1.52): a check
// that what DESIGN.md promises about "the running Node's libuv" holds beyond the build's version.
//
//   npm run test:node                 Node 22 and 24, the whole suite
//   npm run test:node -- 24           one version
//   npm run test:node -- 22 -- test/tcp.test.ts    vitest arguments after a second `--`
//
// Each Node comes from the npm package node-<platform>-<arch>@<major> (a plain binary, no install
// scripts), installed once into build-node/<major>/. Prints one line per version and a last line
// "node versions: N passed, N failed"; exits 1 if any run failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureDigest, runEchoed } from './vitest-output.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function parseArgs(argv) {
  const split = argv.indexOf('--');
  const versions = (split < 0 ? argv : argv.slice(0, split)).filter((a) => a !== '');
  const vitestArgs = split < 0 ? [] : argv.slice(split + 1);
  for (const v of versions) {
    if (!/^\d+$/.test(v)) {
      console.error(`test-node: "${v}" is not a Node major version (expected e.g. 22 or 24)`);
      process.exit(2);
    }
  }
  return { versions: versions.length > 0 ? versions : ['22', '24'], vitestArgs };
}

/** The path of Node <major>'s binary, installing the npm package first when it is missing. */
function nodeBinary(major) {
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = path.join(root, 'build-node', major);
  const bin = path.join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(prefix, { recursive: true });
  console.error(`test-node: installing ${pkg}@${major} into ${path.relative(root, prefix)}/`);
  const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${major}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(bin)) {
    console.error(`test-node: could not install ${pkg}@${major} from the npm registry (exit ${r.status})`);
    return undefined;
  }
  return bin;
}

async function runSuite(bin, vitestArgs) {
  const versions = spawnSync(bin, ['-p', 'process.version + " (libuv " + process.versions.uv + ")"'], { encoding: 'utf8' });
  const label = versions.stdout.trim() || path.basename(bin);
  console.error(`\n=== vitest on Node ${label} ===`);
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  // The version's directory first on PATH: tests that start `node` by name get the same one.
  const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` };
  const r = await runEchoed(bin, [vitest, 'run', ...vitestArgs], { cwd: root, env });
  const ok = r.status === 0;
  return { label, ok, status: r.status ?? r.signal, digest: ok ? [] : failureDigest(r.output) };
}

const { versions, vitestArgs } = parseArgs(process.argv.slice(2));
// Built (addon and dist/) as `npm test` would have it, by the Node running this script.
const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-built.mjs')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(1);
const results = [];
for (const major of versions) {
  const bin = nodeBinary(major);
  if (bin === undefined) {
    results.push({ label: `${major} (not installed)`, ok: false, status: null, digest: [] });
    continue;
  }
  results.push(await runSuite(bin, vitestArgs));
}
for (const r of results.filter((x) => !x.ok)) {
  console.log(`\n--- what failed on Node ${r.label} ---`);
  for (const line of r.digest) console.log(line);
}
for (const r of results) console.log(`node ${r.label}: ${r.ok ? 'passed' : `FAILED (exit ${r.status})`}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`node versions: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
