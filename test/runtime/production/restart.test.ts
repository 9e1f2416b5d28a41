/**
 * Restarts, honestly: node-red-node-test-helper ignores contextStorage and cannot crash, so this
 * runs Node-RED itself (red.js in a child process, a settings file, a temporary user directory),
 * deploys flows through the admin HTTP API, stops Node-RED with SIGINT or kills it with SIGKILL
 * (kill -9: no close handler runs, nothing is flushed), starts it again and checks that the
 * counts continue.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { prepareNodeRedHome, type NodeRedHome, type NodeRedProcess } from '../flow/harness';
import type { HourSnapshot, UnitEvent } from '../../../lib/shared/messages';
import { waitFor } from '../../helpers/wait';

const M1 = '65a1b2c3d4e5f60718293a4b';

const tab = 'restart-tab';
const at = { z: tab, x: 100, y: 100 };

/** http in → function (body becomes the message) → node; node → function (keeps the outputs in flow context) ← http GET. */
function feed(id: string, url: string, target: string): Record<string, unknown>[] {
  return [
    { id: `${id}-in`, type: 'http in', url, method: 'post', ...at, wires: [[`${id}-unwrap`]] },
    { id: `${id}-unwrap`, type: 'function', func: 'const out = Object.assign({}, msg.payload);\nmsg.payload = "ok";\nreturn [out, msg];', outputs: 2, ...at, wires: [[target], [`${id}-ok`]] },
    { id: `${id}-ok`, type: 'http response', ...at, wires: [] },
  ];
}

function keep(id: string, key: string, expr: string): Record<string, unknown> {
  return { id, type: 'function', func: `const all = flow.get("${key}") || [];\nall.push(${expr});\nflow.set("${key}", all);\nreturn null;`, outputs: 1, ...at, wires: [[]] };
}

function read(id: string, url: string, key: string): Record<string, unknown>[] {
  return [
    { id: `${id}-in`, type: 'http in', url, method: 'get', ...at, wires: [[`${id}-get`]] },
    { id: `${id}-get`, type: 'function', func: `msg.payload = flow.get("${key}") || [];\nreturn msg;`, outputs: 1, ...at, wires: [[`${id}-out`]] },
    { id: `${id}-out`, type: 'http response', ...at, wires: [] },
  ];
}

