// A one-screen system report, like `uname -a; uptime; free; top -n1`, from libuv's util functions.
//   npx tsx examples/sysinfo.ts            one report (CPU use measured over 500 ms)
//   npx tsx examples/sysinfo.ts <ms>       CPU use measured over <ms> milliseconds
//
// CPU use is the change of each CPU's times between two cpuInfo() samples; the wait between them
// is a Timer on a private loop, so nothing else of Node's runs meanwhile.
import { Loop, Timer, util, type CpuInfo } from '../src/ts/index.js';

const sampleMs = Number(process.argv[2] ?? 500);

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${d > 0 ? `${d}d ` : ''}${h}h ${m}m`;
}

function sleepOnPrivateLoop(ms: number): void {
  const loop = new Loop();
  const timer = new Timer(loop);
  timer.start(() => timer.close(() => {}), ms);
  loop.run();
  loop.close();
}

function busyPercent(before: CpuInfo, after: CpuInfo): number {
  const total = (c: CpuInfo): number => Object.values(c.times).reduce((a, b) => a + b, 0);
  const all = total(after) - total(before);
  const idle = after.times.idle - before.times.idle;
  return all > 0 ? (100 * (all - idle)) / all : 0;
}

const name = util.uname();
const user = util.getPasswd();
console.log(`${util.hostname()}: ${name.sysname} ${name.release} ${name.machine} (${name.version})`);
console.log(`up ${duration(util.uptime())}, load ${util.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`memory: ${mib(util.totalMemory())} total, ${mib(util.freeMemory())} free, ${mib(util.availableMemory())} available to this process`);
console.log(`user: ${user.username} (uid ${user.uid}, gid ${user.gid}), home ${util.homedir()}, shell ${user.shell ?? '-'}`);
console.log(`this process: pid ${util.pid()} (parent ${util.ppid()}), ${util.exepath()}, libuv ${util.version()}, cwd ${util.cwd()}`);

const before = util.cpuInfo();
const usageBefore = util.getrusage();
sleepOnPrivateLoop(sampleMs);
const after = util.cpuInfo();
const usageAfter = util.getrusage();
console.log(`CPUs (${util.availableParallelism()} usable), busy over ${sampleMs} ms:`);
after.forEach((cpu, i) => console.log(`  cpu${i} ${busyPercent(before[i]!, cpu).toFixed(1).padStart(5)}%  ${cpu.model}`));
const ownCpu = usageAfter.utime + usageAfter.stime - (usageBefore.utime + usageBefore.stime);
console.log(`this process used ${(ownCpu * 1000).toFixed(1)} ms of CPU meanwhile, rss ${mib(util.residentSetMemory())}`);

console.log('interfaces:');
for (const a of util.interfaceAddresses()) {
  console.log(`  ${a.name.padEnd(8)} ${a.family} ${a.address}/${a.netmask}${a.internal ? ' (internal)' : ''} ${a.mac}`);
}
