// Developer build with cmake-js into build-cmake/ (never build/, which node-gyp-build loads).
//   node scripts/build-cmake.mjs            plain debug build + compile_commands.json
//   node scripts/build-cmake.mjs --asan     AddressSanitizer + UndefinedBehaviorSanitizer
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const asan = process.argv.includes('--asan');
const cmakeJs = path.join(root, 'node_modules/cmake-js/bin/cmake-js');
const args = ['build', '--out', asan ? 'build-cmake/asan' : 'build-cmake/debug', '--debug'];
if (asan) args.push('--CDUVKIT_SANITIZE=ON');
const result = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
