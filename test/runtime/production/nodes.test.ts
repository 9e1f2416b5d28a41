/**
 * edge-counter and hourly-aggregator in a real Node-RED runtime (node-red-node-test-helper):
 * behaviour through the nodes, errors through a Catch node, and 10,000 malformed messages.
 * The edge counter runs with a user directory of its own per test (its state journal on a real
 * disk) and its real catalogue (the helper translates nothing).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import { helper } from '../../helpers/node-red';
import { withCatalogue } from '../../helpers/catalogue';
import { waitFor } from '../../helpers/wait';
import edgeCounterNode from '../../../nodes/edge-counter/edge-counter';
import hourlyAggregatorNode from '../../../nodes/hourly-aggregator/hourly-aggregator';
import type { HourSnapshot, MachineStatusEvent, UnitEvent } from '../../../lib/shared/messages';


const M1 = '65a1b2c3d4e5f60718293a4b';
const M2 = '65a1b2c3d4e5f60718293a4c';
type Msg = NodeMessage & Record<string, unknown>;

function cycleSignal(machineId: string | null = M1, kind = 'unit-cycle') {
  return { name: `cycle-${machineId}`, address: 'DQ.1', dataType: 'BOOL', kind, ...(machineId ? { machineId } : {}), sensorId: '75a1b2c3d4e5f60718293a4b', pinId: 'DQ.1' };
}

/** helper.load with plain flow objects, all on one tab (a Catch node needs one). */
function load(modules: unknown[], flow: Record<string, unknown>[]): Promise<void> {
  const onTab = [{ id: 'tab', type: 'tab', label: 'production' }, ...flow.map((n) => ({ z: 'tab', x: 100, y: 100, ...n }))];
  return helper.load(modules as Parameters<typeof helper.load>[0], onTab as unknown as Parameters<typeof helper.load>[1]);
}

/** Collects what a helper node receives. */
function collect(node: Node): Msg[] {
  const seen: Msg[] = [];
  node.on('input', (msg: NodeMessage) => seen.push(msg as Msg));
  return seen;
}

const edgeCounter = withCatalogue(edgeCounterNode as (red: object) => void, 'edge-counter');

/** What a node says: its warnings and its status texts (with fill), as they happen. */
function watch(node: Node): { warnings: string[]; statuses: { fill?: string; text?: string }[] } {
  const said = { warnings: [] as string[], statuses: [] as { fill?: string; text?: string }[] };
  const events = node as unknown as { on(e: string, f: (call: { args: unknown[] }) => void): void };
  events.on('call:warn', (call) => said.warnings.push(String(call.args[0])));
  events.on('call:status', (call) => said.statuses.push(call.args[0] as { fill?: string; text?: string }));
  return said;
}

/** Both nodes as one module. */
function bothNodes(RED: unknown): void {
  (edgeCounterNode as (red: unknown) => void)(RED);
  (hourlyAggregatorNode as (red: unknown) => void)(RED);
}

