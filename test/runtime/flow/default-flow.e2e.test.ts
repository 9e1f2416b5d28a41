/**
 * End to end: flows/default-flow.json, unchanged, in a real Node-RED process, against the PLC
 * simulator (S7 over TCP) and a MongoDB-compatible server seeded with the application's
 * configuration, for a simulated plant hour. The Node-RED process runs on an accelerated clock
 * (accelerated-clock.ts: Date and every timer scaled together), so the nodes run their production
 * code paths; the simulator's cycle times are scaled by the same factor. The plant is in
 * Asia/Kolkata (UTC+05:30), so plant hours and UTC hours differ.
 *
 * Script, in plant time (hour H = 10:00-11:00 local):
 *   from H-8 min   both machines off; the flow starts at real speed, reads the configuration and
 *                  every pin (baselines); once it has, plant time runs 30x (before H-4)
 *   H-3            press-1 and lathe-2 produce (one unit every 30 s)
 *   H+15           lathe-2 stands still with power on
 *   H+35           lathe-2 produces again
 *   H+62           press-1 stands still with power on, lathe-2 is switched off
 *   H+69           the check
 * Expected in MongoDB: units = the simulator's pulses; hour H of press-1 all running; hour H of
 * lathe-2 running except one automatic stoppage from its last unit + the 2-min cycle timeout to
 * its first unit after H+35; machine status stoppage (press-1) and inactive (lathe-2); ObjectId
 * references; only the collections and fields of the contract. Every server gets its own
 * simulator, Node-RED and database, and all run at the same time.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db, Document, MongoClient, ObjectId } from 'mongodb';
import { LEDGER_FIELD } from '../../../lib/app-contract';
import { driverModule, getMongoServers, mongoServerNames, type DriverModule, type MongoServerInfo } from '../../helpers/mongo-servers';
import { startSimulator, type MachineSim, type PulseRecord, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';
import { expectedUnits, reportedGaps } from '../scale/ground-truth';
import { acceleratedNow, clockEnvironment, parseClockSwitch, realInstantOf } from './accelerated-clock';
import { buildDir, repoRoot, seed, startNodeRedWithPackage, type NodeRedProcess, type PlantDocuments } from './harness';

// 30x: a simulated hour in 2 real minutes. The cycle bit is high for 15 s of plant time and low for
// 15 s (500 ms real each), so only a pause of the Node-RED process longer than that (GC, a busy
// machine: 380 ms were seen on a heavily shared one) could hide a unit.
const SPEED = Number(process.env.E2E_CLOCK_SPEED ?? '30');
const MINUTE = 60_000;
const TZ = 'Asia/Kolkata';
const TZ_OFFSET = 330 * MINUTE;
/** Hour H: 10:00 plant time on a fixed day; its UTC start is 04:30Z. */
const DATE = '2026-03-16';
const H = Date.parse(`${DATE}T10:00:00.000Z`) - TZ_OFFSET;
const CYCLE_MS = 30_000;
/** The Node-RED process starts with its clock here, at real speed. */
const FLOW_START = H - 8 * MINUTE;
/**
 * Real time the flow has to become ready once Node-RED serves (which it must within 1 min): with
 * FLOW_START, plant time is still before H-4 when it does, whatever the machine's speed.
 */
const READY_WAIT_MS = 2 * MINUTE;
const MACHINES_START = H - 3 * MINUTE;
const MACHINES_STOP = H + 62 * MINUTE;
const PULSE_MS = 15_000;

