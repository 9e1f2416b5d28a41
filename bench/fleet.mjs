// Issue 14 part 2: a plant's worth of PLCs in one Node-RED. One real Node-RED process runs the
// default flow's edge-counter, hourly-aggregator and mongo-sink behind BENCH_FLEET_PLCS plc-readers
// (default 50), one plc-connection each, 100 tags every 500 ms, writing to FerretDB. Of the PLCs,
// 5 are silent (TCP open, no answer), 5 flap (down 20 s, up 40 s) and 1 restarts with its counters
// reset (a new simulator on the same port); the rest are healthy. The simulated PLCs live in one
// child process of their own (this file with --fleet-sim), so their CPU cost is measured apart.
//
// Reported: healthy PLCs' completed cycles, flapping PLCs' time from coming back to the first good
// read, fs.readFile p99 inside the Node-RED process (a preloaded probe on the default thread pool;
// beside it the same read from a worker thread, i.e. the thread pool's part, the event loop's
// delay and V8's collections), CPU and RSS (RSS after a full GC, growth first third → last third),
// units per PLC against the simulator's pulse count, with the gaps its edge counter reported and
// the pulses no reading could count (by the simulator's log of read requests), and the simulator
// process's CPU. BENCH_FLEET_MINUTES sets the measured length (20 for the goal), BENCH_FLEET_ENGINE
// the plc-connections' S7 engine, BENCH_FLEET_CPU_PROF a directory for a CPU profile of Node-RED.
// `node bench/fleet.mjs` runs it alone and prints the figures; `npm run bench -- fleet` runs it
// through bench/run.mjs.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distDir, envNumber, percentile, repoRoot, requireFromRepo, round, sleep } from './lib/env.mjs';
import { goalLines, textTable } from './lib/report.mjs';
import { startServer } from '../scripts/db-servers.mjs';

export const title = 'Fleet: a plant\'s worth of PLCs in one Node-RED (issue 14, part 2)';

const thisFile = fileURLToPath(import.meta.url);
const PLCS = envNumber('BENCH_FLEET_PLCS', 50);
const MINUTES = envNumber('BENCH_FLEET_MINUTES', 20);
const WARMUP_S = envNumber('BENCH_FLEET_WARMUP_S', 30);
const SERVER = process.env.BENCH_FLEET_SERVER || 'ferretdb';
/** The plc-connections' S7 engine ("wire" or "snap7"); unset: the product's default. */
const ENGINE = process.env.BENCH_FLEET_ENGINE || undefined;
/** A directory: the Node-RED process writes a CPU profile there (--cpu-prof) when it ends. */
const CPU_PROF_DIR = process.env.BENCH_FLEET_CPU_PROF || undefined;
const TAGS = 100;
const INTERVAL_MS = 500;
const FLAP_DOWN_S = 20;
const FLAP_UP_S = 40;
/** 5 silent and 5 flapping of 50; at least one of each in a smaller fleet. */
const faulty = (share) => Math.max(1, Math.round(PLCS * share));
const SILENT = faulty(0.1);
const FLAPPING = faulty(0.1);
const RESTARTED = 1;
/** Units unchanged this long have settled: the default flow's snapshot interval (1 min), the aggregator's tick (5 s), the sink's flush. */
const SETTLED_MS = 75_000;
/**
 * A unit cycle every 3 to 4 s, its cycle bit high for half of it (1.5 to 2 s) and low for the
 * other half, read every 500 ms. Both phases last 3 readings or more: what the edge counter's
 * sampling advice asks for (2.25 readings; a PLC programmer holds the bit with a pulse timer), so
 * a reading late by less than a phase loses no pulse, and a longer pause is reported as a gap. (A
 * 1 s pulse at 500 ms is 2 readings: a pause under 2 intervals, which the counter takes for
 * jitter, could hide it without a gap, and the counter's advice says so.)
 */
const machineOf = (i) => {
  const cycleTimeMs = 3000 + (i % 5) * 250;
  return { name: 'm', db: 1, powerPin: 0, cyclePin: 1, scenario: 'off', cycleTimeMs, pulseWidthMs: cycleTimeMs / 2, powerKw: 10 };
};

const hex = (prefix, i) => (prefix * 0x1000000 + i).toString(16).padStart(24, '0');
const machineIdOf = (i) => hex(0x65e0, i);
const roleOf = (i) => (i < SILENT ? 'silent' : i < SILENT + FLAPPING ? 'flapping' : i < SILENT + FLAPPING + RESTARTED ? 'restarted' : 'healthy');

// ---- the simulated PLCs: one process, one PlcSimulator (S7 server + proxy) per PLC -------------

