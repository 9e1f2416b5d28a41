// Issue 4 benchmark: messages per second through edge-counter and hourly-aggregator in a real
// Node-RED runtime, each against a Function node doing the old daemon's logic by hand (what a
// user would write instead), on the same message stream; and memory of the pure
// lib/production code with 1,000 machines over a simulated day.
import { existsSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { dist, distDir, envNumber, round } from './lib/env.mjs';
import { loadFlow, meterNodes, nodeModule, pump, unloadFlow } from './lib/runtime.mjs';

export const title = 'Production accounting (issue 4)';

const MESSAGES = envNumber('BENCH_PROD_MESSAGES', 20000);
const MACHINES = envNumber('BENCH_PROD_MACHINES', 100);
const ROUNDS = envNumber('BENCH_PROD_ROUNDS', 2);
const DAY_MACHINES = envNumber('BENCH_PROD_DAY_MACHINES', 1000);
/** Simulated hours: past the aggregator's 24 h retention of closed hours, so the steady state shows. */
const DAY_HOURS = envNumber('BENCH_PROD_DAY_HOURS', 36);
const RETAIN_HOURS = 24;

const machineIds = Array.from({ length: Math.max(MACHINES, DAY_MACHINES) }, (_, i) => (0x65a000000000 + i).toString(16).padStart(24, '0'));

// The old daemon's edge counting, as a user writes it in a Function node: last bit and total per
// machine in node context, one unit per 0 -> 1 change.
const HAND_EDGE_COUNTER = `
const key = msg.signal && msg.signal.machineId;
if (!key) { node.error('no machine id', msg); return null; }
const last = context.get('last') || {};
const totals = context.get('totals') || {};
const bit = msg.payload === true || msg.payload === 1;
let out = null;
if (bit && last[key] === false) {
  totals[key] = (totals[key] || 0) + 1;
  out = { topic: 'units', payload: 1, timestamp: msg.timestamp,
    units: { key, machineId: key, delta: 1, total: totals[key], timestamp: msg.timestamp, source: 'rising' } };
}
last[key] = bit;
context.set('last', last);
context.set('totals', totals);
return out;`;

// The old daemon's hourly bucketing by hand: units, last activity and power statistics per
// machine and hour in node context, the hour's record sent on every change (it wrote on every count).
const HAND_AGGREGATOR = `
const isUnits = msg.topic === 'units' && msg.units;
const machineId = isUnits ? msg.units.machineId : msg.signal && msg.signal.machineId;
if (!machineId) { node.error('no machine id', msg); return null; }
const ts = isUnits ? msg.units.timestamp : msg.timestamp;
const d = new Date(ts);
const key = machineId + '|' + d.toISOString().slice(0, 13);
const hours = context.get('hours') || {};
let h = hours[key];
if (!h) h = hours[key] = { machineId, date: d.toISOString().slice(0, 10), hour: d.getUTCHours(), unitsProduced: 0,
  lastActivityTime: null, minKw: null, maxKw: null, sumKw: 0, samples: 0, lastCycle: null, lastPower: null };
if (isUnits) { h.unitsProduced += msg.units.delta; h.lastActivityTime = ts; }
else if (msg.signal.kind === 'power') {
  const kw = Number(msg.payload);
  h.minKw = h.minKw === null ? kw : Math.min(h.minKw, kw);
  h.maxKw = h.maxKw === null ? kw : Math.max(h.maxKw, kw);
  h.sumKw += kw; h.samples += 1; if (kw > 0.5) h.lastPower = ts;
} else if (msg.payload) h.lastCycle = ts;
const status = h.lastPower !== null && ts - h.lastPower < 300000
  ? (h.lastCycle !== null && ts - h.lastCycle < 120000 ? 'running' : 'stoppage') : 'inactive';
context.set('hours', hours);
return { topic: 'production', payload: Object.assign({}, h, { status }) };`;

/** Per-signal reader messages: cycle bits (a unit every 2 samples) and power, times within the last hour. */
function readerMessages(count, kinds) {
  const start = Date.now() - 50 * 60_000;
  const perMachine = Math.ceil(count / MACHINES);
  const stepMs = Math.max(1, Math.floor((45 * 60_000) / perMachine));
  const msgs = [];
  for (let s = 0; msgs.length < count; s++) {
    for (let m = 0; m < MACHINES && msgs.length < count; m++) {
      const kind = kinds[(s + m) % kinds.length];
      const timestamp = start + s * stepMs + m;
      const signal = { name: `${kind}-${m}`, address: kind === 'power' ? `DB${m + 1}.DBD0` : `Q${m}.1`, dataType: kind === 'power' ? 'REAL' : 'BOOL', kind, machineId: machineIds[m] };
      const payload = kind === 'power' ? 10 + (s % 7) : Math.floor(s / kinds.length) % 2 === 1;
      msgs.push({ _msgid: `b${msgs.length}`, topic: signal.name, payload, signal, quality: 'good', timestamp });
    }
  }
  return msgs;
}

/** What reaches the aggregator in the default flow: power and cycle readings plus unit events. */
function aggregatorMessages(count) {
  return readerMessages(count, ['unit-cycle', 'power', 'unit-cycle']).map((msg, i) => {
    if (msg.signal.kind !== 'unit-cycle' || !msg.payload || i % 2) return msg;
    const units = { key: msg.signal.machineId, machineId: msg.signal.machineId, delta: 1, total: i, timestamp: msg.timestamp, source: 'rising' };
    return { _msgid: msg._msgid, topic: 'units', payload: 1, units, timestamp: msg.timestamp };
  });
}

/** One node in a real runtime, wired to the meter; best of ROUNDS runs over the same stream. */
async function throughput(label, moduleName, nodeDef, messages, extraModules = []) {
  const flow = [{ id: 'target', z: 'tab', wires: [['bench-out'], ['bench-out']], ...nodeDef }, ...meterNodes('target')];
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const runtime = await loadFlow([nodeModule(moduleName), nodeModule('complete'), nodeModule('catch'), ...extraModules], flow);
    try {
      // A fresh deploy per round: every round starts from empty state, like the others.
      runs.push(await pump(runtime, 'target', messages));
    } finally {
      await unloadFlow();
    }
  }
  const best = runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  return { label, messages: messages.length, perSecond: best.perSecond, rounds: runs.map((x) => round(x.perSecond, 0)), outputs: best.outputs, errors: best.errors, firstError: best.firstError };
}

