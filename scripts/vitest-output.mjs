// The output of a vitest run, echoed and kept: the scripts that run the suite in another
// configuration (test-node.mjs, test-asan.mjs) print at their end what failed.
import { spawn } from 'node:child_process';

/** Runs `bin ...args`, echoing its output live and keeping a copy: { status, signal, output }. */
export function runEchoed(bin, args, { cwd, env }) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    const keep = (sink) => (chunk) => {
      sink.write(chunk);
      output.push(chunk);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('close', (status, signal) => resolve({ status, signal, output: Buffer.concat(output).toString('utf8') }));
  });
}

// What failed, in a few lines: CI shows only the end of a long log, where the other version's run
// would otherwise bury this one's failures.
const ANSI = /\x1b\[[0-9;]*m/g;
const DIGEST_LINES = 60;
/** The lines of a failed vitest run's output that say what failed (at most DIGEST_LINES). */
export function failureDigest(output) {
  const lines = output.replace(ANSI, '').split('\n').map((l) => l.trimEnd());
  const picked = [];
  const take = (from, count) => {
    for (let i = from, n = 0; i < lines.length && n < count; i++) {
      if (lines[i].trim() === '') continue;
      picked.push(lines[i]);
      n++;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*×\s/.test(lines[i])) take(i, 1); // a failed test in the file list
    else if (/^\s*FAIL\s/.test(lines[i])) take(i, 3); // its error and where
    else if (/Unhandled (Errors?|Rejection)/.test(lines[i])) take(i, 8);
  }
  if (picked.length === 0) return lines.filter((l) => l.trim() !== '').slice(-15);
  return picked.length > DIGEST_LINES ? [...picked.slice(0, DIGEST_LINES), `... (${picked.length - DIGEST_LINES} more lines above)`] : picked;
}
