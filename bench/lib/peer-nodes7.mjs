// Drives node-red-contrib-s7's engine (@st-one-io/nodes7, GPL-3.0: used as installed, never
// copied) the way its "s7 endpoint" node does each cycle: one S7ItemGroup, readAllItems().
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodes7Address } from './tag-sets.mjs';

const peersDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'peers');

/** The engine, resolved through node-red-contrib-s7 (exactly the version it ships with) on first use, so the report can be rebuilt without peers installed. */
function nodes7() {
  const requireFromContrib = createRequire(createRequire(path.join(peersDir, 'package.json')).resolve('node-red-contrib-s7/package.json'));
  return requireFromContrib('@st-one-io/nodes7');
}

/** Connects, prepares the group for `tags` and returns a reader; `read()` resolves with values. */
export async function openNodes7Reader({ host, port, tags, pduSize, maxJobs, optimizationGap }) {
  const { S7Endpoint, S7ItemGroup } = nodes7();
  // autoReconnect 0: a benchmark must fail loudly, not retry silently.
  const endpoint = new S7Endpoint({ host, port, rack: 0, slot: 1, autoReconnect: 0, s7ConnOpts: { maxPDUSize: pduSize, maxJobs } });
  const failures = [];
  endpoint.on('error', (e) => failures.push(e));
  let timer;
  await Promise.race([
    endpoint.connect(),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`nodes7: no connection to ${host}:${port} within 10 s`)), 10000); }),
  ]).finally(() => clearTimeout(timer));
  const group = new S7ItemGroup(endpoint, optimizationGap === undefined ? undefined : { optimizationGap });
  const byName = new Map(tags.map((t, i) => [`t${i}`, nodes7Address(t)]));
  group.setTranslationCB((name) => byName.get(name));
  group.addItems([...byName.keys()]);
  return {
    engine: '@st-one-io/nodes7',
    pduSize: endpoint.pduSize,
    parallelJobs: endpoint._connection?.parallelJobs,
    async read() {
      const values = await group.readAllItems();
      if (failures.length) throw failures[0];
      return values;
    },
    async close() {
      group.destroy();
      await endpoint.disconnect();
    },
  };
}
