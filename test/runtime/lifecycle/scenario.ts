/**
 * One run of the lifecycle torture scenario: flows/default-flow.json unchanged (edge mode,
 * press-1 and lathe-2 on PLC A, from the application's pin mappings) plus a tab that counts
 * mill-3 in counter mode from PLC B's DINT counter, in a real Node-RED process that the scenario
 * deploys to, kills with SIGKILL and restarts, with its own simulators and database server.
 *
 * Node-RED runs on the real clock shifted to a fixed plant night, so every run meets the same
 * hours and dates: the plant is in America/St_Johns (UTC-03:30), where plant hour 23 of 15 February
 * starts on the UTC date 16 February (the application's day, FRONTEND-CONTRACT.md) and plant
 * midnight is 03:30Z. The run crosses plant midnight about 75 s after the start, during the PLC
 * outage; the standstill and the operators' edits come later, in plant hour 0, whatever the
 * machine's speed. Every wait is for readiness or for units the simulator produced; the outages
 * last real time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db, Document, MongoClient, ObjectId } from 'mongodb';
import { DedicatedMongoServer, driverModule } from '../../helpers/mongo-servers';
import { startSimulator, type MachineSim, type PulseRecord, type SimulatorHandle } from '../../helpers/simulator';
import { sleep, waitFor } from '../../helpers/wait';
import { clockEnvironment, type ClockSettings } from '../flow/accelerated-clock';
import { buildDir, killHard, prepareNodeRedHome, repoRoot, seed, type NodeRedHome, type NodeRedProcess, type PlantDocuments } from '../flow/harness';
import type { OutageWindow } from './ground-truth';
import { addOperatorStoppage, assignProduction, classifyPendingStoppage, type EditOutcome, type OperatorContext } from './operator';

export const TIME_ZONE = 'America/St_Johns';
/** Plant time when Node-RED first starts: 23:58:45 on 15 February in St. John's (03:28:45Z on the 16th). */
export const PLANT_START = Date.parse('2026-02-16T03:28:45.000Z');
export const CYCLE_TIMEOUT_MS = 60_000;
export const DB_NAME = 'torture';
export const PLC_OUTAGE_MS = 30_000;
export const DB_OUTAGE_MS = 60_000;
/** The counter PLC's restart: the CPU is away this long and comes back with its counter at 0. */
export const PLC_RESTART_MS = 5_000;
export const PLANNED_MINUTES = 10;
export const DEFECTS = 3;
export const CLASSIFIED = { reason: 'breakdown', description: 'bearing replaced', sapNotificationNumber: '4711' };
export const PLANNED = { reason: 'planned', description: 'planned maintenance' };

