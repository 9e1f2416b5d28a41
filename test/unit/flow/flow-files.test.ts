/**
 * Every flow file the package ships (flows/, examples/) is importable as it stands: JSON, node
 * types that exist, wires and references that resolve, and nothing secret in it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import jsonata from 'jsonata';
import type { BatchReport, DropReport } from '../../../lib/mongo/sink-engine';
import { repoRoot } from '../../runtime/flow/harness';

type FlowNode = Record<string, unknown> & { id: string; type: string };

const NODE_RED_ID = /^[0-9a-f]{16}$/;
const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|private/i;
const URI_WITH_PASSWORD = /[a-z+]+:\/\/[^/@\s:]+:[^@\s]+@/i;
/** The variables the default flow is configured with (issue 6). */
const FLOW_VARIABLES = ['PLC_HOST', 'PLC_PORT', 'PLC_RACK', 'PLC_SLOT', 'MONGODB_URI', 'MONGODB_DB', 'PLANT_TZ'];

function flowFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.json')) found.push(full);
    }
  };
  walk(path.join(repoRoot, 'flows'));
  walk(path.join(repoRoot, 'examples'));
  return found.sort();
}

const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const packageTypes = new Set(Object.keys(packageJson['node-red'].nodes));

/** Node-RED's own node types, from the registerType calls of its core nodes. */
function coreTypes(): Set<string> {
  const types = new Set(['tab', 'group', 'junction', 'subflow', 'global-config']);
  const coreDir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.html')) {
        for (const m of fs.readFileSync(full, 'utf8').matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)) types.add(m[1]);
      }
    }
  };
  walk(coreDir);
  return types;
}
const knownTypes = new Set([...packageTypes, ...coreTypes()]);

function load(file: string): FlowNode[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok(Array.isArray(parsed), 'a flow file is a JSON array');
  for (const n of parsed as unknown[]) {
    assert.ok(n && typeof n === 'object', 'every entry is an object');
    assert.equal(typeof (n as FlowNode).id, 'string', `entry without an id: ${JSON.stringify(n).slice(0, 80)}`);
    assert.equal(typeof (n as FlowNode).type, 'string', `node ${(n as FlowNode).id} has no type`);
  }
  return parsed as FlowNode[];
}

/** Every string value in a node, with its key path. */
function strings(value: unknown, at: string, out: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof value === 'string') out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, at ? `${at}.${k}` : k, out);
  return out;
}

/**
 * Outputs that send only on a problem or a change, never in steady state: Catch and Status
 * nodes, and the aggregator's machine-status port (a message per status change).
 */
const QUIET_OUTPUTS: Record<string, number[]> = { catch: [0], status: [0], 'hourly-aggregator': [1] };

/** mongo-sink's result port in steady state: every successful batch. */
const STEADY_REPORT: BatchReport = {
  lane: 'latest', kind: 'latest', collection: 'signaldatas', written: 4, unchanged: 0, failed: 0, errors: [], durationMs: 3,
};
const FAILED_REPORT: BatchReport = { ...STEADY_REPORT, written: 0, failed: 4, errors: ['E11000 duplicate key'] };
const DROP_REPORT: DropReport = { kind: 'dropped', lanes: { latest: 2 }, count: 2, totalDropped: 2 };

/** Whether a filtering switch (a JSONata test, rule "is true") passes msg on its first output. */
async function switchPasses(sw: FlowNode, msg: object): Promise<boolean> {
  const rules = sw.rules as Array<{ t: string }>;
  assert.equal(sw.propertyType, 'jsonata', `switch ${sw.id}: only a JSONata test can be checked here`);
  assert.deepEqual(rules, [{ t: 'true' }], `switch ${sw.id}: only the rule "is true" can be checked here`);
  return (await jsonata(sw.property as string).evaluate(msg)) === true;
}

const isConfigNode = (n: FlowNode): boolean => !['tab', 'group', 'junction', 'subflow'].includes(n.type) && !('x' in n && 'y' in n);

