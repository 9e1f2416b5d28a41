/** A node's or plugin's i18n catalogue as Node-RED's RED._ reads it, for tests of status texts. */
import fs from 'node:fs';
import path from 'node:path';

/** The repository: the first folder above the build (dist/ or an OUT_DIR) with package.json and nodes/. */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'nodes'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

/** The repository the build under test was made from. */
export const repoRoot = findRepoRoot(path.resolve(__dirname, '..', '..'));

export type Translate = (key: string, values?: Record<string, string | number>) => string;

/** Looks keys up in `<dir>/locales/<lang>/<file>.json` (dir relative to the repository); a missing key fails. */
export function catalogue(dir: string, file: string, lang = 'en-US'): Translate {
  const data = JSON.parse(fs.readFileSync(path.join(repoRoot, dir, 'locales', lang, `${file}.json`), 'utf8')) as Record<string, unknown>;
  return (key, values = {}) => {
    const text = key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], data);
    if (typeof text !== 'string') throw new Error(`${dir} ${lang}: no text for ${key}`);
    return text.replace(/__(\w+)__/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
  };
}

/** The en-US catalogues of the given nodes, merged, as Node-RED serves them to RED._. */
export function catalogueOf(...types: string[]): Translate {
  const tables = types.map((type) => ({ type, t: catalogue(`nodes/${type}`, type) }));
  return (key, values) => {
    const table = tables.find(({ type }) => key.startsWith(`${type}.`));
    if (!table) return key;
    try {
      return table.t(key, values);
    } catch {
      return key;
    }
  };
}

/**
 * A node module given a RED whose `_` answers from the nodes' real en-US catalogues (the test
 * helper's own RED._ returns the key), so tests see the texts users see.
 */
export function withCatalogue<R extends object>(register: (RED: R) => void, ...types: string[]): (RED: R) => void {
  const translate = catalogueOf(...types);
  return (RED) => register(Object.assign(Object.create(RED) as R, { _: translate }));
}
