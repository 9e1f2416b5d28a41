/**
 * S7Connection against the PLC simulator (a child process) over real S7 on loopback. Reconnect
 * timing runs on a ManualClock: the test moves time and waits (in real time, generously) only
 * for the network's answers, so a busy machine cannot make it fail.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseAddress, type S7Address } from '../../../lib/s7/address';
import { CLOSE_GRACE_MS, S7Connection, S7ConnectionError, type S7ConnectionOptions } from '../../../lib/s7/connection';
import { limitsFor, snap7Slots, threadPoolSize, ThreadSlots } from '../../../lib/s7/thread-slots';
import { ManualClock } from '../../helpers/manual-clock';
import { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, sampleAddress, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

const whenState = (conn: S7Connection, state: string): Promise<true> =>
  waitFor(`state ${state} (now ${conn.state}, ${conn.lastError})`, () => conn.state === state);

/**
 * Moves the clock in steps until `done`, waiting after each step for the connection to settle
 * (a probe or connect answered: connected, or the next attempt scheduled). Returns the clock
 * time it took.
 */
async function advanceUntil(clock: ManualClock, conn: S7Connection, done: () => boolean, limitMs: number, stepMs = 100): Promise<number> {
  const from = clock.now();
  while (!done()) {
    if (clock.now() - from >= limitMs) return clock.now() - from;
    await clock.advance(stepMs);
    await waitFor('the attempt settles', () => conn.state === 'connected' || conn.state === 'closed' || conn.retryAt !== undefined);
  }
  return clock.now() - from;
}

/** A TCP port that accepts and at once hangs up: reachable, but no S7 connect succeeds. */
async function hangingUpServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const samples = Object.entries(MACHINE_DB_LAYOUT.samples);

/**
 * close() does not wait for a snap7 call to a silent PLC (it cannot be cancelled), and snap7 does
 * not notice the PLC's sockets closing while it waits: such a call holds its thread slot to its
 * timeout. Tests that leave some behind wait here, so the next one starts with every slot free.
 */
const leftoverCallsReturned = (): Promise<true> => waitFor('the snap7 calls of the closed connections returned', () => snap7Slots.usage.held === 0);

