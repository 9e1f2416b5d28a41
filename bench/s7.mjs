// Issues 3 and 14 benchmark: our S7 reading with the plc-connection node's DEFAULT settings (the
// built-in pipelined wire engine, the adaptive pool) against node-red-contrib-s7's engine
// (@st-one-io/nodes7) on the package's simulator, with the same tag sets, on loopback and on a
// delayed link; the node-snap7 engine on one connection (the old default) beside it. Requests are
// counted on the wire (TPKT frames from the client, bench/lib/s7-proxy.mjs). Also: where a
// cycle's time goes on loopback, for both engines (bench/lib/s7-breakdown.mjs).
import { distDir, envNumber, dist, round, summarize } from './lib/env.mjs';
import { openNodes7Reader } from './lib/peer-nodes7.mjs';
import { openOurReader, signalRows, whenConnected } from './lib/ours-s7.mjs';
import { breakdown } from './lib/s7-breakdown.mjs';
import { startS7Proxy } from './lib/s7-proxy.mjs';
import { idleMachines, startSimulator } from './lib/sim.mjs';
import { TAG_SETS } from './lib/tag-sets.mjs';

export const title = 'S7 reading (issues 3 and 14)';

const CYCLES = envNumber('BENCH_S7_CYCLES', 100);
const WARMUP = 3;
/** The adaptive pool settles (no change in its size) for this many cycles before timing starts. */
const SETTLED_CYCLES = 10;
const DELAY_MS = envNumber('BENCH_S7_DELAY_MS', 5);
const PDUS = (process.env.BENCH_S7_PDUS || '240,960').split(',').map(Number);
const SCHEDULE_S = envNumber('BENCH_S7_SCHEDULE_S', 60);
const SCHEDULE_WARMUP_S = envNumber('BENCH_S7_SCHEDULE_WARMUP_S', 5);
const SCHEDULE_INTERVAL_MS = 100;
const BREAKDOWN_CYCLES = envNumber('BENCH_S7_BREAKDOWN_CYCLES', 200);
/** An older build's dist directory, broken down beside this one. */
const BEFORE_DIST = process.env.BENCH_S7_BEFORE;
const BEFORE_LABEL = process.env.BENCH_S7_BEFORE_LABEL || BEFORE_DIST;
/** Our old default, measured beside the new one: node-snap7, one connection. */
const SINGLE = { engine: 'snap7', maxConnections: 1, fixedConnections: true };
/** The engines broken down: the default first. */
const BREAKDOWN_ENGINES = ['wire', 'snap7'];

/** Timed cycles are split into this many rounds, the engines taking turns (see measureSideBySide). */
const ROUNDS = 4;

/** Opens one engine's reader and warms it up; an adaptive pool until its size stayed the same for SETTLED_CYCLES cycles. */
async function openSide(open, proxy, tags, pduSize) {
  const side = { reader: undefined, times: [], requests: 0, error: undefined };
  try {
    side.reader = await open({ host: proxy.host, port: proxy.port, tags, pduSize });
    let same = 0;
    for (let i = 0, last = side.reader.connections; i < WARMUP || (last !== undefined && same < SETTLED_CYCLES && i < 300); i++) {
      await side.reader.read();
      same = side.reader.connections === last ? same + 1 : 0;
      last = side.reader.connections;
    }
  } catch (err) {
    side.error = err;
  }
  return side;
}

/** `cycles` back-to-back cycles of one engine: their times, and the requests they sent (counted on the wire). */
async function timeCycles(side, proxy, cycles) {
  if (side.error) return;
  const before = proxy.requests;
  try {
    for (let i = 0; i < cycles; i++) {
      const t0 = performance.now();
      await side.reader.read();
      side.times.push(performance.now() - t0);
    }
  } catch (err) {
    side.error = err;
  }
  side.requests += proxy.requests - before;
}

/**
 * Cycle time and requests per cycle of several engines on one link. Their cycles are timed in
 * ROUNDS rounds, each engine in turn (the first engine changing every round), so a change in the
 * machine's load during the measurement falls on all of them alike.
 */
