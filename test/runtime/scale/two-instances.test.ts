/**
 * Two instances, one database (README "Scaling"): two real Node-RED processes run the same flow
 * file (flows/default-flow.json, with the machine scope `${S7_MACHINE_SCOPE}` on the reader and
 * the aggregator), each told by its environment which half of the plant's machines it owns. Both
 * read one simulated PLC and write into one database server. Through a full deploy of one and a
 * kill -9 (and restart) of the other, the application's documents must end exact against the
 * simulator's pulse counts, and every productionrecords document may carry only sessions of the
 * instance that owns its machine.
 *
 * The default flow counts rising edges of the cycle bit, which cannot see a pulse while Node-RED
 * is down: an instance's machines are paused (powered, not cycling) before its deploy or kill and
 * resumed once it reads again. What the test proves is that the restart neither loses nor doubles
 * what was counted; nothing here waits for a fixed time.
 *
 * The ground truth is the simulator's log of each pulse's rising and falling edge. On a busy
 * machine the reader can fail to read for seconds; the edge counter then reports a gap (its warning
 * names the machine and the last and first reading around it), and a pulse that overlaps a gap
 * may have begun and ended unseen. So each machine's stored units must equal what its owner's
 * edge counter counted (its journal holds every total before the unit event leaves), and that
 * must lie between the pulses outside the reported gaps and all the pulses: exactly the pulses
 * whenever no gap was reported.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db, Document, MongoClient } from 'mongodb';
import { LEDGER_FIELD } from '../../../lib/app-contract';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { startSimulator, type MachineSim, type SimulatorHandle } from '../../helpers/simulator';
import { expectedUnits, reportedGaps } from './ground-truth';
import { waitFor } from '../../helpers/wait';
import { buildDir, nodeRed, nodeRedPath, repoRoot, seed, type NodeRedProcess, type PlantDocuments } from '../flow/harness';

const READER_ID = '5709afca3b8051b0';
const AGGREGATOR_ID = '268d2da390ec15a8';
const COUNTER_ID = '6036dde8cd2f22e0';
const SINK_ID = '6accae515307d10b';
/** A unit cycle of 2 s with the bit high for 1 s, read every 100 ms: a pulse is seen about ten times. */
const MACHINES: MachineSim[] = [0, 1, 2, 3].map((i) => ({
  name: `m${i + 1}`, db: i + 1, powerPin: 2 * i, cyclePin: 2 * i + 1, scenario: 'off', cycleTimeMs: 2000, pulseWidthMs: 1000, powerKw: 10,
}));
const OWNERS = { a: ['m1', 'm2'], b: ['m3', 'm4'] } as const;
type InstanceName = keyof typeof OWNERS;
/** Pulses each machine makes in every running phase. */
const PULSES_PER_PHASE = 4;

/** The default flow, as one flow file for every instance: the scope from the environment; snapshots every 1.2 s. */
function scaledFlow(): Record<string, unknown>[] {
  const flow = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', 'default-flow.json'), 'utf8')) as Record<string, unknown>[];
  const tab = flow.find((n) => n.type === 'tab')!.id;
  const at = { z: tab, x: 100, y: 600 };
  for (const node of flow) {
    if (node.id === READER_ID || node.id === AGGREGATOR_ID) node.machineScope = '${S7_MACHINE_SCOPE}';
    if (node.id === AGGREGATOR_ID) Object.assign(node, { snapshotMinutes: 0.02, tickSeconds: 0.5 });
  }
  // The sink's status, kept for GET /sink-status (the compare-and-swap retries are in it).
  flow.push(
    { id: 'scale-status', type: 'status', scope: [SINK_ID], ...at, wires: [['scale-keep']] },
    { id: 'scale-keep', type: 'function', func: 'flow.set("sinkStatus", msg.status.text);\nreturn null;', outputs: 1, ...at, wires: [[]] },
    { id: 'scale-in', type: 'http in', url: '/sink-status', method: 'get', ...at, wires: [['scale-get']] },
    { id: 'scale-get', type: 'function', func: 'msg.payload = { text: flow.get("sinkStatus") || "" };\nreturn msg;', outputs: 1, ...at, wires: [['scale-out']] },
    { id: 'scale-out', type: 'http response', ...at, wires: [] },
  );
  return flow;
}

