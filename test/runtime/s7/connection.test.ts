/**
 * S7Connection against the PLC simulator (a child process) over real S7 on loopback.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAddress, type S7Address } from '../../../lib/s7/address';
import { S7Connection, S7ConnectionError, type PreparedRead, type ReadResult, type S7ConnectionOptions } from '../../../lib/s7/connection';
import { MACHINE_DB_LAYOUT, PROCESS_LAYOUT, sampleAddress, startSimulator, type SimulatorHandle } from '../../helpers/simulator';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function whenState(conn: S7Connection, state: string, timeoutMs = 5000): Promise<void> {
  if (conn.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('state', on);
      reject(new Error(`state ${state} not reached within ${timeoutMs} ms (now ${conn.state}, ${conn.lastError})`));
    }, timeoutMs);
    const on = (s: string): void => {
      if (s !== state) return;
      clearTimeout(timer);
      conn.off('state', on);
      resolve();
    };
    conn.on('state', on);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Reads until a read succeeds again; says how long that took. */
async function readWhenBack(conn: S7Connection, prepared: PreparedRead): Promise<{ res: ReadResult; resumedAfter: number }> {
  const from = Date.now();
  const res = await waitFor('reading resumes', async () => conn.read(prepared).catch(() => undefined), 3000);
  return { res, resumedAfter: Date.now() - from };
}

