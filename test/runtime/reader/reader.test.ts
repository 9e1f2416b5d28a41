/**
 * plc-connection + plc-reader in a real Node-RED runtime, reading a simulated PLC (a child
 * process running node-snap7's S7Server) over real S7 on loopback.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import type { Node } from 'node-red';
import type { ContractMessage, Reading } from '../../../lib/shared/messages';
import type { SignalRow } from '../../../lib/reader/signals';
import plcConnectionNode from '../../../nodes/plc-connection/plc-connection';
import plcReaderNode from '../../../nodes/plc-reader/plc-reader';
import { withCatalogue } from '../../helpers/catalogue';
import { helper } from '../../helpers/node-red';
import { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, sampleAddress, startSimulator, type MachineSim, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

const MACHINE = '65f000000000000000000001';
const SENSOR = '65f0000000000000000000a1';


// DQ.0..DQ.7 = power and cycle bits of four machines in four different states
const MACHINES: MachineSim[] = [
  { name: 'm1', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 400, pulseWidthMs: 150, powerKw: 12.5 },
  { name: 'm2', db: 2, powerPin: 2, cyclePin: 3, scenario: 'stopped-powered', powerKw: 10 },
  { name: 'm3', db: 3, powerPin: 4, cyclePin: 5, scenario: 'off' },
  { name: 'm4', db: 4, powerPin: 6, cyclePin: 7, scenario: 'producing-unpowered', cycleTimeMs: 400, pulseWidthMs: 150 },
];

/** A row for every sample of every S7 type in DB1, plus power and counter with the application's identity. */
const sampleRows: SignalRow[] = Object.entries(MACHINE_DB_LAYOUT.samples).map(([name, s]) => ({
  name, address: sampleAddress(1, s), dataType: s.dataType, kind: 'other',
}));
const powerRow: SignalRow = { name: 'm1 power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: MACHINE, sensorId: SENSOR };
const expected: Record<string, unknown> = Object.fromEntries(Object.entries(MACHINE_DB_LAYOUT.samples).map(([n, s]) => [n, s.value]));

interface Harness {
  reader: Node;
  messages: ContractMessage[];
  errors: unknown[][];
  statuses: { text?: string }[];
}

// Status texts as users see them: RED._ from the nodes' real catalogues.
const plcConnection = withCatalogue(plcConnectionNode, 'plc-connection', 'plc-reader');
const plcReader = withCatalogue(plcReaderNode, 'plc-connection', 'plc-reader');

describe('plc-reader against the PLC simulator', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;

  before(async () => {
    sim = await startSimulator({ pduSize: 240, machines: MACHINES });
  });
  after(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await helper.unload();
  });

  const connection = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    id: 'conn', type: 'plc-connection', name: 'sim', family: 'S7-1200/1500', host: '127.0.0.1', port: String(sim.port),
    addressing: 'rack-slot', rack: '0', slot: '1', connectionType: 'PG', pduSize: '480', connectTimeoutMs: '1000',
    receiveTimeoutMs: '1000', reconnectMinMs: '200', reconnectMaxMs: '1000', poolSize: '1', maxGap: '16', ...extra,
  });

  async function load(reader: Record<string, unknown>, conn: Record<string, unknown> = connection()): Promise<Harness> {
    const flow = [
      conn,
      { id: 'reader', type: 'plc-reader', name: 'PLC reader', connection: 'conn', source: 'table', intervalMs: 5000,
        outputMode: 'per-signal', heartbeatS: 0, mappingRefreshS: 60, mappingIntervalMs: 0, pinMap: '', mongo: '', wires: [['out']], ...reader },
      { id: 'out', type: 'helper' },
    ];
    await helper.load([plcConnection, plcReader], flow as Parameters<typeof helper.load>[1]);
    const h: Harness = { reader: helper.getNode('reader'), messages: [], errors: [], statuses: [] };
    helper.getNode('out').on('input', (msg: ContractMessage) => h.messages.push(msg));
    const events = h.reader as unknown as EventEmitter;
    events.on('call:error', (call: { args: unknown[] }) => h.errors.push(call.args));
    events.on('call:status', (call: { args: [{ text?: string }] }) => h.statuses.push(call.args[0]));
    return h;
  }

  /** The latest per-signal message of each name, once every name has one. */
  const latestBySignal = (h: Harness, names: string[]): Map<string, ContractMessage> | undefined => {
    const latest = new Map<string, ContractMessage>();
    for (const m of h.messages) if (m.topic) latest.set(m.topic, m);
    return names.every((n) => latest.has(n)) ? latest : undefined;
  };

  it('per signal: every S7 type decoded, more than 20 tags at PDU 240, identity, quality and source time', async () => {
    const before = Date.now();
    const bulk: SignalRow = { name: 'bulk', address: 'DB1.DBD200', dataType: 'REAL[200]' };
    const rows = [...sampleRows, powerRow, bulk];
    assert.ok(rows.length > 20);
    const h = await load({ signals: rows, intervalMs: 200 });
    const latest = await waitFor('every signal once', () => latestBySignal(h, rows.map((r) => r.name)));
    for (const [name, value] of Object.entries(expected)) {
      const m = latest.get(name)!;
      assert.equal(m.quality, 'good', `${name}: ${m.error}`);
      assert.deepEqual(m.payload, value, name);
      assert.equal(m.signal?.address, rows.find((r) => r.name === name)!.address);
      assert.ok(m.timestamp! >= before && m.timestamp! <= Date.now(), `${name}: source timestamp`);
    }
    const power = latest.get('m1 power')!;
    assert.equal(power.payload, 12.5);
    assert.deepEqual(power.signal, { name: 'm1 power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: MACHINE, sensorId: SENSOR });
    assert.equal(power.error, undefined);
    assert.deepEqual(latest.get('bulk')!.payload, Array.from({ length: 200 }, (_, i) => i * 1.5));
    // the connection negotiated PDU 240: the status shows the tag count and several requests per cycle
    const status = await waitFor('status with requests', () => h.statuses.find((s) => /^every 200 ms · (\d+\.\d\/s · )?30 tags · [2-9]\d* req · \d+ ms/.test(s.text ?? '')))
      .catch((err: Error) => assert.fail(`${err.message}; statuses: ${h.statuses.map((s) => s.text).join(' | ')}`));
    assert.ok(status);
    assert.deepEqual(h.errors, []);
  });

  it('per cycle: one message keyed by name with the readings beside it', async () => {
    const rows = [powerRow, { name: 'counter', address: 'DB2.DBD4', dataType: 'DINT', kind: 'counter' as const }, { name: 'MW2', address: 'MW2', dataType: 'INT' }];
    const h = await load({ signals: rows, intervalMs: 100, outputMode: 'per-cycle' });
    const msg = await waitFor('a cycle', () => h.messages[0]);
    const payload = msg.payload as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), ['m1 power', 'counter', 'MW2']);
    assert.equal(payload['m1 power'], 12.5);
    assert.equal(payload.MW2, PROCESS_LAYOUT.merkers.MW2);
    assert.equal(typeof payload.counter, 'number');
    assert.equal(msg.readings?.length, 3);
    assert.deepEqual(msg.readings?.map((r: Reading) => [r.signal.name, r.quality, r.timestamp]), rows.map((r) => [r.name, 'good', msg.timestamp]));
    assert.equal(msg.readings?.[0].signal.machineId, MACHINE);
    await waitFor('three cycles', () => (h.messages.length >= 3 ? true : undefined));
  });

  it('one bad address among good ones: only it is bad, named with its address; one error, not one per cycle', async () => {
    const rows: SignalRow[] = [
      powerRow,
      { name: 'missing DB', address: 'DB99.DBD0', dataType: 'REAL' },
      { name: 'MW2', address: 'MW2', dataType: 'INT' },
      { name: 'typo', address: 'DB1.DBQ3' },
    ];
    const h = await load({ signals: rows, intervalMs: 50, outputMode: 'per-cycle' });
    await waitFor('ten cycles', () => (h.messages.length >= 10 ? true : undefined));
    const last = h.messages[h.messages.length - 1];
    const byName = new Map(last.readings!.map((r) => [r.signal.name, r]));
    assert.equal(byName.get('m1 power')!.quality, 'good');
    assert.equal(byName.get('MW2')!.value, PROCESS_LAYOUT.merkers.MW2);
    const bad = byName.get('missing DB')!;
    assert.equal(bad.quality, 'bad');
    assert.equal(bad.value, null);
    assert.match(bad.error!, /^signal "missing DB" \(DB99\.DBD0\): CPU : Item not available \(the DB does not exist/);
    assert.equal(byName.has('typo'), false, 'an unparseable address is not read');
    const texts = h.errors.map((args) => String(args[0]));
    assert.equal(texts.filter((t) => t.includes('signal "typo" (DB1.DBQ3)')).length, 1, texts.join('\n'));
    assert.equal(texts.filter((t) => t.startsWith('1 bad signal: signal "missing DB" (DB99.DBD0)')).length, 1, texts.join('\n'));
    assert.equal(texts.length, 2, 'no error per cycle');
    const reported = h.errors.find((args) => String(args[0]).startsWith('1 bad signal'))!;
    assert.deepEqual((reported[1] as { readings: Reading[] }).readings.filter((r) => r.quality === 'bad').map((r) => r.signal.name), ['missing DB']);
  });

  it("reads the application's pins DQ.0-DQ.7 as BOOLs with their pin ids, and sees unit-cycle pulses", async () => {
    const rows: SignalRow[] = Array.from({ length: 8 }, (_, i) => ({ name: `pin ${i}`, address: `DQ.${i}`, kind: i % 2 ? 'unit-cycle' : 'power' }));
    const h = await load({ signals: rows, intervalMs: 25, outputMode: 'per-cycle' });
    const seen = (pin: number): Set<unknown> => new Set(h.messages.map((m) => (m.payload as Record<string, unknown>)[`pin ${pin}`]));
    // Until both producing machines' pulses were seen high and low (and for 1.5 s at least).
    await waitFor('pulses of m1 and m4 seen', () => h.messages.length > 0 && Date.now() - h.messages[0].timestamp! > 1500
      && seen(1).size === 2 && seen(7).size === 2);
    assert.deepEqual(seen(0), new Set([true]), 'm1 powered');
    assert.deepEqual(seen(1), new Set([true, false]), 'm1 cycle pulses');
    assert.deepEqual(seen(2), new Set([true]), 'm2 powered');
    assert.deepEqual(seen(3), new Set([false]), 'm2 stands still');
    assert.deepEqual(seen(4), new Set([false]));
    assert.deepEqual(seen(5), new Set([false]));
    assert.deepEqual(seen(6), new Set([false]), 'm4 unpowered');
    assert.deepEqual(seen(7), new Set([true, false]), 'm4 produces');
    const signal = h.messages[0].readings![3].signal;
    assert.deepEqual(signal, { name: 'pin 3', address: 'DQ.3', dataType: 'BOOL', kind: 'unit-cycle', pinId: 'DQ.3' });
  });

  it('polls each interval group at its own rate', async () => {
    const rows: SignalRow[] = [
      { name: 'fast', address: 'DQ.1', intervalMs: 50 },
      { name: 'slow', address: 'DB1.DBD0', dataType: 'REAL' },
    ];
    const h = await load({ signals: rows, intervalMs: 1000 });
    const slow = (): ContractMessage[] => h.messages.filter((m) => m.topic === 'slow');
    const fastBetween = (from: number, to: number): number => h.messages.filter((m) => m.topic === 'fast' && m.timestamp! > from && m.timestamp! < to).length;
    // Clock-anchored: slow reads one interval apart, and meanwhile the fast group reads about 20
    // times; a busy machine may delay some reads, so the first pair of slow reads with ten fast
    // ones between them is the one checked. The first read's successor is not: it comes only the
    // schedule's phase later (readers deployed together are spread over their interval).
    const [first, second] = await waitFor('two slow reads with ten fast ones between them', () => {
      const reads = slow();
      const i = reads.findIndex((r, k) => k > 1 && fastBetween(reads[k - 1].timestamp!, r.timestamp!) >= 10);
      return i > 0 && [reads[i - 1], reads[i]];
    });
    assert.ok(second.timestamp! - first.timestamp! >= 900, `slow reads ${second.timestamp! - first.timestamp!} ms apart`);
  });

  it('on change: power once (it is steady), every edge of the cycle bit, and the heartbeat', async () => {
    const rows: SignalRow[] = [{ ...powerRow, deadband: 0.5 }, { name: 'cycle', address: 'DQ.1', kind: 'unit-cycle' }];
    const h = await load({ signals: rows, intervalMs: 20, outputMode: 'on-change', heartbeatS: 1 });
    const power = (): ContractMessage[] => h.messages.filter((m) => m.topic === 'm1 power');
    const cycle = (): ContractMessage[] => h.messages.filter((m) => m.topic === 'cycle');
    await waitFor('a heartbeat of the power value and four edges of the cycle bit', () => power().length >= 2 && cycle().length >= 4);
    // The power value is steady, so every message after the first is a heartbeat: at least 1 s after the one before.
    power().slice(1).forEach((m, i) => {
      assert.equal(m.payload, power()[i].payload, 'steady value');
      assert.ok(m.timestamp! - power()[i].timestamp! >= 1000, `power message ${i + 1} only ${m.timestamp! - power()[i].timestamp!} ms after the one before`);
    });
    const edges = cycle();
    edges.slice(1).forEach((m, i) => assert.ok(m.payload !== edges[i].payload || m.timestamp! - edges[i].timestamp! >= 1000, 'only edges or heartbeats'));
  });

  it('redeploying with another interval changes the rate', async () => {
    /** Median time between reads over the first eleven reads of a deploy (a late read or two does not move it). */
    const medianGap = async (intervalMs: number): Promise<number> => {
      const h = await load({ signals: [powerRow], intervalMs });
      const reads = await waitFor('eleven reads', () => h.messages.length >= 11 && h.messages.slice(0, 11));
      await helper.unload();
      const gaps = reads.slice(1).map((r, i) => r.timestamp! - reads[i].timestamp!).sort((a, b) => a - b);
      return gaps[Math.floor(gaps.length / 2)];
    };
    const slow = await medianGap(250);
    const fast = await medianGap(50);
    assert.ok(slow >= 200, `250 ms interval: reads ${slow} ms apart`);
    assert.ok(fast < slow / 2, `50 ms interval: reads ${fast} ms apart (250 ms: ${slow})`);
  });

  it('a silent PLC (accepts, never answers): bad readings after the receive timeout, file I/O keeps working, then recovery', async () => {
    const h = await load({ signals: [powerRow], intervalMs: 100 }, connection({ receiveTimeoutMs: '5000' }));
    await waitFor('a good read', () => h.messages.find((m) => m.quality === 'good'));
    await sim.silence();
    try {
      const mark = h.messages.length;
      for (let i = 0; i < 20; i++) await fs.readFile(__filename);
      assert.equal(h.messages.slice(mark).some((m) => m.quality === 'bad'), false, 'file I/O answered while the silent read still waited');
      const bad = await waitFor('a bad reading', () => h.messages.slice(mark).find((m) => m.quality === 'bad'));
      assert.match(bad.error!, /^signal "m1 power" \(DB1\.DBD0\): ./);
    } finally {
      await sim.unsilence();
    }
    const mark = h.messages.length;
    await waitFor('reading again', () => h.messages.slice(mark).find((m) => m.quality === 'good'));
  });

  it('an input message triggers an immediate read and keeps its properties', async () => {
    const h = await load({ signals: [powerRow], intervalMs: 60_000 });
    await waitFor('the first scheduled read', () => h.messages[0]);
    const reader = h.reader as Node & { receive(msg: object): void };
    const sent = Date.now();
    reader.receive({ payload: 'go', correlation: 42 });
    const triggered = await waitFor('the triggered read', () => h.messages.find((m) => m.correlation === 42), 3000);
    assert.equal(triggered.topic, 'm1 power');
    assert.equal(triggered.payload, 12.5);
    assert.ok(triggered.timestamp! >= sent);
    assert.equal(h.messages.length, 2);
  });

  it('an input message while the first connect is under way is answered (bad, with the reason), not dropped', async () => {
    await sim.silence();
    try {
      const h = await load({ signals: [powerRow], intervalMs: 100 }, connection({ connectTimeoutMs: '3000' }));
      (h.reader as Node & { receive(msg: object): void }).receive({ correlation: 7 });
      const answer = await waitFor('the answer', () => h.messages.find((m) => m.correlation === 7));
      assert.equal(answer.quality, 'bad');
      assert.match(answer.error!, /^signal "m1 power" \(DB1\.DBD0\): ./);
    } finally {
      await sim.unsilence();
    }
  });

  it('msg.signals replaces the signal list; an invalid list is refused through done(err) and the old one stays', async () => {
    const h = await load({ signals: [powerRow], intervalMs: 100 });
    await waitFor('power read', () => h.messages[0]);
    const reader = h.reader as Node & { receive(msg: object): void };
    reader.receive({ signals: [{ name: 'merker', address: 'MW2', dataType: 'INT' }, { name: 'bad', address: 'DB1.DBZ1' }] });
    const refusal = await waitFor('the refusal', () => h.errors.find((args) => String(args[0]).startsWith('Error: msg.signals rejected')
      || String(args[0]).startsWith('msg.signals rejected')));
    assert.match(String(refusal[0]), /signal "bad" \(DB1\.DBZ1\)/);
    reader.receive({ signals: [{ name: 'merker', address: 'MW2', dataType: 'INT' }] });
    await waitFor('the new signal', () => h.messages.find((m) => m.topic === 'merker'));
    const mark = h.messages.length;
    const after = await waitFor('two more reads', () => h.messages.length - mark >= 2 && h.messages.slice(mark));
    assert.deepEqual(new Set(after.map((m) => m.topic)), new Set(['merker']));
    assert.equal(after[0].payload, PROCESS_LAYOUT.merkers.MW2);
  });

  it('the dialog\'s "read now" endpoint connects with unsaved settings, reads once and disconnects', async () => {
    // only the endpoint: no reader holds a connection
    await helper.load([plcConnection, plcReader], []);
    const res = await helper.request().post('/plc-reader/test-read').send({
      connection: { host: '127.0.0.1', port: sim.port, rack: 0, slot: 1, pduSize: 960 },
      signals: [powerRow, { name: 'gone', address: 'DB77.DBW0', dataType: 'INT' }, { name: 'typo', address: 'XX1' }],
    }).expect(200);
    assert.equal(res.body.connected, true);
    assert.equal(res.body.negotiatedPdu, 240);
    assert.deepEqual(res.body.items[0], { name: 'm1 power', address: 'DB1.DBD0', dataType: 'REAL', quality: 'good', value: 12.5 });
    assert.equal(res.body.items[1].quality, 'bad');
    assert.match(res.body.items[1].error, /signal "gone" \(DB77\.DBW0\)/);
    assert.match(res.body.problems[0], /signal "typo" \(XX1\)/);
    await waitFor('its connection closed', async () => (await sim.connectionCount()) === 0);

    const refused = await helper.request().post('/plc-reader/test-read').send({ connection: { host: '127.0.0.1', port: 1 }, signals: [powerRow] }).expect(200);
    assert.equal(refused.body.connected, false);
    assert.ok(refused.body.error);
    const invalid = await helper.request().post('/plc-reader/test-read').send({ connection: { host: '' }, signals: [] }).expect(400);
    assert.match(invalid.body.error, /host is empty/);
  });

  it('the connection status endpoint shows the negotiated PDU', async () => {
    const h = await load({ signals: [powerRow], intervalMs: 100 });
    await waitFor('a read', () => h.messages[0]);
    const res = await helper.request().get('/plc-connection/conn/status').expect(200);
    assert.equal(res.body.state, 'connected');
    assert.equal(res.body.negotiatedPdu, 240);
    assert.equal(res.body.users, 1);
  });

  it('redeploy leaves no connection behind, and a new deploy reads again', async () => {
    for (let round = 0; round < 2; round++) {
      const h = await load({ signals: [powerRow], intervalMs: 50 });
      await waitFor('a read', () => h.messages[0]);
      assert.equal(await sim.connectionCount(), 1, 'one connection shared by the reader');
      await helper.unload();
      // the simulator's proxy sees the socket close a moment after the client has closed it
      await waitFor('no connection after the flow stopped', async () => ((await sim.connectionCount()) === 0 ? true : undefined), 2000);
    }
  });

  it('a deploy of modified nodes keeps the PLC session; a reader removed for good frees it after the grace period', async function () {
    this.timeout(40_000);
    const reader = (intervalMs: number): Record<string, unknown> => ({
      id: 'r', type: 'plc-reader', name: 'retuned', connection: 'conn', source: 'table', intervalMs, outputMode: 'per-signal', signals: [powerRow], wires: [['out']],
    });
    const h = await load({ signals: [powerRow], intervalMs: 50 });
    await waitFor('a read', () => h.messages[0]);
    const accepted = await sim.connectionsAccepted();
    type Flows = Parameters<typeof helper.setFlows>[0];
    await helper.setFlows([connection(), reader(100), { id: 'out', type: 'helper' }] as Flows, 'nodes');
    const received: ContractMessage[] = [];
    helper.getNode('out').on('input', (msg: ContractMessage) => received.push(msg));
    await waitFor('the restarted reader reads', () => received[0]);
    assert.equal(await sim.connectionsAccepted(), accepted, 'no new S7 connection');
    assert.equal(await sim.connectionCount(), 1);

    await helper.setFlows([connection(), { id: 'out', type: 'helper' }] as Flows, 'nodes');
    assert.equal(await sim.connectionCount(), 1, 'kept during the grace period');
    await waitFor('the unused connection closed', async () => (await sim.connectionCount()) === 0);
  });

  it('a full deploy keeps the PLC session too; one that changes the connection\'s settings opens a new one', async function () {
    this.timeout(20_000);
    type Flows = Parameters<typeof helper.setFlows>[0];
    const flows = (intervalMs: number, conn = connection()): Flows => [conn,
      { id: 'r', type: 'plc-reader', name: 'retuned', connection: 'conn', source: 'table', intervalMs, outputMode: 'per-signal', signals: [powerRow], wires: [['out']] },
      { id: 'out', type: 'helper' }] as Flows;
    const h = await load({ signals: [powerRow], intervalMs: 50 });
    await waitFor('a read', () => h.messages[0]);
    const accepted = await sim.connectionsAccepted();

    // Full: every node stops and starts again, the plc-connection included.
    await helper.setFlows(flows(100), 'full');
    const received: ContractMessage[] = [];
    helper.getNode('out').on('input', (msg: ContractMessage) => received.push(msg));
    await waitFor('the new reader reads', () => received.find((m) => m.quality === 'good'));
    assert.equal(await sim.connectionsAccepted(), accepted, 'no new S7 connection');
    assert.equal(await sim.connectionCount(), 1);

    await helper.setFlows(flows(100, connection({ receiveTimeoutMs: '1500' })), 'full');
    const afterChange: ContractMessage[] = [];
    helper.getNode('out').on('input', (msg: ContractMessage) => afterChange.push(msg));
    await waitFor('reads over the new session', () => afterChange.find((m) => m.quality === 'good'));
    // a new session: the TCP reachability probe, then the S7 connection
    assert.equal(await sim.connectionsAccepted(), accepted + 2, 'one new S7 session for the new settings');
    await waitFor('the old session closed', async () => ((await sim.connectionCount()) === 1 ? true : undefined), 3000);
  });

  it('readers on one plc-connection share one S7 connection; a pool of 2 opens two', async () => {
    for (const poolSize of ['1', '2']) {
      await helper.load([plcConnection, plcReader], [
        connection({ poolSize }),
        { id: 'a', type: 'plc-reader', name: 'first', connection: 'conn', source: 'table', intervalMs: 50, outputMode: 'per-signal', signals: [powerRow], wires: [['out']] },
        { id: 'b', type: 'plc-reader', name: 'second', connection: 'conn', source: 'table', intervalMs: 50, outputMode: 'per-signal', signals: [{ name: 'MW2', address: 'MW2', dataType: 'INT' }], wires: [['out']] },
        { id: 'out', type: 'helper' },
      ] as Parameters<typeof helper.load>[1]);
      const topics = new Set<string>();
      helper.getNode('out').on('input', (msg: ContractMessage) => topics.add(String(msg.topic)));
      await waitFor('both readers read', () => (topics.size === 2 ? true : undefined));
      await waitFor(`${poolSize} connection(s)`, async () => String(await sim.connectionCount()) === poolSize);
      await helper.unload();
      await waitFor('no connection', async () => (await sim.connectionCount()) === 0);
    }
  });

  it('a configuration without host reports it clearly and refuses input through done(err)', async () => {
    const h = await load({ signals: [powerRow] }, connection({ host: '' }));
    const status = await waitFor('status', () => h.statuses.find((s) => /host is empty/.test(s.text ?? '')));
    assert.ok(status);
    (h.reader as Node & { receive(msg: object): void }).receive({ payload: 1 });
    await waitFor('the input error', () => h.errors.find((args) => /host is empty/.test(String(args[0])) && args[1] !== undefined));
  });

  it('PLC gone and back: bad quality with the reason and a retry countdown, then reading resumes', async () => {
    const h = await load({ signals: [powerRow], intervalMs: 100 });
    await waitFor('a good read', () => h.messages.find((m) => m.quality === 'good'));
    await sim.stopServer();
    const bad = await waitFor('a bad reading', () => h.messages.find((m) => m.quality === 'bad'));
    assert.match(bad.error!, /^signal "m1 power" \(DB1\.DBD0\): ./);
    await waitFor('the retry countdown', () => h.statuses.find((s) => /^retry in \d+ s/.test(s.text ?? '')));
    const errorsWhileDown = h.errors.length;
    const badWhileDown = (): number => h.messages.filter((m) => m.quality === 'bad').length;
    const badSoFar = badWhileDown();
    await waitFor('five more cycles while down', () => badWhileDown() >= badSoFar + 5);
    assert.equal(h.errors.length, errorsWhileDown, 'no error per cycle while down');
    await sim.startServer();
    const mark = h.messages.length;
    // the PLC is probed every 200 ms while down: reading resumes at the next probe
    const good = await waitFor('reading again', () => h.messages.slice(mark).find((m) => m.quality === 'good'));
    assert.equal(good.payload, 12.5);
  });
});
