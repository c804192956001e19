// `npm test` / `npm run bench` build what is missing or stale: the addon (build/Release, unless a
// prebuild for this platform exists) and the TypeScript in dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function newest(dir, ext) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full, ext));
    else if (ext.some((e) => entry.name.endsWith(e))) latest = Math.max(latest, statSync(full).mtimeMs);
  }
  return latest;
}

function mtime(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const addon = path.join(root, 'build/Release/uvkit.node');
const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const nativeSources = Math.max(newest(path.join(root, 'src/native'), ['.cc', '.h']), mtime(path.join(root, 'binding.gyp')));
if (!existsSync(prebuild) && mtime(addon) < nativeSources) {
  console.error('uvkit: building the native addon (build/Release)...');
  run(process.execPath, [path.join(root, 'scripts/build-native.mjs')]);
}

const tsSources = newest(path.join(root, 'src/ts'), ['.ts']);
if (mtime(path.join(root, 'dist/index.js')) < tsSources) {
  console.error('uvkit: compiling TypeScript (dist/)...');
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
}