async function measureSideBySide(openers, proxy, tags, pduSize) {
  const sides = [];
  try {
    for (const open of openers) sides.push(await openSide(open, proxy, tags, pduSize));
    const perRound = Math.ceil(CYCLES / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < sides.length; k++) await timeCycles(sides[(round + k) % sides.length], proxy, perRound);
    }
    return sides.map((side) => {
      if (side.error) return { ok: false, error: String(side.error?.message ?? side.error).split('\n')[0] };
      const cycle = summarize(side.times);
      return { ok: true, pdu: side.reader.pduSize, requests: side.requests / side.times.length, cycleMs: cycle.mean, cycleP95Ms: cycle.p95, connections: side.reader.connections };
    });
  } finally {
    await Promise.all(sides.map((side) => side.reader?.close().catch(() => {})));
  }
}

/**
 * 500 tags every 100 ms through plc-reader's engine (lib/reader ReaderEngine) with the default
 * settings: SCHEDULE_WARMUP_S seconds for the pool to adapt, then SCHEDULE_S seconds counted.
 */
async function scheduleRun(proxy, pduSize) {
  const { S7Connection } = dist('lib/s7');
  const { toConnectionOptions } = dist('lib/s7/session/connection-config');
  const { ReaderEngine } = dist('lib/reader/engine');
  const { resolveSignals } = dist('lib/reader/signals');
  const connection = new S7Connection(toConnectionOptions({ host: proxy.host, port: proxy.port, pduSize }));
  connection.start();
  let messages = 0;
  let badReports = 0;
  const connectionsSeen = new Set();
  try {
    await whenConnected(connection);
    const { signals, problems } = resolveSignals(signalRows(TAG_SETS['mixed-500']), SCHEDULE_INTERVAL_MS);
    if (problems.length) throw new Error(`signals rejected: ${problems[0].message}`);
    const engine = new ReaderEngine(connection, { mode: 'per-cycle', heartbeatMs: 0 }, {
      emit: (msgs) => { messages += msgs.length; connectionsSeen.add(connection.connections); },
      reportBad: () => { badReports++; },
    });
    await engine.setSignals(signals);
    await engine.start();
    await new Promise((r) => setTimeout(r, SCHEDULE_WARMUP_S * 1000));
    const warm = engine.stats();
    const [messagesBefore, requestsBefore, connectionsAfterWarmup] = [messages, proxy.requests, connection.connections];
    await new Promise((r) => setTimeout(r, SCHEDULE_S * 1000));
    // Stats before stop(): a stopped engine has no schedule left to report on.
    const stats = engine.stats();
    const connectionsAtEnd = connection.connections;
    await engine.stop();
    return {
      ok: true, seconds: SCHEDULE_S, warmupSeconds: SCHEDULE_WARMUP_S, expectedCycles: Math.floor((SCHEDULE_S * 1000) / SCHEDULE_INTERVAL_MS),
      cycles: messages - messagesBefore, overruns: stats.overruns - warm.overruns, skippedSlots: stats.skippedSlots - warm.skippedSlots,
      warmupOverruns: warm.overruns, badReports, requestsPerCycle: stats.requestsPerCycle, wireRequests: proxy.requests - requestsBefore,
      lastCycleMs: stats.cycleTimeMs, connectionsAfterWarmup, connectionsAtEnd, connectionsSeen: [...connectionsSeen].sort(),
    };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err).split('\n')[0] };
  } finally {
    await connection.close().catch(() => {});
  }
}

