/**
 * The texts of the sidebar, the reader's status and its live view exist in English and German:
 * the same keys in both catalogues, and every key the code asks for is there.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../runtime/flow/harness';

const read = (file: string): string => fs.readFileSync(path.join(repoRoot, file), 'utf8');

function keys(tree: unknown, at = ''): string[] {
  if (typeof tree === 'string') return [at];
  return Object.entries(tree as Record<string, unknown>).flatMap(([k, v]) => keys(v, at ? `${at}.${k}` : k));
}

const catalogue = (dir: string, name: string, lang: string): string[] =>
  keys(JSON.parse(read(path.join(dir, 'locales', lang, `${name}.json`))) as unknown);

/** The literal first arguments of calls to fn in a source file. */
const calls = (file: string, fn: string): string[] =>
  [...read(file).matchAll(new RegExp(`\\b${fn}\\('([\\w.-]+)'`, 'g'))].map((m) => m[1]);

describe('catalogues of the sidebar, the reader status and the live view', () => {
  it('the sidebar plugin: the same keys in en-US and de, and every key its editor uses', () => {
    const dir = 'plugins/s7-production-sidebar';
    const en = catalogue(dir, 's7-production-sidebar', 'en-US');
    assert.deepEqual(catalogue(dir, 's7-production-sidebar', 'de').sort(), en.slice().sort());
    const used = calls(`${dir}/editor.ts`, 't');
    assert.ok(used.length >= 20, `${used.length} keys found in the editor`);
    for (const key of used) assert.ok(en.includes(`sidebar.${key}`), `sidebar.${key} is missing`);
    for (const state of ['running', 'stoppage', 'stopped_yet_producing', 'inactive', 'connected', 'connecting', 'backoff', 'closed']) {
      assert.ok(en.includes(`sidebar.state.${state}`), `sidebar.state.${state} is missing`);
    }
  });

  it('plc-reader: status and live view keys in en-US and de, and every key used', () => {
    const pick = (lang: string): string[] => catalogue('nodes/plc-reader', 'plc-reader', lang)
      .filter((k) => /^plc-reader\.(status|live)\./.test(k));
    const en = pick('en-US');
    assert.deepEqual(pick('de').sort(), en.slice().sort());
    const used = [...calls('lib/reader/status.ts', 't'), ...calls('nodes/plc-reader/editor/live-view.ts', 't').map((k) => `plc-reader.${k}`),
      ...[...read('lib/reader/status.ts').matchAll(/'(plc-reader\.status\.\w+)'/g)].map((m) => m[1])];
    assert.ok(used.length >= 15, `${used.length} keys found`);
    for (const key of used) assert.ok(en.includes(key), `${key} is missing`);
  });
});