describe('flow files (flows/, examples/)', () => {
  const files = flowFiles();

  it('there is the default flow and the examples', () => {
    const names = files.map((f) => path.relative(repoRoot, f));
    assert.ok(names.includes(path.join('flows', 'default-flow.json')), names.join(', '));
    assert.ok(names.filter((n) => n.startsWith('examples')).length >= 4, `examples: ${names.join(', ')}`);
  });

  for (const file of files) {
    const name = path.relative(repoRoot, file);
    describe(name, () => {
      const nodes = load(file);
      const byId = new Map(nodes.map((n) => [n.id, n]));

      it('has unique ids and only node types that exist', () => {
        assert.equal(byId.size, nodes.length, 'duplicate ids');
        for (const n of nodes) assert.ok(knownTypes.has(n.type), `node ${n.id}: unknown type "${n.type}"`);
        assert.ok(nodes.some((n) => packageTypes.has(n.type)), 'uses at least one of the package\'s nodes');
      });

      it('wires, tabs, groups, links and config references resolve', () => {
        for (const n of nodes) {
          if (n.z !== undefined && n.z !== '') assert.equal(byId.get(n.z as string)?.type, 'tab', `node ${n.id}: z ${String(n.z)} is not a tab here`);
          if (n.g !== undefined) assert.equal(byId.get(n.g as string)?.type, 'group', `node ${n.id}: g ${String(n.g)} is not a group here`);
          if (!isConfigNode(n) && n.type !== 'tab' && n.type !== 'group') assert.ok(n.z, `node ${n.id} (${n.type}) is on no tab`);
          for (const [port, targets] of ((n.wires as string[][] | undefined) ?? []).entries()) {
            for (const target of targets) {
              const t = byId.get(target);
              assert.ok(t && !isConfigNode(t) && t.type !== 'tab', `node ${n.id} output ${port + 1} is wired to missing node ${target}`);
              assert.equal(t.z, n.z, `node ${n.id} is wired to ${target} on another tab`);
            }
          }
          for (const link of (n.links as string[] | undefined) ?? []) assert.ok(byId.has(link), `node ${n.id}: link to missing ${link}`);
          if (packageTypes.has(n.type)) {
            // Any id-shaped value of our nodes is a reference to a config node in the same file.
            for (const [key, value] of strings(n, '')) {
              if (key === 'id' || key === 'z' || key === 'g' || key.startsWith('wires')) continue;
              if (NODE_RED_ID.test(value)) assert.ok(byId.has(value) && isConfigNode(byId.get(value)!), `node ${n.id}: ${key} refers to missing config node ${value}`);
            }
          }
        }
      });

      it('every config node is used', () => {
        const referenced = new Set(nodes.flatMap((n) => strings(n, '').filter(([k]) => k !== 'id').map(([, v]) => v)));
        for (const c of nodes.filter((n) => isConfigNode(n) && packageTypes.has(n.type))) {
          assert.ok(referenced.has(c.id), `config node ${c.id} (${c.type}) is used by no node`);
        }
      });

      it('holds no credentials or secrets', () => {
        for (const n of nodes) {
          assert.ok(!('credentials' in n), `node ${n.id} carries credentials`);
          for (const [key, value] of strings(n, '')) {
            assert.ok(!URI_WITH_PASSWORD.test(value), `node ${n.id}: ${key} holds a URI with a password`);
            if (SECRET_KEY.test(key.split('.').pop() ?? '') && !/^(name|type|value)$/.test(key)) {
              assert.ok(value === '' || ENV_REFERENCE.test(value), `node ${n.id}: ${key} holds a secret`);
            }
          }
        }
      });

      it('refers only to environment variables it gives a default', () => {
        const tabEnv = new Set(nodes.filter((n) => n.type === 'tab')
          .flatMap((t) => ((t.env as Array<{ name: string }> | undefined) ?? []).map((e) => e.name)));
        for (const n of nodes) {
          if (n.type === 'tab') continue;
          for (const [key, value] of strings(n, '')) {
            const m = ENV_REFERENCE.exec(value);
            if (m) assert.ok(tabEnv.has(m[1]), `node ${n.id}: ${key} uses \${${m[1]}}, which its tab does not define`);
          }
        }
      });
    });
  }

  describe('the default flow', () => {
    const file = path.join(repoRoot, 'flows', 'default-flow.json');
    const nodes = load(file);

    it('is the whole pipeline: every node of the package', () => {
      for (const type of packageTypes) assert.ok(nodes.some((n) => n.type === type), `no ${type}`);
      assert.ok(nodes.some((n) => n.type === 'debug'), 'no debug tap');
    });

    it('is configured from the environment, with a default for each variable', () => {
      const tabs = nodes.filter((n) => n.type === 'tab');
      assert.equal(tabs.length, 1);
      const env = (tabs[0].env as Array<{ name: string; type: string; value: string }>);
      for (const name of FLOW_VARIABLES) {
        const entry = env.find((e) => e.name === name);
        assert.ok(entry, `tab env lacks ${name}`);
        assert.equal(entry.type, 'jsonata');
        assert.ok(entry.value.includes(`$env("$parent.${name}")`), `${name} does not read the process environment: ${entry.value}`);
      }
      const used = new Set(nodes.flatMap((n) => strings(n, '').map(([, v]) => ENV_REFERENCE.exec(v)?.[1]).filter(Boolean)));
      for (const name of FLOW_VARIABLES) assert.ok(used.has(name), `no node field uses \${${name}}`);
    });

    it('sends nothing to an active debug node in steady state; write problems still reach one', async () => {
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const active = new Set(nodes.filter((n) => n.type === 'debug' && n.active === true).map((n) => n.id));
      let problemsShown = false;
      for (const n of nodes) {
        for (const [port, targets] of ((n.wires as string[][] | undefined) ?? []).entries()) {
          if (!targets.some((t) => active.has(t))) continue;
          if (QUIET_OUTPUTS[n.type]?.includes(port)) continue;
          // a switch in front of an active debug node must filter mongo-sink's results down to problems
          assert.equal(n.type, 'switch', `node ${n.id} (${n.type}) output ${port + 1} feeds an active debug node in steady state`);
          const fedBySink = nodes.some((s) => s.type === 'mongo-sink' && ((s.wires as string[][])[1] ?? []).includes(n.id));
          assert.ok(fedBySink, `switch ${n.id} is not fed by mongo-sink's result output`);
          assert.equal(await switchPasses(n, { topic: 'write-result', payload: STEADY_REPORT }), false, `switch ${n.id} passes successful batches`);
          assert.equal(await switchPasses(n, { topic: 'write-result', payload: FAILED_REPORT }), true, `switch ${n.id} drops failed batches`);
          assert.equal(await switchPasses(n, { topic: 'write-result', payload: DROP_REPORT }), true, `switch ${n.id} drops overflow reports`);
          problemsShown = true;
        }
      }
      assert.ok(problemsShown, 'no active debug node shows mongo-sink\'s write problems');
      assert.ok([...active].some((id) => byId.get(id)?.complete === 'error'), 'no active debug node shows caught errors');
    });

    it('is offered unchanged under Import > Examples', () => {
      const example = path.join(repoRoot, 'examples', 'production-pipeline.json');
      assert.deepEqual(load(example), nodes);
    });
  });
});
