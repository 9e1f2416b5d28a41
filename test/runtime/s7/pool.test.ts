/**
 * The adaptive connection pool over real S7: plc-reader's engine reads the simulator through a
 * proxy that delays every chunk (a slow link). On snap7's engine (one request per connection)
 * the pool grows while the cycle does not fit its interval, shrinks back when the interval is
 * relaxed, and a pooled connection that fails costs no reading. The default wire engine carries
 * the same cycle on one connection, pipelined. Waits for each state (generously); asserts no
 * durations.
 */
import assert from 'node:assert/strict';
import { ReaderEngine } from '../../../lib/reader/engine';
import { resolveSignals, type SignalRow } from '../../../lib/reader/signals';
import { S7Connection, type S7Engine } from '../../../lib/s7/connection';
import { DEFAULT_MAX_CONNECTIONS } from '../../../lib/s7/pool-sizer';
import { toConnectionOptions } from '../../../lib/s7/session/connection-config';
import type { ContractMessage } from '../../../lib/shared/messages';
import { startS7Proxy, type S7Proxy } from '../../helpers/s7-proxy';
import { startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';

/** 300 REALs of the bulk blocks of DB1..DB10, 8 bytes apart: 11 requests at PDU 240. */
const ROWS: SignalRow[] = Array.from({ length: 300 }, (_, i) => ({
  name: `t${i}`, address: `DB${1 + (i % 10)}.DBD${200 + 8 * Math.floor(i / 10)}`, dataType: 'REAL', kind: 'other',
}));

describe('adaptive S7 connection pool over a slow link', function () {
  this.timeout(180_000);
  let sim: SimulatorHandle;
  let proxy: S7Proxy;
  let connection: S7Connection;
  let engine: ReaderEngine;
  let cycles: ContractMessage[];
  let badReports: string[];

  const signals = (intervalMs: number): ReturnType<typeof resolveSignals>['signals'] => {
    const { signals: resolved, problems } = resolveSignals(ROWS, intervalMs);
    assert.deepEqual(problems, []);
    return resolved;
  };
  const connectionsNow = async (): Promise<string> => `pool ${connection.connections}, simulator ${await sim.connectionCount()}, proxy ${proxy.connections}`;
  /** Every message since `from`: one per cycle, every reading good and read (no reading twice, none lost). */
  const assertCyclesGood = (from: number): void => {
    const since = cycles.slice(from);
    assert.ok(since.length > 0, 'cycles were read');
    for (const msg of since) {
      assert.equal(msg.readings?.length, ROWS.length);
      assert.deepEqual(msg.readings?.filter((r) => r.quality !== 'good').map((r) => r.error), []);
      assert.equal(new Set(msg.readings?.map((r) => r.signal.name)).size, ROWS.length);
    }
    assert.deepEqual(badReports, []);
  };

  before(async () => {
    sim = await startSimulator({
      pduSize: 240,
      machines: Array.from({ length: 10 }, (_, i) => ({ name: `m${i + 1}`, db: i + 1, scenario: 'stopped-powered' as const, powerKw: 10 + i })),
    });
    // 5 ms each way: a round trip of 10 ms and more, so 11 requests do not fit in 100 ms on one connection
    proxy = await startS7Proxy({ targetHost: sim.host, targetPort: sim.port, delayMs: 5 });
  });
  after(async () => {
    await engine?.stop();
    await connection?.close();
    await proxy?.close();
    await sim?.close();
  });

  /** A reader on a connection with the dialog's defaults and `engine`, except a short hysteresis so the test need not wait 30 s. */
  const startReading = async (s7Engine: S7Engine, intervalMs: number): Promise<void> => {
    connection = new S7Connection({ ...toConnectionOptions({ host: proxy.host, port: proxy.port, pduSize: 240, engine: s7Engine }), shrinkAfterMs: 1000 });
    connection.start();
    cycles = [];
    badReports = [];
    engine = new ReaderEngine(connection, { mode: 'per-cycle', heartbeatMs: 0 }, {
      emit: (msgs) => { cycles.push(...msgs); },
      reportBad: (errors) => { badReports.push(String(errors)); },
    });
    await engine.setSignals(signals(intervalMs));
    await engine.start();
  };

  it('wire (default): one connection carries what snap7 needs three for, its requests pipelined', async () => {
    // 11 requests every 200 ms: one at a time they take more than half of it, 8 at a time two round trips
    await startReading('wire', 200);
    const sizes = new Set<number>();
    await waitFor('30 cycles', () => {
      sizes.add(connection.connections);
      return cycles.length >= 30;
    });
    assert.deepEqual([...sizes].filter((n) => n > 1), [], 'never more than one connection');
    assert.equal(proxy.connections, 1);
    assert.equal(proxy.peakInFlight, 8, 'the negotiated 8 jobs in flight at once');
    assertCyclesGood(0);
    await engine.stop();
    await connection.close();
    await waitFor('its connection is gone', () => proxy.connections === 0);
  });

  it('snap7: grows one connection at a time under delay, and shrinks back when the interval is relaxed', async () => {
    await startReading('snap7', 100);
    const sizes = new Set<number>();
    await waitFor('the pool grows to its cap', async () => {
      sizes.add(connection.connections);
      return connection.connections === DEFAULT_MAX_CONNECTIONS && (await sim.connectionCount()) === DEFAULT_MAX_CONNECTIONS;
    });
    assert.equal(engine.stats().requestsPerCycle, 11);
    assert.ok(sizes.has(1), `started with one connection: ${[...sizes].join(', ')}`);
    assertCyclesGood(0);

    // 11 requests every 5 s fit easily on one connection
    const relaxedFrom = cycles.length;
    await engine.setSignals(signals(5000));
    await waitFor(`the pool shrinks to one (${await connectionsNow()})`, async () => connection.connections === 1 && (await sim.connectionCount()) === 1 && proxy.connections === 1);
    await waitFor('a cycle on one connection', () => cycles.length > relaxedFrom);
    assertCyclesGood(relaxedFrom);
    assert.equal(connection.state, 'connected');
  });

  it('snap7: a pooled connection that fails costs no reading and is replaced', async () => {
    await engine.setSignals(signals(100));
    await waitFor(`the pool grows again (${await connectionsNow()})`, () => connection.connections === DEFAULT_MAX_CONNECTIONS);
    const from = cycles.length;
    const states: string[] = [];
    connection.on('state', (s: string) => states.push(s));
    proxy.dropOne();
    await waitFor('the pool is whole again', async () => connection.connections === DEFAULT_MAX_CONNECTIONS && proxy.connections === DEFAULT_MAX_CONNECTIONS);
    const after = cycles.length;
    await waitFor('cycles after the repair', () => cycles.length > after + 3);
    assertCyclesGood(from);
    assert.deepEqual(states, [], 'the session stayed connected');
  });
});
