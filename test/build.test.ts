// The two build files must build the same addon, and the package must be shaped as documented.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function gypSources(): string[] {
  const gyp = JSON.parse(readFileSync(path.join(root, 'binding.gyp'), 'utf8')) as { targets: Array<{ sources: string[] }> };
  return [...(gyp.targets[0]?.sources ?? [])].sort();
}

function cmakeSources(): string[] {
  const text = readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
  const block = /set\(UVKIT_SOURCES([\s\S]*?)\)/.exec(text)?.[1] ?? '';
  return block.split(/\s+/).filter((s) => s.endsWith('.cc')).sort();
}

describe('build files', () => {
  it('binding.gyp and CMakeLists.txt list the same sources', () => {
    expect(gypSources().length).toBeGreaterThan(0);
    expect(cmakeSources()).toEqual(gypSources());
  });

  it('every .cc file in src/native is built', () => {
    const onDisk = readdirSync(path.join(root, 'src/native'))
      .filter((f) => f.endsWith('.cc'))
      .map((f) => `src/native/${f}`)
      .sort();
    expect(gypSources()).toEqual(onDisk);
  });

  it('both builds use Node-API 8 with C++ exceptions disabled', () => {
    const gyp = readFileSync(path.join(root, 'binding.gyp'), 'utf8');
    const cmake = readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
    for (const text of [gyp, cmake]) {
      expect(text).toContain('NAPI_VERSION=8');
      expect(text).toContain('NAPI_DISABLE_CPP_EXCEPTIONS');
    }
  });

  it('package.json exports types first, is ESM and installs through node-gyp-build', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      type: string;
      exports: { '.': Record<string, string> };
      scripts: Record<string, string>;
      engines: { node: string };
    };
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports['.'])[0]).toBe('types');
    expect(pkg.scripts.install).toBe('node-gyp-build');
    expect(pkg.engines.node).toMatch(/^>=20/);
  });
});
