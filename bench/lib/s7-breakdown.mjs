// Where a cycle's time goes on loopback (issue 14): plc-reader's engine reads every signal at once
// (readNow) over one S7 connection of either engine. Timed from outside the build, by wrapping its
// functions (no probe in the product):
//  - client calls: the time some ReadMultiVars/ReadArea call of the engine's client is under way
//    (from the first call to the last callback; the wire engine's calls overlap, pipelined):
//    for snap7 the thread-pool hop included, and snap7's own ExecTime() tells the part spent
//    inside the worker (whole ms, so a floor); for wire, the socket round trips, with the
//    client's own frame building and reply parsing (S7comm codec) measured apart;
//  - thread-pool hop: a separate probe, the round trip of an empty libuv work item (snap7 only);
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
export async function breakdown({ distDir, host, port, tags, pduSize, engine = 'wire', cycles = 200, warmup = 20 }) {
  const req = createRequire(path.join(distDir, 'package.json'));
  const load = (m) => req(path.join(distDir, m));
  const { S7Connection } = load('lib/s7/connection');
  const preparedRead = load('lib/s7/prepared-read');
  const { snap7 } = load('lib/s7/snap7');
  const { ReaderEngine } = load('lib/reader/engine');
  const { resolveSignals } = load('lib/reader/signals');
  const wire = engine === 'wire';
  const proto = wire ? load('lib/s7/wire/snap7-adapter').WireSnap7Client.prototype : snap7().S7Client.prototype;
  const codec = wire ? load('lib/s7/wire/s7comm') : undefined;

  const acc = { calls: 0, callsOpen: 0, callMs: 0, execTime: 0, codec: 0, decode: 0, read: 0, total: 0 };
  let measuring = false;
  let openSince = 0;
  const timedCall = function (original, args) {
    if (acc.callsOpen++ === 0) openSince = performance.now();
    const cb = args[args.length - 1];
    // the client's ExecTime() after its own call (the callback's `this` is not the client)
    args[args.length - 1] = (...res) => {
      if (--acc.callsOpen === 0 && measuring) acc.callMs += performance.now() - openSince;
      if (measuring) { if (!wire) acc.execTime += this.ExecTime(); acc.calls++; }
      return cb(...res);
    };
    return original.apply(this, args);
  };
  const timed = (key) => function (original, args) {
    const t0 = performance.now();
    try { return original.apply(this, args); } finally { if (measuring) acc[key] += performance.now() - t0; }
  };
  const undo = [
    wrap(proto, 'ReadMultiVars', timedCall),
    wrap(proto, 'ReadArea', timedCall),
    ...(codec ? [wrap(codec, 'readVarRequest', timed('codec')), wrap(codec, 'parseReadVarReply', timed('codec'))] : []),
    wrap(preparedRead, 'planResult', timed('decode')),
    wrap(S7Connection.prototype, 'read', async function (original, args) {
      const t0 = performance.now();
      try { return await original.apply(this, args); } finally { if (measuring) acc.read += performance.now() - t0; }
    }),
  ];
  // one connection, so the parts run one after another (the old build ignores the new options: it has one)
  const connection = new S7Connection({ host, port, pduSize, engine, maxConnections: 1, fixedConnections: true, reconnectMinMs: 200, reconnectMaxMs: 1000 });
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
  const per = (v) => v / cycles;
  return {
    engine,
    cycles,
    requestsPerCycle: acc.calls / cycles,
    cycleMs: per(acc.total),
    clientCallMs: per(acc.callMs),
    snap7ExecTimeMs: wire ? undefined : per(acc.execTime),
    wireCodecMs: wire ? per(acc.codec) : undefined,
    threadPoolHopPerRequestMs: wire ? undefined : await threadPoolHopMs(),
    decodeMs: per(acc.decode),
    schedulingMs: per(acc.read - acc.callMs - acc.decode),
    messageBuildingMs: per(acc.total - acc.read),
  };
}