const sim = (ms: number): number => Math.round(ms / SPEED);
const MACHINES: MachineSim[] = [
  { name: 'press-1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'off', cycleTimeMs: sim(CYCLE_MS), pulseWidthMs: sim(PULSE_MS), powerKw: 18.5 },
  { name: 'lathe-2', db: 2, powerPin: 2, cyclePin: 3, scenario: 'off', cycleTimeMs: sim(CYCLE_MS), pulseWidthMs: sim(PULSE_MS), powerKw: 7.5 },
];

const CONTRACT_COLLECTIONS = ['configs', 'departments', 'machines', 'productionrecords', 'sensorpinmappings', 'sensors', 'signaldatas'];
// The contract's fields, plus the sink's ledger (lib/app-contract/production-records.ts), which makes
// replayed snapshots harmless; Mongoose ignores fields outside its schema.
const RECORD_FIELDS = ['_id', '__v', 'machineId', 'operatorId', 'moldId', 'unitsProduced', 'defectiveUnits', 'startTime', 'endTime',
  'lastActivityTime', 'hourlyData', 'createdAt', 'updatedAt', LEDGER_FIELD];
const HOUR_FIELDS = ['_id', 'hour', 'unitsProduced', 'defectiveUnits', 'status', 'runningMinutes', 'stoppageMinutes', 'operatorId', 'moldId', 'stoppages'];
const STOPPAGE_FIELDS = ['_id', 'reason', 'description', 'sapNotificationNumber', 'startTime', 'endTime', 'duration', 'isPending', 'isClassified'];
const SIGNAL_FIELDS = ['_id', '__v', 'sensorId', 'machineId', 'value', 'timestamp', 'createdAt', 'updatedAt'];

function isObjectId(v: unknown): v is ObjectId {
  return !!v && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'ObjectId';
}

function assertOnlyFields(doc: Document, allowed: string[], what: string): void {
  for (const key of Object.keys(doc)) assert.ok(allowed.includes(key), `${what} has field "${key}", which the contract does not know`);
}

const within = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

/** One server's simulated plant hour: what the test checks afterwards, and what it must clean up. */
interface PlantHourRun {
  db: Db;
  plant: PlantDocuments;
  pulses: Map<string, { atStart: number; hourStart: number; hourEnd: number; atEnd: number }>;
  /** Each machine's pulses from its start to its stop, on the plant clock (the simulator's log). */
  pulseLog: Map<string, PulseRecord[]>;
  log: string[];
  close(): Promise<void>;
}

/**
 * Runs the script against one server. Every server's run starts at once (they wait on the clock,
 * not on each other), so the whole matrix takes one simulated hour of real time.
 */
async function runPlantHour(server: MongoServerInfo, driver: DriverModule): Promise<PlantHourRun> {
  let plc: SimulatorHandle | undefined;
  let nodeRed: NodeRedProcess | undefined;
  const client = new driver.MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 }) as unknown as MongoClient;
  const db = client.db(`e2e_${Date.now().toString(36)}_${server.name.replace(/\W/g, '')}`);
  const pulses: PlantHourRun['pulses'] = new Map();
  const pulseLog: PlantHourRun['pulseLog'] = new Map();
  const log: string[] = [];
  const clockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-clock-'));
  const clockSwitch = path.join(clockDir, 'accelerate');
  const close = async (): Promise<void> => {
    await nodeRed?.stop();
    await plc?.close();
    fs.rmSync(clockDir, { recursive: true, force: true });
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  };
  try {
    await client.connect();
    const plant = await seed.seedIfEmpty(db, {
      ObjectId: driver.ObjectId,
      department: 'Assembly',
      machines: MACHINES.map(({ name, powerPin, cyclePin }) => ({ name, powerPin, cyclePin })),
    });
    assert.ok(plant, 'a fresh database is seeded');

    plc = await startSimulator({ machines: MACHINES });
    const truth = async (name: string): Promise<number> => (await plc!.truth(name)).pulses;
    // Start-up runs at real speed from FLOW_START, however long it takes.
    nodeRed = await startNodeRedWithPackage({
      flowSource: path.join(repoRoot, 'flows', 'default-flow.json'),
      env: {
        ...clockEnvironment(FLOW_START, SPEED, clockSwitch),
        PLC_HOST: '127.0.0.1',
        PLC_PORT: String(plc.port),
        MONGODB_URI: server.uri,
        MONGODB_DB: db.databaseName,
        PLANT_TZ: TZ,
        // 1 s of plant time between reads (33 ms real at 30x): a pulse is seen about fifteen times.
        PLC_INTERVAL_MS: '1000',
      },
      settings: server.driver === 'mongodb' ? {} : { s7productionMongoDriver: server.driver },
      execArgv: ['-r', path.join(buildDir, 'test', 'runtime', 'flow', 'accelerated-clock.js')],
      onLine: (line) => log.push(line),
    });

    // Ready: every pin read (and written) once, so the counters have their baselines. Only then
    // does plant time run fast, and the script runs relative to that instant.
    await waitFor(`${server.name}: the flow writes a reading of every pin`, async () => await db.collection('signaldatas').countDocuments() >= 4, READY_WAIT_MS);
    fs.writeFileSync(clockSwitch, '');
    const clock = await waitFor(`${server.name}: the Node-RED process switches to ${SPEED}x`, () => log.map(parseClockSwitch).find(Boolean));
    assert.ok(clock.start < MACHINES_START - MINUTE,
      `${server.name}: the flow became ready at ${new Date(clock.start).toISOString()} plant clock, after H-4 min (${READY_WAIT_MS / 60_000} real minutes of start-up)`);
    /** Resolves when the accelerated clock shows `at`. */
    const until = (at: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, realInstantOf(clock, at) - Date.now())));

    await until(MACHINES_START);
    for (const m of MACHINES) pulses.set(m.name, { atStart: await truth(m.name), hourStart: 0, hourEnd: 0, atEnd: 0 });
    await plc.setScenario('press-1', { scenario: 'running' });
    await plc.setScenario('lathe-2', { scenario: 'running' });
    await until(H);
    for (const m of MACHINES) pulses.get(m.name)!.hourStart = await truth(m.name);
    // A pulse under way when a machine stops keeps its full width (the simulator's PLC pulse
    // timer), so every pulse the simulator counts is one the reader can see.
    await until(H + 15 * MINUTE);
    await plc.setScenario('lathe-2', { scenario: 'stopped-powered' });
    await until(H + 35 * MINUTE);
    await plc.setScenario('lathe-2', { scenario: 'running' });
    await until(H + 60 * MINUTE);
    for (const m of MACHINES) pulses.get(m.name)!.hourEnd = await truth(m.name);
    await until(MACHINES_STOP);
    await plc.setScenario('press-1', { scenario: 'stopped-powered' });
    await plc.setScenario('lathe-2', { scenario: 'off' });
    for (const m of MACHINES) pulses.get(m.name)!.atEnd = await truth(m.name);
    const plantTime = (real: number): number => acceleratedNow(clock, real);
    for (const m of MACHINES) {
      const made = (await plc.pulseLog(m.name)).slice(-(pulses.get(m.name)!.atEnd - pulses.get(m.name)!.atStart));
      pulseLog.set(m.name, made.map((r) => ({ rise: plantTime(r.rise), ...(r.fall === undefined ? {} : { fall: plantTime(r.fall) }) })));
    }
    // Status timeouts (2 and 5 min), the hour's grace period and the sink's flush.
    await until(MACHINES_STOP + 7 * MINUTE);
    return { db, plant, pulses, pulseLog, log, close };
  } catch (err) {
    if (log.length) console.log(`Node-RED log [${server.name}] (last 60 lines):\n${log.slice(-60).join('\n')}`);
    await close();
    throw err;
  }
}

