// `producer | filter | counter` wired through pipes, as a shell would: each child's stdout is the
// next child's stdin, and only the last stdout comes back to this process.
// Run: npx tsx examples/pipeline.ts
//
// The pipe between two children is made by spawning the first with a created pipe as its stdout
// ({ pipe: link }, writable from its side) and handing that same Pipe to the next child as its
// stdin ({ stream: link }): the second child inherits the fd. Then the parent closes its copy, so
// the second child sees EOF when the first one exits.
import { Pipe, Process } from '../src/ts/index.js';

function spawnStage(file: string, args: string[], stdin: 'ignore' | { stream: Pipe }, stdout: Pipe): Promise<[number, number]> {
  return new Promise((resolve) => {
    Process.spawn({
      file,
      args,
      stdio: [stdin, { pipe: stdout, writable: true }, 'inherit'],
      onExit(status, signal) {
        resolve([status, signal]);
        void this.close();
      },
    });
  });
}

// 1. producer: 1..100000, one number per line
const link1 = new Pipe();
const producer = spawnStage('seq', ['1', '100000'], 'ignore', link1);
// 2. filter: the lines that contain a 7
const link2 = new Pipe();
const filter = spawnStage('grep', ['7'], { stream: link1 }, link2);
await link1.close(); // the filter holds the read end now; ours would keep the pipe open
// 3. counter: how many lines
const result = new Pipe();
const counter = spawnStage('wc', ['-l'], { stream: link2 }, result);
await link2.close();

const chunks: Buffer[] = [];
await new Promise<void>((resolve) =>
  result.startRead((error, data) => {
    if (data) return void chunks.push(Buffer.from(data));
    void result.close();
    resolve();
  }),
);
const statuses = await Promise.all([producer, filter, counter]);
console.log(`seq 1 100000 | grep 7 | wc -l  =>  ${Buffer.concat(chunks).toString().trim()}`);
console.log(`exit statuses: ${statuses.map(([s]) => s).join(', ')}`);