async function simHost() {
  const { PlcSimulator } = createRequire(import.meta.url)(path.join(distDir, 'sim', 'simulator.js'));
  const count = Number(process.argv[3]);
  const plcs = [];
  for (let i = 0; i < count; i++) {
    const sim = new PlcSimulator({ machines: [machineOf(i)], pduSize: 480 });
    await sim.start();
    plcs.push({ sim, earlierPulses: [], earlierReads: [] });
  }
  const commands = {
    silence: (i) => plcs[i].sim.silence(),
    down: (i) => plcs[i].sim.stopServer(),
    up: (i) => plcs[i].sim.startServer(),
    /** A PLC restart: the old one goes, a new one with counters at 0 answers on the same port. */
    reset: async (i) => {
      const old = plcs[i].sim;
      const scenario = old.truth('m').scenario;
      await old.stop();
      // after stop(): a pulse under way has its fall then
      plcs[i].earlierPulses.push(...old.pulseLog('m'));
      plcs[i].earlierReads.push(...old.readRequestTimes());
      const sim = new PlcSimulator({ port: old.port, machines: [{ ...machineOf(i), scenario }], pduSize: 480 });
      await sim.start();
      plcs[i].sim = sim;
    },
    run: (i, scenario) => plcs[i].sim.setScenario('m', { scenario }),
    /** Every PLC's unit cycles (rise and fall, epoch ms), the restarted one's before its restart too. */
    pulseLogs: () => plcs.map((p) => [...p.earlierPulses, ...p.sim.pulseLog('m')]),
    /** When read requests reached each PLC (epoch ms): the instants it was really read. */
    readTimes: () => plcs.map((p) => [...p.earlierReads, ...p.sim.readRequestTimes()]),
  };
  process.on('message', async ({ id, cmd, args = [] }) => {
    try {
      process.send({ id, ok: true, result: await commands[cmd](...args) });
    } catch (err) {
      process.send({ id, ok: false, error: String(err?.message ?? err) });
    }
  });
  process.on('disconnect', async () => {
    for (const p of plcs) await p.sim.stop().catch(() => undefined);
    process.exit(0);
  });
  process.send({ ready: true, ports: plcs.map((p) => p.sim.port) });
}

function startSimHost(count) {
  const child = fork(thisFile, ['--fleet-sim', String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  const host = { exited: undefined };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fleet simulator: not ready within 120 s')), 120_000);
    child.once('exit', (code, signal) => {
      host.exited = `code ${code}, signal ${signal}, at ${new Date().toISOString()}`;
      console.error(`fleet simulator exited: ${host.exited}`);
      for (const p of pending.values()) p.rej(new Error(`fleet simulator exited (${host.exited})`));
      pending.clear();
      reject(new Error(`fleet simulator exited (${host.exited})`));
    });
    // A send after the child died: reported by the exit above and by call(), not as a crash of this process.
    child.on('error', (err) => console.error(`fleet simulator: ${err.message}`));
    child.on('message', (msg) => {
      if (msg.ready) {
        clearTimeout(timer);
        const call = (cmd, ...args) => new Promise((res, rej) => {
          if (host.exited) return rej(new Error(`fleet simulator exited (${host.exited})`));
          const id = nextId++;
          pending.set(id, { res, rej });
          child.send({ id, cmd, args });
        });
        const stop = () => new Promise((r) => {
          if (host.exited) return r();
          child.once('exit', r);
          child.disconnect();
        });
        resolve(Object.assign(host, { ports: msg.ports, pid: child.pid, call, stop }));
        return;
      }
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.ok) p?.res(msg.result);
      else p?.rej(new Error(msg.error));
    });
  });
}

// ---- the flow ----------------------------------------------------------------------------------

/** 100 tags: the power and cycle pins (the application's two sensors) and 98 REALs of the machine's DB. */
function signalRows(i) {
  const machineId = machineIdOf(i);
  return [
    { name: `p${i} power`, address: 'Q0.0', dataType: 'BOOL', kind: 'power', machineId, sensorId: hex(0x65f0, 2 * i) },
    { name: `p${i} cycle`, address: 'Q0.1', dataType: 'BOOL', kind: 'unit-cycle', machineId, sensorId: hex(0x65f0, 2 * i + 1) },
    ...Array.from({ length: TAGS - 2 }, (_, k) => ({ name: `p${i} r${k}`, address: `DB1.DBD${200 + 4 * k}`, dataType: 'REAL', kind: 'other' })),
  ];
}

/**
 * The default flow with its one reader and connection replaced by one per PLC (wired like the
 * shipped reader), plus a tap that counts each PLC's good cycles and the moments its reads resumed
 * after a gap, served at GET /bench/fleet.
 */