const samples = Object.entries(MACHINE_DB_LAYOUT.samples);

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
      const conn = new S7Connection({ host: '127.0.0.1', port: sim.port, poolSize: 2, pduSize: 960 });
      conns.push(conn);
      // 500 REALs of the bulk blocks of DB1..DB10, with a gap of 4 bytes between neighbours.
      const addrs = Array.from({ length: 500 }, (_, i) => parseAddress(`DB${1 + (i % 10)}.DBD${200 + 8 * Math.floor(i / 10)}`, 'REAL'));
      const prepared = conn.prepare(addrs);
      const plannedFor960 = prepared.requestCount;
      conn.start();
      await whenState(conn, 'connected');
      await waitFor('both pooled clients', async () => ((await sim.connectionCount()) >= 2 ? true : undefined), 3000);
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
      const conn = open(sim);
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DQ.0'), parseAddress('DQ.1'), parseAddress('DB1,DI4')]);
      assert.equal(prepared.requestCount, 1, 'pins and counter in one request: one consistent moment per read');
      let rises = 0;
      let last: boolean | undefined;
      let first: number | undefined;
      let counter = 0;
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        const r = await conn.read(prepared);
        assert.equal(r.items[0].value, true, 'powered');
        const on = r.items[1].value === true;
        // The first read only sets the baseline: a pulse already on is already in its counter.
        if (on && last === false) rises++;
        last = on;
        counter = r.items[2].value as number;
        first ??= counter;
        await sleep(20);
      }
      assert.ok(rises >= 4, `about 5 cycles in 2 s at 400 ms, saw ${rises}`);
      assert.equal(rises, counter - (first as number));
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

    it('resumes reading within the backoff window after the server is killed and restarted', async () => {
      const conn = open(sim, { reconnectMinMs: 200, reconnectMaxMs: 800, connectTimeoutMs: 500, receiveTimeoutMs: 500 });
      const states: string[] = [];
      conn.on('state', (s: string) => states.push(s));
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DB1,REAL0'), parseAddress('DB1,DI4')]);
      assert.equal((await conn.read(prepared)).items[0].value, 12.5);
      await sim.stopServer();
      await assert.rejects(conn.read(prepared), (err: Error) => err instanceof S7ConnectionError);
      await whenState(conn, 'backoff');
      await sleep(2500); // several failed attempts: the delay grows to the maximum
      assert.equal(conn.state === 'backoff' || conn.state === 'connecting', true);
      assert.match(conn.lastError ?? '', /ECONNREFUSED|closed|failed/);
      if (conn.state === 'backoff') assert.ok((conn.retryAt ?? 0) > Date.now() - 50 && (conn.retryAt ?? 0) <= Date.now() + 800);
      await sim.startServer();
      const { res, resumedAfter } = await readWhenBack(conn, prepared);
      assert.ok(resumedAfter <= 800 + 700, `resumed ${resumedAfter} ms after the restart (backoff max 800)`);
      assert.equal(res.items[0].value, 12.5);
      assert.ok(states.includes('backoff') && states[states.length - 1] === 'connected', states.join(','));
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
      await sleep(1000);
      sim = await startSimulator({ port, pduSize: 480 });
      const { res, resumedAfter } = await readWhenBack(conn, prepared);
      assert.ok(resumedAfter <= 800 + 700, `resumed ${resumedAfter} ms after the restart (backoff max 800)`);
      assert.deepEqual(res.items.map((i) => i.ok), [true, true]);
    });

    it('times out on a silent peer while file I/O in the process keeps working, and recovers', async () => {
      const conn = open(sim, { receiveTimeoutMs: 2000, connectTimeoutMs: 1000, reconnectMinMs: 300, reconnectMaxMs: 1000 });
      await whenState(conn, 'connected');
      const prepared = conn.prepare([parseAddress('DB1,REAL0')]);
      await conn.read(prepared);
      await sim.silence();
      const began = Date.now();
      const failed = conn.read(prepared).then(() => 'answered', (err: Error) => err);
      // File I/O runs on the same libuv thread pool: it must not wait for snap7's timeout.
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 's7-silent-'));
      let ioOps = 0;
      let slowest = 0;
      while (Date.now() - began < 3000) {
        const t = Date.now();
        const file = path.join(dir, `f${ioOps % 4}`);
        await fs.writeFile(file, `x${ioOps}`);
        assert.equal(await fs.readFile(file, 'utf8'), `x${ioOps}`);
        await fs.stat(file);
        slowest = Math.max(slowest, Date.now() - t);
        ioOps++;
        await sleep(5);
      }
      await fs.rm(dir, { recursive: true, force: true });
      const outcome = await failed;
      assert.ok(outcome instanceof S7ConnectionError, `read on a silent peer fails, got ${String(outcome)}`);
      assert.ok(ioOps > 50, `file I/O kept running (${ioOps} rounds)`);
      assert.ok(slowest < 800, `slowest file I/O round ${slowest} ms, well under the 2000 ms snap7 waits`);
      assert.notEqual(conn.state, 'connected');
      await sim.unsilence();
      await whenState(conn, 'connected', 5000);
      // A different request now: on a reused socket the late answer to the timed-out REAL read
      // would arrive here instead of this INT.
      const other = await conn.read(conn.prepare([parseAddress('DB1.DBW20', 'INT')]));
      assert.deepEqual(other.items[0], { ok: true, value: -12345 });
      assert.equal((await conn.read(prepared)).items[0].value, 12.5);
      assert.equal(await sim.connectionCount(), 1, 'the stale socket was dropped, not reused');
    });

    it('backs off exponentially with jitter against a dead port, never waiting longer than the maximum', async () => {
      const port = sim.port;
      await sim.stopServer();
      const conn = open(sim, { port, reconnectMinMs: 100, reconnectMaxMs: 400 });
      const delays: number[] = [];
      conn.on('state', (s: string) => {
        if (s === 'backoff' && conn.retryAt !== undefined) delays.push(conn.retryAt - Date.now());
      });
      await sleep(2200);
      assert.ok(delays.length >= 5, `attempts: ${delays.join(', ')}`);
      const nominal = [100, 200, 400, 400, 400];
      nominal.forEach((n, i) => {
        assert.ok(delays[i] <= n + 5 && delays[i] >= 0.8 * n - 5, `delay ${i}: ${delays[i]} ms, nominal ${n}`);
      });
      assert.match(conn.lastError ?? '', /ECONNREFUSED/);
      assert.equal(await sim.connectionsAccepted(), 0, 'nothing reached the dead port');
    });

    it('caps concurrent connects process-wide, so silent PLCs cannot take the whole thread pool', async () => {
      await sim.silence();
      const many = Array.from({ length: 4 }, () => open(sim, { receiveTimeoutMs: 2000, connectTimeoutMs: 2000 }));
      let peak = 0;
      let slowest = 0;
      const began = Date.now();
      while (Date.now() - began < 1200) {
        peak = Math.max(peak, await sim.connectionCount());
        const t = Date.now();
        await fs.stat(__filename);
        slowest = Math.max(slowest, Date.now() - t);
        await sleep(20);
      }
      assert.equal(peak, 2, `2 snap7 connects at once, not more (4 connections waiting), saw ${peak} open sockets`);
      assert.ok(slowest < 800, `file I/O stayed responsive (slowest ${slowest} ms; snap7 waits 2000 ms)`);
      await Promise.all(many.map((c) => c.close()));
      await sim.unsilence();
    });

    it('close() leaves no connection behind, whatever the state', async () => {
      const conn = open(sim, { poolSize: 3 });
      await whenState(conn, 'connected');
      await waitFor('three pooled connections', async () => ((await sim.connectionCount()) === 3 ? true : undefined), 3000);
      const prepared = conn.prepare(Array.from({ length: 30 }, (_, i) => parseAddress(`DB1.DBD${200 + 40 * i}`, 'REAL')));
      const pending = conn.read(prepared);
      await conn.close();
      await pending.then(() => undefined, () => undefined);
      assert.equal(conn.state, 'closed');
      await assert.rejects(conn.read(prepared), /closed/);
      await waitFor('no connections', async () => ((await sim.connectionCount()) === 0 ? true : undefined), 2000);

      // Closing while reconnecting against a dead server, and while the peer is silent.
      await sim.stopServer();
      const dead = open(sim, { reconnectMinMs: 50 });
      await sleep(300);
      await dead.close();
      await sim.startServer();
      await sim.silence();
      const stuck = open(sim, { receiveTimeoutMs: 800 });
      await sleep(200);
      await stuck.close();
      await sim.unsilence();
      await sleep(100);
      assert.equal(await sim.connectionCount(), 0);
      assert.equal(await conn.close(), undefined, 'close() is idempotent');
    });
  });
});
