// Child processes for the tests that need a fresh Node (crashes, exits, process-wide state): they
// import dist/, so dist/ must be the compiled src/ts first.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** dist/ must be the compiled src/ts, or the child tests would test something else. */
export function checkDistFresh(): void {
  for (const name of readdirSync(path.join(root, 'src/ts'))) {
    if (!name.endsWith('.ts')) continue;
    const source = statSync(path.join(root, 'src/ts', name)).mtimeMs;
    let built = 0;
    try {
      built = statSync(path.join(root, 'dist', name.replace(/\.ts$/, '.js'))).mtimeMs;
    } catch {
      built = 0;
    }
    if (built < source) throw new Error(`dist/ is older than src/ts/${name}: run \`npm run build:ts\` (\`npm test\` does it)`);
  }
}

/**
 * Collects a spawned child's output until it ends; kills it after `timeoutMs` (then `timedOut`).
 * `onStdout` sees the output so far after each chunk (to answer a prompt, say).
 */
export function collect(
  child: ChildProcess,
  timeoutMs: number,
  encoding: BufferEncoding = 'utf8',
  onStdout?: (stdout: string) => void,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding(encoding).on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout);
    });
    child.stderr?.setEncoding(encoding).on('data', (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(killer);
      child.stdin?.destroy();
      resolve({ status, signal, stdout, stderr, timedOut });
    });
  });
}

/** Runs `node <args>` in the repository (fixtures import dist/); kills it after `timeoutMs`. */
export function runNode(args: string[], timeoutMs = 20_000): Promise<ChildResult> {
  checkDistFresh();
  return collect(spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }), timeoutMs);
}

/** The `RESULT <json>` line a fixture prints, parsed (undefined when missing). */
export function resultOf(r: ChildResult): unknown {
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return line === undefined ? undefined : JSON.parse(line.slice('RESULT '.length));
}

/**
 * Runs one scenario of test/fixtures/watch-scenarios.mjs (Poll, FSPoll) in a fresh Node with
 * --expose-gc; it must exit 0 with its RESULT line, which is returned.
 */
export async function runWatchScenario(name: string): Promise<Record<string, unknown>> {
  const child = await runNode(['--expose-gc', path.join(root, 'test/fixtures/watch-scenarios.mjs'), name]);
  expect(child.signal, child.stderr).toBeNull();
  expect(child.status, child.stderr).toBe(0);
  const result = resultOf(child);
  expect(result, child.stdout + child.stderr).toBeDefined();
  return result as Record<string, unknown>;
}
