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
import mongoConnection from '../../../nodes/mongo-connection/mongo-connection';
import plcConnection from '../../../nodes/plc-connection/plc-connection';
import plcReader from '../../../nodes/plc-reader/plc-reader';
import { PLC_READER_DEFAULTS } from '../../../nodes/plc-reader/types';
import { loadAggregatorWithDb, mongoConnectionNode, useDriverOf, withScratchDatabase } from '../../helpers/application-database';
import { describeEachMongoServer, type MongoServerInfo } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { hourUnderWay } from '../../helpers/plant-hour';
import { plcConnectionNode, PRESS_AND_LATHE, useSimulator } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

const hex = (n: number): string => n.toString(16).padStart(24, '0');
const DEPT_A = hex(0xda);
const DEPT_B = hex(0xdb);
const PRESS = hex(1);
const LATHE = hex(2);
const SCOPE_ENV = 'S7_TEST_MACHINE_SCOPE';

describeEachMongoServer('each instance reads only its share (machine scope)', (target) => {
  const sim = useSimulator({ machines: PRESS_AND_LATHE });
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
    await withScratchDatabase(target(), 'scale_reader', async (db, database) => {
      await seedPlant(db, driver.ObjectId as never);
      process.env[SCOPE_ENV] = `department=${DEPT_A}`;
      const reader = (id: string, machineScope: string): Record<string, unknown> => ({
        id, type: 'plc-reader', ...PLC_READER_DEFAULTS, connection: 'plc', source: 'mongo', mongo: 'db',
        intervalMs: 100, outputMode: 'per-cycle', mappingRefreshS: 1, machineScope, wires: [[`${id}-out`]],
      });
      useDriverOf(server);
      await helper.load([plcConnection, plcReader, mongoConnection], [
        plcConnectionNode(sim()),
        mongoConnectionNode(server, database),
        reader('dept', `\${${SCOPE_ENV}}`),
        reader('machine', `machine=${LATHE} host=${sim().host}`),
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
    });
  });

  describe('the aggregator restores only its share', () => {
    const zone = new PlantZone('UTC');
    /** Both machines' day documents with 10 and 20 units in the current hour, as the application reads them. */
    async function seedDayDocuments(db: import('mongodb').Db, ObjectId: new (hex?: string) => unknown): Promise<{ date: string; hour: number }> {
      const hourStart = await hourUnderWay(zone);
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

    async function loadAggregator(server: MongoServerInfo, database: string, machineScope: string): Promise<HourSnapshot[]> {
      await loadAggregatorWithDb(server, database, { snapshotMinutes: 0.005, machineScope, wires: [['out'], []] }, ['out']);
      const snapshots: HourSnapshot[] = [];
      helper.getNode('out').on('input', (msg: NodeMessage) => snapshots.push(msg.payload as HourSnapshot));
      return snapshots;
    }

    const unit = (machineId: string): NodeMessage => ({ topic: 'units', units: { key: machineId, machineId, delta: 1, total: 1, timestamp: Date.now() - 2500, source: 'counter' } } as NodeMessage);

    it('by department (through ${ENV}): the other department\'s open hour is neither re-sent nor continued', async function () {
      this.timeout(120_000);
      const { server, driver } = target();
      await withScratchDatabase(target(), 'scale_restore', async (db, database) => {
        const { date, hour } = await seedDayDocuments(db, driver.ObjectId as never);
        process.env[SCOPE_ENV] = `department=${DEPT_A}`;
        const snapshots = await loadAggregator(server, database, `\${${SCOPE_ENV}}`);
        // The open hours are re-sent together, in one message batch, right after the restore.
        const resent = await waitFor('the press\'s open hour re-sent', () => snapshots.find((s) => s.machineId === PRESS && s.date === date && s.hour === hour));
        assert.equal(resent.unitsProduced, 10);
        assert.deepEqual(snapshots.filter((s) => s.machineId === LATHE), [], 'the lathe belongs to another instance');
        helper.getNode('agg').receive(unit(PRESS));
        await waitFor('the press continues from its stored 10 units', () => snapshots.some((s) => s.machineId === PRESS && s.unitsProduced === 11));
        assert.deepEqual(snapshots.filter((s) => s.machineId === LATHE), []);
      });
    });

    it('by PLC host: stored hours wait for the machine\'s first reading, so only the machines read here are continued', async function () {
      this.timeout(120_000);
      const { server, driver } = target();
      await withScratchDatabase(target(), 'scale_restore_host', async (db, database) => {
        const { date, hour } = await seedDayDocuments(db, driver.ObjectId as never);
        const snapshots = await loadAggregator(server, database, 'host=10.0.0.5');
        // From the runtime's log; the test helper loads no message catalogue: the log is its key.
        await waitFor('the stored hours held', () => (helper.log() as unknown as { args: [{ id?: string; msg?: unknown }][] }).args
          .some(([e]) => e.id === 'agg' && e.msg === 'hourly-aggregator.log.held'));
        assert.equal(snapshots.length, 0, "nothing re-sent before a reading says which machines are ours");
        helper.getNode('agg').receive(unit(PRESS));
        const continued = await waitFor('the press continues from its stored 10 units', () => snapshots.find((s) => s.machineId === PRESS && s.unitsProduced === 11));
        assert.deepEqual([continued.date, continued.hour], [date, hour]);
        assert.deepEqual(snapshots.filter((s) => s.machineId === LATHE), [], 'the lathe, never read here, is not written');
      });
    });
  });
});
