/**
 * A restart with a persistent context store, honestly: node-red-node-test-helper ignores
 * contextStorage, so this runs Node-RED itself (red.js in a child process, a settings file with
 * a localfilesystem store, a temporary user directory), deploys a flow through the admin HTTP
 * API, stops Node-RED with SIGINT, starts it again and checks that the counts continue.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDir, nodeRed, nodeRedPath, repoRoot, type NodeRedProcess } from '../flow/harness';
import type { HourSnapshot, UnitEvent } from '../../../lib/shared/messages';

const M1 = '65a1b2c3d4e5f60718293a4b';

/** http in → function (body becomes the message) → node; node → function (keeps the last output in flow context) ← http GET. */
function flow(): Record<string, unknown>[] {
  const tab = 'restart-tab';
  const at = { z: tab, x: 100, y: 100 };
  const feed = (id: string, url: string, target: string) => [
    { id: `${id}-in`, type: 'http in', url, method: 'post', ...at, wires: [[`${id}-unwrap`]] },
    { id: `${id}-unwrap`, type: 'function', func: 'const out = Object.assign({}, msg.payload);\nmsg.payload = "ok";\nreturn [out, msg];', outputs: 2, ...at, wires: [[target], [`${id}-ok`]] },
    { id: `${id}-ok`, type: 'http response', ...at, wires: [] },
  ];
  const keep = (id: string, key: string, expr: string) => ({ id, type: 'function', func: `const all = flow.get("${key}") || [];\nall.push(${expr});\nflow.set("${key}", all);\nreturn null;`, outputs: 1, ...at, wires: [[]] });
  const read = (id: string, url: string, key: string) => [
    { id: `${id}-in`, type: 'http in', url, method: 'get', ...at, wires: [[`${id}-get`]] },
    { id: `${id}-get`, type: 'function', func: `msg.payload = flow.get("${key}") || [];\nreturn msg;`, outputs: 1, ...at, wires: [[`${id}-out`]] },
    { id: `${id}-out`, type: 'http response', ...at, wires: [] },
  ];
  return [
    { id: tab, type: 'tab', label: 'restart' },
    ...feed('counter', '/counter', 'ec'),
    { id: 'ec', type: 'edge-counter', mode: 'rising', keyBy: 'machineId', minHighMs: 0, minLowMs: 0, counterBits: 16, maxStep: 1000, gapWarnSeconds: 3600, store: 'file', ...at, wires: [['keep-units']] },
    keep('keep-units', 'units', 'msg.units'),
    ...read('units', '/units', 'units'),
    ...feed('agg', '/agg', 'agg'),
    {
      id: 'agg', type: 'hourly-aggregator', timeZone: 'Europe/Berlin', powerTimeoutMinutes: 5, cycleTimeoutMinutes: 2, powerThresholdKw: 0.5,
      snapshotMinutes: 0.005, graceMinutes: 2, tickSeconds: 0.2, retainHours: 24, zeroFill: false, endStoppageOnPowerLoss: false,
      store: 'file', mongo: '', timeoutsFromDb: false, ...at, wires: [['keep-snapshots'], []],
    },
    keep('keep-snapshots', 'snapshots', 'msg.payload'),
    ...read('snapshots', '/snapshots', 'snapshots'),
  ];
}

/** POST, retrying while the route is not there yet (flows start after the server reports it runs). */
async function post(base: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    if (res.status === 404 && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    assert.ok(res.ok, `POST ${url}: ${res.status} ${await res.text()}`);
    return;
  }
}

async function get<T>(base: string, url: string): Promise<T> {
  const res = await fetch(`${base}${url}`);
  assert.ok(res.ok, `GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('production nodes across a Node-RED restart (real runtime, localfilesystem context)', function () {
  this.timeout(180_000);
  let home = '';
  let running: NodeRedProcess | undefined;

  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-production-'));
  });
  after(async () => {
    await running?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    const packageDir = nodeRed.stagePackage(repoRoot, buildDir, path.join(home, 'package'));
    const userDir = path.join(home, 'user');
    nodeRed.prepareUserDir({
      userDir,
      packageDir,
      keepFlows: true,
      settings: { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } } },
    });
    running = await nodeRed.startNodeRed({ userDir, port: await nodeRed.freePort(), nodeRedPath });
    return running.url;
  }

  it('continues the unit count and the open hour after SIGINT and a new start', async () => {
    let base = await start();
    await post(base, '/flows', flow(), { 'Node-RED-Deployment-Type': 'full' });
    const cycle = { name: 'cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', machineId: M1 };
    // One instant for every unit event: the hour cannot change under the test.
    const t0 = Date.now() - 60_000;
    let i = 0;
    const bit = (value: number) => post(base, '/counter', { signal: cycle, payload: value, quality: 'good', timestamp: t0 + i++ });
    const units = (delta: number) => post(base, '/agg', { topic: 'units', units: { key: M1, machineId: M1, delta, total: delta, timestamp: t0, source: 'rising' } });

    for (const value of [0, 1, 0, 1, 0, 1]) await bit(value);
    await units(2);
    await units(4);
    const before = await until(() => get<UnitEvent[]>(base, '/units'), (u) => u.length === 3, 'three unit events');
    assert.deepEqual(before.map((u) => u.total), [1, 2, 3]);
    const hourBefore = await until(() => get<HourSnapshot[]>(base, '/snapshots'), (s) => s.at(-1)?.unitsProduced === 6, 'a snapshot with 6 units');

    await running?.stop();
    assert.equal((await running?.exited)?.code, 0, 'Node-RED stopped cleanly on SIGINT');
    const stored = fs.readdirSync(path.join(home, 'user', 'context'), { recursive: true }).map(String);
    assert.ok(stored.some((f) => f.endsWith('.json')), `the localfilesystem store wrote its files: ${stored.join(', ')}`);

    base = await start();
    // High first after the restart: a baseline, not a unit. Then one real edge.
    for (const value of [1, 0, 1]) await bit(value);
    await units(1);
    const after = await until(() => get<UnitEvent[]>(base, '/units'), (u) => u.length === 1, 'a unit event after the restart');
    assert.equal(after[0].total, 4, 'the total continues from the context store');
    const hourAfter = await until(() => get<HourSnapshot[]>(base, '/snapshots'), (s) => s.length > 0, 'a snapshot after the restart');
    const last = hourAfter.at(-1) as HourSnapshot;
    assert.equal(last.unitsProduced, 7, 'the open hour continues: neither lost nor counted twice');
    assert.equal(last.hour, hourBefore.at(-1)?.hour);
    assert.ok(last.revision > (hourBefore.at(-1)?.revision ?? Infinity), 'revisions keep growing across the restart');
  });
});
