// Issue 11 item 6 benchmark: PLCs that accept TCP but never answer must not starve Node-RED's
// file I/O nor the readers of healthy PLCs, on libuv's default thread pool (4 threads).
// Each scenario runs in a fresh process (bench/lib/threadpool-child.mjs) with
// UV_THREADPOOL_SIZE unset: 4 healthy PLCs read every 200 ms through plc-reader's engine, 8
// silent ones beside them, while fs.readFile of a 4 KB file is timed every 10 ms.
// BENCH_THREADPOOL_BEFORE=<dist dir of an older build> measures that build too (before/after).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distDir, envNumber, round } from './lib/env.mjs';

export const title = 'Silent PLCs and the thread pool (issue 11, item 6)';

const SECONDS = envNumber('BENCH_THREADPOOL_SECONDS', 15);
const BEFORE = process.env.BENCH_THREADPOOL_BEFORE;
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'threadpool-child.mjs');
const SCENARIOS = {
  baseline: 'no silent PLC: the machine\'s own file I/O latency, for comparison',
  silent: '8 PLCs silent from the start (TCP accepted, nothing answered)',
  onset: '8 connected PLCs fall silent together 1 s into the window',
};

function measure(dist, scenario, silent) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, BENCH_DIST: dist };
    delete env.UV_THREADPOOL_SIZE;
    const child = spawn(process.execPath, [CHILD, '--scenario', scenario === 'baseline' ? 'start' : scenario, '--seconds', String(SECONDS), '--silent', String(silent)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`threadpool child (${scenario}) exited ${code}: ${err}`));
    });
  });
}

export async function run(log) {
  const builds = [{ build: 'after (this build)', dist: distDir }, ...(BEFORE ? [{ build: 'before', dist: path.resolve(BEFORE) }] : [])];
  const rows = [];
  for (const { build, dist } of builds) {
    for (const scenario of Object.keys(SCENARIOS)) {
      if (build === 'before' && scenario === 'baseline') continue;
      const r = await measure(dist, scenario, scenario === 'baseline' ? 0 : 8);
      const row = { ...r, build, scenario, skippedSlots: r.healthy.reduce((a, h) => a + h.skippedSlots, 0) };
      log(`${build}, ${scenario}: fs p99 ${r.fs.p99} ms, max ${r.fs.max} ms; event loop delay p99 ${r.loopDelay.p99} ms, max ${r.loopDelay.max} ms; healthy cycles ${r.healthy.map((h) => h.good).join('/')} of ${r.expectedCycles}, skipped slots ${row.skippedSlots}`);
      rows.push(row);
    }
  }
  return { rows, conditions: conditions() };
}

function conditions() {
  return {
    threadPool: 'UV_THREADPOOL_SIZE unset (libuv default: 4 threads), one fresh process per scenario',
    plcs: '4 healthy and 8 silent S7 connections with a plc-connection\'s defaults (the built-in wire engine, which holds no thread; connect 3 s, receive 2 s, reconnect 1 s doubling to 30 s), each read every 200 ms (4 tags) through plc-reader\'s engine, per-cycle output',
    healthyPlcs: 'the package\'s simulator (dist/sim/cli.js, one process, node-snap7 S7Server): 4 connections straight to it, DB1..DB4',
    silentPlcs: 'the same simulator behind a TCP proxy in the measuring process that stops forwarding in both directions but keeps every socket open and accepts new ones',
    fileIo: 'fs.readFile of a 4 KB file every 10 ms in the same process, timed with performance.now()',
    window: `${SECONDS} s after a 2 s warm-up; "lost cycles": healthy cycles with bad readings, and those short of window / 200 ms beyond the one the window's edges may cut`,
    builds: BEFORE ? `this build, and "before": ${process.env.BENCH_THREADPOOL_BEFORE_LABEL ?? BEFORE}` : 'this build only (set BENCH_THREADPOOL_BEFORE for a before/after)',
  };
}