function flow(): Record<string, unknown>[] {
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

/** POST, waiting while the route is not there yet (flows start after the server reports it runs). */
async function post(base: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const res = await waitFor(`POST ${url} served`, async () => {
    const r = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return r.status === 404 ? undefined : r;
  });
  assert.ok(res.ok, `POST ${url}: ${res.status} ${await res.text()}`);
}

async function get<T>(base: string, url: string): Promise<T> {
  const res = await fetch(`${base}${url}`);
  assert.ok(res.ok, `GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Node-RED with this package on a user directory of the enclosing describe's own (`contextStorage`:
 * its stores), to be started again and again; stopped and removed after the describe's tests.
 */
function restartableNodeRed(contextStorage: Record<string, unknown>) {
  let home: NodeRedHome | undefined;
  let running: NodeRedProcess | undefined;
  before(async () => {
    home = await prepareNodeRedHome({ settings: { contextStorage } });
  });
  after(async () => {
    await running?.stop();
    home?.dispose();
  });
  return {
    /** Starts Node-RED on the directory with the flows it holds; its URL. */
    async start(): Promise<string> {
      running = await home!.start();
      return running.url;
    },
    running: () => running,
    userDir: () => home!.userDir,
  };
}

describe('production nodes across a Node-RED restart (real runtime, localfilesystem context)', function () {
  this.timeout(180_000);
  const nodeRed = restartableNodeRed({ default: { module: 'memory' }, file: { module: 'localfilesystem' } });

  it('continues the unit count and the open hour after SIGINT and a new start', async () => {
    let base = await nodeRed.start();
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
    const before = await waitFor('three unit events', () => get<UnitEvent[]>(base, '/units').then((u) => u.length === 3 && u));
    assert.deepEqual(before.map((u) => u.total), [1, 2, 3]);
    const hourBefore = await waitFor('a snapshot with 6 units', () => get<HourSnapshot[]>(base, '/snapshots').then((s) => s.at(-1)?.unitsProduced === 6 && s));

    await nodeRed.running()?.stop();
    assert.equal((await nodeRed.running()?.exited)?.code, 0, 'Node-RED stopped cleanly on SIGINT');
    const stored = fs.readdirSync(path.join(nodeRed.userDir(), 'context'), { recursive: true }).map(String);
    assert.ok(stored.some((f) => f.endsWith('.json')), `the localfilesystem store wrote its files: ${stored.join(', ')}`);

    base = await nodeRed.start();
    // High before the stop and after it: no unit invented. Then one real edge.
    for (const value of [1, 0, 1]) await bit(value);
    await units(1);
    const after = await waitFor('a unit event after the restart', () => get<UnitEvent[]>(base, '/units').then((u) => u.length === 1 && u));
    assert.equal(after[0].total, 4, 'the total continues from the context store');
    // The open hour is re-sent at start as it was (6); the unit after the restart comes on top.
    const hourAfter = await waitFor('a snapshot with the unit after the restart', () => get<HourSnapshot[]>(base, '/snapshots').then((s) => s.some((x) => x.unitsProduced > 6) && s));
    const last = hourAfter.at(-1) as HourSnapshot;
    assert.equal(last.unitsProduced, 7, 'the open hour continues: neither lost nor counted twice');
    assert.equal(last.hour, hourBefore.at(-1)?.hour);
    assert.ok(last.revision > (hourBefore.at(-1)?.revision ?? Infinity), 'revisions keep growing across the restart');
  });
});

describe('edge-counter across kill -9 with the memory context store (real runtime, state journal)', function () {
  this.timeout(240_000);
  // Memory only, as a stock Node-RED: no context store survives a restart.
  const nodeRed = restartableNodeRed({ default: { module: 'memory' } });

  function killFlow(): Record<string, unknown>[] {
    const counter = (id: string, mode: string, extra: Record<string, unknown>) => ({
      id, type: 'edge-counter', mode, keyBy: 'machineId', minHighMs: 0, minLowMs: 0, counterBits: 32, maxStep: 1000, store: '', ...at, ...extra,
    });
    return [
      { id: tab, type: 'tab', label: 'kill -9' },
      ...feed('edges', '/edges', 'ec-edges'),
      { ...counter('ec-edges', 'rising', { gapWarnSeconds: 3600 }), wires: [['keep-edges']] },
      keep('keep-edges', 'edges', 'msg.units'),
      ...read('edge-units', '/edge-units', 'edges'),
      ...feed('counts', '/counts', 'ec-counts'),
      { ...counter('ec-counts', 'counter', { gapWarnSeconds: 10, idealCycleSeconds: 1 }), wires: [['keep-counts']] },
      keep('keep-counts', 'counts', 'msg.units'),
      ...read('counter-units', '/counter-units', 'counts'),
    ];
  }

  /** The journal's saved state of a node, once `ok` accepts it. */
  function journalOf(id: string, ok: (state: Record<string, { total: number; counter: number | null }>) => boolean, what: string) {
    const file = path.join(nodeRed.userDir(), 's7-production-state', `${id}.json`);
    return waitFor(what, () => {
      try {
        const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { state: Record<string, { total: number; counter: number | null }> };
        return ok(saved.state) ? saved.state : undefined;
      } catch {
        return undefined;
      }
    });
  }

  it('keeps the counts, counts the units the PLC counted while Node-RED was down, and recognises a jump and a reset', async () => {
    let base = await nodeRed.start();
    await post(base, '/flows', killFlow(), { 'Node-RED-Deployment-Type': 'full' });
    const cycle = { name: 'cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', machineId: M1 };
    const register = { name: 'count', address: 'DB1.DBD4', dataType: 'DINT', kind: 'counter', machineId: M1 };
    const t0 = Date.now() - 120_000;
    const bit = (value: number, at: number) => post(base, '/edges', { signal: cycle, payload: value, quality: 'good', timestamp: t0 + at });
    const count = (value: number, at: number, quality = 'good') => post(base, '/counts', { signal: register, payload: value, quality, timestamp: t0 + at });

    for (const [i, value] of [0, 1, 0, 1, 0, 1, 0].entries()) await bit(value, i * 100);
    await count(100, 0);
    await count(105, 5000);
    await waitFor('three edge units', () => get<UnitEvent[]>(base, '/edge-units').then((u) => u.length === 3 && u));
    await waitFor('the counter step', () => get<UnitEvent[]>(base, '/counter-units').then((u) => u.length === 1 && u));
    // Within a second of the last change, before any clean stop: then kill -9.
    await journalOf('ec-edges', (s) => s[M1]?.total === 3, 'the journal holds the 3 edge units');
    await journalOf('ec-counts', (s) => s[M1]?.total === 5 && s[M1]?.counter === 105, 'the journal holds the counter at 105');
    nodeRed.running()?.child.kill('SIGKILL');
    assert.equal((await nodeRed.running()?.exited)?.signal, 'SIGKILL');

    base = await nodeRed.start();
    // Low when killed: the next rising edge is unit 4, not unit 1 of a new count.
    await bit(0, 50_000);
    await bit(1, 50_100);
    const edges = await waitFor('an edge unit after the restart', () => get<UnitEvent[]>(base, '/edge-units').then((u) => u.length === 1 && u));
    assert.equal(edges[0].total, 4, 'the total survived kill -9 with the memory context store');

    // The PLC counted on to 180 while Node-RED was down (75 units in 85 s at a 1 s ideal cycle: possible).
    await count(180, 90_000);
    await count(181, 91_000);
    // 519 units in 1 s are impossible at a 1 s ideal cycle: a jump, not counted.
    await count(700, 92_000);
    await count(701, 93_000);
    // The PLC restarts: unreadable, then its counter starts again from 0.
    await count(0, 94_000, 'bad');
    await count(2, 100_000);
    const counted = await waitFor('the counter steps after the restart', () => get<UnitEvent[]>(base, '/counter-units').then((u) => (u.at(-1)?.total === 84 || u.length >= 4) && u));
    assert.deepEqual(counted.map((u) => [u.delta, u.total]), [[75, 80], [1, 81], [1, 82], [2, 84]]);
    const log = nodeRed.running()?.log.join('\n') ?? '';
    assert.match(log, /counter of "65a1b2c3d4e5f60718293a4b" jumped from 181 to 700/);
    assert.match(log, /counter of "65a1b2c3d4e5f60718293a4b" went back from 701 to 2: a reset/);
    assert.match(log, /gap in the readings of "65a1b2c3d4e5f60718293a4b" from \S+ to \S+ \(7\.0 s\)/);
  });
});