export async function run(log) {
  const rows = [];
  const schedule = [];
  const breakdowns = [];
  for (const pduSize of PDUS) {
    const sim = await startSimulator({ machines: idleMachines(10), pduSize });
    try {
      if (pduSize === PDUS[0]) {
        const builds = [
          ...BREAKDOWN_ENGINES.map((engine) => [`this build, ${engine}`, distDir, engine]),
          ...(BEFORE_DIST ? [[`before (${BEFORE_LABEL})`, BEFORE_DIST, 'snap7']] : []),
        ];
        for (const [build, dir, engine] of builds) {
          const b = await breakdown({ distDir: dir, host: sim.host, port: sim.port, tags: TAG_SETS['mixed-500'], pduSize, engine, cycles: BREAKDOWN_CYCLES });
          log(`s7 breakdown ${build}, mixed-500, pdu ${pduSize}, loopback, one connection: ${JSON.stringify(b)}`);
          breakdowns.push({ build, pdu: pduSize, set: 'mixed-500', ...b });
        }
      }
      for (const delayMs of [0, DELAY_MS]) {
        const proxy = await startS7Proxy({ targetHost: sim.host, targetPort: sim.port, delayMs });
        try {
          for (const [set, tags] of Object.entries(TAG_SETS)) {
            const [ours, peer, single] = await measureSideBySide([openOurReader, openNodes7Reader, (o) => openOurReader({ ...o, connection: SINGLE })], proxy, tags, pduSize);
            const row = { pdu: pduSize, delayMs, set, tags: tags.length, ours, peer, single };
            log(`s7 pdu ${pduSize} delay ${delayMs} ${set}: ours ${fmt(ours)} | nodes7 ${fmt(peer)} | node-snap7, 1 connection ${fmt(single)}`);
            rows.push(row);
          }
          const s = await scheduleRun(proxy, pduSize);
          log(`s7 schedule 500 tags @ ${SCHEDULE_INTERVAL_MS} ms, pdu ${pduSize}, delay ${delayMs}, default settings: ${JSON.stringify(s)}`);
          schedule.push({ pdu: pduSize, delayMs, ...s });
        } finally {
          await proxy.close();
        }
      }
    } finally {
      await sim.stop();
    }
  }
  return { rows, schedule, breakdowns, goals: goals(rows, schedule), conditions: conditions() };
}

function fmt(r) {
  return r.ok ? `${r.requests} req, ${round(r.cycleMs)} ms${r.connections !== undefined ? `, ${r.connections} conn` : ''}` : `FAILED ${r.error}`;
}

function conditions() {
  return {
    cyclesPerMeasurement: `${CYCLES}, timed in ${ROUNDS} rounds with the engines taking turns (the first one changing every round), so that a change in the machine's load falls on all of them alike`,
    warmupCycles: `${WARMUP}; our adaptive pool: until its size stayed the same for ${SETTLED_CYCLES} cycles (the "conn" column: S7 connections it settled on)`,
    injectedDelayMs: DELAY_MS,
    delayMethod: 'user-space TCP proxy delaying every chunk by the delay in each direction (round trip + 2 × delay); tc netem is not available (the kernel has no sch_netem)',
    pduSizes: PDUS,
    ours: 'the plc-connection node\'s default settings (toConnectionOptions of the dialog\'s defaults: the built-in pipelined wire engine, up to its negotiated 8 jobs in flight per connection; the adaptive pool, at most 3 connections), the PDU the simulator offers; "node-snap7, 1 connection": the same with engine snap7 and maxConnections 1, fixed (the old default)',
    schedule: `500 tags (mixed-500) every ${SCHEDULE_INTERVAL_MS} ms through plc-reader's engine, default settings: ${SCHEDULE_WARMUP_S} s for the pool to adapt (its overruns reported apart), then ${SCHEDULE_S} s counted`,
    breakdown: `mixed-500 at PDU ${PDUS[0]}, straight to the simulator (no proxy), one connection of each engine, ${BREAKDOWN_CYCLES} back-to-back readNow() cycles of plc-reader's engine after 20 warm-up ones; per cycle`,
    peerConfig: 'nodes7 as node-red-contrib-s7 configures it: up to 8 parallel jobs (pipelined requests on one connection), PDU as negotiated',
    simulator: 'dist/sim/cli.js (node-snap7 S7Server), 10 machines on DB1..DB10, scenario off',
  };
}

const SETS = ['contiguous-100-real', 'scattered-100', 'mixed-500'];

/**
 * Issue 14's cycle-time goal at one delay: every set at every PDU at most `limit` × the peer.
 * Where the peer cannot read a set at a PDU (nodes7 puts more items in one request than the
 * simulator's snap7 server, like S7-300/400 CPUs, accepts), ours is held against the peer's best
 * cycle for that set at a PDU where it works: what a user of the peer would have to fall back to.
 */