interface Instance {
  name: InstanceName;
  userDir: string;
  env: Record<string, string>;
  running?: NodeRedProcess;
  /** Aggregator sessions this instance ran (one per start or deploy). */
  sessions: Set<string>;
  /** Log lines of every process of this instance. */
  log: string[];
}

describeEachMongoServer('two Node-RED instances, one database, each with its half of the machines', (target) => {
  let home = '';
  let plc: SimulatorHandle | undefined;
  let client: MongoClient | undefined;
  let db: Db;
  const instances: Instance[] = [];

  after(async function () {
    this.timeout(60_000);
    await Promise.all(instances.map((i) => i.running?.stop()));
    await plc?.close();
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('ends exact against the simulator through a deploy of one and a kill -9 of the other; no document written by the wrong instance', async function () {
    this.timeout(600_000);
    const { server, driver } = target();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-scale-'));
    client = new driver.MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 }) as unknown as MongoClient;
    await client.connect();
    db = client.db(`scale_two_${Date.now().toString(36)}`);
    const plant = await seed.seedIfEmpty(db, {
      ObjectId: driver.ObjectId, department: 'Assembly', machines: MACHINES.map(({ name, powerPin, cyclePin }) => ({ name, powerPin, cyclePin })),
    }) as PlantDocuments;
    const idOf = (name: string): string => String(plant.machines.find((m) => m.name === name)!._id);
    const nameOf = new Map(plant.machines.map((m) => [String(m._id), String(m.name)]));
    plc = await startSimulator({ machines: MACHINES });

    const flowFile = path.join(home, 'flow.json');
    const flow = scaledFlow();
    fs.writeFileSync(flowFile, JSON.stringify(flow));
    const packageDir = nodeRed.stagePackage(repoRoot, buildDir, path.join(home, 'package'));
    for (const name of ['a', 'b'] as const) {
      const userDir = path.join(home, name);
      nodeRed.prepareUserDir({ userDir, packageDir, flowSource: flowFile, settings: server.driver === 'mongodb' ? {} : { s7productionMongoDriver: server.driver } });
      instances.push({
        name, userDir, sessions: new Set(), log: [],
        env: {
          PLC_HOST: '127.0.0.1', PLC_PORT: String(plc.port), PLC_INTERVAL_MS: '100', MONGODB_URI: server.uri, MONGODB_DB: db.databaseName, PLANT_TZ: 'UTC',
          S7_MACHINE_SCOPE: OWNERS[name].map((m) => `machine=${idOf(m)}`).join(','),
        },
      });
    }
    const [a, b] = instances;

    // Each instance's reader: the power and cycle pins of its two machines.
    const mappingLogs = (i: Instance): number => i.log.filter((l) => l.includes("4 signals from the application's pin mappings")).length;
    /** The aggregator session of the instance's current run, once its state journal holds one not seen before. */
    const newSession = (i: Instance): Promise<string> => waitFor(`${i.name}: a new aggregator session in its state journal`, () => {
      try {
        const saved = JSON.parse(fs.readFileSync(path.join(i.userDir, 's7-production-state', `${AGGREGATOR_ID}.json`), 'utf8')) as { state?: { session?: string } };
        const session = saved.state?.session;
        return session && !i.sessions.has(session) ? session : undefined;
      } catch {
        return undefined;
      }
    }, 120_000);
    /** Starts (or restarts) an instance and waits until it reads its mapped pins with a new session. */
    const start = async (i: Instance): Promise<void> => {
      const before = mappingLogs(i);
      i.running = await nodeRed.startNodeRed({ userDir: i.userDir, port: await nodeRed.freePort(), env: i.env, nodeRedPath, onLine: (line) => i.log.push(line) });
      await waitFor(`${i.name}: reads its mapped pins`, () => mappingLogs(i) > before, 120_000);
      i.sessions.add(await newSession(i));
    };

    const dbUnits = async (): Promise<Map<string, number>> => {
      const units = new Map<string, number>();
      for (const doc of await db.collection('productionrecords').find({}).toArray()) {
        const name = nameOf.get(String(doc.machineId)) ?? String(doc.machineId);
        units.set(name, (units.get(name) ?? 0) + (doc.unitsProduced as number));
      }
      return units;
    };
    const pulses = async (name: string): Promise<number> => (await plc!.truth(name)).pulses;
    const owner = (machine: string): Instance => (OWNERS.a.includes(machine as never) ? a : b);
    /** The machine's expected units from the simulator's pulse log and the gaps its owner reported. */
    const expected = async (name: string): Promise<{ least: number; most: number; gaps: number }> => {
      const gaps = reportedGaps(owner(name).log).filter((g) => g.machineId === idOf(name));
      return { ...expectedUnits(await plc!.pulseLog(name), gaps), gaps: gaps.length };
    };
    /** The running total the owner's edge counter last saved for the machine (what it saw, whatever reached the database). */
    const savedTotal = (name: string): number | string => {
      try {
        const saved = JSON.parse(fs.readFileSync(path.join(owner(name).userDir, 's7-production-state', `${COUNTER_ID}.json`), 'utf8')) as { state: Record<string, { total: number }> };
        return saved.state[idOf(name)]?.total ?? 'none';
      } catch (err) {
        return (err as Error).message;
      }
    };
    type Counts = { name: string; stored: number; least: number; most: number; gaps: number; counted: number | string };
    /** "m1 12/13 (at least 12: …) [counted 13]" for each machine: stored/pulses, the gaps, what its edge counter counted. */
    const describeCounts = (counts: Counts[]): string => counts.map((c) => `${c.name} ${c.stored}/${c.most}`
      + (c.least < c.most ? ` (at least ${c.least}: ${c.most - c.least} pulse(s) overlap ${c.gaps} reported gap(s))` : '')
      + (c.stored === c.most && c.counted === c.most ? '' : ` [its edge counter counted ${c.counted}]`)).join(', ');
    const countsOf = async (names: readonly string[]): Promise<Counts[]> => {
      const units = await dbUnits();
      return Promise.all(names.map(async (name) => ({ name, stored: units.get(name) ?? 0, ...await expected(name), counted: savedTotal(name) })));
    };
    /**
     * Exact: the database holds every unit the machine's edge counter counted (its journal holds each
     * total before the unit event leaves), and that count is all the pulses but those a reported gap may hide.
     */
    const exact = (c: Counts): boolean => c.stored === c.counted && c.stored >= c.least && c.stored <= c.most;
    /** Waits until every machine of `names` is recorded exactly (a pulse under way ends first). */
    const settled = async (names: readonly string[], what: string): Promise<void> => {
      let last = '';
      await waitFor(what, async () => {
        const counts = await countsOf(names);
        last = describeCounts(counts);
        return counts.every(exact);
      }, 120_000).catch((err: Error) => assert.fail(`${err.message} (stored/pulses: ${last})`));
    };
    const setMachines = async (names: readonly string[], scenario: MachineSim['scenario']): Promise<void> => {
      for (const name of names) await plc!.setScenario(name, { scenario });
    };
    /** Lets the machines run until each has made `count` more pulses (counted by the simulator). */
    const produce = async (names: readonly string[], count: number): Promise<void> => {
      const from = new Map<string, number>();
      for (const name of names) from.set(name, await pulses(name));
      await setMachines(names, 'running');
      await waitFor(`${names.join(', ')}: ${count} pulses each`, async () => {
        for (const name of names) if (await pulses(name) - from.get(name)! < count) return false;
        return true;
      }, 120_000);
    };

    try {
      // Both instances read their pins (machines off: the counters take their baselines).
      await Promise.all([start(a), start(b)]);
      await waitFor('the latest value of every mapped sensor written by its instance', async () => await db.collection('signaldatas').countDocuments() === 8, 60_000);
      const all = [...OWNERS.a, ...OWNERS.b];
      await produce(all, PULSES_PER_PHASE);

      // A full deploy of instance a, its machines paused meanwhile.
      await setMachines(OWNERS.a, 'stopped-powered');
      await settled(OWNERS.a, 'a: its machines recorded before the deploy');
      const beforeDeploy = mappingLogs(a);
      const deploy = await fetch(`${a.running!.url}/flows`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flow),
      });
      assert.equal(deploy.status, 204, `deploy: ${deploy.status} ${await deploy.text()}`);
      await waitFor('a: reads its pins again after the deploy', () => mappingLogs(a) > beforeDeploy, 120_000);
      a.sessions.add(await newSession(a));
      await produce(OWNERS.a, PULSES_PER_PHASE);

      // kill -9 of instance b, its machines paused meanwhile; then b starts again in the same user directory.
      await setMachines(OWNERS.b, 'stopped-powered');
      await settled(OWNERS.b, 'b: its machines recorded before the kill');
      b.running!.child.kill('SIGKILL');
      assert.equal((await b.running!.exited).signal, 'SIGKILL');
      await start(b);
      await produce(all, PULSES_PER_PHASE);

      // The end: everything stops, both instances write what they counted.
      await setMachines(all, 'stopped-powered');
      await settled(all, 'every machine recorded with the simulator\'s count');
      // Both sinks have nothing left to write, so nothing can change the counts afterwards.
      const statusOf = async (i: Instance): Promise<string> => ((await (await fetch(`${i.running!.url}/sink-status`)).json()) as { text: string }).text;
      const statuses = await Promise.all(instances.map((i) => waitFor(`${i.name}: the sink idle`, async () => {
        const text = await statusOf(i);
        return /queued 0\b/.test(text) ? text : undefined;
      })));

      const counts = await countsOf(all);
      assert.deepEqual(counts.filter((c) => !exact(c)), [], `no unit lost or doubled: ${describeCounts(counts)}`);
      // a's machines ran in three phases, b's in two.
      for (const c of counts) {
        const phases = OWNERS.a.includes(c.name as never) ? 3 : 2;
        assert.ok(c.most >= phases * PULSES_PER_PHASE, `${c.name}: ${c.most} pulses in ${phases} phases`);
      }
      console.log(`      stored/pulses: ${describeCounts(counts)}`);

      // Every document belongs to one machine and one UTC day, and holds only its owner's sessions.
      const docs: Document[] = await db.collection('productionrecords').find({}).toArray();
      const perDay = new Set<string>();
      for (const doc of docs) {
        const machine = nameOf.get(String(doc.machineId))!;
        const key = `${machine} ${(doc.startTime as Date).toISOString()}`;
        assert.ok(!perDay.has(key), `one document per machine and day: ${key}`);
        perDay.add(key);
        const writers = new Set((doc[LEDGER_FIELD] as { sessions: { id: string }[] }[]).flatMap((slot) => slot.sessions.map((s) => s.id)));
        assert.ok(writers.size > 0, `${machine}: the ledger names the sessions that wrote it`);
        const own = owner(machine);
        for (const session of writers) {
          assert.ok(own.sessions.has(session), `${machine}: session ${session} is not one of instance ${own.name}'s (${[...own.sessions].join(', ')}); instance ${own === a ? 'b' : 'a'} had ${[...(own === a ? b : a).sessions].join(', ')}`);
        }
      }
      assert.deepEqual([...new Set(docs.map((d) => nameOf.get(String(d.machineId))))].sort(), all, 'every machine has its documents');
      assert.ok(a.sessions.size === 2 && b.sessions.size === 2, 'a deploy and a restart each start a new session');

      // The compare-and-swap retries, as the sinks show them (the instances never share a document: none expected).
      const retries = statuses.map((text) => Number(/merges redone (\d+)/.exec(text)?.[1] ?? 0));
      console.log(`      compare-and-swap retries: a ${retries[0]}, b ${retries[1]} (sink status: "${statuses[0]}" / "${statuses[1]}")`);
      assert.deepEqual(retries, [0, 0], 'two instances that own disjoint machines never race on a document');
    } catch (err) {
      for (const i of instances) console.log(`Node-RED ${i.name} log (last 40 lines):\n${i.log.slice(-40).join('\n')}`);
      throw err;
    }
  });
});
