/**
 * A kill -9 finds each node's state journal as its last save left it. These tests take that
 * picture at the worst instant: the moment a unit event or an hour snapshot reaches the next
 * node (after which the database may hold it, and a test or an operator may kill Node-RED). They
 * copy the journals there, start the nodes again from the copies (as Node-RED would after the
 * kill, in a new user directory) and count on. The snapshots of both runs are merged the way the
 * sink merges them into productionrecords (lib/app-contract, maximum per session), so the result
 * is what the application would show.
 *
 * Before a unit event or a snapshot could leave ahead of the save of the state that counted it,
 * a restarted edge counter sent a total the aggregator had already seen (its next real unit was
 * taken for a re-sent one and dropped), and a restarted aggregator counted units again that the
 * database already held.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import { ObjectId } from 'mongodb';
import { helper } from '../../helpers/node-red';
import { withCatalogue } from '../../helpers/catalogue';
import { waitFor } from '../../helpers/wait';
import edgeCounterNode from '../../../nodes/edge-counter/edge-counter';
import hourlyAggregatorNode from '../../../nodes/hourly-aggregator/hourly-aggregator';
import { mergeSnapshots, validateSnapshot } from '../../../lib/app-contract';
import { JOURNAL_DIR_NAME } from '../../../lib/shared/state-journal';
import type { AggregatorState } from '../../../lib/production/hourly-aggregator';
import type { HourSnapshot, UnitEvent } from '../../../lib/shared/messages';

const M1 = '65a1b2c3d4e5f60718293a4b';
const HOUR_MS = 3_600_000;
/** How the aggregator names the edge counter "ec" counting key M1. */
const COUNTER = `ec|${M1}`;
type Msg = NodeMessage & Record<string, unknown>;

const cycleSignal = { name: 'cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', machineId: M1, sensorId: '75a1b2c3d4e5f60718293a4b', pinId: 'DQ.1' };

/** Both nodes as one module, the counter with its real catalogue. */
const edgeCounter = withCatalogue(edgeCounterNode as (red: object) => void, 'edge-counter');
function bothNodes(RED: unknown): void {
  (edgeCounter as (red: unknown) => void)(RED);
  (hourlyAggregatorNode as (red: unknown) => void)(RED);
}

function load(flow: Record<string, unknown>[]): Promise<void> {
  const onTab = [{ id: 'tab', type: 'tab', label: 'crash order' }, ...flow.map((n) => ({ z: 'tab', x: 100, y: 100, ...n }))];
  return helper.load(bothNodes as unknown as Parameters<typeof helper.load>[0], onTab as unknown as Parameters<typeof helper.load>[1]);
}

function aggregatorNode(tickSeconds: number): Record<string, unknown> {
  return {
    id: 'agg', type: 'hourly-aggregator', timeZone: 'UTC', powerTimeoutMinutes: 5, cycleTimeoutMinutes: 2, powerThresholdKw: 1,
    snapshotMinutes: 0.005, graceMinutes: 0, tickSeconds, retainHours: 24, zeroFill: false, endStoppageOnPowerLoss: false,
    store: '', mongo: '', timeoutsFromDb: false, wires: [['snapshots'], []],
  };
}

/** The application's documents, as the sink's merge leaves them, from every snapshot sent. */
class Documents {
  private readonly docs = new Map<string, Record<string, unknown>>();

  apply(payload: unknown): void {
    const snap = validateSnapshot(payload);
    const key = `${snap.machineId} ${snap.date}`;
    const doc = this.docs.get(key) ?? null;
    const r = mergeSnapshots(doc, [snap], { objectId: (hex?: string) => new ObjectId(hex) }, new Date());
    if (r.insert) this.docs.set(key, r.insert);
    else if (r.set) this.docs.set(key, { ...doc, ...r.set });
  }

  get units(): number {
    return [...this.docs.values()].reduce((n, d) => n + (d.unitsProduced as number), 0);
  }
}