/** Healthy cycles lost: bad ones, and those short of the window's count beyond the one its edges may cut. */
function lostCycles(r) {
  return r.healthy.reduce((sum, h) => sum + h.bad + Math.max(0, r.expectedCycles - 1 - h.good), 0);
}

export function goalsOf(result) {
  const ours = result.rows.filter((r) => r.build.startsWith('after') && r.scenario !== 'baseline');
  const fsOk = (r) => r.fs.p99 < 20 && r.fs.max < 100;
  const baseline = result.rows.find((r) => r.build.startsWith('after') && r.scenario === 'baseline');
  const before = (r) => result.rows.find((b) => b.build === 'before' && b.scenario === r.scenario);
  const fmt = (r) => `${r.scenario}: p99 ${r.fs.p99} ms, max ${r.fs.max} ms (${baseline ? `${round(r.fs.p99 / baseline.fs.p99)}× / ${round(r.fs.max / baseline.fs.max)}× the baseline's` : 'no baseline'}`
    + `${before(r) ? `; before: p99 ${before(r).fs.p99} ms, max ${before(r).fs.max} ms` : ''})`;
  return [
    {
      goal: '8 silent + 4 healthy PLCs on the default thread pool: fs.readFile p99 < 20 ms and max < 100 ms',
      met: ours.length > 0 && ours.every(fsOk),
      detail: ours.map(fmt).join('; '),
    },
    {
      goal: 'the healthy readers lose no cycle',
      met: ours.length > 0 && ours.every((r) => lostCycles(r) === 0 && r.skippedSlots === 0),
      detail: ours.map((r) => `${r.scenario}: ${lostCycles(r)} cycles lost over 4 readers, ${r.skippedSlots} skipped slots${before(r) ? ` (before: ${lostCycles(before(r))} lost, ${before(r).skippedSlots} skipped)` : ''}`).join('; '),
    },
  ];
}

export function tables(result) {
  return [{
    title: 'File I/O latency and healthy readers beside silent PLCs, default thread pool',
    columns: ['build', 'scenario', 'seconds', 'fs reads', 'fs p50 ms', 'fs p99 ms', 'fs max ms', 'event loop delay p99 / max ms', 'healthy good cycles (each)', 'expected', 'skipped slots (all 4)'],
    rows: result.rows.map((r) => [r.build, r.scenario, r.seconds, r.fs.n, r.fs.p50, r.fs.p99, r.fs.max, `${r.loopDelay.p99} / ${r.loopDelay.max}`, r.healthy.map((h) => h.good).join(' / '), r.expectedCycles, r.skippedSlots]),
  }];
}

export function notes() {
  return [
    ...Object.entries(SCENARIOS).map(([name, what]) => `Scenario "${name}": ${what}.`),
    'fs.readFile latency includes the event loop\'s own delay (a busy machine gives the process less CPU); the event loop delay column (perf_hooks.monitorEventLoopDelay over the same window) tells that part from waiting for a thread-pool thread.',
    'The default engine (the built-in wire client) holds no libuv thread: a silent PLC costs it a socket and a timer. What follows is about the node-snap7 engine (engine: snap7), and about builds before the wire engine became the default (BENCH_THREADPOOL_BEFORE).',
    'snap7 calls block a libuv thread until the PLC answers or the timeout ends. lib/s7/thread-slots.ts keeps them to (pool size − 1) threads at once, keeps one slot for requests, and puts the connects of PLCs that did not answer (and the dialog\'s test reads) on a probation slot of their own.',
    'When several connected PLCs fall silent at the same moment ("onset"), the first of their requests take every request slot until their receive timeout (2 s) ends: file I/O keeps its thread, but the healthy readers wait that once (the cycles short in "onset"). From then on each PLC not heard from since is tried with a 300 ms receive timeout, so the remaining silent PLCs cost a slot for a moment each, and afterwards they only reconnect, on probation. Nothing can tell a PLC that has just fallen silent from a healthy one before its first timeout, and on 3 usable threads 8 such requests cannot all be kept off the slots; a PLC that falls silent alone costs one slot for one receive timeout.',
  ];
}
