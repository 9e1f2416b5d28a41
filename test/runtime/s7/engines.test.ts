/**
 * The two S7 engines of S7Connection over real S7 (the simulator on loopback): the built-in
 * pipelined wire client (the default) and node-snap7's client. Both read the same values; the
 * wire engine keeps several requests of one read in flight on one connection, holds no thread
 * while a PLC is silent, and survives losing its link mid-pipeline. The plc-connection node
 * picks the engine from its `engine` setting. Waits for states (generously); asserts counts,
 * never durations.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import plcConnectionNode from '../../../nodes/plc-connection/plc-connection';
import { parseAddress } from '../../../lib/s7/address';
import { S7Connection, S7ConnectionError, type S7ConnectionOptions, type S7Engine } from '../../../lib/s7/connection';
import { CONNECTION_DEFAULTS } from '../../../lib/s7/session/connection-config';
import type { ConnectionProvider } from '../../../lib/s7/session/shared-connection';
import { limitsFor, snap7Slots, threadPoolSize, ThreadSlots } from '../../../lib/s7/thread-slots';
import { ManualClock } from '../../helpers/manual-clock';
import { helper } from '../../helpers/node-red';
import { startS7Proxy, type S7Proxy } from '../../helpers/s7-proxy';
import { MACHINE_DB_LAYOUT, sampleAddress, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

/** 500 REALs of the bulk blocks of DB1..DB10, 4 bytes apart: many requests at PDU 240. */
const BULK = Array.from({ length: 500 }, (_, i) => parseAddress(`DB${1 + (i % 10)}.DBD${200 + 8 * Math.floor(i / 10)}`, 'REAL'));
/** The bulk block holds 1.5 × its element index. */
const bulkValue = (i: number): number => 2 * Math.floor(i / 10) * 1.5;

const whenConnected = (c: S7Connection): Promise<true> => waitFor(`connected (now ${c.state}, ${c.lastError})`, () => c.state === 'connected');

