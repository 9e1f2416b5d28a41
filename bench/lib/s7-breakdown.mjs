// Where a cycle's time goes on loopback (issue 14): plc-reader's engine reads every signal at once
// (readNow) over one S7 connection, so the parts add up in sequence. Timed from outside the
// build, by wrapping its functions (no probe in the product):
//  - snap7 call: from ReadMultiVars/ReadArea to its callback (the thread-pool hop included);
//    snap7's own ExecTime() tells the part spent inside the worker (whole ms, so a floor);
//  - thread-pool hop: a separate probe, the round trip of an empty libuv work item;
//  - decoding: planResult (replies -> values);
//  - scheduling: the rest of S7Connection.read (queue, thread slots, promises, bad-item retry);
//  - message building: the rest of readNow (readings, bad-set tracking, output message).
import { randomFill } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { summarize } from './env.mjs';
import { signalRows, whenConnected } from './ours-s7.mjs';

/** Mean round trip of an (almost) empty libuv thread-pool job, ms. */
async function threadPoolHopMs(samples = 2000) {
  const buf = Buffer.alloc(1);
  const times = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => randomFill(buf, (err) => (err ? reject(err) : resolve())));
    times.push(performance.now() - t0);
  }
  return summarize(times).mean;
}

/** Wraps `obj[name]` so `around(original, args)` runs instead; returns the undo. */
function wrap(obj, name, around) {
  const original = obj[name];
  obj[name] = function (...args) { return around.call(this, original, args); };
  return () => { obj[name] = original; };
}

/**
 * Breaks down `cycles` back-to-back readNow() cycles of `tags` through the build in `distDir`.
 * Returns per-cycle means in ms.
 */
export async function breakdown({ distDir, host, port, tags, pduSize, cycles = 200, warmup = 20 }) {
  const req = createRequire(path.join(distDir, 'package.json'));
  const load = (m) => req(path.join(distDir, m));
  const { S7Connection } = load('lib/s7/connection');
  const preparedRead = load('lib/s7/prepared-read');
  const { snap7 } = load('lib/s7/snap7');
  const { ReaderEngine } = load('lib/reader/engine');
  const { resolveSignals } = load('lib/reader/signals');
  const proto = snap7().S7Client.prototype;

  const acc = { snap7: 0, execTime: 0, calls: 0, decode: 0, read: 0, total: 0 };
  let measuring = false;
  const timedCall = function (original, args) {
    const t0 = performance.now();
    const cb = args[args.length - 1];
    // the client's ExecTime() after its own call (the callback's `this` is not the client)
    args[args.length - 1] = (...res) => {
      if (measuring) { acc.snap7 += performance.now() - t0; acc.execTime += this.ExecTime(); acc.calls++; }
      return cb(...res);
    };
    return original.apply(this, args);
  };
  const undo = [
    wrap(proto, 'ReadMultiVars', timedCall),
    wrap(proto, 'ReadArea', timedCall),
    wrap(preparedRead, 'planResult', function (original, args) {
      const t0 = performance.now();
      try { return original.apply(this, args); } finally { if (measuring) acc.decode += performance.now() - t0; }
    }),
    wrap(S7Connection.prototype, 'read', async function (original, args) {
      const t0 = performance.now();
      try { return await original.apply(this, args); } finally { if (measuring) acc.read += performance.now() - t0; }
    }),
  ];
  // one connection, so the parts run one after another (the old build ignores the new options: it has one)
  const connection = new S7Connection({ host, port, pduSize, maxConnections: 1, fixedConnections: true, reconnectMinMs: 200, reconnectMaxMs: 1000 });
  connection.start();
  try {
    await whenConnected(connection);
    const { signals, problems } = resolveSignals(signalRows(tags), 100);
    if (problems.length) throw new Error(`signals rejected: ${problems[0].message}`);
    const engine = new ReaderEngine(connection, { mode: 'per-cycle', heartbeatMs: 0 }, { emit: () => {}, reportBad: () => {} });
    await engine.setSignals(signals);
    for (let i = 0; i < warmup; i++) await engine.readNow();
    measuring = true;
    for (let i = 0; i < cycles; i++) {
      const t0 = performance.now();
      const msgs = await engine.readNow();
      acc.total += performance.now() - t0;
      if (msgs.length !== 1 || msgs[0].readings.some((r) => r.quality !== 'good')) throw new Error(`a breakdown cycle read bad values: ${msgs[0]?.readings.find((r) => r.quality !== 'good')?.error}`);
    }
    measuring = false;
  } finally {
    undo.forEach((u) => u());
    await connection.close().catch(() => {});
  }
  const hop = await threadPoolHopMs();
  const per = (v) => v / cycles;
  return {
    cycles,
    requestsPerCycle: acc.calls / cycles,
    cycleMs: per(acc.total),
    snap7CallMs: per(acc.snap7),
    snap7ExecTimeMs: per(acc.execTime),
    threadPoolHopPerRequestMs: hop,
    decodeMs: per(acc.decode),
    schedulingMs: per(acc.read - acc.snap7 - acc.decode),
    messageBuildingMs: per(acc.total - acc.read),
  };
}
