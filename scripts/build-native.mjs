// Builds the addon with node-gyp into build/Release (the shipping build).
// Run through npm, node-gyp finds Node's headers (npm passes nodedir); run directly, we point it at
// the running Node's own include dir when that exists, so no header download is ever attempted.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function nodeGypCommand() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {}
  const npmBundled = path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  if (existsSync(npmBundled)) return [process.execPath, npmBundled];
  return ['node-gyp'];
}

const args = ['rebuild', ...process.argv.slice(2)];
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(path.join(nodeDir, 'include/node/node_api.h'))) {
  args.push(`--nodedir=${nodeDir}`);
}
const [cmd, ...pre] = nodeGypCommand();
const jobs = process.env.JOBS ?? 'max';
const result = spawnSync(cmd, [...pre, ...args, `--jobs=${jobs}`], { cwd: root, stdio: 'inherit' });
if (result.error) {
  console.error(`uvkit: could not run node-gyp (${result.error.message}). Install a C++ toolchain and node-gyp, or use a prebuild.`);
  process.exit(1);
}
process.exit(result.status ?? 1);