/** Edge-mode machines of the default flow (PLC A, pins from the application) and the counter-mode one (PLC B, counter tab). */
export const EDGE_MACHINES: MachineSim[] = [
  { name: 'press-1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 4000, pulseWidthMs: 2000, powerKw: 18.5 },
  { name: 'lathe-2', db: 2, powerPin: 2, cyclePin: 3, scenario: 'running', cycleTimeMs: 5000, pulseWidthMs: 2500, powerKw: 7.5 },
];
export const COUNTER_MACHINE: MachineSim = { name: 'mill-3', db: 3, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 2000, pulseWidthMs: 1000, powerKw: 11 };
/** The debug node that logs mill-3's running total: "[debug:<this>] <total>". */
export const COUNTER_TOTAL_LOG = 'mill-3 total';
export const MACHINE_NAMES = [...EDGE_MACHINES, COUNTER_MACHINE].map((m) => m.name);

export type ContextStoreName = 'memory' | 'localfilesystem';
export interface Combo { server: string; store: ContextStoreName }

export interface LogLine { at: number; line: string }
/** A fall of a machine's stored units (sum over its documents) seen while polling. */
export interface Lowering { machine: string; from: number; to: number; at: number; after: string }

export interface TortureRun {
  combo: Combo;
  db: Db;
  plant: PlantDocuments;
  /** Plant clock minus real clock, ms: Node-RED's instants minus the simulators'. */
  shift: number;
  /** Events in order, with real instants: the scenario as it happened. */
  events: { at: number; what: string }[];
  /** When the default flow could not read PLC A (deploys, kills, the PLC outage): its edge counter may miss pulses then. */
  windows: OutageWindow[];
  /** First read of each PLC: the counters' baselines. */
  firstRead: { edge: number; counter: number };
  pulses: Record<string, PulseRecord[]>;
  /** Real instant after which nothing was produced, and the settle that followed. */
  endedAt: number;
  settled: boolean;
  records: Document[];
  lowerings: Lowering[];
  /** How long after each PLC came back its first read came (information, never asserted). */
  reconnectMs: number[];
  operator: {
    classify?: EditOutcome; planned?: EditOutcome; assignment?: EditOutcome;
    date: string; hour: number; operatorId: ObjectId; moldId: ObjectId;
    /** lathe-2's standstill (real instants): from its last unit's fall to its next unit's rise. */
    standstill: { from: number; to: number };
    /** lathe-2's documents after the package's first write following the classification. */
    afterClassify?: { written: boolean; unclassified: number };
  };
  log: LogLine[];
  close(): Promise<void>;
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The default flow, unchanged, and a tab counting mill-3 from PLC B's counter with the same node settings. */
function flowsWithCounterTab(millId: string): FlowNode[] {
  const flows = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', 'default-flow.json'), 'utf8')) as FlowNode[];
  const like = (type: string): FlowNode => ({ ...flows.find((n) => n.type === type)! });
  const tab = 'torture-counter-tab';
  const id = (name: string): string => `torture-counter-${name}`;
  const counterTab: FlowNode[] = [
    // The default tab's environment, so the copied nodes' ${...} settings resolve as they do there;
    // its machine scope is mill-3 alone (one writer per machine: with the default's empty scope this
    // tab's aggregator would restore, and write, the edge machines' hours too).
    {
      ...like('tab'), id: tab, label: 'Counter mode (mill-3)', info: '',
      env: (like('tab').env as { name: string }[]).map((e) => (e.name === 'S7_MACHINE_SCOPE' ? { name: e.name, type: 'str', value: `machine=${millId}` } : e)),
    },
    { ...like('plc-connection'), id: id('plc'), z: tab, name: 'PLC B', host: '127.0.0.1', port: '${COUNTER_PLC_PORT}', rack: '0', slot: '1' },
    { ...like('mongo-connection'), id: id('mongo'), z: tab, uri: '${MONGODB_URI}', database: '${MONGODB_DB}' },
    {
      ...like('plc-reader'), id: id('reader'), z: tab, name: 'mill-3 counter', connection: id('plc'), source: 'table', mongo: '', intervalMs: 500,
      signals: [
        { name: 'mill-3 counter', address: `DB${COUNTER_MACHINE.db}.DBD4`, dataType: 'DINT', kind: 'counter', machineId: millId },
        { name: 'mill-3 power', address: `Q0.${COUNTER_MACHINE.powerPin}`, kind: 'power', machineId: millId },
        { name: 'mill-3 cycle', address: `Q0.${COUNTER_MACHINE.cyclePin}`, kind: 'unit-cycle', machineId: millId },
      ],
      wires: [[id('units'), id('hours')]],
    },
    { ...like('edge-counter'), id: id('units'), z: tab, name: 'mill-3 units', mode: 'counter', counterBits: 32, wires: [[id('hours'), id('total')]] },
    // The counter's running total in Node-RED's log: tells a unit the counter missed from one lost on the way to the database.
    {
      id: id('total'), type: 'debug', z: tab, name: COUNTER_TOTAL_LOG, active: true, tosidebar: false, console: true, tostatus: false,
      complete: 'units.total', targetType: 'msg', statusVal: '', statusType: 'auto', x: 700, y: 100, wires: [],
    },
    { ...like('hourly-aggregator'), id: id('hours'), z: tab, name: 'mill-3 hours', mongo: id('mongo'), wires: [[id('sink')], [id('sink')]] },
    { ...like('mongo-sink'), id: id('sink'), z: tab, name: 'mill-3 records', connection: id('mongo'), wires: [[], []] },
  ];
  return [...flows, ...counterTab];
}

/** Stored units per machine: the sum of its documents' hours. */
async function storedUnits(db: Db, machineIds: Map<string, ObjectId>): Promise<Map<string, number>> {
  const records = await db.collection('productionrecords').find().toArray();
  const units = new Map<string, number>();
  for (const [name, id] of machineIds) {
    const mine = records.filter((r) => String(r.machineId) === String(id));
    units.set(name, mine.reduce((sum, r) => sum + ((r.hourlyData ?? []) as Document[]).reduce((s, h) => s + ((h.unitsProduced as number) || 0), 0), 0));
  }
  return units;
}

export async function runTorture(combo: Combo): Promise<TortureRun> {
  const events: TortureRun['events'] = [];
  const note = (what: string): void => {
    events.push({ at: Date.now(), what });
  };
  const log: LogLine[] = [];
  const windows: OutageWindow[] = [];
  const reconnectMs: number[] = [];
  const lowerings: Lowering[] = [];
  const server = new DedicatedMongoServer(combo.server);
  const flowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'torture-flows-'));
  let plcA: SimulatorHandle | undefined;
  let plcB: SimulatorHandle | undefined;
  let home: NodeRedHome | undefined;
  let nodeRed: NodeRedProcess | undefined;
  let client: MongoClient | undefined;
  let polling = true;
  let poller: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    polling = false;
    await poller;
    if (nodeRed) await nodeRed.stop();
    home?.dispose();
    await plcA?.close();
    await plcB?.close();
    await client?.close();
    await server.dispose();
    fs.rmSync(flowDir, { recursive: true, force: true });
  };

  try {
    const info = await server.start();
    const driver = driverModule(info);
    client = new driver.MongoClient(info.uri, { serverSelectionTimeoutMS: 5_000 }) as unknown as MongoClient;
    const db = client.db(DB_NAME);
    const plant = await seed.seedIfEmpty(db, {
      ObjectId: driver.ObjectId,
      department: 'Assembly',
      machines: [...EDGE_MACHINES.map(({ name, powerPin, cyclePin }) => ({ name, powerPin, cyclePin })), { name: COUNTER_MACHINE.name }],
      signalTimeouts: { powerSignalTimeout: 5, cycleSignalTimeout: CYCLE_TIMEOUT_MS / 60_000 },
    });
    if (!plant) throw new Error('the fresh database was not seeded');
    const machineIds = new Map(plant.machines.map((m) => [m.name as string, m._id as ObjectId]));
    const millId = String(machineIds.get(COUNTER_MACHINE.name));

    plcA = await startSimulator({ machines: EDGE_MACHINES });
    plcB = await startSimulator({ machines: [COUNTER_MACHINE] });
    const a = plcA;
    const b = plcB;
    const flowSource = path.join(flowDir, 'flows.json');
    fs.writeFileSync(flowSource, JSON.stringify(flowsWithCounterTab(millId), null, 2));
    const clock: ClockSettings = { speed: 1, start: PLANT_START, realStart: Date.now() };
    const shift = clock.start - clock.realStart;
    home = await prepareNodeRedHome({
      flowSource,
      env: {
        ...clockEnvironment(clock.start, clock.speed, undefined, clock.realStart),
        PLC_HOST: '127.0.0.1',
        PLC_PORT: String(a.port),
        COUNTER_PLC_PORT: String(b.port),
        MONGODB_URI: info.uri,
        MONGODB_DB: DB_NAME,
        PLANT_TZ: TIME_ZONE,
      },
      settings: {
        contextStorage: { default: { module: combo.store } },
        ...(info.driver === 'mongodb' ? {} : { s7productionMongoDriver: info.driver }),
      },
      execArgv: ['-r', path.join(buildDir, 'test', 'runtime', 'flow', 'accelerated-clock.js')],
      onLine: (line) => log.push({ at: Date.now(), line }),
    });
    const nr = home;

    const firstReadAfter = (plc: SimulatorHandle, since: number, what: string): Promise<number> =>
      waitFor(`${combo.server}/${combo.store}: ${what}`, async () => (await plc.readRequestTimes(since))[0], 120_000);
    const linesAfter = (index: number, text: string): boolean => log.slice(index).some((l) => l.line.includes(text));
    const started = async (index: number, text: string, what: string): Promise<number> => {
      await waitFor(`${combo.server}/${combo.store}: "${text}" after ${what}`, () => linesAfter(index, text), 120_000);
      return Date.now();
    };
    const units = async (plc: SimulatorHandle, machine: string, n: number): Promise<void> => {
      const from = (await plc.truth(machine)).pulses;
      await waitFor(`${combo.server}/${combo.store}: ${n} units of ${machine}`, async () => (await plc.truth(machine)).pulses >= from + n, 120_000);
    };
    /** Both flows read again after `since`: the edge flow's PLC and the counter tab's. */
    const readingAgain = async (since: number, what: string): Promise<number> => {
      const edge = await firstReadAfter(a, since, `PLC A read after ${what}`);
      await firstReadAfter(b, since, `PLC B read after ${what}`);
      return edge;
    };
    const startNodeRed = async (what: string): Promise<void> => {
      const index = log.length;
      const begin = Date.now();
      nodeRed = await nr.start();
      await started(index, 'Started flows', what);
      await readingAgain(begin, what);
    };
    const deploy = async (type: 'full' | 'nodes', label: string, change?: (flows: FlowNode[]) => void): Promise<void> => {
      const got = await fetch(`${nr.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
      if (!got.ok) throw new Error(`GET /flows: HTTP ${got.status}`);
      const { flows, rev } = await got.json() as { flows: FlowNode[]; rev: string };
      change?.(flows);
      const index = log.length;
      const begin = Date.now();
      const res = await fetch(`${nr.url}/flows`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': type },
        body: JSON.stringify({ flows, rev }),
      });
      if (!res.ok) throw new Error(`${label}: POST /flows answered HTTP ${res.status}: ${await res.text()}`);
      const ready = await started(index, type === 'full' ? 'Started flows' : 'Started modified nodes', label);
      if (type === 'full') windows.push({ kind: 'deploy', label, start: begin, end: await firstReadAfter(a, ready, `read after ${label}`) });
      else await readingAgain(ready, label);
    };
    const killAndRestart = async (label: string): Promise<void> => {
      const killedAt = Date.now();
      await killHard(nodeRed!);
      nodeRed = undefined;
      const begin = Date.now();
      await startNodeRed(`${label}: restart`);
      // kill -9 may lose the units of the last second (issue 10, "Crash safety").
      windows.push({ kind: 'node-red-down', label, start: killedAt - 1000, end: await firstReadAfter(a, begin, `read after ${label}`) });
    };
    let lastEvent = 'start';
    const poll = async (): Promise<void> => {
      const previous = new Map<string, number>();
      while (polling) {
        try {
          for (const [machine, stored] of await storedUnits(db, machineIds)) {
            const before = previous.get(machine) ?? 0;
            if (stored < before) lowerings.push({ machine, from: before, to: stored, at: Date.now(), after: lastEvent });
            previous.set(machine, stored);
          }
        } catch {
          // The database is away (the outage): nothing to compare.
        }
        await sleep(1000);
      }
    };
    const step = (what: string): void => {
      lastEvent = what;
      note(what);
    };

    // --- The scenario ---
    step('Node-RED starts');
    await startNodeRed('first start');
    const firstRead = { edge: (await a.readRequestTimes(0))[0], counter: (await b.readRequestTimes(0))[0] };
    poller = poll();
    await units(a, 'press-1', 3);

    step('full deploy 1');
    await deploy('full', 'full deploy 1');
    await units(a, 'press-1', 3);

    step('kill -9 1');
    await killAndRestart('kill -9 1');
    await units(a, 'press-1', 3);

    step('PLC outage');
    const plcDownAt = Date.now();
    await Promise.all([a.stopServer(), b.stopServer()]);
    await sleep(PLC_OUTAGE_MS);
    const plcBackAt = Date.now();
    await Promise.all([a.startServer(), b.startServer()]);
    const readAgain = await readingAgain(plcBackAt, 'the PLC outage');
    reconnectMs.push(readAgain - plcBackAt);
    windows.push({ kind: 'plc-down', label: 'PLC outage', start: plcDownAt, end: readAgain });
    await units(a, 'press-1', 3);

    step('full deploy 2');
    await deploy('full', 'full deploy 2');
    step('modified deploy');
    await deploy('nodes', 'modified deploy', (flows) => {
      const debug = flows.find((n) => n.type === 'debug' && n.name === 'units');
      if (!debug) throw new Error('the default flow has no debug node "units" to change');
      debug.name = 'units (renamed)';
    });
    await units(b, COUNTER_MACHINE.name, 3);

    step('PLC B restart with its counter reset');
    // The machine stops and the reader gets its last count before the PLC restarts: units counted
    // after the last read and then reset are lost to any reader of the counter.
    await b.setScenario(COUNTER_MACHINE.name, { scenario: 'stopped-powered' });
    const lastPulse = await waitFor('mill-3\'s last pulse ends', async () => {
      const log = await b.pulseLog(COUNTER_MACHINE.name);
      return log.length > 0 && log[log.length - 1].fall !== undefined ? log[log.length - 1] : undefined;
    });
    // A cycle's requests go out together (the default engine keeps several in flight on one
    // connection), and a reader's next cycle starts only once the one before has its answers: a
    // request half an interval (500 ms) after the first one after the fall means a whole cycle
    // read after the fall has been answered.
    await waitFor(`${combo.server}/${combo.store}: PLC B read a whole cycle after mill-3 stopped`, async () => {
      const times = await b.readRequestTimes(lastPulse.fall);
      return times.length >= 2 && times[times.length - 1] - times[0] >= 250;
    }, 120_000);
    await b.stopServer();
    await b.resetCounter(COUNTER_MACHINE.name, 0);
    await sleep(PLC_RESTART_MS);
    const restartedAt = Date.now();
    await b.startServer();
    await b.setScenario(COUNTER_MACHINE.name, { scenario: 'running' });
    reconnectMs.push(await firstReadAfter(b, restartedAt, 'PLC B read after its restart') - restartedAt);
    await units(b, COUNTER_MACHINE.name, 3);

    step('lathe-2 stands still; database outage');
    await a.setScenario('lathe-2', { scenario: 'stopped-powered' });
    await server.stop();
    await sleep(DB_OUTAGE_MS);
    await server.start();
    const dbBackAt = Date.now();
    note('database back');
    // The sink writes again: a reading newer than the outage reaches signaldatas.
    await waitFor(`${combo.server}/${combo.store}: signaldatas written after the database outage`,
      async () => (await db.collection('signaldatas').countDocuments({ timestamp: { $gt: new Date(dbBackAt + shift) } }).catch(() => 0)) > 0, 180_000);

    step('operators classify, plan and assign');
    const lathe = machineIds.get('lathe-2')!;
    const press = machineIds.get('press-1')!;
    // The package has written lathe-2's automatic stoppage, pending (in whichever document it chose).
    const pending = await waitFor(`${combo.server}/${combo.store}: lathe-2's pending automatic stoppage in productionrecords`, async () => {
      for (const r of await db.collection('productionrecords').find({ machineId: lathe }).toArray()) {
        for (const h of (r.hourlyData ?? []) as Document[]) {
          const s = ((h.stoppages ?? []) as Document[]).find((x) => x.reason === 'unclassified' && x.isPending === true);
          if (s) return { record: r, hour: h.hour as number, stoppage: s };
        }
      }
      return undefined;
    }, 180_000);
    const ctx: OperatorContext = { db, ObjectId: driver.ObjectId as unknown as new () => ObjectId, now: () => new Date(Date.now() + shift) };
    const today = ctx.now().toISOString().slice(0, 10);
    const operator: TortureRun['operator'] = {
      date: today, hour: pending.hour, operatorId: new ctx.ObjectId(), moldId: new ctx.ObjectId(),
      standstill: { from: 0, to: 0 },
    };
    operator.classify = await classifyPendingStoppage(ctx, {
      machineId: lathe, date: today, hour: pending.hour, pendingStoppageId: String(pending.stoppage._id), ...CLASSIFIED,
    });
    const classifiedAt = Date.now();
    operator.planned = await addOperatorStoppage(ctx, { machineId: press, date: today, hour: pending.hour, ...PLANNED, duration: PLANNED_MINUTES });
    operator.assignment = await assignProduction(ctx, {
      machineId: lathe, date: today, hour: pending.hour, operatorId: operator.operatorId, moldId: operator.moldId, defectiveUnits: DEFECTS,
    });
    note(`operator edits: classify ${operator.classify.saved ? 'saved' : operator.classify.why}; planned ${operator.planned.saved ? 'saved' : operator.planned.why}; ` +
      `assignment ${operator.assignment.saved ? 'saved' : operator.assignment.why}`);
    // The package's next write of lathe-2 (the machine still stands): what the dashboard shows then.
    const operatorSaved = operator.assignment.saved ? (operator.assignment.document.updatedAt as Date).getTime() : classifiedAt + shift;
    const written = await waitFor('the package writes lathe-2 again after the operators', async () => {
      const docs = await db.collection('productionrecords').find({ machineId: lathe }).toArray();
      return docs.some((d) => (d.updatedAt as Date).getTime() > operatorSaved) ? docs : undefined;
    }, 150_000).catch(() => undefined);
    const docsNow = written ?? await db.collection('productionrecords').find({ machineId: lathe }).toArray();
    const stoppagesNow = docsNow.flatMap((d) => ((d.hourlyData ?? []) as Document[]).flatMap((h) => (h.stoppages ?? []) as Document[]));
    operator.afterClassify = { written: written !== undefined, unclassified: stoppagesNow.filter((s) => s.reason === 'unclassified').length };

    step('full deploy 3');
    await deploy('full', 'full deploy 3');
    step('lathe-2 produces again');
    await a.setScenario('lathe-2', { scenario: 'running' });
    await units(a, 'lathe-2', 2);

    step('kill -9 2');
    await killAndRestart('kill -9 2');
    await units(a, 'press-1', 3);

    step('the machines stand still; settle');
    await a.setScenario('press-1', { scenario: 'stopped-powered' });
    await a.setScenario('lathe-2', { scenario: 'stopped-powered' });
    await b.setScenario(COUNTER_MACHINE.name, { scenario: 'stopped-powered' });
    const pulses: Record<string, PulseRecord[]> = {};
    // A pulse under way finishes its width first.
    await waitFor('the last pulses end', async () => {
      for (const m of EDGE_MACHINES) pulses[m.name] = await a.pulseLog(m.name);
      pulses[COUNTER_MACHINE.name] = await b.pulseLog(COUNTER_MACHINE.name);
      return Object.values(pulses).every((list) => list.every((p) => p.fall !== undefined));
    });
    const endedAt = Math.max(...Object.values(pulses).map((list) => list[list.length - 1]?.fall ?? 0));
    const latheLog = pulses['lathe-2'];
    const resumed = latheLog.findIndex((p) => p.rise > classifiedAt);
    operator.standstill = { from: latheLog[resumed - 1]?.fall ?? 0, to: latheLog[resumed]?.rise ?? 0 };
    // Every machine written after its status changed (the cycle timeout after its last unit): that
    // snapshot was taken after every unit had reached the aggregator.
    const lastFall = new Map([...machineIds].map(([name, id]) => [String(id), pulses[name][pulses[name].length - 1]?.fall ?? 0]));
    const settled = await waitFor('every machine written after its status changed', async () => {
      const records = await db.collection('productionrecords').find().toArray();
      return [...lastFall].every(([id, fall]) => records.some((r) => String(r.machineId) === id
        && (r.updatedAt as Date).getTime() - shift > fall + CYCLE_TIMEOUT_MS + 1000));
    }, 240_000).then(() => true, () => false);
    note(settled ? 'settled' : 'not settled within 240 s');
    polling = false;
    await poller;
    const records = await db.collection('productionrecords').find().toArray();
    return { combo, db, plant, shift, events, windows, firstRead, pulses, endedAt, settled, records, lowerings, reconnectMs, operator, log, close };
  } catch (err) {
    const tail = log.slice(-80).map((l) => l.line).join('\n');
    console.log(`[${combo.server}/${combo.store}] scenario failed after: ${events.map((e) => e.what).join(' > ')}\nNode-RED log (last 80 lines):\n${tail}`);
    await close();
    throw err;
  }
}
