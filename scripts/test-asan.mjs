// Runs the test suite against the AddressSanitizer + UndefinedBehaviorSanitizer build of the addon
// (build-cmake/asan), with the stock node and the sanitizer runtime preloaded.
//   node scripts/test-asan.mjs                 every test file
//   node scripts/test-asan.mjs --short         the short tier CI runs (core behaviour + bad input)
//   node scripts/test-asan.mjs test/x.test.ts  chosen files
// Fails when vitest fails or when any sanitizer report appears in the output (reports from forked
// test workers do not always fail a test by themselves).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { failureDigest, runEchoed } from './vitest-output.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const addon = path.join(root, 'build-cmake/asan/Debug/uvkit.node');
const shortTier = [
  'test/smoke.test.ts',
  'test/timer.test.ts',
  'test/watchers.test.ts',
  'test/loop.test.ts',
  'test/embed.test.ts',
  'test/tcp.test.ts',
  'test/udp.test.ts',
  'test/pipe.test.ts',
  'test/process.test.ts',
  'test/fs.test.ts',
  'test/fs-ops.test.ts',
  'test/fs-read-now.test.ts',
  'test/poll.test.ts',
  'test/fs-event.test.ts',
  'test/fs-poll.test.ts',
  'test/dns.test.ts',
  'test/util.test.ts',
  'test/work.test.ts',
  'test/abi.test.ts',
  'test/bad-input.test.ts',
  'test/gc.test.ts',
  'test/raw-binding.test.ts',
  'test/worker-teardown.test.ts',
];

function newestSource() {
  const dir = path.join(root, 'src/native');
  return Math.max(...readdirSync(dir).map((f) => statSync(path.join(dir, f)).mtimeMs), statSync(path.join(root, 'CMakeLists.txt')).mtimeMs);
}

if (!existsSync(addon) || statSync(addon).mtimeMs < newestSource()) {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-cmake.mjs'), '--asan'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
spawnSync(process.execPath, [path.join(root, 'scripts/ensure-built.mjs')], { cwd: root, stdio: 'inherit' });

const asanRuntime = spawnSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!asanRuntime || !existsSync(asanRuntime)) {
  console.error('test:asan needs g++ with libasan (Debian: g++ and libasan8)');
  process.exit(1);
}

const args = process.argv.slice(2);
const files = args.includes('--short') ? shortTier.filter((f) => existsSync(path.join(root, f))) : args.filter((a) => !a.startsWith('--'));
const env = {
  ...process.env,
  UVKIT_BINDING: addon,
  LD_PRELOAD: asanRuntime,
  // The vitest runner process is not leak-checked (vitest.config.ts hands the workers theirs).
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0:exitcode=23:detect_odr_violation=0',
  // Test workers and their children: a small quarantine keeps RSS flat in handle-churn tests;
  // leaks are checked at each process exit.
  UVKIT_WORKER_ASAN_OPTIONS: 'detect_leaks=1:quarantine_size_mb=8:abort_on_error=0:exitcode=23:detect_odr_violation=0',
  LSAN_OPTIONS: `suppressions=${path.join(root, 'test/lsan.supp')}:print_suppressions=0`,
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const { status, signal, output } = await runEchoed(process.execPath, [vitest, 'run', ...files], { cwd: root, env });
const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/;
const reports = output
  .split('\n')
  .filter((line) => SANITIZER_REPORT.test(line))
  .map((line) => line.trim());
if (status !== 0) console.error(`\n--- what failed under the sanitizers ---\n${failureDigest(output).join('\n')}`);
if (reports.length > 0) {
  console.error(`\ntest:asan: ${reports.length} sanitizer report line(s):\n  ${reports.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
console.error(`test:asan: vitest exited ${status ?? signal}; no sanitizer reports`);
process.exit(status ?? 1);