describe('production nodes in Node-RED', function () {
  this.timeout(60_000);
  afterEach(async () => {
    await helper.unload();
  });

  describe('edge-counter', function () {
    // Above waitFor's limit, so a condition that never comes fails with its own name.
    this.timeout(180_000);
    let userDir = '';
    beforeEach(() => {
      userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-user-'));
      helper.settings({ userDir });
    });
    afterEach(() => {
      helper.settings({});
      fs.rmSync(userDir, { recursive: true, force: true });
    });
    const journalFile = () => path.join(userDir, 's7-production-state', 'ec.json');
    const savedTotal = (key: string): number | undefined => {
      try {
        return (JSON.parse(fs.readFileSync(journalFile(), 'utf8')) as { state: Record<string, { total: number }> }).state[key]?.total;
      } catch {
        return undefined;
      }
    };

    const flow = (config: Record<string, unknown> = {}) => [
      { id: 'ec', type: 'edge-counter', name: 'ec', mode: 'rising', keyBy: 'machineId', minHighMs: 0, minLowMs: 0, counterBits: 16, maxStep: 1000, gapWarnSeconds: 10, store: '', wires: [['out']], ...config },
      { id: 'out', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['ec'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];

    it('counts rising edges of per-signal messages, baseline first', async () => {
      await load([edgeCounter], flow());
      const out = collect(helper.getNode('out'));
      const ec = helper.getNode('ec');
      const t0 = Date.now() - 10_000;
      [1, 0, 1, 1, 0, 1, 0].forEach((bit, i) => ec.receive({ topic: 'cycle', payload: bit, signal: cycleSignal(), quality: 'good', timestamp: t0 + i * 100 } as Msg));
      await waitFor('two unit events', () => out.length === 2);
      const units = out.map((m) => m.units as UnitEvent);
      assert.deepEqual(units.map((u) => [u.delta, u.total, u.timestamp - t0, u.source, u.key, u.machineId]), [
        [1, 1, 200, 'rising', M1, M1],
        [1, 2, 500, 'rising', M1, M1],
      ]);
      assert.equal(out[0].topic, 'units');
      assert.equal(out[0].payload, 1);
      assert.equal(out[0].timestamp, t0 + 200);
    });

    it('counts counter deltas from per-cycle messages, only counter signals, per machine', async () => {
      await load([edgeCounter], flow({ mode: 'counter', counterBits: 16 }));
      const out = collect(helper.getNode('out'));
      const ec = helper.getNode('ec');
      const t0 = Date.now() - 10_000;
      const cycle = (i: number, c1: number, c2: number) => ({
        readings: [
          { signal: { ...cycleSignal(M1, 'counter'), name: 'c1' }, value: c1, quality: 'good', timestamp: t0 + i * 1000 },
          { signal: { ...cycleSignal(M2, 'counter'), name: 'c2' }, value: c2, quality: 'good', timestamp: t0 + i * 1000 },
          { signal: { ...cycleSignal(M1, 'power'), name: 'p1' }, value: true, quality: 'good', timestamp: t0 + i * 1000 },
        ],
      });
      ec.receive(cycle(0, 65530, 7) as Msg);
      ec.receive(cycle(1, 65535, 7) as Msg);
      ec.receive(cycle(2, 3, 9) as Msg);
      await waitFor('three unit events', () => out.length === 3);
      const totals = out.map((m) => [(m.units as UnitEvent).machineId, (m.units as UnitEvent).delta, (m.units as UnitEvent).total]);
      assert.deepEqual(totals, [[M1, 5, 5], [M1, 4, 9], [M2, 2, 2]]);
    });

    it('msg.reset forgets one key or all', async () => {
      await load([edgeCounter], flow());
      const out = collect(helper.getNode('out'));
      const ec = helper.getNode('ec');
      const t0 = Date.now() - 10_000;
      const send = (machineId: string, bit: number, i: number) => ec.receive({ payload: bit, signal: cycleSignal(machineId), timestamp: t0 + i } as Msg);
      send(M1, 0, 0); send(M1, 1, 1); send(M2, 0, 0); send(M2, 1, 1);
      ec.receive({ reset: M1 } as Msg);
      send(M1, 0, 2); send(M1, 1, 3); send(M2, 0, 2); send(M2, 1, 3);
      await waitFor('four unit events', () => out.length === 4);
      assert.deepEqual(out.map((m) => [(m.units as UnitEvent).key, (m.units as UnitEvent).total]), [[M1, 1], [M2, 1], [M1, 1], [M2, 2]]);
      ec.receive({ reset: true } as Msg);
      send(M2, 0, 4); send(M2, 1, 5);
      await waitFor('a fifth unit event', () => out.length === 5);
      assert.equal((out[4].units as UnitEvent).total, 1);
    });

    it('debounces, counts suppressed bounces in the status, and warns once about a pulse seen in one sample', async () => {
      // The samples replay a moment 10 s ago: no gap meant.
      await load([edgeCounter], flow({ minHighMs: 100, minLowMs: 100, gapWarnSeconds: 3600 }));
      const out = collect(helper.getNode('out'));
      const ec = helper.getNode('ec');
      const warnings: string[] = [];
      const statuses: string[] = [];
      const events = ec as unknown as { on(e: string, f: (call: { args: unknown[] }) => void): void };
      events.on('call:warn', (call) => warnings.push(String(call.args[0])));
      events.on('call:status', (call) => statuses.push(String((call.args[0] as { text?: string }).text)));
      const t0 = Date.now() - 10_000;
      // 50 ms sampling: a one-sample bounce, a real pulse of 4 samples, another bounce, a long low.
      const bits = [0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0];
      bits.forEach((bit, i) => ec.receive({ payload: bit, signal: cycleSignal(), timestamp: t0 + i * 50 } as Msg));
      await waitFor('a status with suppressed edges', () => statuses.some((s) => /suppressed/.test(s)));
      assert.equal(out.length, 1);
      assert.equal((out[0].units as UnitEvent).timestamp, t0 + 6 * 50, 'stamped with the first high sample');
      assert.match(statuses.at(-1) ?? '', /^1 \S+ · 1 \S+ · 2 \S+$/);
      // Without debounce the same bounce is counted and warned about (once a minute).
      await helper.unload();
      await load([edgeCounter], flow({ id: 'ec2', gapWarnSeconds: 3600 }));
      const plain = collect(helper.getNode('out'));
      const warned: string[] = [];
      (helper.getNode('ec2') as unknown as { on(e: string, f: (call: { args: unknown[] }) => void): void }).on('call:warn', (call) => warned.push(String(call.args[0])));
      bits.forEach((bit, i) => helper.getNode('ec2').receive({ payload: bit, signal: cycleSignal(), timestamp: t0 + i * 50 } as Msg));
      await waitFor('three units and a warning', () => plain.length === 3 && warned.length > 0);
      assert.equal(warned.length, 1, 'rate limited');
      assert.match(warned[0], /seen in a single sample/);
      assert.deepEqual(warnings, []);
    });

    it('a PLC outage: bad-quality readings show a yellow gap with its key, the return warns with the span, and no unit is invented', async () => {
      await load([edgeCounter], flow({ gapWarnSeconds: 3600 }));
      const out = collect(helper.getNode('out'));
      const ec = helper.getNode('ec');
      const said = watch(ec);
      const t0 = Date.now() - 20_000;
      const reading = (value: number, at: number, quality = 'good') => ({ readings: [{ signal: cycleSignal(), value, quality, timestamp: t0 + at }] }) as unknown as Msg;
      // Every phase 3 readings long: sampled well enough, so green means no gap and no advice.
      [0, 0, 0, 1, 1, 1].forEach((bit, i) => ec.receive(reading(bit, i * 100)));
      ec.receive(reading(0, 1000, 'bad'));
      await waitFor('a yellow gap status', () => said.statuses.some((st) => st.fill === 'yellow' && /^gap 65a1b2c3d4e5f60718293a4b: \d+ s · 1 units/.test(st.text ?? '')));
      [1, 1, 1, 0, 0, 0, 1, 1, 1].forEach((bit, i) => ec.receive(reading(bit, 9500 + i * 100)));
      await waitFor('the second unit, and green again', () => out.length === 2 && said.statuses.at(-1)?.fill === 'green');
      assert.deepEqual(out.map((m) => (m.units as UnitEvent).total), [1, 2], 'high before and after the outage: no unit invented');
      assert.deepEqual(said.warnings, [`gap in the readings of "${M1}" from ${new Date(t0 + 500).toISOString()} to ${new Date(t0 + 9500).toISOString()} (9.0 s): ` +
        'pulses that began and ended in it are not counted; an edge or counter increase across it is counted once']);
    });

    it('sampling advice: 500 ms pulses read every 250 ms turn the status yellow with the interval to read at', async () => {
      await load([edgeCounter], flow({ gapWarnSeconds: 3600 }));
      const ec = helper.getNode('ec');
      const said = watch(ec);
      // A minute of a 500 ms high / 500 ms low bit, read every 253 ms (a timer drifting against the cycle).
      const t0 = Date.now() - 70_000;
      for (let i = 0; i < 240; i++) {
        const t = t0 + i * 253;
        ec.receive({ readings: [{ signal: cycleSignal(), value: t % 1000 < 500, quality: 'good', timestamp: t }] } as unknown as Msg);
      }
      await waitFor('the advice in the status', () => said.statuses.some((st) => st.fill === 'yellow' && /: pulses ≈ \d+ ms: read every ≤ 200 ms · \d+ units/.test(st.text ?? '')));
      const advice = said.statuses.find((st) => st.fill === 'yellow')?.text ?? '';
      assert.match(advice, new RegExp(`^${M1}: pulses ≈ (4[89]\\d|5[01]\\d) ms: read every ≤ 200 ms · 6\\d units · 1 keys$`));
    });

    it('counts resets, rollovers and implausible jumps in the status', async () => {
      await load([edgeCounter], flow({ mode: 'counter', counterBits: 16, idealCycleSeconds: 1, gapWarnSeconds: 3600 }));
      const ec = helper.getNode('ec');
      const said = watch(ec);
      const t0 = Date.now() - 60_000;
      const count = (value: number, at: number) => ec.receive({ readings: [{ signal: cycleSignal(M1, 'counter'), value, quality: 'good', timestamp: t0 + at }] } as unknown as Msg);
      count(65_534, 0);
      count(1, 3000);
      count(500, 4000);
      count(3, 20_000);
      await waitFor('the three in the status', () => /· 1 counter resets · 1 rollovers · 1 implausible jumps$/.test(said.statuses.at(-1)?.text ?? ''));
      assert.equal(said.statuses.at(-1)?.text, '6 units · 1 keys · 1 counter resets · 1 rollovers · 1 implausible jumps');
      assert.equal(said.warnings.length, 2, 'the reset and the jump');
    });

    it('saves within a second of a change to the journal, whatever the context store; a removed node takes its file with it', async () => {
      await load([edgeCounter], flow());
      const ec = helper.getNode('ec');
      const t0 = Date.now() - 1000;
      [0, 1, 0, 1].forEach((bit, i) => ec.receive({ payload: bit, signal: cycleSignal(), timestamp: t0 + i } as Msg));
      await waitFor('the journal holds 2 units', () => savedTotal(M1) === 2);
      await helper.setFlows([{ id: 'tab', type: 'tab', label: 'production' }] as unknown as Parameters<typeof helper.setFlows>[0], 'full');
      await waitFor('the journal file removed with the node', () => !fs.existsSync(journalFile()));
    });

    it('a journal it cannot write: yellow status and a warning, counting goes on in memory, saved once the disk is back', async () => {
      // A file where the journal directory belongs: every save fails (ENOTDIR/EEXIST), as on a broken disk.
      const blocker = path.join(userDir, 's7-production-state');
      fs.writeFileSync(blocker, 'not a directory');
      await load([edgeCounter], flow({ gapWarnSeconds: 3600 }));
      const out = collect(helper.getNode('out'));
      const ec = helper.getNode('ec');
      const said = watch(ec);
      const t0 = Date.now() - 5000;
      // Every phase 3 readings long: sampled well enough, so green means saved.
      [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1].forEach((bit, i) => ec.receive({ payload: bit, signal: cycleSignal(), timestamp: t0 + i * 100 } as Msg));
      await waitFor('a yellow "not saved" status', () => said.statuses.some((st) => st.fill === 'yellow' && /^not saved \(.+\), kept in memory · 2 units$/.test(st.text ?? '')));
      assert.equal(out.length, 2, 'counting went on');
      const warned = (pattern: RegExp) => said.warnings.filter((w) => pattern.test(w)).length;
      assert.equal(warned(/^could not read the saved state from the state journal .*s7-production-state.ec\.json \(ENOTDIR.*\): using the other copy$/), 1);
      assert.equal(warned(/^could not save the state to the state journal .*s7-production-state.ec\.json \(.+\): it stays in memory and saving is retried$/), 1);
      assert.equal(warned(/context store "default", which is memory/), 1, 'and what the memory store alone cannot survive');
      fs.rmSync(blocker);
      await waitFor('the retry saved the 2 units without a new change', () => savedTotal(M1) === 2);
      await waitFor('green again', () => said.statuses.at(-1)?.fill === 'green' && said.warnings.includes('state saved again'));
    });

    it('reports bad input through a Catch node, naming the field, and keeps counting', async () => {
      await load([edgeCounter], flow());
      const out = collect(helper.getNode('out'));
      const caught = collect(helper.getNode('caught'));
      const ec = helper.getNode('ec');
      const t0 = Date.now() - 10_000;
      ec.receive({ payload: 'on', signal: cycleSignal(), timestamp: t0 } as Msg);
      ec.receive({ payload: 1, signal: cycleSignal(null), timestamp: t0 } as Msg);
      ec.receive({ payload: 1, signal: cycleSignal(), timestamp: Number.NaN } as Msg);
      ec.receive({ payload: 1 } as Msg);
      ec.receive({ reset: 42 } as Msg);
      ec.receive({ payload: 0, signal: cycleSignal(), timestamp: t0 } as Msg);
      ec.receive({ payload: 1, signal: cycleSignal(), timestamp: t0 + 1 } as Msg);
      await waitFor('one unit and five errors', () => out.length === 1 && caught.length === 5).catch((err: Error) => {
        throw new Error(`${err.message}: ${out.length} units, errors ${JSON.stringify(caught.map((m) => (m.error as { message: string }).message))}`);
      });
      const errors = caught.map((m) => (m.error as { message: string }).message);
      assert.match(errors[0], /msg\.payload of key "65a1b2c3d4e5f60718293a4b": expected a BOOL/);
      assert.match(errors[1], /msg\.signal\.machineId: expected the name of the machine or signal/);
      assert.match(errors[2], /msg\.timestamp: expected a finite number/);
      assert.match(errors[3], /expected a reading from plc-reader/);
      assert.match(errors[4], /msg\.reset: expected true \(all keys\) or a key string/);
    });
  });

  describe('hourly-aggregator', () => {
    const flow = (config: Record<string, unknown> = {}) => [
      {
        id: 'agg', type: 'hourly-aggregator', name: 'agg', timeZone: 'Europe/Berlin', powerTimeoutMinutes: 0.02, cycleTimeoutMinutes: 0.01,
        powerThresholdKw: 1, snapshotMinutes: 0.005, graceMinutes: 0, tickSeconds: 0.1, retainHours: 24, zeroFill: false,
        endStoppageOnPowerLoss: false, store: '', mongo: '', timeoutsFromDb: false, wires: [['production'], ['status']], ...config,
      },
      { id: 'production', type: 'helper' },
      { id: 'status', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['agg'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
    const powerSignal = (machineId = M1) => ({ name: 'power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId });

    it('reports status changes as time passes, and hour snapshots with units and power', async () => {
      await load([hourlyAggregatorNode], flow());
      const production = collect(helper.getNode('production'));
      const status = collect(helper.getNode('status'));
      const caught = collect(helper.getNode('caught'));
      const agg = helper.getNode('agg');
      // 3 s in the past, so the tick (now - 2 s) settles the instant at once.
      const t = Date.now() - 3000;
      agg.receive({
        readings: [
          { signal: powerSignal(), value: 4.5, quality: 'good', timestamp: t },
          { signal: cycleSignal(), value: 1, quality: 'good', timestamp: t },
        ],
      } as Msg);
      agg.receive({ topic: 'units', payload: 3, units: { key: M1, machineId: M1, delta: 3, total: 3, timestamp: t, source: 'rising' } } as Msg);
      await waitFor('a status message', () => status.length >= 1);
      const first = status[0].payload as MachineStatusEvent;
      assert.equal(status[0].topic, 'machine-status');
      assert.deepEqual(first, { machineId: M1, status: 'running', hasPower: true, hasCycle: true, timestamp: t });
      // Silence: cycle timeout 0.6 s, power timeout 1.2 s: stoppage, then inactive, by ticks alone.
      await waitFor('stoppage and inactive', () => status.length >= 3);
      assert.deepEqual(status.slice(1, 3).map((m) => [(m.payload as MachineStatusEvent).status, (m.payload as MachineStatusEvent).timestamp - t]), [
        ['stoppage', 601],
        ['inactive', 1201],
      ]);
      await waitFor('a snapshot with the stoppage', () => production.some((m) => (m.payload as HourSnapshot).stoppages.length === 1));
      const snapshot = production.at(-1)?.payload as HourSnapshot;
      assert.equal(production.at(-1)?.topic, 'production');
      assert.equal(snapshot.machineId, M1);
      assert.equal(snapshot.unitsProduced, 3);
      assert.equal(snapshot.power?.maxKw, 4.5);
      const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }).formatToParts(t);
      const part = (type: string) => local.find((p) => p.type === type)?.value;
      assert.equal(snapshot.date, `${part('year')}-${part('month')}-${part('day')}`);
      assert.equal(snapshot.hour, Number(part('hour')));
      assert.equal(caught.length, 0);
    });

    it('rejects malformed readings through the Catch node and uses the good ones of the same message', async () => {
      await load([hourlyAggregatorNode], flow());
      const caught = collect(helper.getNode('caught'));
      const production = collect(helper.getNode('production'));
      const agg = helper.getNode('agg');
      const t = Date.now() - 3000;
      agg.receive({
        readings: [
          { signal: { ...powerSignal(), machineId: 'nope' }, value: 1, quality: 'good', timestamp: t },
          { signal: powerSignal(), value: 'hot', quality: 'good', timestamp: t },
          { signal: cycleSignal(), value: 1, quality: 'good', timestamp: Date.now() + 3_600_000 },
          { signal: cycleSignal(), value: 1, quality: 'good', timestamp: 0 },
          { signal: powerSignal(), value: 3, quality: 'good', timestamp: t },
        ],
      } as Msg);
      await waitFor('one error for the message', () => caught.length === 1);
      const message = (caught[0].error as { message: string }).message;
      assert.match(message, /msg\.readings\[0\]\.signal\.machineId: expected the machine's 24-digit hex id, got "nope"/);
      assert.match(message, /msg\.readings\[1\]\.value: expected a finite number, got "hot"/);
      assert.match(message, /msg\.readings\[2\]\.timestamp: .* in the future/);
      assert.match(message, /msg\.readings\[3\]\.timestamp: 1970-01-01T00:00:00\.000Z is older than/);
      await waitFor('a snapshot from the good reading', () => production.length > 0);
      assert.equal((production[0].payload as HourSnapshot).power?.samples, 1);
    });

    it('survives 10,000 malformed messages, rejecting each through done(err)', async function () {
      // A bound for a loaded CI machine, not a performance goal (that is bench/'s job).
      this.timeout(300_000);
      await load([bothNodes], [
        ...flow({ tickSeconds: 1 }).filter((n) => n.id !== 'catch'),
        { id: 'ec', type: 'edge-counter', mode: 'rising', keyBy: 'machineId', store: '', wires: [[]] },
        { id: 'catch-all', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      ]);
      // The test helper spies on every Node method call and keeps them all; for 20,000 errors that
      // bookkeeping, not the nodes, would dominate the run. The Catch node is the witness here.
      // restore() puts the prototype methods back, but a wired node holds its own reference to
      // send (Node-RED keeps it when wiring), still the spy: point those at the real one too.
      const spied = helper as unknown as { _sandbox: { restore(): void }; _NodePrototype: { send: unknown } };
      spied._sandbox.restore();
      for (const id of ['agg', 'ec', 'catch-all']) {
        const node = helper.getNode(id) as unknown as { send: { isSinonProxy?: boolean } };
        if (node.send.isSinonProxy) node.send = spied._NodePrototype.send as { isSinonProxy?: boolean };
      }
      const errors = collect(helper.getNode('caught'));
      const from = (id: string) => errors.filter((m) => (m.error as { source: { id: string } }).source.id === id);
      const agg = helper.getNode('agg');
      const ec = helper.getNode('ec');
      const now = Date.now();
      const malformed: ((i: number) => Record<string, unknown>)[] = [
        () => ({ payload: 1 }),
        () => ({ signal: cycleSignal(null), payload: 1, timestamp: now }),
        () => ({ signal: cycleSignal(), payload: 'x', timestamp: now }),
        () => ({ signal: cycleSignal(), payload: 1, timestamp: Number.NaN }),
        () => ({ signal: cycleSignal(), payload: 1, timestamp: '2026-01-01' }),
        () => ({ signal: cycleSignal(), payload: 1, timestamp: now + 86_400_000 }),
        () => ({ signal: cycleSignal(), payload: 1, timestamp: -1e15 }),
        () => ({ readings: 'all of them' }),
        () => ({ readings: [null] }),
        () => ({ readings: [{ signal: 7, value: 1, timestamp: now }] }),
        () => ({ signal: cycleSignal(), payload: { nested: true }, timestamp: now }),
        (i) => ({ signal: { ...cycleSignal(), machineId: i }, payload: 1, timestamp: now }),
        () => ({ signal: cycleSignal(), payload: Number.POSITIVE_INFINITY, timestamp: now }),
      ];
      const aggOnly = [
        () => ({ units: { machineId: M1, delta: -1, timestamp: now } }),
        () => ({ units: { machineId: M1, delta: 1.5, timestamp: now } }),
        () => ({ units: 'three' }),
        () => ({ signal: powerSignal(), payload: Number.NaN, timestamp: now }),
      ];
      const all = [...malformed, ...aggOnly];
      const started = Date.now();
      for (let i = 0; i < 10_000; i++) {
        agg.receive(all[i % all.length](i) as Msg);
        ec.receive(malformed[i % malformed.length](i) as Msg);
      }
      await waitFor('10,000 errors from each node', () => errors.length >= 20_000, 280_000).catch((err: Error) => {
        throw new Error(`${err.message}: ${from('agg').length} from the aggregator, ${from('ec').length} from the counter`);
      });
      console.log(`      20,000 malformed messages rejected in ${Date.now() - started} ms`);
      assert.equal(from('agg').length, 10_000);
      assert.equal(from('ec').length, 10_000);
      for (const m of [...from('agg').slice(0, all.length), ...from('ec').slice(0, malformed.length)]) {
        const message = (m.error as { message: string }).message;
        assert.match(message, /msg\.|expected a reading/, `names a field: ${message}`);
      }
      // Both still work.
      const status = collect(helper.getNode('status'));
      agg.receive({ signal: cycleSignal(), payload: 1, timestamp: Date.now() - 3000 } as Msg);
      await waitFor('a status message after the storm', () => status.length >= 1);
      assert.equal((status[0].payload as MachineStatusEvent).status, 'stopped_yet_producing');
    });
  });
});