function cycleGoal(rows, delayMs, limit) {
  const cases = PDUS.flatMap((pdu) => SETS.map((set) => rows.find((r) => r.pdu === pdu && r.delayMs === delayMs && r.set === set)).filter(Boolean));
  const fallbackOf = (r) => cases.filter((c) => c.set === r.set && c.peer.ok).sort((a, b) => a.peer.cycleMs - b.peer.cycleMs)[0];
  const ratio = (r) => r.ours.cycleMs / r.peer.cycleMs;
  const compared = cases.filter((r) => r.ours.ok && r.peer.ok);
  const failedOurs = cases.filter((r) => !r.ours.ok);
  const peerOnlyFailed = cases.filter((r) => r.ours.ok && !r.peer.ok).map((r) => ({ r, fallback: fallbackOf(r) }));
  const fallbackRatio = ({ r, fallback }) => r.ours.cycleMs / fallback.peer.cycleMs;
  const withFallback = peerOnlyFailed.filter((f) => f.fallback);
  const over = [...compared.filter((r) => ratio(r) > limit), ...withFallback.filter((f) => fallbackRatio(f) > limit).map((f) => f.r)];
  const unjudged = peerOnlyFailed.length - withFallback.length;
  return {
    goal: `cycle time ≤ ${limit}× the peer's with ${delayMs ? `a ${delayMs} ms delay` : 'no delay'}, default settings`,
    met: over.length > 0 || failedOurs.length > 0 ? false : compared.length > 0 && unjudged === 0 ? true : null,
    detail: `ratio ours/peer: ${compared.map((r) => `${r.set}@pdu${r.pdu} ${round(ratio(r))} (${round(r.ours.cycleMs)} vs ${round(r.peer.cycleMs)} ms, ${r.ours.connections} conn)`).join(', ')}` +
      (withFallback.length ? `; the peer failed, so against its best working PDU: ${withFallback.map((f) => `${f.r.set}@pdu${f.r.pdu} ${round(fallbackRatio(f))} (ours ${round(f.r.ours.cycleMs)} ms vs the peer's ${round(f.fallback.peer.cycleMs)} ms at pdu ${f.fallback.pdu}; the peer at pdu ${f.r.pdu}: ${f.r.peer.error})`).join(', ')}` : '') +
      (unjudged ? `; not comparable, the peer failed at every PDU: ${peerOnlyFailed.filter((f) => !f.fallback).map((f) => `${f.r.set}@pdu${f.r.pdu}`).join(', ')}` : '') +
      (over.length ? `; over ${limit}×: ${over.map((r) => `${r.set}@pdu${r.pdu}`).join(', ')}` : '') +
      (failedOurs.length ? `; OURS FAILED: ${failedOurs.map((r) => `${r.set}@pdu${r.pdu}`).join(', ')}` : ''),
  };
}

function goals(rows, schedule) {
  const both = rows.filter((r) => r.ours.ok && r.peer.ok);
  const peerFailed = rows.filter((r) => r.ours.ok && !r.peer.ok);
  const reqWorse = both.filter((r) => r.ours.requests > r.peer.requests);
  const ourFailures = rows.filter((r) => !r.ours.ok);
  const target = schedule.filter((s) => s.pdu === 240 && s.delayMs === DELAY_MS);
  const sched = (s) => (s.ok
    ? `PDU ${s.pdu}, delay ${s.delayMs} ms: ${s.overruns} overruns, ${s.skippedSlots} skipped slots, ${s.cycles}/${s.expectedCycles} cycles in ${s.seconds} s, ${s.requestsPerCycle} req/cycle, ${s.connectionsAtEnd} conn (after a ${s.warmupSeconds} s warm-up with ${s.warmupOverruns} overruns while the pool adapted)`
    : `PDU ${s.pdu}, delay ${s.delayMs} ms: FAILED ${s.error}`);
  return [
    {
      goal: 'requests per cycle never above the peer\'s',
      met: both.length > 0 && reqWorse.length === 0 && ourFailures.length === 0,
      detail: `${both.length - reqWorse.length}/${both.length} comparable cases at or below the peer; ratio ours/peer ${both.map((r) => `${r.set}@pdu${r.pdu}/${r.delayMs}ms ${round(r.ours.requests / r.peer.requests)}`).join(', ')}` +
        (peerFailed.length ? `; peer failed in ${peerFailed.length} case(s)` : '') + (ourFailures.length ? `; OURS FAILED in ${ourFailures.length}` : ''),
    },
    cycleGoal(rows, DELAY_MS, 1.0),
    cycleGoal(rows, 0, 1.5),
    {
      goal: `500 tags every ${SCHEDULE_INTERVAL_MS} ms at PDU 240 with a ${DELAY_MS} ms delay, default settings: 0 overruns in ${SCHEDULE_S} s`,
      met: target.length > 0 && target.every((s) => s.ok && s.overruns === 0 && s.skippedSlots === 0),
      detail: `${target.map(sched).join('; ')}. Other cases: ${schedule.filter((s) => !target.includes(s)).map(sched).join('; ')}`,
    },
  ];
}

const ms = (v) => round(v, 3);
const optional = (v) => (v === undefined ? '-' : ms(v));

export function tables(result) {
  return [
    {
      title: 'Requests per cycle (counted on the wire) and cycle time (mean of back-to-back cycles); ours with default settings',
      columns: ['PDU', 'delay ms', 'tag set', 'tags', 'ours req', 'nodes7 req', 'req ratio', 'ours ms', 'ours conn', 'nodes7 ms', 'time ratio', 'node-snap7, 1 connection ms', 'node-snap7, 1 connection ratio'],
      rows: result.rows.map((r) => [r.pdu, r.delayMs, r.set, r.tags,
        r.ours.ok ? round(r.ours.requests) : 'failed', r.peer.ok ? round(r.peer.requests) : `failed: ${r.peer.error}`,
        r.ours.ok && r.peer.ok ? round(r.ours.requests / r.peer.requests) : '-',
        r.ours.ok ? round(r.ours.cycleMs) : `failed: ${r.ours.error}`, r.ours.ok ? r.ours.connections : '-', r.peer.ok ? round(r.peer.cycleMs) : '-',
        r.ours.ok && r.peer.ok ? round(r.ours.cycleMs / r.peer.cycleMs) : '-',
        r.single.ok ? round(r.single.cycleMs) : `failed: ${r.single.error}`, r.single.ok && r.peer.ok ? round(r.single.cycleMs / r.peer.cycleMs) : '-']),
    },
    {
      title: `Scheduled reading: 500 tags every ${SCHEDULE_INTERVAL_MS} ms through plc-reader's engine, default settings`,
      columns: ['PDU', 'delay ms', 'seconds counted', 'cycles', 'expected', 'overruns', 'skipped slots', 'warm-up overruns', 'req/cycle', 'last cycle ms', 'conn after warm-up / at end', 'conn seen'],
      rows: result.schedule.map((s) => (s.ok
        ? [s.pdu, s.delayMs, s.seconds, s.cycles, s.expectedCycles, s.overruns, s.skippedSlots, s.warmupOverruns, s.requestsPerCycle, s.lastCycleMs, `${s.connectionsAfterWarmup} / ${s.connectionsAtEnd}`, s.connectionsSeen.join(', ')]
        : [s.pdu, s.delayMs, `failed: ${s.error}`])),
    },
    {
      title: 'Where a cycle\'s time goes on loopback (ms per cycle; one connection of each engine)',
      columns: ['build, engine', 'req/cycle', 'cycle', 'client calls under way (first call to last callback)', 'of which inside snap7 (ExecTime, whole ms)', 'of which the wire client\'s frame building + reply parsing', 'thread-pool hop (per request, probe)', 'decoding', 'scheduling', 'message building', 'ours outside the client (decoding + scheduling + messages)'],
      rows: (result.breakdowns ?? []).map((b) => [b.build, round(b.requestsPerCycle), ms(b.cycleMs), ms(b.clientCallMs ?? b.snap7CallMs), optional(b.snap7ExecTimeMs), optional(b.wireCodecMs), optional(b.threadPoolHopPerRequestMs), ms(b.decodeMs), ms(b.schedulingMs), ms(b.messageBuildingMs), ms(b.decodeMs + b.schedulingMs + b.messageBuildingMs)]),
    },
  ];
}

/** What the loopback breakdown shows, in words. */
function breakdownNotes(breakdowns) {
  const ours = (b) => b.decodeMs + b.schedulingMs + b.messageBuildingMs;
  const share = (part, b) => `${round(part, 3)} ms (${round((100 * part) / b.cycleMs, 1)} %)`;
  const wire = breakdowns.find((b) => b.engine === 'wire' && b.build.startsWith('this build'));
  const snap7 = breakdowns.find((b) => b.engine === 'snap7' && b.build.startsWith('this build'));
  const lines = [];
  if (wire) {
    lines.push(`Loopback breakdown, wire engine (the default; mixed-500, PDU ${wire.pdu}, one connection): of ${round(wire.cycleMs)} ms per cycle, the ${wire.requestsPerCycle} requests are under way (pipelined, up to 8 at once) for ${share(wire.clientCallMs, wire)}, of which the client's own frame building and reply parsing take ${round(wire.wireCodecMs, 3)} ms; the rest of that is the socket round trips and the simulator. Ours outside the client (decoding, scheduling, message building) is ${share(ours(wire), wire)}.`);
  }
  if (snap7) {
    lines.push(`Loopback breakdown, node-snap7 engine (same read): of ${round(snap7.cycleMs)} ms per cycle, ${share(snap7.clientCallMs, snap7)} are the ${snap7.requestsPerCycle} snap7 calls one after another, ${round(snap7.clientCallMs / snap7.requestsPerCycle)} ms each, of which snap7 itself reports ${round(snap7.snap7ExecTimeMs / snap7.requestsPerCycle)} ms (whole ms); the thread-pool hop is ${round(snap7.threadPoolHopPerRequestMs, 3)} ms per request. Ours outside the client is ${share(ours(snap7), snap7)}.`);
  }
  return lines;
}

export function notes(result) {
  const peerFailures = result.rows.filter((r) => !r.peer.ok);
  return [
    'Injected delay: `tc qdisc add dev <veth> root netem delay 5ms` fails here ("Specified qdisc kind is unknown": the kernel has no sch_netem and no loadable modules), so a network namespace would add nothing. The delay comes from test/helpers/s7-proxy.ts (bench/lib/s7-proxy.mjs) instead, which holds every chunk for the delay in each direction; both engines go through the same proxy, which also counts requests (TPKT frames from the client).',
    'nodes7 (as node-red-contrib-s7 uses it) negotiates up to 8 parallel jobs and pipelines a cycle\'s requests on one connection. So does our default engine, the built-in wire client (lib/s7/wire): no threads, up to the negotiated jobs (8 with the simulator) in flight on one socket, so a cycle of n requests takes about ceil(n / 8) round trips on one connection. The adaptive pool (lib/s7/pool-sizer.ts) counts the jobs: it keeps one connection while ceil(requests / (connections × jobs)) round trips fit in half the period, and opens more, up to 3, only while one pipelined connection does not fit. Back-to-back reading never fits, so there the pool grows as far as another connection saves a round trip.',
    'The node-snap7 engine (beside it, on one connection: the old default) cannot pipeline: one request in flight per S7 connection, each holding a libuv thread while it waits, and its client waits for a reply by polling the socket with 1 ms sleeps (TMsgSocket::WaitForData in snap7\'s snap_msgsock.cpp: `SysSleep(1)` while fewer bytes than needed have arrived), so every request costs at least one such sleep on loopback.',
    ...breakdownNotes(result.breakdowns ?? []),
    ...(peerFailures.length
      ? [`nodes7 failed in ${peerFailures.length} case(s) (${[...new Set(peerFailures.map((r) => `${r.set} at PDU ${r.pdu}`))].join(', ')}): "${peerFailures[0].peer.error}". At PDU 960 it packs more than 20 items into one request; snap7's server handles at most 20 items of a request (MaxVars in snap7's s7_server.cpp) and answers only those, so nodes7 meets a short reply. Whether a real S7-1500 takes more than 20 items at PDU 960 could not be tested here; our planner never sends more than 20.`]
      : []),
    'Cycle times are the mean of back-to-back reads on a machine shared with other work (see the load average above); ratios within one run are what count; the request counts do not depend on load.',
  ];
}