describe('the default flow, end to end, for a simulated hour', function () {
  const runs = new Map<string, PlantHourRun>();

  before(async function () {
    this.timeout(420_000); // a first run installs the servers
    const servers = await getMongoServers();
    const settled = await Promise.allSettled(servers.map(async (server) => {
      runs.set(server.name, await runPlantHour(server, driverModule(server)));
    }));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all([...runs.values()].map((run) => run.close()));
  });

  for (const name of mongoServerNames()) describe(`[${name}]`, () => plantHourChecks(() => runs.get(name)!));
});

/** The checks of one server's run; `current()` is valid inside tests. */
/**
 * What a machine's units made from `from` to `to` (plant clock) must be stored as: its pulses, less
 * at most those that overlap a gap its edge counter reported (a machine at load 20 can leave the
 * reader seconds behind: edge mode cannot see a pulse nobody read, and says so).
 */
function unitsExpected(run: PlantHourRun, name: string, from: number, to: number): { least: number; most: number; gaps: number } {
  const id = String(run.plant.machines.find((m) => m.name === name)!._id);
  const pulses = run.pulseLog.get(name)!.filter((p) => p.rise >= from && p.rise < to);
  const gaps = reportedGaps(run.log).filter((g) => g.machineId === id && g.to >= from && g.from < to);
  return { ...expectedUnits(pulses, gaps), gaps: gaps.length };
}

/** Units of an hour: the pulses counted at its edges ± 1 (a pulse at the boundary), less what reported gaps may hide. */
function assertHourUnits(run: PlantHourRun, name: string, units: number): void {
  const p = run.pulses.get(name)!;
  const expected = unitsExpected(run, name, H, H + 60 * MINUTE);
  const made = p.hourEnd - p.hourStart;
  const least = made - (expected.most - expected.least) - 1;
  assert.ok(units >= least && units <= made + 1, `${name}: units in hour H ${units}, expected ${made} ± 1${expected.gaps ? `, less at most ${expected.most - expected.least} in ${expected.gaps} reported gap(s)` : ''}`);
}