describe('s7 engines over real S7', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  const conns: S7Connection[] = [];
  const open = (port: number, extra: Partial<S7ConnectionOptions> = {}): S7Connection => {
    const c = new S7Connection({ host: '127.0.0.1', port, reconnectMinMs: 200, reconnectMaxMs: 1000, ...extra });
    conns.push(c);
    c.start();
    return c;
  };
  before(async () => {
    sim = await startSimulator({
      pduSize: 240,
      machines: Array.from({ length: 10 }, (_, i) => ({ name: `m${i + 1}`, db: i + 1, scenario: 'stopped-powered' as const, powerKw: 10 + i })),
    });
  });
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close()));
    await sim.unsilence();
  });
  after(async () => {
    await sim?.close();
  });

  for (const engine of ['wire', 'snap7'] as const satisfies readonly S7Engine[]) {
    it(`${engine}: reads every S7 type and 500 tags, with the same values`, async () => {
      const conn = open(sim.port, { engine });
      await whenConnected(conn);
      assert.equal(conn.engine, engine);
      const samples = Object.entries(MACHINE_DB_LAYOUT.samples);
      const typed = await conn.read(conn.prepare(samples.map(([, s]) => parseAddress(sampleAddress(2, s), s.dataType))));
      samples.forEach(([name, s], i) => assert.deepEqual(typed.items[i], { ok: true, value: s.value }, name));
      const prepared = conn.prepare(BULK);
      const bulk = await conn.read(prepared);
      assert.equal(bulk.requests, prepared.requestCount);
      bulk.items.forEach((item, i) => assert.deepEqual(item, { ok: true, value: bulkValue(i) }, BULK[i].text));
      assert.equal(conn.jobsPerConnection, engine === 'wire' ? 8 : 1, 'the simulator grants the 8 jobs the wire client asks for');
      assert.equal(conn.connections, 1, 'one read after another needs no second connection');
    });
  }

  describe('through a counting proxy', () => {
    let proxy: S7Proxy;
    beforeEach(async () => {
      // a delay each way, so that requests sent together are in flight together
      proxy = await startS7Proxy({ targetHost: sim.host, targetPort: sim.port, delayMs: 20 });
    });
    afterEach(async () => {
      await Promise.all(conns.splice(0).map((c) => c.close()));
      await proxy.close();
    });

    it('wire: the requests of one read are in flight together on ONE connection; snap7 has one at a time', async () => {
      const wire = open(proxy.port);
      await whenConnected(wire);
      const prepared = wire.prepare(BULK);
      assert.ok(prepared.requestCount > 8, `${prepared.requestCount} requests`);
      const res = await wire.read(prepared);
      assert.deepEqual(res.items.map((item) => item.ok), BULK.map(() => true));
      assert.equal(proxy.connections, 1);
      assert.equal(proxy.peakInFlight, 8, 'as many requests in flight as the jobs negotiated');
      await wire.close();

      const snap7Proxy = await startS7Proxy({ targetHost: sim.host, targetPort: sim.port, delayMs: 20 });
      try {
        const snap7 = open(snap7Proxy.port, { engine: 'snap7', maxConnections: 1 });
        await whenConnected(snap7);
        await snap7.read(snap7.prepare(BULK));
        assert.equal(snap7Proxy.peakInFlight, 1);
      } finally {
        await Promise.all(conns.splice(0).map((c) => c.close()));
        await snap7Proxy.close();
      }
    });

    it('wire: a link lost mid-pipeline fails the read in flight at once, reconnects, and the next read works', async () => {
      const conn = open(proxy.port, { maxConnections: 1 });
      await whenConnected(conn);
      const prepared = conn.prepare(BULK);
      const failed = conn.read(prepared).then(() => 'answered', (err: unknown) => err);
      await waitFor('several requests in flight', () => conn.requestsInFlight > 1);
      const inFlight = conn.requestsInFlight;
      proxy.dropOne();
      const outcome = await failed;
      assert.ok(outcome instanceof S7ConnectionError, `${inFlight} in flight; got ${String(outcome)}`);
      assert.equal(conn.requestsInFlight, 0, 'every request in flight ended with the link');
      await whenConnected(conn);
      const res = await waitFor('a read after the reconnect', () => conn.read(prepared).catch(() => undefined));
      res.items.forEach((item, i) => assert.deepEqual(item, { ok: true, value: bulkValue(i) }, BULK[i].text));
      assert.equal(proxy.connections, 1, 'the dropped socket was replaced, not kept');
    });

    it('wire: with two connections, the requests of the lost one are run again on the other: the read succeeds', async () => {
      const conn = open(proxy.port, { maxConnections: 2, fixedConnections: true });
      await waitFor('two connections', () => conn.connections === 2 && proxy.connections === 2);
      const prepared = conn.prepare(BULK);
      const reading = conn.read(prepared);
      await waitFor('requests in flight on both', () => conn.requestsInFlight > 8);
      proxy.dropOne();
      const res = await reading;
      res.items.forEach((item, i) => assert.deepEqual(item, { ok: true, value: bulkValue(i) }, BULK[i].text));
      assert.equal(conn.state, 'connected');
      await waitFor('the lost connection is replaced', () => conn.connections === 2 && proxy.connections === 2);
    });
  });

  it('wire: silent PLCs hold no thread and no slot of snap7\'s budget; file I/O answers; close() needs no grace', async () => {
    const clock = new ManualClock(Date.now());
    const slots = new ThreadSlots(limitsFor(threadPoolSize()), clock);
    // more silent PLCs than libuv has threads: on snap7 their reads would take every slot there is
    const many = Array.from({ length: threadPoolSize() + 4 }, () => open(sim.port, { clock, threadSlots: slots, receiveTimeoutMs: 60_000 }));
    await Promise.all(many.map(whenConnected));
    const prepared = many.map((c) => c.prepare(BULK));
    const heldBefore = snap7Slots.usage.held;
    await sim.silence();
    let settled = 0;
    const reads = many.map((c, i) => c.read(prepared[i]).then(() => 'answered', (err: unknown) => err).finally(() => { settled++; }));
    await waitFor('every read in flight', () => many.every((c) => c.requestsInFlight > 1));
    const { held, waiting, connects, probation, peak } = slots.usage;
    assert.deepEqual({ held, waiting, connects, probation, peak }, { held: 0, waiting: 0, connects: 0, probation: 0, peak: 0 });
    assert.equal(snap7Slots.usage.held, heldBefore, 'the process-wide budget is untouched');
    for (let i = 0; i < 10; i++) assert.ok((await fs.readFile(__filename, 'utf8')).length > 0);
    assert.equal(settled, 0, 'file I/O answered while every silent read still waited');
    // close() fails the reads and ends without the clock moving: the wire client disconnects at once
    await Promise.all(many.map((c) => c.close()));
    for (const outcome of await Promise.all(reads)) assert.match(String(outcome), /S7 connection to 127\.0\.0\.1:\d+ is closed/);
    await waitFor('no connections left', async () => (await sim.connectionCount()) === 0);
  });
});

describe('plc-connection node: the engine setting', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ pduSize: 240 });
    await helper.startServer();
  });
  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await sim?.close();
  });

  // ids unlike any setting's value: Node-RED takes a property naming a node's id for a reference to it
  const node = (id: string, extra: Record<string, unknown>): { id: string; type: string } & Record<string, unknown> => ({
    id, type: 'plc-connection', ...CONNECTION_DEFAULTS, name: `PLC ${id}`, host: sim.host, port: sim.port, ...extra,
  });

  it('snap7 when chosen, the wire engine for flows saved without the setting; an unknown engine is named', async () => {
    const { engine: _absent, id: _id, ...savedBefore } = node('plc-b', {});
    await helper.load(plcConnectionNode, [node('plc-a', { engine: 'snap7' }), { id: 'plc-b', ...savedBefore }, node('plc-c', { engine: 'nodes7' })]);
    const connectionOf = (id: string): S7Connection => (helper.getNode(id) as unknown as ConnectionProvider).shared!.acquire('engine test');
    const [snap7, old] = [connectionOf('plc-a'), connectionOf('plc-b')];
    await Promise.all([whenConnected(snap7), whenConnected(old)]);
    const status = async (id: string): Promise<Record<string, unknown>> => (await helper.request().get(`/plc-connection/${id}/status`).expect(200)).body as Record<string, unknown>;
    assert.deepEqual([await status('plc-a'), await status('plc-b')].map((s) => [s.engine, s.jobsPerConnection]), [['snap7', 1], ['wire', 8]]);
    for (const c of [snap7, old]) assert.equal((await c.read(c.prepare([parseAddress('DB1,REAL0')]))).items[0].value, 12.5);
    const bogus = await status('plc-c');
    assert.equal(bogus.state, 'closed');
    assert.match(String(bogus.error), /PLC connection "PLC plc-c": engine must be wire or snap7, got "nodes7"/);
  });
});