function fleetFlow(ports) {
  const flow = JSON.parse(readFileSync(path.join(repoRoot, 'flows', 'default-flow.json'), 'utf8'));
  const tab = flow.find((n) => n.type === 'tab').id;
  const shippedReader = flow.find((n) => n.type === 'plc-reader');
  const shippedConnection = flow.find((n) => n.type === 'plc-connection');
  const nodes = flow.filter((n) => n !== shippedReader && n !== shippedConnection);
  const tapId = 'f1ee700000000001';
  const wires = [[...shippedReader.wires[0], tapId]];
  ports.forEach((port, i) => {
    nodes.push(
      { ...shippedConnection, id: `f1ee7c${String(i).padStart(10, '0')}`, name: `PLC ${i}`, host: '127.0.0.1', port, ...(ENGINE ? { engine: ENGINE } : {}) },
      {
        ...shippedReader, id: `f1ee7r${String(i).padStart(10, '0')}`, name: `PLC ${i}`, connection: `f1ee7c${String(i).padStart(10, '0')}`,
        source: 'table', signals: signalRows(i), intervalMs: INTERVAL_MS, x: 200, y: 100 + 10 * i, wires,
      },
    );
  });
  const at = { z: tab, x: 1300, y: 800 };
  nodes.push(
    {
      id: tapId, type: 'function', name: 'bench: cycles', outputs: 0, ...at, wires: [],
      func: [
        "const rs = Array.isArray(msg.readings) ? msg.readings : [];",
        "if (!rs.length || rs.some((r) => r.quality !== 'good')) return null;",
        "const m = rs[0].signal.machineId;",
        "const s = flow.get('fleet', 'memory') || { cycles: {}, last: {}, resumed: {} };",
        "const now = Date.now();",
        `if (s.last[m] !== undefined && now - s.last[m] > ${3 * INTERVAL_MS}) (s.resumed[m] = s.resumed[m] || []).push(now);`,
        "if (s.last[m] === undefined) (s.resumed[m] = s.resumed[m] || []).push(now);",
        "s.last[m] = now;",
        "s.cycles[m] = (s.cycles[m] || 0) + 1;",
        "flow.set('fleet', s, 'memory');",
        'return null;',
      ].join('\n'),
    },
    { id: 'f1ee700000000002', type: 'http in', url: '/bench/fleet', method: 'get', ...at, wires: [['f1ee700000000003']] },
    { id: 'f1ee700000000003', type: 'function', func: "msg.payload = flow.get('fleet', 'memory') || { cycles: {}, last: {}, resumed: {} };\nreturn msg;", outputs: 1, ...at, wires: [['f1ee700000000004']] },
    { id: 'f1ee700000000004', type: 'http response', ...at, wires: [] },
  );
  return nodes;
}

/**
 * Preloaded into Node-RED, every 100 ms: an fs.readFile of a small file on the main thread (the
 * goal's figure), and the same from a worker thread. The libuv thread pool is one per process and
 * the worker's event loop has nothing else to do, so the worker's readFile is the thread pool's
 * part (queueing behind other calls, e.g. snap7's); the main event loop's own delay is measured
 * with monitorEventLoopDelay, and its garbage collections with a 'gc' PerformanceObserver. The
 * RSS probe's forced full collections (gc-probe.cjs) are the benchmark's own: the main-thread
 * reads they overlapped are listed apart. Every 5 s one line: the readFile durations, the loop
 * delay's p50/p99/max and V8's own collections (total and longest) over those 5 s.
 */
const READFILE_PROBE = `'use strict';
const fs = require('node:fs');
const { PerformanceObserver, constants, monitorEventLoopDelay, performance } = require('node:perf_hooks');
const { Worker } = require('node:worker_threads');
const file = __filename;
let reads = [];
let poolMs = [];
let collections = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const forced = (e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0;
    collections.push({ start: e.startTime, end: e.startTime + e.duration, forced, counted: false });
  }
}).observe({ entryTypes: ['gc'] });
setInterval(() => {
  const start = performance.now();
  fs.readFile(file, () => reads.push({ start, end: performance.now() }));
}, 100).unref();
const pool = new Worker(\`
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
setInterval(() => {
  const t = process.hrtime.bigint();
  fs.readFile(workerData, () => parentPort.postMessage(Number(process.hrtime.bigint() - t) / 1e6));
}, 100);
\`, { eval: true, workerData: file, execArgv: [] }); // not preloading this probe (and the GC probe) again
pool.on('message', (ms) => poolMs.push(ms));
pool.unref();
const resolutionMs = 10;
const loop = monitorEventLoopDelay({ resolution: resolutionMs });
loop.enable();
const r2 = (v) => Math.round(v * 100) / 100;
setInterval(() => {
  // the histogram holds the time between its timer's turns: the delay is what exceeds the resolution
  const ms = (ns) => r2(Math.max(0, ns / 1e6 - resolutionMs));
  const loopMs = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
  loop.reset();
  const forced = collections.filter((c) => c.forced);
  const duringForcedGc = (r) => forced.some((c) => c.start < r.end && c.end > r.start);
  const own = collections.filter((c) => !c.forced && !c.counted);
  for (const c of collections) c.counted = true;
  const gcMs = { total: r2(own.reduce((t, c) => t + c.end - c.start, 0)), max: r2(Math.max(0, ...own.map((c) => c.end - c.start))) };
  const line = {
    at: Date.now(),
    ms: reads.map((r) => r2(r.end - r.start)),
    duringForcedGcMs: reads.filter(duringForcedGc).map((r) => r2(r.end - r.start)),
    poolMs: poolMs.map(r2),
    loopMs,
    gcMs,
  };
  process.stdout.write('readfile-probe ' + JSON.stringify(line) + '\\n');
  reads = [];
  poolMs = [];
  // a read still under way may yet end in a collection of the last seconds
  const now = performance.now();
  collections = collections.filter((c) => c.end > now - 2000);
}, 5000).unref();
`;

