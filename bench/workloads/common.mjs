// Shared by workloads: each runs in its own process and prints one RESULT line for bench/run.mjs.
export function report(value, extra = {}) {
  process.stdout.write(`RESULT ${JSON.stringify({ value, ...extra })}\n`);
}

export function seconds(startNs) {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