function functionNode(code) {
  return { type: 'function', name: 'by hand', func: code, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [] };
}

/**
 * The pure lib/production code for DAY_MACHINES machines over DAY_HOURS simulated hours; heap
 * each hour. Closed hours are kept RETAIN_HOURS for late corrections (the default), so the heap
 * grows through the first day by design and must stay flat after that.
 */
function simulatedDay() {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const { EdgeCounter } = dist('lib/production/edge-counter');
  const { HourlyAggregator } = dist('lib/production/hourly-aggregator');
  const HOUR = 3_600_000;
  const dayStart = Date.UTC(2026, 2, 2); // a Monday, no DST change
  let now = dayStart;
  const counter = new EdgeCounter({ mode: 'rising', minHighMs: 0, minLowMs: 0, counterBits: 16, maxStep: 1000, gapWarnMs: 60_000 });
  const aggregator = new HourlyAggregator({ timeZone: 'Europe/Berlin', retainMs: RETAIN_HOURS * HOUR }, () => now);
  const ids = machineIds.slice(0, DAY_MACHINES);
  const heap = [];
  let units = 0;
  let snapshots = 0;
  let statuses = 0;
  const collect = (out) => { snapshots += out.snapshots.length; statuses += out.statuses.length; };
  const sampleHeap = (hour) => { gc(); heap.push({ hour, heapUsedMB: round(process.memoryUsage().heapUsed / 2 ** 20) }); };
  const started = performance.now();
  // Every 30 s each machine's cycle bit is sampled (high every other sample: a unit a minute)
  // and every 60 s its power; each machine stands still with power on for 20 min every 3 h.
  for (let t = dayStart; t < dayStart + DAY_HOURS * HOUR; t += 30_000) {
    now = t + 2_000;
    const step = (t - dayStart) / 30_000;
    for (let m = 0; m < ids.length; m++) {
      const id = ids[m];
      const stopped = ((t - dayStart + m * 60_000) % (3 * HOUR)) < 20 * 60_000;
      const bit = !stopped && step % 2 === 1;
      const result = counter.sample(id, t, bit);
      collect(aggregator.observe(bit ? { kind: 'cycle', machineId: id, timestamp: t } : { kind: 'idle', machineId: id, timestamp: t }));
      if (result.delta > 0) {
        units += result.delta;
        collect(aggregator.observe({ kind: 'units', machineId: id, timestamp: result.timestamp, delta: result.delta }));
      }
      if (step % 2 === 0) collect(aggregator.observe({ kind: 'power', machineId: id, timestamp: t, powered: true, kw: stopped ? 2 : 15 }));
    }
    if (step % 2 === 0) collect(aggregator.tick());
    if ((t - dayStart) % HOUR === 0) sampleHeap((t - dayStart) / HOUR);
  }
  now = dayStart + DAY_HOURS * HOUR + 10 * 60_000;
  collect(aggregator.tick());
  sampleHeap(DAY_HOURS);
  const steadyFrom = RETAIN_HOURS + 2;
  const at = (hour) => heap.find((h) => h.hour === hour)?.heapUsedMB;
  const steady = heap.filter((h) => h.hour >= steadyFrom).map((h) => h.heapUsedMB);
  return {
    machines: ids.length, simulatedHours: DAY_HOURS, seconds: round((performance.now() - started) / 1000, 1), units, snapshots, statuses,
    heapStartMB: at(0), heapAt2hMB: at(2), heapAt24hMB: at(24), heapEndMB: heap.at(-1).heapUsedMB, steadyFrom,
    steadyMinMB: steady.length ? Math.min(...steady) : NaN, steadyMaxMB: steady.length ? Math.max(...steady) : NaN, heap,
  };
}

