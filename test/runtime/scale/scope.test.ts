/**
 * Each instance reads only its share (README "Scaling"): the machine scope of the reader's
 * application mappings and of the aggregator's restore, set through ${ENV} as one flow file for
 * every instance sets it, against the PLC simulator and real MongoDB-compatible servers.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { NodeMessage } from 'node-red';
import type { ContractMessage, HourSnapshot } from '../../../lib/shared/messages';
import { PlantZone } from '../../../lib/production/plant-time';
import hourlyAggregator from '../../../nodes/hourly-aggregator/hourly-aggregator';
import mongoConnection from '../../../nodes/mongo-connection/mongo-connection';
import { DRIVER_SETTING, MONGO_CONNECTION_DEFAULTS } from '../../../nodes/mongo-connection/types';
import plcConnection from '../../../nodes/plc-connection/plc-connection';
import { CONNECTION_DEFAULTS } from '../../../nodes/plc-connection/types';
import plcReader from '../../../nodes/plc-reader/plc-reader';
import { PLC_READER_DEFAULTS } from '../../../nodes/plc-reader/types';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { sleep, waitFor } from '../../helpers/wait';

const hex = (n: number): string => n.toString(16).padStart(24, '0');
const DEPT_A = hex(0xda);
const DEPT_B = hex(0xdb);
const PRESS = hex(1);
const LATHE = hex(2);
const SCOPE_ENV = 'S7_TEST_MACHINE_SCOPE';

describeEachMongoServer('each instance reads only its share (machine scope)', (target) => {
  let sim: SimulatorHandle;
  before(async function () {
    this.timeout(30_000);
    sim = await startSimulator({
      machines: [
        { name: 'press', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 400, pulseWidthMs: 150 },
        { name: 'lathe', db: 2, powerPin: 2, cyclePin: 3, scenario: 'stopped-powered' },
      ],
    });
  });
  after(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    delete process.env[SCOPE_ENV];
    await helper.unload();
  });

  /** Two departments, a machine in each, with a power and a cycle pin each. */
  async function seedPlant(db: import('mongodb').Db, ObjectId: new (hex: string) => unknown): Promise<void> {
    const id = (h: string): unknown => new ObjectId(h);
    await db.collection('machines').insertMany([
      { _id: id(PRESS), name: 'Press', departmentId: id(DEPT_A), status: 'inactive', isActive: true },
      { _id: id(LATHE), name: 'Lathe', departmentId: id(DEPT_B), status: 'inactive', isActive: true },
    ] as never[]);
    await db.collection('sensors').insertMany([
      { _id: id(hex(0xa0)), name: 'power', machineId: id(PRESS), sensorType: 'power' },
      { _id: id(hex(0xa1)), name: 'cycle', machineId: id(PRESS), sensorType: 'unit-cycle' },
      { _id: id(hex(0xa2)), name: 'power', machineId: id(LATHE), sensorType: 'power' },
      { _id: id(hex(0xa3)), name: 'cycle', machineId: id(LATHE), sensorType: 'unit-cycle' },
    ] as never[]);
    await db.collection('sensorpinmappings').insertMany([0, 1, 2, 3].map((i) => ({ sensorId: id(hex(0xa0 + i)), pinId: `DQ.${i}` })) as never[]);
  }

  it('a reader takes only the mappings of its department, its machine ids or its PLC host; a bad scope takes none', async function () {
    this.timeout(90_000);
    const { server, driver } = target();
    const database = `scale_reader_${Date.now()}`;
    const client = new driver.MongoClient(server.uri);
    await client.connect();
    try {
      await seedPlant(client.db(database) as never, driver.ObjectId as never);
      process.env[SCOPE_ENV] = `department=${DEPT_A}`;
      const reader = (id: string, machineScope: string): Record<string, unknown> => ({
        id, type: 'plc-reader', ...PLC_READER_DEFAULTS, connection: 'plc', source: 'mongo', mongo: 'db',
        intervalMs: 100, outputMode: 'per-cycle', mappingRefreshS: 1, machineScope, wires: [[`${id}-out`]],
      });
      helper.settings({ [DRIVER_SETTING]: server.driver } as Parameters<typeof helper.settings>[0]);
      await helper.load([plcConnection, plcReader, mongoConnection], [
        { id: 'plc', type: 'plc-connection', ...CONNECTION_DEFAULTS, name: 'simulator', host: sim.host, port: sim.port, reconnectMinMs: 200, reconnectMaxMs: 1000 },
        { id: 'db', type: 'mongo-connection', ...MONGO_CONNECTION_DEFAULTS, mode: 'uri', uri: server.uri, database },
        reader('dept', `\${${SCOPE_ENV}}`),
        reader('machine', `machine=${LATHE} host=${sim.host}`),
        reader('elsewhere', 'host=plc-of-another-line'),
        reader('bad', 'line=3'),
        ...['dept', 'machine', 'elsewhere', 'bad'].map((id) => ({ id: `${id}-out`, type: 'helper' })),
      ] as Parameters<typeof helper.load>[1]);
      const received = new Map<string, ContractMessage[]>();
      for (const id of ['dept', 'machine', 'elsewhere', 'bad']) {
        const list: ContractMessage[] = [];
        received.set(id, list);
        (helper.getNode(`${id}-out`) as unknown as EventEmitter).on('input', (msg: ContractMessage) => list.push(msg));
      }

      const pinsOf = (id: string) => waitFor(`${id}: mapped pins read`, () => received.get(id)!.find((m) => m.readings?.length))
        .then((m) => m.readings!.map((r) => [r.signal.pinId, r.signal.machineId, r.quality]));
      assert.deepEqual(await pinsOf('dept'), [['DQ.0', PRESS, 'good'], ['DQ.1', PRESS, 'good']], 'department A: the press only');
      assert.deepEqual(await pinsOf('machine'), [['DQ.2', LATHE, 'good'], ['DQ.3', LATHE, 'good']], 'the lathe by its id, on the listed host');
      // From the runtime's log (some are logged while the flow starts); the test helper loads no message catalogue: the logs are their keys.
      const loggedBy = (id: string, level?: number): unknown[] => (helper.log() as unknown as { args: [{ id?: string; msg?: unknown; level?: number }][] }).args
        .map(([entry]) => entry).filter((e) => e.id === id && (level === undefined || e.level === level)).map((e) => String(e.msg));
      const ERROR = 20;
      await waitFor('the department reader says it left machines to others', () => loggedBy('dept').includes('plc-reader.scope.otherShare'));
      assert.ok(loggedBy('elsewhere').includes('plc-reader.scope.hostNotInScope'), 'the reader of an unlisted host says why it takes no mappings');
      await waitFor('the bad scope named', () => loggedBy('bad', ERROR).some((e) => String(e).includes('machine scope: "line=3" is not department=<id>, machine=<id> or host=<PLC host>')));
      // Both scoped readers have read many cycles by now; the others took no pins at all.
      await waitFor('more cycles of the scoped readers', () => received.get('dept')!.length > 5 && received.get('machine')!.length > 5);
      assert.equal(received.get('elsewhere')!.filter((m) => m.readings?.length).length, 0);
      assert.equal(received.get('bad')!.filter((m) => m.readings?.length).length, 0);
      assert.deepEqual([...loggedBy('dept', ERROR), ...loggedBy('machine', ERROR)], []);
    } finally {
      await client.db(database).dropDatabase().catch(() => undefined);
      await client.close();
    }
  });

  describe('the aggregator restores only its share', () => {
    const zone = new PlantZone('UTC');
    /** Both machines' day documents with 10 and 20 units in the current hour, as the application reads them. */
    async function seedDayDocuments(db: import('mongodb').Db, ObjectId: new (hex?: string) => unknown): Promise<{ date: string; hour: number }> {
      if (Date.now() - zone.hourStart(Date.now()) < 10_000) await sleep(10_000); // not at the very start of an hour
      const hourStart = zone.hourStart(Date.now());
      const { date, hour } = zone.label(hourStart);
      await seedPlant(db, ObjectId);
      const record = (machine: string, units: number) => ({
        machineId: new ObjectId(machine), startTime: new Date(`${date}T00:00:00.000Z`), unitsProduced: units, defectiveUnits: 0,
        hourlyData: [{ _id: new ObjectId(), hour, unitsProduced: units, defectiveUnits: 0, status: 'running', runningMinutes: 1, stoppageMinutes: 0, stoppages: [] }],
        createdAt: new Date(), updatedAt: new Date(),
      });
      await db.collection('productionrecords').insertMany([record(PRESS, 10), record(LATHE, 20)] as never[]);
      return { date, hour };
    }

    async function loadAggregator(server: { uri: string; driver: string }, database: string, machineScope: string): Promise<HourSnapshot[]> {
      helper.settings({ [DRIVER_SETTING]: server.driver } as Parameters<typeof helper.settings>[0]);
      await helper.load([mongoConnection, hourlyAggregator] as Parameters<typeof helper.load>[0], [
        { id: 'tab', type: 'tab' },
        { id: 'db', type: 'mongo-connection', ...MONGO_CONNECTION_DEFAULTS, mode: 'uri', uri: server.uri, database },
        {
          id: 'agg', type: 'hourly-aggregator', z: 'tab', timeZone: 'UTC', powerTimeoutMinutes: 5, cycleTimeoutMinutes: 2, powerThresholdKw: 0.5,
          snapshotMinutes: 0.005, graceMinutes: 2, tickSeconds: 0.2, retainHours: 24, zeroFill: false, endStoppageOnPowerLoss: false,
          store: '', mongo: 'db', timeoutsFromDb: false, machineScope, wires: [['out'], []],
        },
        { id: 'out', type: 'helper', z: 'tab' },
      ] as unknown as Parameters<typeof helper.load>[1]);
      const snapshots: HourSnapshot[] = [];
      helper.getNode('out').on('input', (msg: NodeMessage) => snapshots.push(msg.payload as HourSnapshot));
      return snapshots;
    }

    const unit = (machineId: string): NodeMessage => ({ topic: 'units', units: { key: machineId, machineId, delta: 1, total: 1, timestamp: Date.now() - 2500, source: 'counter' } } as NodeMessage);

    it('by department (through ${ENV}): the other department\'s open hour is neither re-sent nor continued', async function () {
      this.timeout(120_000);
      const { server, driver } = target();
      const database = `scale_restore_${Date.now()}`;
      const client = new driver.MongoClient(server.uri);
      await client.connect();
      try {
        const { date, hour } = await seedDayDocuments(client.db(database) as never, driver.ObjectId as never);
        process.env[SCOPE_ENV] = `department=${DEPT_A}`;
        const snapshots = await loadAggregator(server, database, `\${${SCOPE_ENV}}`);
        // The open hours are re-sent together, in one message batch, right after the restore.
        const resent = await waitFor('the press\'s open hour re-sent', () => snapshots.find((s) => s.machineId === PRESS && s.date === date && s.hour === hour));
        assert.equal(resent.unitsProduced, 10);
        assert.deepEqual(snapshots.filter((s) => s.machineId === LATHE), [], 'the lathe belongs to another instance');
        helper.getNode('agg').receive(unit(PRESS));
        await waitFor('the press continues from its stored 10 units', () => snapshots.some((s) => s.machineId === PRESS && s.unitsProduced === 11));
        assert.deepEqual(snapshots.filter((s) => s.machineId === LATHE), []);
      } finally {
        await client.db(database).dropDatabase().catch(() => undefined);
        await client.close();
      }
    });

    it('by PLC host: stored hours wait for the machine\'s first reading, so only the machines read here are continued', async function () {
      this.timeout(120_000);
      const { server, driver } = target();
      const database = `scale_restore_host_${Date.now()}`;
      const client = new driver.MongoClient(server.uri);
      await client.connect();
      try {
        const { date, hour } = await seedDayDocuments(client.db(database) as never, driver.ObjectId as never);
        const snapshots = await loadAggregator(server, database, 'host=10.0.0.5');
        // From the runtime's log; the test helper loads no message catalogue: the log is its key.
        await waitFor('the stored hours held', () => (helper.log() as unknown as { args: [{ id?: string; msg?: unknown }][] }).args
          .some(([e]) => e.id === 'agg' && e.msg === 'hourly-aggregator.log.held'));
        assert.equal(snapshots.length, 0, "nothing re-sent before a reading says which machines are ours");
        helper.getNode('agg').receive(unit(PRESS));
        const continued = await waitFor('the press continues from its stored 10 units', () => snapshots.find((s) => s.machineId === PRESS && s.unitsProduced === 11));
        assert.deepEqual([continued.date, continued.hour], [date, hour]);
        assert.deepEqual(snapshots.filter((s) => s.machineId === LATHE), [], 'the lathe, never read here, is not written');
      } finally {
        await client.db(database).dropDatabase().catch(() => undefined);
        await client.close();
      }
    });
  });
});
