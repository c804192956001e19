// A tiny task runner: runs shell commands concurrently (at most `limit` at a time), captures each
// one's stdout and stderr, and reports them in the order given, with exit status and time.
// Run: npx tsx examples/parallel-commands.ts
import { Pipe, Process } from '../src/ts/index.js';

interface Outcome {
  command: string;
  status: number;
  signal: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Reads a pipe to its end, then closes it. */
function readAll(pipe: Pipe): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pipe.startRead((error, data) => {
      if (error) return reject(error);
      if (data) return void chunks.push(Buffer.from(data)); // data is a view: copy what we keep
      pipe.close(() => resolve(Buffer.concat(chunks).toString()));
    });
  });
}

/** Runs one command through /bin/sh; resolves once it has exited and its output has ended. */
async function runCommand(command: string): Promise<Outcome> {
  const started = performance.now();
  const stdout = new Pipe();
  const stderr = new Pipe();
  let exit!: (value: [number, number]) => void;
  const exited = new Promise<[number, number]>((resolve) => (exit = resolve));
  Process.spawn({
    file: 'sh',
    args: ['-c', command],
    stdio: ['ignore', { pipe: stdout }, { pipe: stderr }],
    onExit(status, signal) {
      exit([status, signal]);
      void this.close();
    },
  });
  const [out, err, [status, signal]] = await Promise.all([readAll(stdout), readAll(stderr), exited]);
  return { command, status, signal, stdout: out, stderr: err, ms: performance.now() - started };
}

/** Runs every command, at most `limit` at once; results come back in the order given. */
async function runAll(commands: string[], limit: number): Promise<Outcome[]> {
  const results: Outcome[] = new Array(commands.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < commands.length) {
      const i = next++;
      results[i] = await runCommand(commands[i] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, commands.length) }, worker));
  return results;
}

const commands = [
  'echo build: compiling 3 files; sleep 0.2; echo build: done',
  'echo lint: 0 problems',
  'echo test: 1 failing >&2; exit 1',
  'sleep 0.1; echo slow: finished after 100 ms',
  'kill -TERM $$',
  ...Array.from({ length: 20 }, (_, i) => `echo job ${i}: $((${i} * ${i}))`),
];

const started = performance.now();
const results = await runAll(commands, 8);
for (const r of results) {
  const how = r.signal !== 0 ? `killed by signal ${r.signal}` : `exit ${r.status}`;
  console.log(`[${how}] ${r.command.slice(0, 60)}`);
  for (const line of r.stdout.split('\n').filter(Boolean)) console.log(`    out: ${line}`);
  for (const line of r.stderr.split('\n').filter(Boolean)) console.log(`    err: ${line}`);
}
const failed = results.filter((r) => r.status !== 0 || r.signal !== 0).length;
console.log(`${results.length} commands, ${failed} failed, ${Math.round(performance.now() - started)} ms with 8 at a time`);