describe('production nodes: what a kill -9 right after an output finds in the state journals', function () {
  // Above waitFor's limit, so a condition that never comes fails with its own name.
  this.timeout(180_000);
  let home = '';
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-order-'));
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(home, { recursive: true, force: true });
  });

  const journalOf = (userDir: string, id: string): string => path.join(userDir, JOURNAL_DIR_NAME, `${id}.json`);
  const read = (file: string): string | undefined => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  const aggregatorState = (text: string | undefined): AggregatorState | undefined => (text === undefined ? undefined : (JSON.parse(text) as { state: AggregatorState }).state);
  const countedTotal = (text: string | undefined): number | undefined => aggregatorState(text)?.machines[M1]?.unitTotals?.[COUNTER];
  const counterTotal = (text: string | undefined): number | undefined => (text === undefined ? undefined : (JSON.parse(text) as { state: Record<string, { total: number }> }).state[M1]?.total);
  /** A user directory holding the journal copies, as Node-RED finds them after the kill. */
  const restartDir = (copies: Record<string, string>): string => {
    const userDir = path.join(home, 'after-kill');
    fs.mkdirSync(path.join(userDir, JOURNAL_DIR_NAME), { recursive: true });
    for (const [id, text] of Object.entries(copies)) fs.writeFileSync(journalOf(userDir, id), text);
    return userDir;
  };
  const collect = (node: Node, seen: Msg[] = []): Msg[] => {
    node.on('input', (msg: NodeMessage) => seen.push(msg as Msg));
    return seen;
  };

  it('edge-counter: a unit event leaves only once its total is in the journal, so the first unit after the restart counts', async () => {
    const before = path.join(home, 'before-kill');
    helper.settings({ userDir: before });
    const flow = [
      { id: 'ec', type: 'edge-counter', mode: 'rising', keyBy: 'machineId', minHighMs: 0, minLowMs: 0, counterBits: 16, maxStep: 1000, gapWarnSeconds: 3600, store: '', wires: [['agg', 'units']] },
      aggregatorNode(0.1),
      { id: 'units', type: 'helper' },
      { id: 'snapshots', type: 'helper' },
    ];
    await load(flow);
    const documents = new Documents();
    helper.getNode('snapshots').on('input', (msg: NodeMessage) => documents.apply(msg.payload));
    // The picture of the counter's journal at the instant its third unit event arrives.
    let counterCopy: string | undefined;
    helper.getNode('units').on('input', (msg: NodeMessage) => {
      if (((msg as Msg).units as UnitEvent).total === 3) counterCopy = read(journalOf(before, 'ec'));
    });
    const t0 = Date.now() - 60_000;
    let i = 0;
    const bit = (value: number) => helper.getNode('ec').receive({ payload: value, signal: cycleSignal, quality: 'good', timestamp: t0 + 100 * i++ } as Msg);

    // Two pulses, saved and in the documents.
    for (const value of [0, 1, 0, 1, 0]) bit(value);
    await waitFor('both journals and the documents hold 2 units', () =>
      counterTotal(read(journalOf(before, 'ec'))) === 2 && countedTotal(read(journalOf(before, 'agg'))) === 2 && documents.units === 2);
    // The third pulse: the kill comes once the aggregator saved it and the documents hold it.
    bit(1);
    const aggregatorCopy = await waitFor('the aggregator\'s journal holds unit 3', () => {
      const text = read(journalOf(before, 'agg'));
      return countedTotal(text) === 3 ? text : undefined;
    });
    await waitFor('the documents hold 3 units', () => documents.units === 3);
    await helper.unload();

    // Node-RED again, from the journals as the kill left them; the pulse ends, and one more.
    helper.settings({ userDir: restartDir({ ec: counterCopy!, agg: aggregatorCopy }) });
    await load(flow);
    const snapshots = collect(helper.getNode('snapshots'));
    helper.getNode('snapshots').on('input', (msg: NodeMessage) => documents.apply(msg.payload));
    const after = collect(helper.getNode('units'));
    i += 10;
    bit(0);
    const fourth = t0 + 100 * i;
    bit(1);
    await waitFor('the unit event of the fourth pulse', () => after.length === 1);
    await waitFor('a snapshot with the fourth pulse\'s activity', () => snapshots.some((m) => (m.payload as HourSnapshot).lastActivityTime === fourth));
    const event = after[0].units as UnitEvent;
    assert.deepEqual(
      { unitsInDocuments: documents.units, fourthTotal: event.total, fourthAt: event.timestamp - t0, counterJournalWhenUnit3Arrived: counterTotal(counterCopy) },
      { unitsInDocuments: 4, fourthTotal: 4, fourthAt: fourth - t0, counterJournalWhenUnit3Arrived: 3 },
      'four pulses, four units in the documents (none lost, none doubled): the counter\'s total continues from its journal',
    );
  });

  it('hourly-aggregator: a snapshot leaves only once its units are in the journal, so the restart does not count them again', async () => {
    const before = path.join(home, 'before-kill');
    helper.settings({ userDir: before });
    // No ticks while the crash is staged: nothing saves but the changes themselves.
    await load([aggregatorNode(60), { id: 'snapshots', type: 'helper' }]);
    const documents = new Documents();
    let aggregatorCopy: string | undefined;
    helper.getNode('snapshots').on('input', (msg: NodeMessage) => {
      documents.apply(msg.payload);
      const snapshot = msg.payload as HourSnapshot;
      if (snapshot.final && snapshot.unitsProduced === 2) aggregatorCopy = read(journalOf(before, 'agg'));
    });
    const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const units = (total: number, timestamp: number) => helper.getNode('agg').receive({ topic: 'units', payload: 1, units: { key: M1, machineId: M1, delta: 1, total, counter: 'ec', timestamp, source: 'rising' } } as Msg);

    units(1, hour - 30 * 60_000);
    await waitFor('the journal holds unit 1', () => countedTotal(read(journalOf(before, 'agg'))) === 1);
    // Unit 2 in the same hour, then a reading of the next hour: the hour is final and sent at once.
    units(2, hour - 29 * 60_000);
    helper.getNode('agg').receive({ payload: 0, signal: cycleSignal, quality: 'good', timestamp: hour } as Msg);
    await waitFor('the final snapshot of the hour with 2 units', () => aggregatorCopy);
    await helper.unload();

    // Node-RED again, from the journal as the kill left it; the counter's next unit is its third.
    helper.settings({ userDir: restartDir({ agg: aggregatorCopy! }) });
    await load([aggregatorNode(0.1), { id: 'snapshots', type: 'helper' }]);
    const after = collect(helper.getNode('snapshots'));
    helper.getNode('snapshots').on('input', (msg: NodeMessage) => documents.apply(msg.payload));
    const third = hour + 1;
    units(3, third);
    await waitFor('a snapshot with the third unit\'s activity', () => after.some((m) => (m.payload as HourSnapshot).lastActivityTime === third));
    assert.deepEqual(
      { unitsInDocuments: documents.units, journalWhenSnapshotArrived: countedTotal(aggregatorCopy) },
      { unitsInDocuments: 3, journalWhenSnapshotArrived: 2 },
      'three units in the documents (none lost, none doubled): the journal held what the snapshot carried',
    );
  });
});
