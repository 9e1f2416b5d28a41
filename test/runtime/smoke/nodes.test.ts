/**
 * Every node the package declares, loaded as Node-RED loads it: the editor definition is taken
 * from the built .html (by running its inlined editor script against a stand-in RED), and a node
 * configured with exactly the editor's defaults (required config nodes likewise) must start in
 * a real runtime and close again. Also checks what the palette needs beside the code: help and
 * labels in en-US and de, and the icon the definition names.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { helper } from '../../helpers/node-red';

interface EditorProperty {
  value?: unknown;
  type?: string;
  required?: boolean;
}
interface EditorDefinition {
  category?: string;
  color?: string;
  icon?: string;
  defaults?: Record<string, EditorProperty>;
  credentials?: Record<string, unknown>;
}
type NodeModule = (RED: unknown) => void;

/** The build under test (dist/ or an OUT_DIR): <build>/test/runtime/smoke/nodes.test.js. */
const buildDir = path.resolve(__dirname, '..', '..', '..');
function findRoot(dir: string): string {
  const manifest = path.join(dir, 'package.json');
  if (existsSync(manifest) && 'node-red' in (JSON.parse(readFileSync(manifest, 'utf8')) as object)) return dir;
  assert.notEqual(path.dirname(dir), dir, `no package root above ${buildDir}`);
  return findRoot(path.dirname(dir));
}
const root = findRoot(buildDir);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const LOCALES = ['en-US', 'de'];

/** Anything the editor script may touch at load time besides registerType: callable, chainable. */
function anything(): unknown {
  return new Proxy(function () {}, {
    get: (_target, prop) => (prop === Symbol.toPrimitive ? () => '' : anything()),
    apply: () => anything(),
  });
}

/** The node types an editor script registers, with their definitions. */
function editorDefinitions(htmlFile: string): Map<string, EditorDefinition> {
  const html = readFileSync(htmlFile, 'utf8');
  const registered = new Map<string, EditorDefinition>();
  const nodes = new Proxy({}, {
    get: (_target, prop) => (prop === 'registerType' ? (type: string, def: EditorDefinition) => registered.set(type, def) : anything()),
  });
  const RED = new Proxy({}, { get: (_target, prop) => (prop === 'nodes' ? nodes : anything()) });
  for (const match of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) {
    vm.runInNewContext(match[1], { RED, $: anything(), jQuery: anything(), window: anything(), document: anything(), console }, { filename: htmlFile });
  }
  return registered;
}

// Only the nodes whose sources exist are tested, so this file grows with the package.
const declared = Object.entries(pkg['node-red'].nodes).filter(([name]) => existsSync(path.join(root, 'nodes', name)));
// package.json names the files in dist/; the build under test may live elsewhere.
const modules = declared.map(([name, file]) => ({ name, file: path.join(buildDir, path.relative('dist', file)) }));
const definitions = new Map<string, EditorDefinition>();
const moduleOfType = new Map<string, string>();
for (const { file } of modules) {
  const html = file.replace(/\.js$/, '.html');
  if (!existsSync(html)) continue;
  for (const [type, def] of editorDefinitions(html)) {
    definitions.set(type, def);
    moduleOfType.set(type, file);
  }
}

/** A flow holding one node of `type` with the editor's defaults, plus the config nodes it requires. */
function defaultFlow(type: string, id: string, flow: Record<string, unknown>[] = []): Record<string, unknown>[] {
  const def = definitions.get(type);
  assert.ok(def, `no editor definition registered for ${type}`);
  const node: Record<string, unknown> = { id, type };
  for (const [key, property] of Object.entries(def.defaults ?? {})) {
    if (property.type && property.required) {
      assert.ok(definitions.has(property.type), `${type}.${key} requires a ${property.type}, which the package does not define`);
      node[key] = `${id}-${key}`;
      defaultFlow(property.type, `${id}-${key}`, flow);
    } else {
      node[key] = structuredClone(property.value);
    }
  }
  if (def.category !== 'config') node.wires = [];
  flow.unshift(node);
  return flow;
}

describe('smoke: every declared node', function () {
  afterEach(async function () {
    await helper.unload();
  });

  it('declares only nodes whose build exists', function () {
    for (const { name, file } of modules) {
      assert.ok(existsSync(file), `${name}: ${path.relative(root, file)} not built`);
      assert.ok(existsSync(file.replace(/\.js$/, '.html')), `${name}: editor .html not built`);
    }
  });

  for (const { name, file } of modules) {
    describe(name, function () {
      const html = file.replace(/\.js$/, '.html');
      const nodeDir = path.dirname(file);
      const types = (): string[] => [...editorDefinitions(html).keys()];

      it('registers its editor definition in the palette category and colour family', function () {
        assert.ok(types().length > 0, `${path.relative(root, html)} registers no node type`);
        for (const type of types()) {
          const def = definitions.get(type)!;
          assert.ok(def.category === 'config' || def.category === 'S7 production', `${type}: category ${def.category}`);
          assert.match(String(def.color ?? ''), /^#[0-9A-Fa-f]{6}$/, `${type}: colour`);
        }
      });

      it('ships help and labels in en-US and de, and its icon', function () {
        for (const locale of LOCALES) {
          const help = path.join(nodeDir, 'locales', locale, `${name}.html`);
          const labels = path.join(nodeDir, 'locales', locale, `${name}.json`);
          assert.ok(existsSync(help), `missing ${path.relative(root, help)}`);
          assert.ok(existsSync(labels), `missing ${path.relative(root, labels)}`);
          JSON.parse(readFileSync(labels, 'utf8'));
          for (const type of types()) assert.match(readFileSync(help, 'utf8'), new RegExp(`data-help-name=["']${type}["']`), `${locale} help for ${type}`);
        }
        for (const type of types()) {
          const icon = definitions.get(type)!.icon;
          if (icon && !icon.startsWith('font-awesome/') && !icon.startsWith('node-red/')) {
            assert.ok(existsSync(path.join(nodeDir, 'icons', icon)), `${type}: icon ${icon} not in icons/`);
          }
        }
      });

      it('starts in a real runtime with its editor defaults and closes', async function () {
        for (const type of types()) {
          const flow = defaultFlow(type, 'n1');
          // the node's own module and those of the config nodes it requires
          const files = new Set(flow.map((n) => moduleOfType.get(String(n.type))!));
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const loaded = [...files].map((f) => require(f) as NodeModule);
          await helper.load(loaded, flow as Parameters<typeof helper.load>[1]);
          const node = helper.getNode('n1');
          assert.ok(node, `${type} did not start`);
          assert.equal(node.type, type);
          await helper.unload();
        }
      });
    });
  }
});
