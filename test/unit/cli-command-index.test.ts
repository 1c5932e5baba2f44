import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CommandSpec } from '../../src/cli/argv/command-spec.js';
import { COMMANDS } from '../../src/cli/command-registry.js';

// The index duplicates each verb's path, aliases and description so that help and routing need no command module;
// these tests keep the copies equal to the specs and the index complete.

/** Compiled command modules, found from the TypeScript sources so stale files in dist/ do not count. */
async function commandModules(): Promise<URL[]> {
  const srcDir = fileURLToPath(new URL('../../../src/cli/commands/', import.meta.url));
  const files = await readdir(srcDir, { recursive: true });
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => new URL(`../../src/cli/commands/${f.replace(/\.ts$/, '.js')}`, import.meta.url));
}

function isCommandSpec(v: unknown): v is CommandSpec {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o['path']) && Array.isArray(o['flags']) && typeof o['run'] === 'function';
}

void test('every index entry loads a spec with the same path, aliases and description', async () => {
  for (const entry of COMMANDS) {
    const spec = await entry.load();
    const name = entry.path.join(' ');
    assert.ok(isCommandSpec(spec), `${name}: load() did not return a CommandSpec`);
    assert.deepEqual(spec.path, entry.path, `${name}: path`);
    assert.deepEqual(spec.aliases, entry.aliases, `${name}: aliases`);
    assert.equal(spec.description, entry.description, `${name}: description`);
  }
});

void test('every command spec exported under src/cli/commands is in the index exactly once', async () => {
  const loaded = await Promise.all(COMMANDS.map((e) => e.load()));
  assert.equal(new Set(loaded).size, loaded.length, 'two index entries load the same spec');
  const exported: string[] = [];
  for (const url of await commandModules()) {
    const mod = (await import(url.href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!isCommandSpec(value)) continue;
      exported.push(name);
      assert.ok(loaded.includes(value), `${name} (${url.pathname}) is not in the command index`);
    }
  }
  assert.equal(exported.length, loaded.length);
});
