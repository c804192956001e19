// A parent accepts TCP connections and hands each one to a child process over an IPC pipe; the
// child serves it. Run: npx tsx examples/ipc-handoff.ts
//
// The parent listens on a Unix socket too; the child connects to it with an IPC Pipe. For each
// accepted TCP connection the parent writes one byte with the connection attached
// (write(data, cb, sendHandle)), then closes its own copy. The child sees pendingHandleType()
// === TCP, accept()s the handle and answers on it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { constants, Pipe, TCP } from '../src/ts/index.js';

const role = process.argv[2] ?? 'parent';

if (role === 'child') {
  const channel = new Pipe(undefined, { ipc: true });
  await channel.connect(process.argv[3] ?? '');
  channel.startRead((error, data) => {
    if (error || data === null) {
      void channel.close();
      return;
    }
    while (channel.pendingHandleType() === constants.handleType.TCP) {
      const connection = new TCP();
      channel.accept(connection);
      connection.write(`served by child ${process.pid}\n`, () => void connection.close());
    }
  });
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'uvkit-ipc-'));
  const socketPath = path.join(dir, 'handoff.sock');

  // 1. The IPC channel to the child: a plain Pipe listens, the accepted end is an IPC pipe.
  const channelServer = new Pipe();
  channelServer.bind(socketPath);
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'child', socketPath], { stdio: 'inherit' });
  const channel = await new Promise<Pipe>((resolve) => {
    channelServer.listen(() => {
      const ipc = new Pipe(undefined, { ipc: true });
      channelServer.accept(ipc);
      resolve(ipc);
    });
  });

  // 2. The public TCP server: every connection goes to the child.
  const server = new TCP();
  server.bind({ address: '127.0.0.1', port: 0 });
  server.listen(() => {
    const connection = new TCP();
    server.accept(connection);
    channel.write('h', () => void connection.close(), connection);
  });
  const { port } = server.getsockname();
  console.log(`parent ${process.pid} listens on 127.0.0.1:${port}`);

  // 3. Three clients; each should be answered by the child.
  for (let i = 1; i <= 3; i++) {
    const client = new TCP();
    await client.connect({ address: '127.0.0.1', port });
    let answer = '';
    for await (const chunk of client.reader()) answer += chunk.toString();
    console.log(`client ${i}: ${answer.trim().replace(/\d+$/, '<pid>')}`);
    await client.close();
  }

  await channel.close(); // the child reads EOF and exits
  await Promise.all([server.close(), channelServer.close()]);
  await new Promise((resolve) => child.on('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  console.log('done: three connections handed off and served by the child');
}