function plantHourChecks(current: () => PlantHourRun): void {
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(`Node-RED log (last 60 lines):\n${current().log.slice(-60).join('\n')}`);
  });

  const machineId = (name: string): ObjectId => (current().plant.machines.find((m) => m.name === name)!._id as ObjectId);

  it('the simulator made units in the scripted windows', () => {
    for (const m of MACHINES) {
      const p = current().pulses.get(m.name)!;
      assert.ok(p.atEnd - p.atStart > 60, `${m.name}: ${p.atEnd - p.atStart} pulses`);
    }
  });

  it('holds only the collections of the contract', async () => {
    const names = (await current().db.listCollections().toArray()).map((c) => c.name).filter((n) => !n.startsWith('system.')).sort();
    assert.deepEqual(names, CONTRACT_COLLECTIONS);
  });

  it('left the application\'s configuration as it was, except machines.status', async () => {
    for (const name of ['departments', 'sensors', 'sensorpinmappings', 'configs'] as const) {
      assert.deepEqual(await current().db.collection(name).find().sort({ _id: 1 }).toArray(), current().plant[name].slice().sort((a, b) => String(a._id).localeCompare(String(b._id))), name);
    }
    for (const seeded of current().plant.machines) {
      const now = await current().db.collection('machines').findOne({ _id: seeded._id as ObjectId });
      assert.ok(now);
      const { status: _s, updatedAt: _u, ...rest } = now;
      const { status: _s0, updatedAt: _u0, ...seededRest } = seeded;
      assert.deepEqual(rest, seededRest, `machine ${String(seeded.name)}`);
    }
  });

  it('machine status as scripted: press-1 stoppage (power, no cycle), lathe-2 inactive (switched off)', async () => {
    assert.equal((await current().db.collection('machines').findOne({ _id: machineId('press-1') }))?.status, 'stoppage');
    assert.equal((await current().db.collection('machines').findOne({ _id: machineId('lathe-2') }))?.status, 'inactive');
  });

  it('one production record per machine and plant date, shaped as the contract says, units = the pulses', async () => {
    const records = await current().db.collection('productionrecords').find().toArray();
    assert.equal(records.length, 2, `records: ${records.map((r) => `${String(r.machineId)} ${String(r.startTime?.toISOString?.())}`).join(', ')}`);
    for (const m of MACHINES) {
      const record = records.find((r) => isObjectId(r.machineId) && r.machineId.equals(machineId(m.name)));
      assert.ok(record, `no record with machineId ObjectId of ${m.name}`);
      assertOnlyFields(record, RECORD_FIELDS, `${m.name}'s record`);
      assert.ok(record.startTime instanceof Date && record.startTime.toISOString() === `${DATE}T00:00:00.000Z`, `startTime ${String(record.startTime)}`);
      assert.ok(record.createdAt instanceof Date && record.updatedAt instanceof Date, 'timestamps are Dates');
      assert.ok(Array.isArray(record.hourlyData) && record.hourlyData.length > 0);
      const hours = (record.hourlyData as Document[]).map((h) => h.hour as number);
      assert.deepEqual(hours.slice().sort((a, b) => a - b), [...new Set(hours)].sort((a, b) => a - b), 'one entry per hour');
      let units = 0;
      for (const hour of record.hourlyData as Document[]) {
        assertOnlyFields(hour, HOUR_FIELDS, `${m.name} hour ${hour.hour}`);
        assert.ok(isObjectId(hour._id), 'hourlyData entries have an ObjectId _id');
        assert.ok(Number.isInteger(hour.hour) && hour.hour >= 9 && hour.hour <= 11, `hour ${hour.hour}`);
        assert.ok(['running', 'stoppage', 'inactive'].includes(hour.status as string));
        for (const f of ['runningMinutes', 'stoppageMinutes']) assert.ok(hour[f] >= 0 && hour[f] <= 60, `${f} ${hour[f]}`);
        for (const s of hour.stoppages as Document[]) {
          assertOnlyFields(s, STOPPAGE_FIELDS, 'stoppage');
          assert.ok(isObjectId(s._id));
          assert.equal(s.reason, 'unclassified');
          assert.ok(s.startTime instanceof Date);
        }
        units += hour.unitsProduced as number;
      }
      assert.equal(record.unitsProduced, units, 'the record\'s units are the sum of its hours');
      const p = current().pulses.get(m.name)!;
      const expected = unitsExpected(current(), m.name, MACHINES_START, MACHINES_STOP + MINUTE);
      assert.equal(expected.most, p.atEnd - p.atStart, `${m.name}: the simulator's pulse log holds every pulse it counted`);
      if (expected.gaps === 0) assert.equal(units, p.atEnd - p.atStart, `${m.name}: units recorded = pulses made`);
      else assert.ok(units >= expected.least && units <= expected.most, `${m.name}: units recorded ${units}: the pulses made (${expected.most}) less at most those in the ${expected.gaps} reported gap(s) (${expected.least} at least)`);
    }
  });

  it('hour H of press-1: 60 running minutes, no stoppage, the hour\'s pulses', async () => {
    const record = await current().db.collection('productionrecords').findOne({ machineId: machineId('press-1') });
    const hour = (record!.hourlyData as Document[]).find((h) => h.hour === 10)!;
    assert.ok(hour, 'hour 10 exists');
    assert.equal(hour.status, 'running');
    assert.equal(hour.runningMinutes, 60);
    assert.equal(hour.stoppageMinutes, 0);
    assert.deepEqual(hour.stoppages, []);
    assertHourUnits(current(), 'press-1', hour.unitsProduced as number);
  });

  it('hour H of lathe-2: the scripted stoppage, running otherwise', async () => {
    const record = await current().db.collection('productionrecords').findOne({ machineId: machineId('lathe-2') });
    const hour = (record!.hourlyData as Document[]).find((h) => h.hour === 10)!;
    assert.ok(hour, 'hour 10 exists');
    // Stoppage from the last unit before H+15 plus the 2-min cycle timeout, to the first unit after H+35.
    const stoppages = hour.stoppages as Document[];
    assert.equal(stoppages.length, 1, JSON.stringify(stoppages));
    const [s] = stoppages;
    assert.equal(s.isPending, false);
    within((s.startTime as Date).getTime(), H + 17 * MINUTE, CYCLE_MS + MINUTE / 2, 'stoppage start');
    within((s.endTime as Date).getTime(), H + 35 * MINUTE, CYCLE_MS + MINUTE / 2, 'stoppage end');
    within(s.duration as number, 18, 1, 'stoppage minutes');
    assert.equal(hour.stoppageMinutes, s.duration);
    // Running minutes: 0..17 and 35..59, the minutes at both edges touched by either status.
    within(hour.runningMinutes as number, 43, 1, 'running minutes');
    assert.equal(hour.status, 'running');
    assertHourUnits(current(), 'lathe-2', hour.unitsProduced as number);
  });

  it('raw readings: the latest value of each sensor, ObjectId references, 0/1 values, Date timestamps', async () => {
    const readings = await current().db.collection('signaldatas').find().toArray();
    assert.equal(readings.length, 4, 'one document per sensor (the flow writes latest values)');
    const sensors = new Map(current().plant.sensors.map((s) => [String(s._id), String(s.machineId)]));
    for (const r of readings) {
      assertOnlyFields(r, SIGNAL_FIELDS, 'signaldata');
      assert.ok(isObjectId(r.sensorId) && isObjectId(r.machineId), 'references are ObjectIds');
      assert.equal(sensors.get(String(r.sensorId)), String(r.machineId), 'sensor belongs to the machine');
      assert.ok(r.value === 0 || r.value === 1, `value ${String(r.value)}`);
      assert.ok(r.timestamp instanceof Date && r.timestamp.getTime() > MACHINES_STOP, `a recent reading: ${String(r.timestamp)}`);
    }
    assert.equal(new Set(readings.map((r) => String(r.sensorId))).size, 4, 'every mapped pin is recorded');
    // As scripted at the end: press-1 powered, not cycling; lathe-2 off.
    const value = (machine: string, type: string): unknown => readings.find((r) => String(r.sensorId)
      === String(current().plant.sensors.find((s) => String(s.machineId) === String(machineId(machine)) && s.sensorType === type)!._id))?.value;
    assert.deepEqual([value('press-1', 'power'), value('press-1', 'unit-cycle'), value('lathe-2', 'power'), value('lathe-2', 'unit-cycle')], [1, 0, 0, 0]);
  });
}
