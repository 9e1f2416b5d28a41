// One measurement of bench/threadpool.mjs, in a process of its own so that libuv's thread pool
// has its default size (UV_THREADPOOL_SIZE is removed from the environment) and nothing else
// runs in it: healthy and silent PLCs read through plc-reader's engine while file I/O is timed.
// Prints one JSON line with "ready": true and the figures.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dist, round, sleep, summarize } from './env.mjs';
import { idleMachines, startSimulator } from './sim.mjs';

const { values } = parseArgs({ options: { scenario: { type: 'string' }, seconds: { type: 'string' }, silent: { type: 'string' }, healthy: { type: 'string' } } });
const SCENARIO = values.scenario ?? 'start';
const SECONDS = Number(values.seconds ?? 20);
const SILENT = Number(values.silent ?? 8);
const HEALTHY = Number(values.healthy ?? 4);
const INTERVAL_MS = 200;
const FS_EVERY_MS = 10;

/** A pass-through TCP proxy to the simulator that can fall silent: sockets stay open, nothing is answered. */
async function silencingProxy(target) {
  let silent = false;
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => { client.destroy(); upstream.destroy(); sockets.delete(s); });
    }
    client.on('data', (d) => { if (!silent) upstream.write(d); });
    upstream.on('data', (d) => { if (!silent) client.write(d); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    silence() { silent = true; },
    close: async () => { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); },
  };
}

async function main() {
  const { S7Connection } = dist('lib/s7/connection');
  const { ReaderEngine } = dist('lib/reader/engine');
  const { resolveSignals } = dist('lib/reader/signals');
  const sim = await startSimulator({ machines: idleMachines(HEALTHY + SILENT) });
  const proxy = await silencingProxy(sim);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-threadpool-'));
  const file = path.join(dir, 'probe.bin');
  await fs.writeFile(file, Buffer.alloc(4096, 7));
  const readers = [];
  const open = async (i, port, silent) => {
    // a plc-connection's defaults: connect 3 s, receive 2 s, reconnect 1 s doubling to 30 s
    const connection = new S7Connection({ host: '127.0.0.1', port });
    connection.start();
    const rows = [`DB${i + 1}.DBD0`, `DB${i + 1}.DBD4`, `DB${i + 1}.DBW20`, `DB${i + 1}.DBX8.0`].map((address, k) => ({
      name: `t${k}`, address, dataType: ['REAL', 'DINT', 'INT', 'BOOL'][k], kind: 'other',
    }));
    const { signals } = resolveSignals(rows, INTERVAL_MS);
    const reader = { silent, connection, cycles: [], engine: undefined };
    reader.engine = new ReaderEngine(connection, { mode: 'per-cycle', heartbeatMs: 0 }, {
      emit: (msgs) => { for (const m of msgs) reader.cycles.push({ at: Date.now(), good: (m.readings ?? []).every((r) => r.quality === 'good') }); },
      reportBad: () => {},
    });
    await reader.engine.setSignals(signals);
    readers.push(reader);
    return reader;
  };
  const connected = (c) => new Promise((resolve) => { if (c.state === 'connected') resolve(); else c.on('state', (s) => { if (s === 'connected') resolve(); }); });

  // healthy PLCs first, read on schedule
  const healthy = await Promise.all(Array.from({ length: HEALTHY }, (_, i) => open(i, sim.port, false)));
  await Promise.all(healthy.map((r) => connected(r.connection)));
  if (SCENARIO === 'start') proxy.silence();
  const silent = await Promise.all(Array.from({ length: SILENT }, (_, i) => open(HEALTHY + i, proxy.port, true)));
  if (SCENARIO === 'onset') await Promise.all(silent.map((r) => connected(r.connection)));
  for (const r of readers) await r.engine.start();
  await sleep(2000);

  const from = Date.now();
  const statsBefore = healthy.map((r) => r.engine.stats());
  if (SCENARIO === 'onset') setTimeout(() => proxy.silence(), 1000);
  const latencies = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  while (Date.now() - from < SECONDS * 1000) {
    const t0 = performance.now();
    await fs.readFile(file);
    latencies.push(performance.now() - t0);
    await sleep(FS_EVERY_MS);
  }
  const to = Date.now();
  loop.disable();
  const expected = Math.floor((to - from) / INTERVAL_MS);
  const perReader = healthy.map((r, k) => {
    const inWindow = r.cycles.filter((c) => c.at >= from && c.at < to);
    const s = r.engine.stats();
    return {
      good: inWindow.filter((c) => c.good).length,
      bad: inWindow.filter((c) => !c.good).length,
      skippedSlots: s.skippedSlots - statsBefore[k].skippedSlots,
      overruns: s.overruns - statsBefore[k].overruns,
    };
  });
  const fsMs = summarize(latencies);
  const silentGood = silent.reduce((n, r) => n + r.cycles.filter((c) => c.at >= from && c.at < to && c.good).length, 0);
  for (const r of readers) await r.engine.stop();
  await proxy.close();
  await Promise.all(readers.map((r) => r.connection.close()));
  await sim.stop();
  await fs.rm(dir, { recursive: true, force: true });
  console.log(JSON.stringify({
    ready: true, scenario: SCENARIO, seconds: round((to - from) / 1000, 1), expectedCycles: expected, healthy: perReader, silentGoodCycles: silentGood,
    fs: { n: fsMs.n, p50: round(fsMs.p50), p99: round(fsMs.p99), max: round(fsMs.max) },
    loopDelay: { p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) },
    threadPool: process.env.UV_THREADPOOL_SIZE ?? 'default (4)',
  }));
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