export async function run(log) {
  const rows = [];
  const notes = [];
  // First, while the process holds nothing else of this benchmark.
  const day = simulatedDay();
  log(`simulated day: ${JSON.stringify({ ...day, heap: undefined })}`);
  const edgeMsgs = readerMessages(MESSAGES, ['unit-cycle']);
  const ours = await throughput('edge-counter (ours)', 'edge-counter', { type: 'edge-counter', mode: 'rising', keyBy: 'machineId', minHighMs: 0, minLowMs: 0, counterBits: 16, maxStep: 1000, gapWarnSeconds: 3600, store: '' }, edgeMsgs);
  log(`edge-counter: ${JSON.stringify(ours)}`);
  const hand = await throughput('Function node by hand', 'function', functionNode(HAND_EDGE_COUNTER), edgeMsgs);
  log(`function (edges by hand): ${JSON.stringify(hand)}`);
  rows.push({ stage: 'edge counting', ours, hand });

  const aggMsgs = aggregatorMessages(MESSAGES);
  if (existsSync(path.join(distDir, 'nodes', 'hourly-aggregator', 'hourly-aggregator.js'))) {
    const oursAgg = await throughput('hourly-aggregator (ours)', 'hourly-aggregator', { type: 'hourly-aggregator', timeZone: 'Europe/Berlin', powerTimeoutMinutes: 5, cycleTimeoutMinutes: 2, powerThresholdKw: 0.5, snapshotMinutes: 1, graceMinutes: 2, tickSeconds: 5, retainHours: 24, zeroFill: false, endStoppageOnPowerLoss: false, store: '', mongo: '', timeoutsFromDb: false }, aggMsgs);
    log(`hourly-aggregator: ${JSON.stringify(oursAgg)}`);
    const handAgg = await throughput('Function node by hand', 'function', functionNode(HAND_AGGREGATOR), aggMsgs);
    log(`function (hours by hand): ${JSON.stringify(handAgg)}`);
    rows.push({ stage: 'hourly aggregation', ours: oursAgg, hand: handAgg });
  } else {
    notes.push('hourly-aggregator: the node was not in the build under test, so its throughput was not measured.');
  }

  return { rows, day, notes, goals: goals(rows, day, notes), conditions: conditions() };
}

