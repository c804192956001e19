// A chat room over IP multicast, on this host only. Run: npx tsx examples/multicast-chat.ts
//
// Each member is a UDP socket bound to the room's port (reuseAddr lets them share it) that joins
// the room's multicast group on the loopback interface. A message sent to the group reaches every
// member, the sender too (multicast loop). Carol receives in batches (startRecvBatch: many
// datagrams per callback). Once everyone has left the group, a message to it reaches nobody. (On
// Linux a socket bound to the port hears a group while any socket of the host is in it, so one
// member leaving alone would still hear the others' messages.)
import { UDP, type SocketAddress } from '../src/ts/index.js';

const GROUP = '239.255.77.77'; // organisation-local scope
const IFACE = '127.0.0.1';

interface Member {
  name: string;
  socket: UDP;
  heard: string[];
}

function join(name: string, port: number): Member {
  const socket = new UDP(undefined, { family: 'IPv4' });
  socket.bind({ address: '0.0.0.0', port }, { reuseAddr: true });
  socket.setMembership(GROUP, 'join', IFACE);
  socket.setMulticastInterface(IFACE); // send through loopback
  socket.setMulticastLoop(true); // and hear our own messages
  socket.setMulticastTTL(0); // never leave this host
  return { name, socket, heard: [] };
}

const alice = join('alice', 0);
const port = alice.socket.getsockname().port;
const bob = join('bob', port);
const carol = join('carol', port);
const room = [alice, bob, carol];
console.log(`room ${GROUP}:${port}, members: ${room.map((m) => m.name).join(', ')}`);

const record = (member: Member, data: Buffer, from: SocketAddress | null): void => {
  member.heard.push(data.toString('utf8'));
  console.log(`${member.name.padEnd(5)} heard ${JSON.stringify(data.toString('utf8'))} from port ${from?.port}`);
};
for (const member of [alice, bob]) {
  member.socket.startRecv((error, data, from) => {
    if (error) throw error;
    record(member, data as Buffer, from);
  });
}
carol.socket.startRecvBatch((batch, error) => {
  if (error) throw error;
  for (const { data, addr } of batch) record(carol, data, addr);
});

const say = (member: Member, text: string): Promise<void> => member.socket.send(`${member.name}: ${text}`, { address: GROUP, port });
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

await Promise.all([say(alice, 'hello room'), say(bob, 'hi alice'), say(carol, 'hey both')]);
await settle();

for (const member of room) member.socket.setMembership(GROUP, 'leave', IFACE);
console.log('everyone left the group');
const outsider = new UDP(undefined, { family: 'IPv4' });
outsider.setMulticastInterface(IFACE);
await outsider.send('anyone there?', { address: GROUP, port });
await outsider.close();
await settle();

for (const member of room) console.log(`${member.name} heard ${member.heard.length} messages`);
await Promise.all(room.map((m) => m.socket.close()));
console.log('room closed');
