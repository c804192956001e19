// When the addon cannot be loaded, the error says why and what to do.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist', 'index.js');
const scratch: string[] = [];

function importIn(entry: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  const code = `import(${JSON.stringify(entry)}).then(() => console.log('loaded'), (e) => { console.error(e.message); process.exit(3); })`;
  return spawnSync(process.execPath, [...args, '-e', code], { encoding: 'utf8', env, timeout: 30_000 });
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('loader', () => {
  it('loads the local build', () => {
    const r = importIn(dist);
    expect(r.stdout.trim()).toBe('loaded');
  });

  it('explains --no-addons', () => {
    const r = importIn(dist, ['--no-addons']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('uvkit: the native addon could not be loaded');
    expect(r.stderr).toContain('--no-addons');
  });

  it('explains a missing binary: no prebuild and no local build', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uvkit-loader-'));
    scratch.push(dir);
    cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'uvkit', type: 'module' }));
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const env = { ...process.env };
    delete env.UVKIT_BINDING; // (set when the suite runs against the sanitizer build)
    const r = importIn(path.join(dir, 'dist', 'index.js'), [], env);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`no prebuilt binary for ${process.platform}-${process.arch}`);
    expect(r.stderr).toContain('npm rebuild uvkit');
  });

  it('explains a binary that exists but does not load', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uvkit-loader-'));
    scratch.push(dir);
    const bogus = path.join(dir, 'uvkit.node');
    writeFileSync(bogus, 'not an ELF file');
    const r = importIn(dist, [], { ...process.env, UVKIT_BINDING: bogus });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('uvkit: the native addon could not be loaded');
  });
});