/** CPU seconds (user + system) and RSS of a process, from /proc. */
function processUsage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rssMB: rssKb / 1024 };
}

/** The simulator process's threads (snap7 runs one per connection), open descriptors and RSS: what it holds as the run goes on. */
function simulatorResources(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { threads: Number(/Threads:\s+(\d+)/.exec(status)[1]), fds: readdirSync(`/proc/${pid}/fd`).length, rssMB: round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024, 1) };
  } catch {
    return undefined;
  }
}

const median = (values) => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

/** Whether a read request reached the PLC from `from` to `to` (read times ascending). */
function readBetween(reads, from, to) {
  let lo = 0;
  let hi = reads.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (reads[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < reads.length && reads[lo] <= to;
}

/**
 * The unit cycles no reading could count: a rising edge is seen only if a read found the bit low
 * after the previous pulse fell and another found it high before this one fell. Each with the
 * span it needed read: from the previous fall to this fall.
 */
function unseenPulses(pulses, reads) {
  const unseen = [];
  pulses.forEach((p, k) => {
    const fall = p.fall ?? Number.POSITIVE_INFINITY;
    const lowFrom = k > 0 ? pulses[k - 1].fall ?? p.rise : -Infinity;
    if (!readBetween(reads, p.rise, fall) || (k > 0 && !readBetween(reads, lowFrom, p.rise - 1))) unseen.push({ rise: lowFrom, fall });
  });
  return unseen;
}

/** Count, p50, p99 and max of durations, ms. */
function spread(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50), 2), p99: round(percentile(sorted, 99), 2), max: round(sorted.at(-1), 2) };
}

/** Median of the last third against the first third. */
function growth(values) {
  const third = Math.max(1, Math.floor(values.length / 3));
  return round(median(values.slice(-third)) - median(values.slice(0, third)), 1);
}

// ---- the run -----------------------------------------------------------------------------------