describe('s7 connection over real S7', function () {
  this.timeout(40_000);
  const conns: S7Connection[] = [];
  const open = (sim: SimulatorHandle, extra: Partial<S7ConnectionOptions> = {}): S7Connection => {
    const c = new S7Connection({ host: '127.0.0.1', port: sim.port, reconnectMinMs: 200, reconnectMaxMs: 1000, ...extra });
    conns.push(c);
    c.start();
    return c;
  };
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close()));
  });

  describe('at PDU 240 with 25 machines', () => {
    let sim: SimulatorHandle;
    before(async () => {
      sim = await startSimulator({
        pduSize: 240,
        machines: Array.from({ length: 25 }, (_, i) => ({
          name: `m${i + 1}`, db: i + 1, scenario: i === 0 ? 'running' as const : 'stopped-powered' as const,
          powerPin: i === 0 ? 0 : undefined, cyclePin: i === 0 ? 1 : undefined, cycleTimeMs: 400, pulseWidthMs: 150, powerKw: 10 + i,
        })),
      });
    });
    after(async () => {
      await sim?.close();
    });

    it('negotiates PDU 240 and decodes every S7 type, process images and merkers', async () => {
      const conn = open(sim);
      await whenState(conn, 'connected');
      assert.equal(conn.negotiatedPdu, 240);
      const addrs: S7Address[] = samples.map(([, s]) => parseAddress(sampleAddress(2, s), s.dataType));
      const extra: [string, string | undefined, unknown][] = [
        ['IW64', undefined, PROCESS_LAYOUT.inputs.IW64], ['IB0', undefined, PROCESS_LAYOUT.inputs.IB0],
        ['MW2', 'INT', PROCESS_LAYOUT.merkers.MW2], ['%MD10', 'REAL', PROCESS_LAYOUT.merkers.MD10], ['M1.3', undefined, true],
        ['DB2.DBB178', MACHINE_DB_LAYOUT.stringArray.dataType, MACHINE_DB_LAYOUT.stringArray.value],
        ['DB2,REAL0', undefined, Math.fround(11 * 0.2)], ['DB2.DBD4', 'DINT', 0], ['DB2,REAL200.200', undefined, Array.from({ length: 200 }, (_, i) => i * 1.5)],
      ];
      for (const [t, dt] of extra) addrs.push(parseAddress(t, dt));
      const prepared = conn.prepare(addrs);
      const res = await conn.read(prepared);
      samples.forEach(([name, s], i) => {
        assert.equal(res.items[i].ok, true, `${name}: ${res.items[i].error}`);
        assert.deepEqual(res.items[i].value, s.value, name);
      });
      extra.forEach(([t, , want], k) => {
        const item = res.items[samples.length + k];
        assert.equal(item.ok, true, `${t}: ${item.error}`);
        assert.deepEqual(item.value, want, t);
      });
      assert.ok(res.requests >= 4, 'the REAL[200] block takes 3 full ReadArea chunks at PDU 240, the rest multi-var requests');
      assert.equal(res.requests, prepared.requestCount);
      assert.ok(Math.abs(res.timestamp - Date.now()) < 1000);
    });

    it('reads more than 20 tags (25 DBs) in 2 requests: 19 + 6 at PDU 240', async () => {
      const conn = open(sim);
      await whenState(conn, 'connected');
      const addrs = Array.from({ length: 25 }, (_, i) => parseAddress(`DB${i + 1},REAL0`));
      const prepared = conn.prepare(addrs);
      assert.equal(prepared.requestCount, 2);
      const res = await conn.read(prepared);
      assert.equal(res.requests, 2);
      res.items.forEach((item, i) => {
        assert.equal(item.ok, true, item.error);
        assert.equal(item.value, i === 0 ? 10 : Math.fround((10 + i) * 0.2), `DB${i + 1} power`);
      });
    });

    it('spreads 500 tags over a pool of 2 clients and re-plans for the negotiated PDU', async () => {
      const conn = new S7Connection({ host: '127.0.0.1', port: sim.port, maxConnections: 2, fixedConnections: true, pduSize: 960 });
      conns.push(conn);
      // 500 REALs of the bulk blocks of DB1..DB10, with a gap of 4 bytes between neighbours.
      const addrs = Array.from({ length: 500 }, (_, i) => parseAddress(`DB${1 + (i % 10)}.DBD${200 + 8 * Math.floor(i / 10)}`, 'REAL'));
      const prepared = conn.prepare(addrs);
      const plannedFor960 = prepared.requestCount;
      conn.start();
      await whenState(conn, 'connected');
      await waitFor('both pooled clients', async () => (await sim.connectionCount()) >= 2);
      assert.equal(conn.negotiatedPdu, 240, 'the simulator imposes 240');
      const res = await conn.read(prepared);
      assert.ok(prepared.requestCount > plannedFor960, `re-planned for PDU 240: ${plannedFor960} -> ${prepared.requestCount}`);
      assert.equal(res.requests, prepared.requestCount);
      res.items.forEach((item, i) => {
        assert.equal(item.ok, true, item.error);
        assert.equal(item.value, 2 * Math.floor(i / 10) * 1.5, addrs[i].text);
      });
    });

    it('marks only the missing DB and the out-of-range address bad, with clear errors', async () => {
      const conn = open(sim);
      await whenState(conn, 'connected');
      const addrs = [
        parseAddress('DB1,DI4'), parseAddress('DB99.DBD0', 'REAL'), parseAddress('DB3.DBD996', 'REAL'),
        parseAddress('DB3.DBB1000', 'REAL[7]'), // 1000..1028: beyond DB3's 1024 bytes, touching (so coalesced with) the one before
        parseAddress('DB2.DBW20', 'INT'),
      ];
      const prepared = conn.prepare(addrs);
      const planned = prepared.requestCount;
      const res = await conn.read(prepared);
      assert.ok(res.requests > planned, 'the failed merged range was re-read item by item in the same cycle');
      assert.equal(res.items[0].ok, true);
      assert.equal(res.items[1].ok, false);
      assert.match(res.items[1].error ?? '', /^DB99.DBD0: CPU : Item not available \(the DB does not exist/);
      assert.equal(res.items[2].ok, true, `the good neighbour of a bad address stays good: ${res.items[2].error}`);
      assert.equal(res.items[2].value, 199 * 1.5);
      assert.equal(res.items[3].ok, false);
      assert.match(res.items[3].error ?? '', /^DB3.DBB1000: CPU : Address out of range/);
      assert.deepEqual(res.items[4], { ok: true, value: -12345 });
      // The next read plans the bad address alone from the start.
      const again = await conn.read(prepared);
      assert.equal(again.items[2].ok, true);
      assert.equal(again.requests, prepared.requestCount);
    });

    it('reads the application pins DQ.0/DQ.1 and sees every unit cycle the counter counts', async () => {
      // pulses long enough that no read gap of a busy machine can hide one
      await sim.setScenario('m1', { cycleTimeMs: 2400, pulseWidthMs: 1200 });
      const conn = open(sim);
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DQ.0'), parseAddress('DQ.1'), parseAddress('DB1,DI4')]);
      assert.equal(prepared.requestCount, 1, 'pins and counter in one request: one consistent moment per read');
      let rises = 0;
      let last: boolean | undefined;
      let first: number | undefined;
      let counter = 0;
      await waitFor('three unit cycles seen', async () => {
        const r = await conn.read(prepared);
        assert.equal(r.items[0].value, true, 'powered');
        const on = r.items[1].value === true;
        // The first read only sets the baseline: a pulse already on is already in its counter.
        if (on && last === false) rises++;
        last = on;
        counter = r.items[2].value as number;
        first ??= counter;
        return rises >= 3;
      });
      assert.equal(rises, counter - (first as number), 'every rise seen is one the counter counted, and none was missed');
      assert.ok((await sim.truth('m1')).counter >= counter);
    });

    it('connects by TSAP (to a host name) and as an OP connection', async () => {
      const byTsap = open(sim, { host: 'localhost', localTSAP: 0x0100, remoteTSAP: 0x0201 });
      const op = open(sim, { connectionType: 'OP' });
      await Promise.all([whenState(byTsap, 'connected'), whenState(op, 'connected')]);
      for (const c of [byTsap, op]) {
        const res = await c.read(c.prepare([parseAddress('MW2')]));
        assert.deepEqual(res.items[0], { ok: true, value: 4242 });
      }
    });
  });

  describe('faults', () => {
    let sim: SimulatorHandle;
    beforeEach(async () => {
      sim = await startSimulator({ pduSize: 480 });
    });
    afterEach(async () => {
      await sim?.close();
    });

    it('resumes within 2 s of the PLC coming back, however long it was gone, probing it cheaply meanwhile (default settings)', async () => {
      const clock = new ManualClock(Date.now());
      // the defaults of a plc-connection: reconnect 1 s doubling up to 30 s
      const conn = open(sim, { clock });
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DB1,REAL0'), parseAddress('DB1,DI4')]);
      assert.equal((await conn.read(prepared)).items[0].value, 12.5);
      await sim.stopServer();
      await assert.rejects(conn.read(prepared), (err: Error) => err instanceof S7ConnectionError);
      await waitFor('backoff after the lost link', () => conn.state === 'backoff' && conn.retryAt !== undefined);
      // a minute without the PLC: an S7 connect's backoff would have grown to its 30 s maximum
      await advanceUntil(clock, conn, () => false, 60_000, 250);
      assert.equal(conn.state, 'backoff');
      assert.match(conn.lastError ?? '', /ECONNREFUSED/);
      assert.ok((conn.retryAt as number) - clock.now() <= 500, `next probe in ${(conn.retryAt as number) - clock.now()} ms: a dead PLC is probed every 500 ms`);
      await sim.startServer();
      const tookMs = await advanceUntil(clock, conn, () => conn.state === 'connected', 10_000);
      assert.equal(conn.state, 'connected');
      assert.ok(tookMs <= 2000, `reading resumed ${tookMs} ms (clock time) after the PLC came back`);
      assert.equal((await conn.read(prepared)).items[0].value, 12.5);
      assert.equal(await sim.connectionCount(), 1, 'exactly one connection after recovery');
    });

    it('resumes after the simulator process is SIGKILLed and started again on the same port', async () => {
      const conn = open(sim, { reconnectMinMs: 200, reconnectMaxMs: 800, connectTimeoutMs: 500, receiveTimeoutMs: 500 });
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DB1,DI4'), parseAddress('DQ.0')]);
      assert.equal((await conn.read(prepared)).items[1].value, true);
      const port = sim.port;
      await sim.kill();
      await assert.rejects(conn.read(prepared), (err: Error) => err instanceof S7ConnectionError);
      await waitFor('backoff', () => conn.state === 'backoff');
      sim = await startSimulator({ port, pduSize: 480 });
      const res = await waitFor('reading resumes', () => conn.read(prepared).catch(() => undefined));
      assert.deepEqual(res.items.map((i) => i.ok), [true, true]);
    });

    it('times out on a silent peer while file I/O in the process keeps working, and recovers', async () => {
      const conn = open(sim, { receiveTimeoutMs: 10_000, connectTimeoutMs: 1000, reconnectMinMs: 300, reconnectMaxMs: 1000 });
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DB1,REAL0')]);
      await conn.read(prepared);
      await sim.silence();
      let settled = false;
      const failed = conn.read(prepared).then(() => 'answered', (err: Error) => err).finally(() => { settled = true; });
      // File I/O runs on the same libuv thread pool: it must not wait for snap7's timeout.
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 's7-silent-'));
      for (let i = 0; i < 20; i++) {
        const file = path.join(dir, `f${i % 4}`);
        await fs.writeFile(file, `x${i}`);
        assert.equal(await fs.readFile(file, 'utf8'), `x${i}`);
        await fs.stat(file);
      }
      assert.equal(settled, false, 'file I/O went on while the silent read still waited for its answer');
      await fs.rm(dir, { recursive: true, force: true });
      const outcome = await failed;
      assert.ok(outcome instanceof S7ConnectionError, `read on a silent peer fails, got ${String(outcome)}`);
      assert.notEqual(conn.state, 'connected');
      await sim.unsilence();
      await whenState(conn, 'connected');
      // A different request now: on a reused socket the late answer to the timed-out REAL read
      // would arrive here instead of this INT.
      const other = await conn.read(conn.prepare([parseAddress('DB1.DBW20', 'INT')]));
      assert.deepEqual(other.items[0], { ok: true, value: -12345 });
      assert.equal((await conn.read(prepared)).items[0].value, 12.5);
      assert.equal(await sim.connectionCount(), 1, 'the stale socket was dropped, not reused');
    });

    it('probes a dead port at a steady pace: no S7 connect, no growing delay', async () => {
      const clock = new ManualClock(Date.now());
      const port = sim.port;
      await sim.stopServer();
      const conn = open(sim, { port, clock, reconnectMinMs: 100, reconnectMaxMs: 400 });
      const delays: number[] = [];
      for (let i = 0; i < 8; i++) {
        await waitFor('the probe fails', () => conn.retryAt !== undefined);
        delays.push((conn.retryAt as number) - clock.now());
        await clock.advance((conn.retryAt as number) - clock.now());
      }
      assert.deepEqual(delays, Array(8).fill(100), 'probed every probeIntervalMs (the smaller of 500 and reconnectMinMs)');
      assert.match(conn.lastError ?? '', /ECONNREFUSED/);
      assert.equal(conn.state, 'backoff');
      assert.equal(await sim.connectionsAccepted(), 0, 'nothing reached the dead port');
    });

    it('backs off the S7 connect exponentially with jitter when the PLC answers TCP but not S7', async () => {
      const clock = new ManualClock(Date.now());
      const plc = await hangingUpServer();
      try {
        const conn = open(sim, { port: plc.port, clock, reconnectMinMs: 100, reconnectMaxMs: 400, receiveTimeoutMs: 500 });
        const delays: number[] = [];
        for (let i = 0; i < 5; i++) {
          await waitFor('the connect fails', () => conn.retryAt !== undefined);
          delays.push((conn.retryAt as number) - clock.now());
          await clock.advance((conn.retryAt as number) - clock.now());
        }
        const nominal = [100, 200, 400, 400, 400];
        nominal.forEach((n, i) => {
          assert.ok(delays[i] <= n && delays[i] >= 0.8 * n, `delay ${i}: ${delays[i]} ms, nominal ${n} less up to 20 % jitter`);
        });
        assert.match(conn.lastError ?? '', /^127\.0\.0\.1:\d+: /, 'the S7 connect failed, not the probe');
        assert.ok(plc.accepted() >= 10, 'a probe and a connect per attempt');
      } finally {
        await Promise.all(conns.splice(0).map((c) => c.close()));
        await plc.close();
      }
    });

    it('snap7 engine: never holds more than (thread pool size - 1) threads with snap7 calls: file I/O answers while every PLC is silent', async () => {
      const threads = threadPoolSize();
      const limits = limitsFor(threads);
      // as many silent PLCs as the pool has threads: unlimited, their reads would take every one
      const many = Array.from({ length: threads }, () => open(sim, { engine: 'snap7', receiveTimeoutMs: 30_000 }));
      await Promise.all(many.map((c) => whenState(c, 'connected')));
      const prepared = many.map((c) => c.prepare([parseAddress('DB1,REAL0')]));
      await sim.silence();
      let settled = 0;
      const reads = many.map((c, i) => c.read(prepared[i]).finally(() => { settled++; }));
      await waitFor('the silent reads hold every slot', () => snap7Slots.usage.held === limits.total && snap7Slots.usage.waiting > 0);
      assert.equal(snap7Slots.usage.held, threads - 1);
      assert.equal(await fs.readFile(__filename, 'utf8').then((t) => t.length > 0), true);
      await fs.stat(__filename);
      assert.equal(settled, 0, 'file I/O answered while every silent read was still waiting');
      await sim.unsilence();
      for (const r of await Promise.all(reads)) assert.equal(r.items[0].value, 12.5, 'the held reads are answered once the PLC talks again');
    });

    it('snap7 engine: when PLCs fall silent together, one not heard from since is given up after a short trial, not its whole receive timeout', async function () {
      // a reconnect it started during the silence may run to its 60 s timeout before leftoverCallsReturned()
      this.timeout(90_000);
      const limits = limitsFor(threadPoolSize());
      // every request slot taken by silent PLCs: two give up after 1.5 s, one waits 20 s
      const quick = Array.from({ length: limits.total - 1 }, () => open(sim, { engine: 'snap7', receiveTimeoutMs: 1500 }));
      const patient = open(sim, { engine: 'snap7', receiveTimeoutMs: 20_000 });
      // and one more with a receive timeout of a minute, waiting for a slot
      const late = open(sim, { engine: 'snap7', receiveTimeoutMs: 60_000 });
      const all = [...quick, patient, late];
      await Promise.all(all.map((c) => whenState(c, 'connected')));
      const prepared = all.map((c) => c.prepare([parseAddress('DB1,REAL0')]));
      await sim.silence();
      const settled = new Set<S7Connection>();
      const reads = all.slice(0, -1).map((c, i) => c.read(prepared[i]).then(() => 'answered', (err: Error) => err.message).finally(() => settled.add(c)));
      await waitFor('the silent PLCs hold every slot', () => snap7Slots.usage.held === limits.total);
      const lateRead = late.read(prepared[all.length - 1]).then(() => 'answered', (err: Error) => err.message);
      await waitFor('the late read waits for a slot', () => snap7Slots.usage.waiting > 0);
      // the quick ones time out; the late read gets a slot while the patient one still hangs
      assert.notEqual(await lateRead, 'answered');
      assert.equal(settled.has(patient), false, 'given up long before the 20 s of the PLC that fell silent first, let alone its own minute');
      await sim.unsilence();
      await Promise.all(reads);
      await Promise.all(conns.splice(0).map((c) => c.close()));
      await leftoverCallsReturned();
    });

    it('snap7 engine: a PLC silent from the start costs only its own readers', async () => {
      const silentPlc = await startSimulator({ pduSize: 480 });
      try {
        const healthy = open(sim);
        await whenState(healthy, 'connected');
        await silentPlc.silence();
        const silent = Array.from({ length: 4 }, () => open(silentPlc, { engine: 'snap7', receiveTimeoutMs: 8000, connectTimeoutMs: 8000 }));
        await waitFor('the silent connects wait for the PLC', () => snap7Slots.usage.connects === limitsFor(threadPoolSize()).connects);
        const prepared = healthy.prepare([parseAddress('DB1,REAL0')]);
        for (let i = 0; i < 10; i++) assert.equal((await healthy.read(prepared)).items[0].value, 12.5);
        assert.deepEqual(silent.map((c) => c.state), silent.map(() => 'connecting'), 'read 10 times while the silent PLCs still waited');
      } finally {
        await silentPlc.close();
        await Promise.all(conns.splice(0).map((c) => c.close()));
        await leftoverCallsReturned();
      }
    });

    it('snap7 engine: after a failed S7 connect a PLC connects on probation: a healthy PLC reconnects without waiting behind it', async () => {
      const silentPlc = await startSimulator({ pduSize: 480 });
      try {
        const healthy = open(sim);
        await whenState(healthy, 'connected');
        await silentPlc.silence();
        // a test read (always on probation) that hangs on the silent PLC
        open(silentPlc, { engine: 'snap7', onProbation: true, connectTimeoutMs: 8000, receiveTimeoutMs: 8000 });
        await waitFor('the test read holds the probation slot', () => snap7Slots.usage.probation === 1);
        // a PLC in good standing: its first S7 connect fails (200 ms), its retry then waits on probation
        const silent = open(silentPlc, { engine: 'snap7', connectTimeoutMs: 200, receiveTimeoutMs: 200, reconnectMinMs: 100 });
        await waitFor('the retry waits on probation', () => silent.state === 'connecting' && /^127\.0\.0\.1:\d+: /.test(silent.lastError ?? '') && snap7Slots.usage.waiting > 0);
        await sim.restart(0);
        const prepared = healthy.prepare([parseAddress('DB1,REAL0')]);
        const res = await waitFor('the healthy PLC is read again', () => healthy.read(prepared).catch(() => undefined));
        assert.equal(res.items[0].value, 12.5);
        assert.equal(snap7Slots.usage.probation, 1, 'reconnected while the probation slot was still held');
        assert.equal(silent.state, 'connecting', 'and the silent PLC still waited for it');
      } finally {
        await silentPlc.close();
        await Promise.all(conns.splice(0).map((c) => c.close()));
        await leftoverCallsReturned();
      }
    });

    it('snap7 engine: close() ends within a moment while a request waits for a silent PLC: the read fails as closed, the snap7 call keeps its thread slot until it returns', async () => {
      const clock = new ManualClock(Date.now());
      // a budget of its own, so calls left over from other tests do not count here
      const slots = new ThreadSlots(limitsFor(threadPoolSize()), clock);
      const conn = open(sim, { engine: 'snap7', clock, threadSlots: slots, receiveTimeoutMs: 60_000 });
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DB1,REAL0')]);
      assert.equal((await conn.read(prepared)).items[0].value, 12.5);
      await sim.silence();
      let outcome: unknown;
      void conn.read(prepared).then(() => { outcome = 'answered'; }, (err: unknown) => { outcome = err; });
      await waitFor('the read waits for the silent PLC', () => slots.usage.held === 1);
      let closed = false;
      void conn.close().then(() => { closed = true; });
      // the old close() waited for the call: the read failed, and close() ended, only after the 60 s receive timeout
      await waitFor('the read in flight fails at close()', () => outcome !== undefined, 20_000);
      assert.ok(outcome instanceof S7ConnectionError, `got ${String(outcome)}`);
      assert.match(outcome.message, /^S7 connection to 127\.0\.0\.1:\d+ is closed$/);
      await clock.advance(CLOSE_GRACE_MS);
      await waitFor('close() ends after its grace, with the call still running', () => closed, 20_000);
      assert.equal(conn.state, 'closed');
      assert.equal(slots.usage.held, 1, 'snap7 cannot cancel the call: it keeps its thread until it returns');
      await sim.unsilence();
      await waitFor('the call returned and gave its slot back', () => slots.usage.held === 0);
      await waitFor('its S7 connection is closed', async () => (await sim.connectionCount()) === 0);
    });

    it('close() leaves no connection behind, whatever the state', async () => {
      const conn = open(sim, { maxConnections: 3, fixedConnections: true });
      await whenState(conn, 'connected');
      await waitFor('three pooled connections', async () => (await sim.connectionCount()) === 3);
      const prepared = conn.prepare(Array.from({ length: 30 }, (_, i) => parseAddress(`DB1.DBD${200 + 40 * i}`, 'REAL')));
      const pending = assert.rejects(conn.read(prepared), /^S7ConnectionError: S7 connection to .* is closed$/);
      await conn.close();
      await pending;
      assert.equal(conn.state, 'closed');
      await assert.rejects(conn.read(prepared), /closed/);
      await waitFor('no connections', async () => (await sim.connectionCount()) === 0);

      // Closing while reconnecting against a dead server, and while the peer is silent.
      await sim.stopServer();
      const dead = open(sim, { reconnectMinMs: 50 });
      await waitFor('the dead server refused', () => dead.state === 'backoff' && dead.lastError !== undefined);
      await dead.close();
      await sim.startServer();
      await sim.silence();
      const stuck = open(sim, { receiveTimeoutMs: 800 });
      await waitFor('the silent connect started', async () => (await sim.connectionCount()) > 0);
      await stuck.close();
      await sim.unsilence();
      await waitFor('no connections', async () => (await sim.connectionCount()) === 0);
      assert.equal(await conn.close(), undefined, 'close() is idempotent');
    });
  });
});