function conditions() {
  return {
    runtime: 'node-red-node-test-helper (the real Node-RED runtime) in the benchmark process, one node under test, a Complete and a Catch node scoped to it; best of the rounds, a fresh deploy each round',
    messages: `${MESSAGES} per round, ${MACHINES} machines, per-signal reader messages (aggregator: cycle and power readings plus unit events)`,
    rounds: ROUNDS,
    contextStore: 'the default (memory) store for ours and the Function nodes',
    simulatedDay: `${DAY_MACHINES} machines for ${DAY_HOURS} simulated hours (BENCH_PROD_DAY_HOURS), cycle bit sampled every 30 s (a unit a minute), power every 60 s, 20 min stoppage every 3 h, tick every 60 s, Europe/Berlin; heap after a forced GC every simulated hour`,
  };
}

function goals(rows, day, notes) {
  return [
    ...rows.map((r) => ({
      goal: `${r.stage}: messages per second at least as fast as a Function node doing it by hand`,
      met: r.ours.errors === 0 && r.ours.perSecond >= r.hand.perSecond,
      detail: `ours ${round(r.ours.perSecond, 0)}/s vs by hand ${round(r.hand.perSecond, 0)}/s: ratio ${round(r.ours.perSecond / r.hand.perSecond)}${r.ours.errors ? `; ${r.ours.errors} errors, e.g. ${r.ours.firstError}` : ''}`,
    })),
    ...(rows.length < 2 ? [{ goal: 'hourly aggregation: at least as fast as a Function node by hand', met: null, detail: notes.join(' ') }] : []),
    {
      goal: `memory flat with ${day.machines} machines over a simulated day`,
      // Flat: once the retention window is full, the heap (after GC) stays within 2 MB.
      met: Number.isFinite(day.steadyMinMB) && day.steadyMaxMB - day.steadyMinMB <= 2,
      detail: `heap after GC: ${day.heapStartMB} MB at the start, ${day.heapAt2hMB} MB after 2 h, ${day.heapAt24hMB} MB after 24 h (closed hours kept ${RETAIN_HOURS} h for corrections), ` +
        `then ${day.steadyMinMB}-${day.steadyMaxMB} MB from hour ${day.steadyFrom} to ${day.simulatedHours} (range ${round(day.steadyMaxMB - day.steadyMinMB)} MB); ${day.units} units, ${day.snapshots} snapshots`,
    },
  ];
}

export function tables(result) {
  return [
    {
      title: 'Messages per second in a real Node-RED runtime (best round)',
      columns: ['stage', 'ours msg/s', 'by hand msg/s', 'ratio', 'ours rounds', 'by hand rounds', 'ours outputs', 'by hand outputs', 'ours errors'],
      rows: result.rows.map((r) => [r.stage, round(r.ours.perSecond, 0), round(r.hand.perSecond, 0), round(r.ours.perSecond / r.hand.perSecond), r.ours.rounds.join(' / '), r.hand.rounds.join(' / '), r.ours.outputs, r.hand.outputs, r.ours.errors]),
    },
    {
      title: `Heap (MB, after GC) of lib/production with ${result.day.machines} machines, by simulated hour`,
      columns: ['simulated hour', 'heap MB'],
      rows: result.day.heap.filter((h, i, all) => h.hour % 3 === 0 || i === all.length - 1).map((h) => [h.hour, h.heapUsedMB]),
    },
  ];
}

export function notes() {
  return [
    'The Function nodes are what a user writes instead (see HAND_EDGE_COUNTER and HAND_AGGREGATOR in bench/production.mjs): no input validation, no debounce or gap detection, no DST-aware plant hours, no running or stoppage minutes, state only in memory. Ours validates every message (errors through done(err)), saves its state to the context store on every change and, for the aggregator, keeps minutes, stoppages and status per machine.',
    'Both run in the same runtime with the same stream; absolute rates are low because the machine was shared with other work (see the load average above); compare the ratios.',
  ];
}