export async function run(log) {
  const requireCjs = createRequire(import.meta.url);
  const { freePort, prepareUserDir, stagePackage, startNodeRed } = requireCjs('../scripts/demo/node-red.cjs');
  // The gap-aware ground truth of the two-instances test (one reading of the edge counter's gap warnings).
  const { expectedUnits, reportedGaps } = requireCjs(path.join(distDir, 'test', 'runtime', 'scale', 'ground-truth.js'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-'));
  const sims = await startSimHost(PLCS);
  const db = await startServer(SERVER);
  const { MongoClient, ObjectId } = requireFromRepo(db.driver);
  const client = new MongoClient(db.uri, { serverSelectionTimeoutMS: 10_000 });
  let nodeRed;
  const timers = [];
  try {
    const database = client.db('industrial_iot');
    // The machines, so the sink's status writes find them.
    await database.collection('machines').insertMany(sims.ports.map((_, i) => ({
      _id: new ObjectId(machineIdOf(i)), name: `PLC ${i}`, departmentId: new ObjectId(hex(0x65d0, 0)), status: 'inactive', isActive: true, createdAt: new Date(), updatedAt: new Date(),
    })));
    for (let i = 0; i < PLCS; i++) if (roleOf(i) === 'silent') await sims.call('silence', i);

    const userDir = path.join(home, 'user');
    const packageDir = stagePackage(repoRoot, distDir, path.join(home, 'package'));
    prepareUserDir({ userDir, packageDir, settings: { httpNodeRoot: '/', s7productionMongoDriver: db.driver } });
    writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(fleetFlow(sims.ports)));
    const probeFile = path.join(home, 'readfile-probe.cjs');
    writeFileSync(probeFile, READFILE_PROBE);
    const gcProbes = [];
    const readFileBatches = [];
    const problems = [];
    /** Every gap an edge counter reported (Node-RED's log), and how many short-pulse warnings (one per machine a minute at most). */
    const gapLines = [];
    let shortPulseWarnings = 0;
    nodeRed = await startNodeRed({
      userDir, port: await freePort(), startTimeoutMs: 180_000,
      execArgv: ['--expose-gc', '-r', path.join(repoRoot, 'bench', 'lib', 'gc-probe.cjs'), '-r', probeFile, ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF_DIR)}`] : [])],
      env: { MONGODB_URI: `${db.uri}industrial_iot`, MONGODB_DB: '', PLANT_TZ: 'UTC', GC_PROBE_MS: String(Math.min(60_000, Math.max(10_000, MINUTES * 3000))) },
      onLine: (line) => {
        if (line.startsWith('gc-probe ')) gcProbes.push(JSON.parse(line.slice('gc-probe '.length)));
        else if (line.startsWith('readfile-probe ')) readFileBatches.push(JSON.parse(line.slice('readfile-probe '.length)));
        else if (/\[(warn|error)\] \[/.test(line)) {
          if (line.includes('gap in the readings of')) gapLines.push(line);
          else if (line.includes('was seen in a single sample')) shortPulseWarnings++;
          if (problems.length < 30) problems.push(line.slice(0, 300));
        }
      },
    });
    const pid = nodeRed.child.pid;
    /** The tap's counts; before the flows have started, the endpoint does not exist yet (404) and every count is 0. */
    const fleet = async () => {
      const response = await fetch(`${nodeRed.url}/bench/fleet`);
      if (response.status === 404) return { cycles: {}, last: {}, resumed: {} };
      if (!response.ok) throw new Error(`GET /bench/fleet: HTTP ${response.status}`);
      return response.json();
    };
    log(`Node-RED pid ${pid}, S7 engine ${ENGINE ?? 'the product default'}; ${PLCS} PLCs (${SILENT} silent, ${FLAPPING} flapping, ${RESTARTED} restarted) in simulator pid ${sims.pid}; ${SERVER}; ${MINUTES} min after ${WARMUP_S} s warm-up`);

    // Every PLC that answers is read once with its machine off (the counters' baselines); then they produce.
    const answering = [...Array(PLCS).keys()].filter((i) => roleOf(i) !== 'silent');
    const waitStart = Date.now();
    for (;;) {
      const s = await fleet();
      if (answering.every((i) => s.cycles[machineIdOf(i)] > 0)) break;
      if (Date.now() - waitStart > 180_000) throw new Error(`not every answering PLC was read within 180 s: ${answering.filter((i) => !(s.cycles[machineIdOf(i)] > 0)).join(', ')}`);
      await sleep(500);
    }
    for (let i = 0; i < PLCS; i++) await sims.call('run', i, 'running');
    await sleep(WARMUP_S * 1000);

    // The measured window: flapping PLCs go down 20 s and up 40 s; the restarted one restarts at a third.
    const started = Date.now();
    const atStart = await fleet();
    const nrStart = processUsage(pid);
    const simStart = processUsage(sims.pid);
    const ups = [];
    const flappers = answering.filter((i) => roleOf(i) === 'flapping');
    let faultError;
    const flap = async () => {
      await Promise.all(flappers.map((i) => sims.call('down', i)));
      timers.push(setTimeout(async () => {
        await Promise.all(flappers.map((i) => sims.call('up', i))).catch((err) => { faultError ??= err; });
        ups.push(Date.now());
        timers.push(setTimeout(() => flap().catch((err) => { faultError ??= err; }), FLAP_UP_S * 1000));
      }, FLAP_DOWN_S * 1000));
    };
    flap().catch((err) => { faultError ??= err; });
    const restarted = answering.find((i) => roleOf(i) === 'restarted');
    let restartedAt;
    timers.push(setTimeout(async () => {
      await sims.call('reset', restarted).catch((err) => { faultError ??= err; });
      restartedAt = Date.now();
    }, (MINUTES * 60_000) / 3));
    const samples = [];
    while (Date.now() - started < MINUTES * 60_000) {
      await sleep(5000);
      if (faultError || sims.exited) throw new Error(`after ${round((Date.now() - started) / 1000, 0)} s of the window: ${faultError?.message ?? `fleet simulator exited (${sims.exited})`}`);
      const u = processUsage(pid);
      const sim = sims.exited ? undefined : simulatorResources(sims.pid);
      samples.push({ s: round((Date.now() - started) / 1000, 0), rssMB: round(u.rssMB, 1), ...(sim ? { sim } : {}) });
    }
    const atEnd = await fleet();
    const elapsed = (Date.now() - started) / 1000;
    const nrEnd = processUsage(pid);
    const simEnd = processUsage(sims.pid);
    const snap7Loaded = readFileSync(`/proc/${pid}/maps`, 'utf8').includes('node_snap7');
    for (const t of timers) clearTimeout(t);
    // Flapping PLCs end up; every machine stops, so the counts can settle.
    await Promise.all(flappers.map((i) => sims.call('up', i)));
    for (let i = 0; i < PLCS; i++) await sims.call('run', i, 'stopped-powered');

    const healthy = answering.filter((i) => roleOf(i) === 'healthy');
    const expectedCycles = (elapsed * 1000) / INTERVAL_MS;
    const cyclePercents = healthy.map((i) => (100 * ((atEnd.cycles[machineIdOf(i)] ?? 0) - (atStart.cycles[machineIdOf(i)] ?? 0))) / expectedCycles);
    const backAfterMs = [];
    for (const up of ups) {
      for (const i of flappers) {
        const first = (atEnd.resumed[machineIdOf(i)] ?? []).find((t) => t >= up);
        if (first !== undefined) backAfterMs.push(first - up);
      }
    }
    const inWindow = readFileBatches.filter((b) => b.at > started && b.at <= started + elapsed * 1000);
    const gcProbesInWindow = gcProbes.filter((p) => p.at > started);
    const gcInWindow = gcProbesInWindow.map((p) => p.rssMB);

    // Units: the database against the simulator's pulses, once the counts have settled: every
    // healthy PLC exact, or nothing changed for longer than the default flow's snapshot interval
    // (1 min) and the aggregator's tick (5 s) with room for the sink's flush.
    const unitsOf = async () => {
      const units = new Map();
      for (const doc of await database.collection('productionrecords').find({}, { projection: { machineId: 1, unitsProduced: 1 } }).toArray()) {
        const id = String(doc.machineId);
        units.set(id, (units.get(id) ?? 0) + doc.unitsProduced);
      }
      return units;
    };
    let pulseLogs;
    let units;
    let seen = '';
    let unchangedSince = Date.now();
    const settleStart = Date.now();
    for (;;) {
      await sleep(5000);
      pulseLogs = await sims.call('pulseLogs');
      units = await unitsOf();
      if (healthy.every((i) => units.get(machineIdOf(i)) === pulseLogs[i].length)) break;
      const now = JSON.stringify([...units]);
      if (now !== seen) [seen, unchangedSince] = [now, Date.now()];
      if (Date.now() - unchangedSince > SETTLED_MS || Date.now() - settleStart > 180_000) break;
    }
    const readTimes = await sims.call('readTimes');
    // Each PLC's units against its pulses, and the gaps its edge counter reported with the pulses
    // that began or ended in them (those the counter says it may have missed).
    const gaps = reportedGaps(gapLines);
    const unitsRow = (i) => {
      const machineGaps = gaps.filter((g) => g.machineId === machineIdOf(i));
      const { least, most } = expectedUnits(pulseLogs[i], machineGaps);
      const produced = units.get(machineIdOf(i)) ?? 0;
      const unseen = unseenPulses(pulseLogs[i], readTimes[i]);
      return {
        plc: i, role: roleOf(i), units: produced, pulses: pulseLogs[i].length,
        unseenPulses: unseen.length,
        // a unit cycle no reading could count, and no gap said so: the edge counter's gap rule missed it
        unseenOutsideGaps: expectedUnits(unseen, machineGaps).least,
        gaps: machineGaps.length, pulsesInGaps: most - least,
        gapAwareExact: produced >= least && produced <= most,
        gapSeconds: machineGaps.map((g) => round((g.to - g.from) / 1000, 2)),
      };
    };
    const healthyUnits = healthy.map(unitsRow);
    const other = answering.filter((i) => roleOf(i) !== 'healthy').map(unitsRow);

    return {
      plcs: PLCS, silent: SILENT, flapping: FLAPPING, restarted: RESTARTED, tags: TAGS, intervalMs: INTERVAL_MS,
      engine: ENGINE ?? 'product default', snap7Loaded,
      machine: { cycleTimeMs: [...new Set(healthy.map((i) => machineOf(i).cycleTimeMs))], pulseWidthMs: [...new Set(healthy.map((i) => machineOf(i).pulseWidthMs))] },
      minutes: MINUTES, warmupSeconds: WARMUP_S, elapsedSeconds: round(elapsed, 0), server: SERVER, loadavg: os.loadavg().map((v) => round(v, 2)),
      healthyCyclesPercent: { min: round(Math.min(...cyclePercents), 2), mean: round(cyclePercents.reduce((a, b) => a + b, 0) / cyclePercents.length, 2) },
      flapBackAfterMs: { n: backAfterMs.length, max: backAfterMs.length ? Math.max(...backAfterMs) : null, median: round(median(backAfterMs), 0), all: backAfterMs },
      flapsUp: ups.length,
      restartedAt: restartedAt ? round((restartedAt - started) / 1000, 0) : null,
      readFileMs: spread(inWindow.flatMap((b) => b.ms)),
      poolReadFileMs: spread(inWindow.flatMap((b) => b.poolMs)),
      readFileDuringForcedGc: inWindow.flatMap((b) => b.duringForcedGcMs).length,
      // V8's own collections on the main thread: share of the time, and the longest pause
      gcPercent: round((100 * inWindow.reduce((t, b) => t + b.gcMs.total, 0)) / (inWindow.length * 5000), 2),
      gcMaxMs: round(Math.max(...inWindow.map((b) => b.gcMs.max)), 2),
      eventLoopDelayMs: { p50: round(median(inWindow.map((b) => b.loopMs.p50)), 2), p99Median: round(median(inWindow.map((b) => b.loopMs.p99)), 2), p99Worst: round(Math.max(...inWindow.map((b) => b.loopMs.p99)), 2), max: round(Math.max(...inWindow.map((b) => b.loopMs.max)), 2) },
      nodeRed: { cpuPercent: round((100 * (nrEnd.cpuSeconds - nrStart.cpuSeconds)) / elapsed, 1), rssStartMB: round(nrStart.rssMB, 1), rssEndMB: round(nrEnd.rssMB, 1), rssAfterGcMB: gcInWindow, rssAfterGcGrowthMB: growth(gcInWindow), forcedGcMaxMs: Math.max(...gcProbesInWindow.map((p) => p.gcMs)) },
      simulator: { cpuPercent: round((100 * (simEnd.cpuSeconds - simStart.cpuSeconds)) / elapsed, 1), rssMB: round(simEnd.rssMB, 1) },
      unitsExact: healthyUnits.filter((u) => u.units === u.pulses).length,
      shortPulseWarnings,
      healthyUnits, other, samples, logProblems: problems,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    await nodeRed?.stop();
    await client.close().catch(() => undefined);
    await db.stop();
    await sims.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The healthy PLCs' gaps: how many were reported, on how many PLCs, the pulses in them, and the
 * unit cycles no reading could count (all of them, and those outside every gap); null when the
 * run did not record them.
 */
function healthyGaps(r) {
  if (r.healthyUnits.some((u) => u.gaps === undefined)) return null;
  const withGaps = r.healthyUnits.filter((u) => u.gaps > 0);
  const sum = (field) => r.healthyUnits.reduce((n, u) => n + (u[field] ?? 0), 0);
  return { gaps: sum('gaps'), plcs: withGaps.length, pulses: sum('pulsesInGaps'), unseen: sum('unseenPulses'), unseenOutsideGaps: sum('unseenOutsideGaps') };
}

const withPoolAndLoop = (r) => (r.poolReadFileMs
  ? `; the same readFile from a worker thread (the thread pool's part): p99 ${r.poolReadFileMs.p99} ms, max ${r.poolReadFileMs.max} ms; event-loop delay: p99 per 5 s median ${r.eventLoopDelayMs.p99Median} ms, worst ${r.eventLoopDelayMs.p99Worst} ms, max ${r.eventLoopDelayMs.max} ms`
  : '');

export function goalsOf(r) {
  const healthy = r.healthyUnits.length;
  const g = healthyGaps(r);
  const gapAware = r.healthyUnits.every((u) => u.gapAwareExact !== undefined)
    ? `; gap-aware ground truth (pulses in reported gaps may be missed): ${r.healthyUnits.filter((u) => u.gapAwareExact).length} of ${healthy} within; unit cycles no reading could count: ${g.unseen}, outside every reported gap: ${g.unseenOutsideGaps}`
    : '';
  return [
    { goal: 'healthy PLCs complete ≥ 99 % of their cycles', met: r.healthyCyclesPercent.min >= 99, detail: `min ${r.healthyCyclesPercent.min} %, mean ${r.healthyCyclesPercent.mean} % over ${healthy} healthy PLCs` },
    { goal: 'flapping PLCs read again within 2 s of coming back', met: r.flapBackAfterMs.n > 0 && r.flapBackAfterMs.max <= 2000, detail: `${r.flapBackAfterMs.n} returns: median ${r.flapBackAfterMs.median} ms, max ${r.flapBackAfterMs.max} ms` },
    { goal: 'fs.readFile p99 < 20 ms in the Node-RED process', met: r.readFileMs.p99 < 20, detail: `p50 ${r.readFileMs.p50} ms, p99 ${r.readFileMs.p99} ms, max ${r.readFileMs.max} ms (${r.readFileMs.n} reads, S7 engine: ${r.engine ?? 'snap7'})${withPoolAndLoop(r)}` },
    { goal: 'RSS growth after GC < 5 MB over 20 min', met: r.minutes >= 20 && r.nodeRed.rssAfterGcGrowthMB < 5, detail: `${r.nodeRed.rssAfterGcGrowthMB} MB over ${r.minutes} min (${r.nodeRed.rssAfterGcMB.length} probes); CPU ${r.nodeRed.cpuPercent} % of one core, RSS ${r.nodeRed.rssStartMB} → ${r.nodeRed.rssEndMB} MB` },
    {
      goal: 'units exact for every healthy PLC (stored units = the simulator\'s pulse count)',
      met: r.unitsExact === healthy,
      detail: `${r.unitsExact} of ${healthy} exact; ${g ? `edge counters reported ${g.gaps} gap(s) on ${g.plcs} healthy PLC(s), ${g.pulses} pulse(s) in them` : 'gaps not recorded in this run'}${gapAware}`,
    },
  ];
}

export function tables(r) {
  const unitsColumns = ['PLC', 'role', 'units', 'pulses', 'units − pulses', 'gaps reported', 'pulses in gaps', 'gap-aware', 'pulses no reading could count (outside gaps)'];
  const unitsRows = (rows) => rows.map((u) => [
    u.plc, u.role ?? 'healthy', u.units, u.pulses, u.units - u.pulses, u.gaps ?? '', u.pulsesInGaps ?? '',
    u.gapAwareExact === undefined ? '' : u.gapAwareExact ? 'within' : 'OUTSIDE', u.unseenPulses === undefined ? '' : `${u.unseenPulses} (${u.unseenOutsideGaps})`,
  ]);
  return [
    {
      title: 'Summary',
      columns: ['PLCs (silent/flapping/restarted)', 'S7 engine', 'minutes', 'healthy cycles % min/mean', 'back after flap ms median/max', 'fs.readFile p99 ms', 'Node-RED CPU %', 'RSS after GC growth MB', 'units exact', 'simulator CPU %'],
      rows: [[`${r.plcs} (${r.silent}/${r.flapping}/${r.restarted})`, r.engine ?? 'snap7', r.minutes, `${r.healthyCyclesPercent.min} / ${r.healthyCyclesPercent.mean}`, `${r.flapBackAfterMs.median} / ${r.flapBackAfterMs.max}`, r.readFileMs.p99, r.nodeRed.cpuPercent, r.nodeRed.rssAfterGcGrowthMB, `${r.unitsExact} / ${r.healthyUnits.length}`, r.simulator.cpuPercent]],
    },
    ...(r.poolReadFileMs
      ? [{
        title: 'Where fs.readFile waits (ms)',
        columns: ['probe', 'n', 'p50', 'p99', 'max'],
        rows: [
          ['fs.readFile, main thread (the goal)', r.readFileMs.n, r.readFileMs.p50, r.readFileMs.p99, r.readFileMs.max],
          ['fs.readFile, worker thread (thread pool only)', r.poolReadFileMs.n, r.poolReadFileMs.p50, r.poolReadFileMs.p99, r.poolReadFileMs.max],
          ['event-loop delay (p50 / p99 per 5 s: median; worst p99; max)', '', r.eventLoopDelayMs.p50, `${r.eventLoopDelayMs.p99Median} (worst ${r.eventLoopDelayMs.p99Worst})`, r.eventLoopDelayMs.max],
          ...(r.gcPercent === undefined ? [] : [['V8 collections, main thread (share of the time; longest pause)', '', `${r.gcPercent} %`, '', r.gcMaxMs]]),
        ],
      }]
      : []),
    { title: 'Healthy PLCs: units against pulses', columns: unitsColumns, rows: unitsRows(r.healthyUnits) },
    { title: 'PLCs that are not healthy: units against pulses', columns: unitsColumns, rows: unitsRows(r.other) },
  ];
}

export function notes(r) {
  return [
    `Load average at the end ${r.loadavg.join(' / ')} on a 2-core machine shared with other work: absolute figures depend on it.`,
    ...(r.machine ? [`Machines: cycle every ${r.machine.cycleTimeMs.join(' / ')} ms, the cycle bit high for ${[r.machine.pulseWidthMs].flat().join(' / ')} ms, read every ${r.intervalMs} ms.`] : []),
    ...(r.engine ? [`S7 engine: ${r.engine} (BENCH_FLEET_ENGINE); node-snap7 ${r.snap7Loaded ? 'was' : 'was not'} loaded in the Node-RED process.`] : []),
    ...(r.readFileDuringForcedGc === undefined ? [] : [`The RSS probe's forced full collections (the benchmark's own, ${r.minutes >= 20 ? 'once a minute' : 'more often in short runs'}, longest ${r.nodeRed.forcedGcMaxMs} ms) overlapped ${r.readFileDuringForcedGc} main-thread read(s); they are in the figures.`]),
    '"Gap-aware": the stored units lie between the pulses outside every gap the PLC\'s edge counter reported and all its pulses (test/runtime/scale/ground-truth.ts). A gap is a pause in the readings that could hold a whole pulse: the edge counter says so in Node-RED\'s log.',
    '"Pulses no reading could count": by the simulator\'s clock, no read request reached the PLC while the bit was high, or none while it was low before (two pulses then look like one); in brackets those outside every reported gap, which the edge counter should have reported. A rising edge read after a gap stands for one of the pulses in it, so units may exceed pulses less these; a read within a few ms of an edge may be judged either way.',
    'Flapping PLCs lose the pulses made while they are down (the default flow counts edges of the cycle bit); the restarted PLC restarts with its counters at 0: both are reported apart, not in "units exact".',
    ...(r.shortPulseWarnings ? [`Edge counters warned ${r.shortPulseWarnings} time(s) of a phase seen in a single reading (at most once a minute per machine).`] : []),
    ...(r.logProblems.length ? [`Nodes logged ${r.logProblems.length} warning/error line(s) (first 30 kept), e.g. "${r.logProblems[0]}"`] : ['No node logged a warning or an error.']),
  ];
}

if (process.argv[1] === thisFile && process.argv[2] === '--fleet-sim') {
  await simHost();
} else if (process.argv[1] === thisFile) {
  const result = await run((line) => console.log(`  ${line}`));
  for (const t of tables(result)) console.log(`\n${textTable(t)}`);
  console.log(`\n${goalLines(goalsOf(result)).join('\n')}\n${notes(result).map((n) => `- ${n}`).join('\n')}`);
  console.log(JSON.stringify({ ...result, samples: undefined }, null, 1));
}
