// Issue 5 benchmark: documents per second into the same server (FerretDB and mongo-java-server
// from scripts/db-servers.mjs) through our mongo-sink against node-red-contrib-mongodb4 and
// node-red-node-mongodb (one operation per message), all in a real Node-RED runtime; and our
// sink's memory through a database outage at 1,000 readings/s.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { dist, envNumber, percentile, requireFromRepo, requirePeer, round, sleep } from './lib/env.mjs';
import { forgetCalls, loadFlow, meterNodes, nodeModule, unloadFlow } from './lib/runtime.mjs';
import { startServer } from '../scripts/db-servers.mjs';

export const title = 'MongoDB writes (issue 5, issue 14 part 4)';

const DOCS = envNumber('BENCH_MONGO_DOCS', 20000);
const WARMUP_DOCS = 200;
const READINGS_PER_CYCLE = 100;
/** Rounds of (ceiling, ours with per-cycle messages), run one after the other so each pair shares the machine's load. */
const ROUNDS = envNumber('BENCH_MONGO_ROUNDS', 3);
/** The sink's default batch: the ceiling inserts batches of the same size. */
const SINK_BATCH = dist('lib/mongo/sink-config.js').MONGO_SINK_DEFAULTS.batchSize;
/** The application's indexes on signaldatas: every writer here writes into a collection that has them, as the real one does. */
const { SIGNAL_INDEXES } = dist('lib/app-contract');

async function withSignalIndexes(coll) {
  for (const key of SIGNAL_INDEXES) await coll.createIndex({ ...key });
  return coll;
}
// "Latest per sensor" (issue 14 part 4): 100 sensors × 20 Hz in per-cycle messages of 100 readings.
const LATEST_SENSORS = READINGS_PER_CYCLE;
const LATEST_RATE = 2000;
const LATEST_S = envNumber('BENCH_MONGO_LATEST_S', 60);
/** The soak's sample-to-database bound, reported beside the latest mode's latency. */
const SOAK_P99_BOUND_MS = 2000;
// Long enough by default for the queue to reach its bound (100,000 entries at 1,000/s: 100 s).
const OUTAGE_S = envNumber('BENCH_MONGO_OUTAGE_S', 150);
const OUTAGE_RATE = 1000;
const SERVERS = (process.env.BENCH_MONGO_SERVERS || 'ferretdb,mongo-java-server').split(',');
/** BENCH_MONGO_ONLY_THROUGHPUT=1: only the rounds of ceiling and ours (no peers, no latest mode, no outage), for quick before/after comparisons. */
const ONLY_THROUGHPUT = process.env.BENCH_MONGO_ONLY_THROUGHPUT === '1';
const DATABASE = 'bench';

const machineId = '65a0000000000000000000aa';
const sensorIds = Array.from({ length: READINGS_PER_CYCLE }, (_, i) => (0x65b000000000 + i).toString(16).padStart(24, '0'));

function reading(i, t) {
  return { signal: { name: `s${i % READINGS_PER_CYCLE}`, address: `DB1.DBD${(i % READINGS_PER_CYCLE) * 4}`, dataType: 'REAL', kind: 'power', machineId, sensorId: sensorIds[i % READINGS_PER_CYCLE] }, value: i * 0.5, quality: 'good', timestamp: t };
}

/** The contenders: each a flow writing to `collection`, and how a message carrying `n` documents starting at `i` looks. */
export const CONTENDERS = {
  'mongo-sink (ours), one reading per message': {
    modules: () => ourModules(),
    flow: (server, collection) => [
      { id: 'conn', z: 'tab', type: 'mongo-connection', mode: 'uri', uri: server.uri, database: DATABASE },
      { id: 'target', z: 'tab', type: 'mongo-sink', connection: 'conn', signalMode: 'history', historyCollection: collection, writeProduction: false, writeStatus: false, wires: [[], []] },
    ],
    perMessage: 1,
    completesAfterWrite: true,
    message: (i, t) => { const r = reading(i, t); return { topic: r.signal.name, payload: r.value, signal: r.signal, quality: 'good', timestamp: t }; },
  },
  [`mongo-sink (ours), ${READINGS_PER_CYCLE} readings per message (per-cycle reader output)`]: {
    modules: () => ourModules(),
    flow: (server, collection) => CONTENDERS['mongo-sink (ours), one reading per message'].flow(server, collection),
    perMessage: READINGS_PER_CYCLE,
    completesAfterWrite: true,
    message: (i, t) => ({ readings: Array.from({ length: READINGS_PER_CYCLE }, (_, k) => reading(i + k, t)), timestamp: t }),
  },
  'node-red-contrib-mongodb4 (insertOne per message)': {
    modules: () => [requirePeer('node-red-contrib-mongodb4/src/mongodb4.js')],
    flow: (server, collection) => [
      { id: 'client', z: 'tab', type: 'mongodb4-client', uriTabActive: 'tab-uri-advanced', uri: server.uri, dbName: DATABASE, protocol: 'mongodb', authMechanism: 'DEFAULT', connectTimeoutMS: '30000', socketTimeoutMS: '0', minPoolSize: '0', maxPoolSize: '100', maxIdleTimeMS: '0', advanced: '{}' },
      { id: 'target', z: 'tab', type: 'mongodb4', clientNode: 'client', mode: 'collection', collection, operation: 'insertOne', output: 'toArray', maxTimeMS: '0', handleDocId: false, wires: [[]] },
    ],
    perMessage: 1,
    completesAfterWrite: true,
    message: (i, t) => ({ payload: peerDocument(i, t) }),
  },
  'node-red-node-mongodb (insert per message)': {
    modules: () => [requirePeer('node-red-node-mongodb/66-mongodb.js')],
    flow: (server, collection) => {
      const url = new URL(server.uri);
      return [
        { id: 'client', z: 'tab', type: 'mongodb', hostname: url.hostname, port: url.port, db: DATABASE, topology: 'direct', connectOptions: '' },
        { id: 'target', z: 'tab', type: 'mongodb out', mongodb: 'client', collection, payonly: true, upsert: false, multi: false, operation: 'insert' },
      ];
    },
    perMessage: 1,
    // Its input handler exists only once connected; its done() comes before the write.
    waitGreen: true,
    completesAfterWrite: false,
    message: (i, t) => ({ payload: peerDocument(i, t) }),
  },
};

/** What a user sends a generic MongoDB node for one reading: the signaldatas document. */
function peerDocument(i, t) {
  const r = reading(i, t);
  return { sensorId: r.signal.sensorId, machineId, value: r.value, timestamp: new Date(t) };
}

async function countOf(client, collection) {
  return client.db(DATABASE).collection(collection).countDocuments({});
}

/** Our nodes with their real catalogue: the queue and the drops are read from the sink's status text. */
function ourModules() {
  const { withCatalogue } = dist('test/helpers/catalogue.js');
  return ['mongo-connection', 'mongo-sink'].map((name) => withCatalogue(nodeModule(name), 'mongo-connection', 'mongo-sink'));
}

/** Polls the server's (cheap) estimated count; countDocuments() is far too slow on these servers to poll. */
async function waitForCount(client, collection, expected, timeoutMs, pollMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await client.db(DATABASE).collection(collection).estimatedDocumentCount();
    if (n >= expected || Date.now() > deadline) return n;
    await sleep(pollMs);
  }
}

/** Resolves once the node under test set a green status (node-red-node-mongodb drops messages until then). */
function whenStatusGreen(target, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no green status within ${timeoutMs} ms`)), timeoutMs);
    target.on('call:status', (call) => { if (call.args[0]?.fill === 'green') { clearTimeout(timer); resolve(); } });
  });
}

/** Sends `docs` documents in messages, a slice per event-loop turn; resolves with the number of messages. */
function feed(target, contender, docs, first, t0) {
  return new Promise((resolve) => {
    let i = first;
    let messages = 0;
    const end = first + docs;
    const step = () => {
      for (let k = 0; k < 200 && i < end; k++, i += contender.perMessage, messages++) target.receive(contender.message(i, t0 + i));
      forgetCalls();
      if (i < end) setImmediate(step); else resolve(messages);
    };
    step();
  });
}

/**
 * Counts done() calls of the node under test (Complete and Catch nodes scoped to it).
 * `reached(n, timeoutMs)` resolves at the completion that makes n (true), or at the timeout
 * (false): a timed run ends when its last message completes, not at the next poll, as the
 * ceiling's ends when its last insertMany resolves.
 */
function completions(runtime) {
  let waiter;
  const settled = () => { if (waiter && state.done + state.errors >= waiter.count) waiter.resolve(true); };
  const state = {
    done: 0, errors: 0, firstError: undefined,
    reached: (count, timeoutMs) => new Promise((resolve) => {
      const timer = setTimeout(() => { waiter = undefined; resolve(state.done + state.errors >= count); }, timeoutMs);
      waiter = { count, resolve: (v) => { clearTimeout(timer); waiter = undefined; resolve(v); } };
      settled();
    }),
  };
  runtime.getNode('bench-done').on('input', () => { state.done++; settled(); });
  runtime.getNode('bench-errors').on('input', (msg) => { state.errors++; state.firstError ??= msg.error?.message; settled(); });
  return state;
}

async function waitFor(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(10);
  return check();
}

/**
 * Time to write DOCS documents after a warm-up. Nodes that call done() after their write are
 * timed by their completions; node-red-node-mongodb (done() before its write) by the server's count.
 * Every run ends with an exact countDocuments() check.
 */
export async function throughput(server, client, name, contender, runId) {
  const collection = `bench_${runId}`;
  await withSignalIndexes(client.db(DATABASE).collection(collection));
  const settings = { s7productionMongoDriver: server.driver };
  const flow = [...contender.flow(server, collection), ...meterNodes('target')];
  const runtime = await loadFlow([...contender.modules(), nodeModule('complete'), nodeModule('catch')], flow, settings);
  try {
    const target = runtime.getNode('target');
    if (contender.waitGreen) await whenStatusGreen(target);
    const done = completions(runtime);
    const t0 = Date.now() - 3_600_000;
    await feed(target, contender, WARMUP_DOCS, 0, t0);
    const warm = await waitForCount(client, collection, WARMUP_DOCS, 60000);
    if (warm < WARMUP_DOCS) return { name, ok: false, error: `warm-up: only ${warm}/${WARMUP_DOCS} documents arrived within 60 s${done.firstError ? ` (${done.firstError})` : ''}` };
    await waitFor(() => done.done + done.errors >= warm / contender.perMessage, 10000);
    const doneBefore = done.done + done.errors;
    const started = performance.now();
    const messages = await feed(target, contender, DOCS, WARMUP_DOCS, t0);
    if (contender.completesAfterWrite) await done.reached(doneBefore + messages, 300000);
    else await waitForCount(client, collection, WARMUP_DOCS + DOCS, 300000, 20);
    const seconds = (performance.now() - started) / 1000;
    const arrived = (await countOf(client, collection)) - WARMUP_DOCS;
    const ok = arrived === DOCS && done.errors === 0;
    return {
      name, ok, docs: arrived, seconds: round(seconds), perSecond: arrived / seconds, timedBy: contender.completesAfterWrite ? 'done() calls' : 'server count',
      ...(ok ? {} : { error: `${arrived}/${DOCS} documents in the collection, ${done.errors} errors${done.firstError ? ` (${done.firstError})` : ''}` }),
    };
  } catch (err) {
    return { name, ok: false, error: String(err?.message ?? err).split('\n')[0] };
  } finally {
    await unloadFlow();
    await client.db(DATABASE).collection(collection).drop().catch(() => {});
  }
}

/**
 * The document our sink writes for a reading (lib/mongo/writer.ts: its own _id, ObjectId
 * references, Date timestamp, createdAt and updatedAt), built with the server's driver.
 */
function sinkDocument(bson, i, t) {
  const now = new Date();
  return { _id: new bson.ObjectId(), sensorId: new bson.ObjectId(sensorIds[i % READINGS_PER_CYCLE]), machineId: new bson.ObjectId(machineId), value: i * 0.5, timestamp: new Date(t), createdAt: now, updatedAt: now };
}

/**
 * The server's own ceiling, no Node-RED: the same driver inserting the same documents as our sink,
 * in batches of the sink's size, unordered, with the server's default write concern (as the sink's
 * connection has by default); `inFlight` insertMany calls at a time.
 */
export async function driverCeiling(client, bson, runId, inFlight = 1) {
  const coll = await withSignalIndexes(client.db(DATABASE).collection(`bench_${runId}`));
  const t0 = Date.now();
  const batch = (first) => Array.from({ length: SINK_BATCH }, (_, k) => sinkDocument(bson, first + k, t0 + first + k));
  await coll.insertMany(batch(0), { ordered: false });
  const started = performance.now();
  let next = 0;
  const insertNext = async () => {
    while (next < DOCS) {
      const first = next;
      next += SINK_BATCH;
      await coll.insertMany(batch(first), { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, insertNext));
  const seconds = (performance.now() - started) / 1000;
  await coll.drop().catch(() => {});
  const name = `driver insertMany ×${SINK_BATCH} of the sink's documents, ${inFlight === 1 ? 'one at a time' : `${inFlight} in flight`}, no Node-RED (the server's ceiling)`;
  return { name, ok: true, docs: DOCS, seconds: round(seconds), perSecond: DOCS / seconds, baseline: true };
}

/** Our sink at 1,000 readings/s through an outage of OUTAGE_S seconds: memory and every document. */
async function outage(serverName) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `bench-${serverName}-`));
  let server = await startServer(serverName, { dataDir });
  const { MongoClient } = requireFromRepo(server.driver);
  const collection = 'bench_outage';
  const settings = { s7productionMongoDriver: server.driver };
  const contender = CONTENDERS[`mongo-sink (ours), ${READINGS_PER_CYCLE} readings per message (per-cycle reader output)`];
  const flow = [...contender.flow(server, collection), ...meterNodes('target')];
  const sinkDef = flow.find((n) => n.id === 'target');
  Object.assign(sinkDef, { retryInitialMs: 500, retryMaxMs: 5000 });
  flow.find((n) => n.id === 'conn').serverSelectionTimeoutMS = 2000;
  const runtime = await loadFlow([...contender.modules(), nodeModule('complete'), nodeModule('catch')], flow, settings);
  const target = runtime.getNode('target');
  const done = completions(runtime);
  let messages = 0;
  let lastStatus = '';
  target.on('call:status', (call) => { lastStatus = call.args[0]?.text ?? lastStatus; });
  const memory = [];
  let sent = 0;
  let phase = 'before';
  const t0 = Date.now();
  const sampler = setInterval(() => {
    forgetCalls();
    const m = process.memoryUsage();
    memory.push({ s: round((Date.now() - t0) / 1000, 1), phase, heapMB: round(m.heapUsed / 2 ** 20), rssMB: round(m.rss / 2 ** 20), status: lastStatus });
  }, 1000);
  const ticker = setInterval(() => {
    target.receive(contender.message(sent, Date.now()));
    sent += READINGS_PER_CYCLE;
    messages++;
    forgetCalls();
  }, (1000 * READINGS_PER_CYCLE) / OUTAGE_RATE);
  // The helper's spies would keep every message the meter nodes passed on: forget them first.
  const heapNow = () => { forgetCalls(); gc(); return round(process.memoryUsage().heapUsed / 2 ** 20); };
  let client = new MongoClient(server.uri);
  try {
    await sleep(10000);
    const heapBefore = heapNow();
    const completedBeforeOutage = done.done;
    const presentBeforeOutage = await countOf(client, collection);
    await client.close();
    phase = 'outage';
    await server.stop();
    await sleep(OUTAGE_S * 1000);
    const heapEndOfOutage = heapNow();
    const statusAtEndOfOutage = lastStatus;
    phase = 'recovery';
    server = await startServer(serverName, { port: server.port, dataDir });
    await sleep(10000);
    clearInterval(ticker);
    // done() comes after a durable write: wait for every message's, then count exactly.
    await waitFor(() => done.done + done.errors >= messages, 180000);
    client = new MongoClient(server.uri);
    const present = await countOf(client, collection);
    phase = 'after';
    await sleep(2000);
    const heapAfter = heapNow();
    const outageMem = memory.filter((m) => m.phase === 'outage');
    return {
      ok: true, server: serverName, outageSeconds: OUTAGE_S, ratePerSecond: OUTAGE_RATE, sent, present, lost: sent - present,
      messages, completed: done.done, errors: done.errors, firstError: done.firstError, completedBeforeOutage, presentBeforeOutage: presentBeforeOutage,
      heapBeforeMB: heapBefore, heapEndOfOutageMB: heapEndOfOutage, heapAfterRecoveryMB: heapAfter,
      outageHeapMaxMB: Math.max(...outageMem.map((m) => m.heapMB)), outageRssMaxMB: Math.max(...outageMem.map((m) => m.rssMB)),
      statusAtEndOfOutage, statusAfter: lastStatus, memory,
    };
  } catch (err) {
    return { ok: false, server: serverName, error: String(err?.message ?? err).split('\n')[0], memory };
  } finally {
    clearInterval(ticker);
    clearInterval(sampler);
    await client?.close().catch(() => {});
    await unloadFlow();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(log) {
  const results = [];
  let runId = 0;
  // BENCH_MONGO_ONLY_OUTAGE=1 repeats only the outage and keeps the saved throughput figures.
  const previous = process.env.BENCH_MONGO_ONLY_OUTAGE === '1' ? JSON.parse(readFileSync(new URL('./results/mongo.json', import.meta.url), 'utf8')) : undefined;
  if (previous) results.push(...previous.result.results);
  for (const serverName of previous ? [] : SERVERS) {
    const server = await startServer(serverName);
    const bson = requireFromRepo(server.driver);
    const client = new bson.MongoClient(server.uri);
    const record = (r, round_) => {
      log(`${serverName}${round_ ? ` round ${round_}` : ''}: ${r.name}: ${r.ok ? `${round(r.perSecond, 0)} docs/s (${r.docs} in ${r.seconds} s)` : `FAILED ${r.error}`}`);
      results.push({ server: serverName, driver: server.driver, ...(round_ ? { round: round_ } : {}), ...r });
    };
    try {
      const perCycle = Object.keys(CONTENDERS).find((n) => n.includes('per-cycle'));
      for (let r = 1; r <= ROUNDS; r++) {
        record(await driverCeiling(client, bson, `${++runId}`, 1), r);
        record(await driverCeiling(client, bson, `${++runId}`, 2), r);
        record(await throughput(server, client, perCycle, CONTENDERS[perCycle], `${++runId}`), r);
      }
      for (const [name, contender] of Object.entries(CONTENDERS).filter(([n]) => n !== perCycle && !ONLY_THROUGHPUT)) {
        record(await throughput(server, client, name, contender, `${++runId}`));
      }
    } finally {
      await client.close();
      await server.stop();
    }
  }
  if (ONLY_THROUGHPUT) return { results, goals: goals(results), conditions: { ...conditions(), only: 'BENCH_MONGO_ONLY_THROUGHPUT=1: the rounds of ceiling and ours only' } };
  const latest = previous?.result.latest ?? await latestKeepsUp(SERVERS[0]);
  if (!previous) log(`latest on ${SERVERS[0]}: ${JSON.stringify({ ...latest, perSecond: undefined })}`);
  const outageServer = SERVERS[0];
  const out = await outage(outageServer);
  log(`outage on ${outageServer}: ${JSON.stringify({ ...out, memory: undefined })}`);
  const conds = conditions();
  if (previous) conds.throughputRun = `throughput and latest-mode figures from the run of ${previous.startedAt}; only the outage was repeated`;
  return { results, latest, outage: out, goals: goals(results, out, latest), conditions: conds };
}

/**
 * Our sink in "latest" mode (one document per sensor, upserted by sensorId) offered LATEST_RATE
 * readings/s for LATEST_S seconds: per-cycle messages of LATEST_SENSORS readings, one per sensor,
 * each message timestamped when it is sent; messages due are sent on a 10 ms tick so the offered
 * rate holds whatever the timer's jitter. Measured: readings accepted, the sink's queue (status),
 * each message's time from its timestamp to its done() (done comes after the write of its values
 * or of newer ones of the same sensors), upserts written per second, and the documents at the end.
 */
export async function latestKeepsUp(serverName) {
  const server = await startServer(serverName);
  const { MongoClient } = requireFromRepo(server.driver);
  const client = new MongoClient(server.uri);
  const collection = 'bench_latest';
  const settings = { s7productionMongoDriver: server.driver };
  const flow = [
    { id: 'conn', z: 'tab', type: 'mongo-connection', mode: 'uri', uri: server.uri, database: DATABASE },
    { id: 'target', z: 'tab', type: 'mongo-sink', connection: 'conn', signalMode: 'latest', latestCollection: collection, writeProduction: false, writeStatus: false, wires: [[], ['bench-out']] },
    ...meterNodes('target'),
  ];
  const runtime = await loadFlow([...ourModules(), nodeModule('complete'), nodeModule('catch')], flow, settings);
  const target = runtime.getNode('target');
  const done = completions(runtime);
  const periodMs = (1000 * LATEST_SENSORS) / LATEST_RATE;
  const total = Math.round((LATEST_S * 1000) / periodMs);
  const sentAt = new Float64Array(total);
  const latencyMs = [];
  let lastStatus = '';
  let maxQueued = 0;
  let upserts = 0;
  let batches = 0;
  let batchMs = 0;
  target.on('call:status', (call) => {
    lastStatus = call.args[0]?.text ?? lastStatus;
    maxQueued = Math.max(maxQueued, Number(/queued (\d+)/.exec(lastStatus)?.[1] ?? 0));
  });
  runtime.getNode('bench-done').on('input', (msg) => latencyMs.push(Date.now() - sentAt[msg.benchIndex]));
  runtime.getNode('bench-out').on('input', (msg) => {
    if (msg.payload?.kind === 'dropped') return;
    upserts += msg.payload.written;
    batches++;
    batchMs += msg.payload.durationMs;
  });
  const message = (i, t) => ({
    benchIndex: i,
    readings: Array.from({ length: LATEST_SENSORS }, (_, k) => ({ signal: { name: `s${k}`, address: `DB1.DBD${k * 4}`, dataType: 'REAL', kind: 'power', machineId, sensorId: sensorIds[k] }, value: i, quality: 'good', timestamp: t })),
    timestamp: t,
  });
  let sent = 0;
  let ticker;
  try {
    const started = performance.now();
    await new Promise((resolve) => {
      ticker = setInterval(() => {
        const due = Math.min(total, Math.floor((performance.now() - started) / periodMs) + 1);
        for (; sent < due; sent++) {
          sentAt[sent] = Date.now();
          target.receive(message(sent, sentAt[sent]));
        }
        forgetCalls();
        if (sent === total) resolve();
      }, 10);
    });
    clearInterval(ticker);
    const offerSeconds = (performance.now() - started) / 1000;
    const upsertsDuringOffer = upserts;
    const allDone = await waitFor(() => done.done + done.errors >= total, 60000);
    const docs = await client.db(DATABASE).collection(collection).find({}).toArray();
    const newest = total - 1;
    const sorted = latencyMs.slice().sort((a, b) => a - b);
    const third = Math.floor(latencyMs.length / 3);
    const p99Of = (values) => percentile(values.slice().sort((a, b) => a - b), 99);
    return {
      ok: true, server: serverName, sensors: LATEST_SENSORS, offeredPerSecond: LATEST_RATE, seconds: LATEST_S, offerSeconds: round(offerSeconds, 1),
      messages: total, readingsOffered: total * LATEST_SENSORS, messagesDone: done.done, errors: done.errors, firstError: done.firstError, allDone,
      dropped: Number(/dropped (\d+)/.exec(lastStatus)?.[1] ?? 0), maxQueued, statusAfter: lastStatus,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1), firstThirdP99: p99Of(latencyMs.slice(0, third)), lastThirdP99: p99Of(latencyMs.slice(-third)) },
      upsertsPerSecond: round(upsertsDuringOffer / offerSeconds, 1), batches, meanBatchMs: round(batchMs / Math.max(1, batches), 1),
      documents: docs.length, documentsNewest: docs.filter((d) => d.value === newest).length,
    };
  } catch (err) {
    return { ok: false, server: serverName, error: String(err?.message ?? err).split('\n')[0] };
  } finally {
    clearInterval(ticker);
    await unloadFlow();
    await client.close().catch(() => {});
    await server.stop();
  }
}

function conditions() {
  return {
    runtime: 'node-red-node-test-helper (the real Node-RED runtime) in the benchmark process; one flow at a time; each node with its defaults except the collection',
    documents: `${DOCS} timed, after ${WARMUP_DOCS} warm-up documents (connection set up); timed until countDocuments() on the server sees them all`,
    document: 'a signaldatas reading (sensorId, machineId, value, timestamp); the peers get it as msg.payload, ours as a reader message',
    indexes: 'every collection written has the application\'s signaldatas indexes (timestamp; sensorId+timestamp; machineId+timestamp), created before the writer starts: the application\'s collection has them, our sink creates them, and each costs the server work on every insert (the earlier runs\' ceiling and peers wrote into collections without them)',
    drivers: 'ours: mongodb 7.x for FerretDB, the 6.x alias for mongo-java-server; node-red-contrib-mongodb4: its own mongodb 6.x; node-red-node-mongodb: its own mongodb 3.x',
    ceiling: `the same driver inserting the documents our sink writes (own _id, ObjectId references, Date timestamp, createdAt, updatedAt) in unordered insertMany batches of ${SINK_BATCH} (the sink's default batchSize), the server's default write concern (the sink's connection sets none by default), one at a time and two in flight; built inside the timed loop as ours are`,
    rounds: `${ROUNDS} rounds (BENCH_MONGO_ROUNDS) of ceiling, ceiling with two in flight and ours with per-cycle messages, one after the other, so each comparison shares the machine's load of its moment; the other writers once`,
    latest: `our sink with signalMode "latest" (production and status off) into a fresh ${SERVERS[0]} for ${LATEST_S} s (BENCH_MONGO_LATEST_S): ${LATEST_RATE / LATEST_SENSORS} messages/s of ${LATEST_SENSORS} readings (one per sensor), each stamped when sent; latency = done() time minus that stamp`,
    outage: `${OUTAGE_S} s outage (BENCH_MONGO_OUTAGE_S; the issue's 10 minutes = 600) at ${OUTAGE_RATE} readings/s in messages of ${READINGS_PER_CYCLE}, the server stopped and restarted on its port with its data; 10 s before and after`,
  };
}

const median = (values) => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

/** Per round: ours with per-cycle messages against the better of that round's ceilings. */
function ceilingRounds(results, server) {
  const rounds = [...new Set(results.filter((r) => r.server === server && r.round).map((r) => r.round))];
  return rounds.map((round_) => {
    const inRound = results.filter((r) => r.server === server && r.round === round_ && r.ok);
    const ceiling = inRound.filter((r) => r.baseline).reduce((a, b) => (!a || b.perSecond > a.perSecond ? b : a), null);
    const ours = inRound.find((r) => !r.baseline);
    return { round: round_, ceiling, ours, ratio: ceiling && ours ? ours.perSecond / ceiling.perSecond : NaN };
  });
}

function goals(results, out, latest) {
  const bestOf = (server, pick) => results.filter((r) => r.server === server && r.ok && pick(r)).reduce((a, b) => (!a || b.perSecond > a.perSecond ? b : a), null);
  const goalRows = [];
  for (const server of SERVERS) {
    const oursBest = bestOf(server, (r) => !r.baseline && r.name.includes('ours'));
    const oursOne = results.find((r) => r.server === server && r.ok && r.name.includes('one reading per message'));
    const peer = bestOf(server, (r) => !r.baseline && !r.name.includes('ours'));
    const ceilingBest = bestOf(server, (r) => r.baseline);
    const rounds = ceilingRounds(results, server);
    const ratios = rounds.map((r) => r.ratio).filter(Number.isFinite);
    goalRows.push({
      goal: `${server}: at least 90 % of the server's own insertMany ceiling with per-cycle messages (${READINGS_PER_CYCLE} readings each)`,
      met: ratios.length > 0 ? median(ratios) >= 0.9 : null,
      detail: ratios.length
        ? `median of ${ratios.length} rounds ${round(100 * median(ratios), 1)} % (${rounds.map((r) => `round ${r.round}: ours ${round(r.ours?.perSecond, 0)}/s vs ceiling ${round(r.ceiling?.perSecond, 0)}/s = ${round(100 * r.ratio, 1)} %`).join('; ')}); ` +
          'the ceiling is the better of the driver inserting the same documents one insertMany at a time and two in flight, each round next to ours'
        : 'no rounds of ceiling and ours in these figures',
    });
    // Ours and the ceiling ran in several rounds, the peers once: the median of the rounds, not the luckiest one, is set against the peer.
    const oursMedian = ratios.length ? median(rounds.filter((r) => r.ours).map((r) => r.ours.perSecond)) : oursBest?.perSecond;
    const ceilingMedian = ratios.length ? median(rounds.filter((r) => r.ceiling).map((r) => r.ceiling.perSecond)) : ceilingBest?.perSecond;
    goalRows.push({
      goal: `${server}: at least 20× the better peer`,
      met: !peer && !results.some((r) => r.server === server && !r.baseline && !r.name.includes('ours')) ? null : Boolean(oursMedian && peer) && oursMedian >= 20 * peer.perSecond,
      detail: oursMedian && peer
        ? `ours with per-cycle messages ${round(oursMedian, 0)}/s (median of the rounds; best ${round(oursBest.perSecond, 0)}/s) vs best peer ${round(peer.perSecond, 0)}/s (${peer.name}): ${round(oursMedian / peer.perSecond, 1)}× (best round ${round(oursBest.perSecond / peer.perSecond, 1)}×)` +
          (oursOne ? `; one reading per message: ${round(oursOne.perSecond / peer.perSecond, 1)}×` : '') +
          (ceilingMedian ? `; the server's own ceiling ${round(ceilingMedian, 0)}/s (median; best ${round(ceilingBest.perSecond, 0)}/s) is ${round(ceilingMedian / peer.perSecond, 1)}× the best peer (best ${round(ceilingBest.perSecond / peer.perSecond, 1)}×)` +
            (ceilingBest.perSecond < 20 * peer.perSecond ? ', so 20× is out of reach for any writer on this server' : '') : '')
        : `not comparable: ${results.filter((r) => r.server === server && !r.ok).map((r) => `${r.name} failed (${r.error})`).join('; ') || 'no peer ran (BENCH_MONGO_ONLY_THROUGHPUT)'}`,
    });
    goalRows.push({
      goal: `${server}: at least 20,000 raw readings per second`,
      met: Boolean(oursBest) && oursBest.perSecond >= 20000,
      detail: (oursBest ? `${round(oursBest.perSecond, 0)} readings/s (${oursBest.name})` : 'ours failed') +
        `; the server's own best ceiling (driver insertMany, no Node-RED): ${round(ceilingBest?.perSecond ?? NaN, 0)} docs/s`,
    });
  }
  if (latest) goalRows.push(latestGoal(latest));
  if (out) goalRows.push(outageGoal(out));
  return goalRows;
}

/**
 * Keeps up: every reading accepted (none dropped), the queue never beyond one entry per sensor,
 * the latency not growing over the run (p99 of the last third at most 1.5× the first third's:
 * a sink falling behind shows a latency that grows with time), the newest value of every sensor stored.
 */
function latestGoal(l) {
  const goal = `"latest per sensor" keeps up with ${LATEST_RATE} readings/s on ${l.server ?? SERVERS[0]} (${LATEST_SENSORS} sensors × ${LATEST_RATE / LATEST_SENSORS} Hz, ${l.seconds ?? LATEST_S} s)`;
  if (!l.ok) return { goal, met: false, detail: `failed: ${l.error}` };
  const accepted = l.errors === 0 && l.dropped === 0 && l.messagesDone === l.messages;
  const met = accepted && l.maxQueued <= l.sensors && l.latencyMs.lastThirdP99 <= 1.5 * l.latencyMs.firstThirdP99 && l.documents === l.sensors && l.documentsNewest === l.sensors;
  const detail = `${l.readingsOffered} readings offered in ${l.offerSeconds} s, ${accepted ? 'all' : `NOT all (${l.messagesDone}/${l.messages} messages done, ${l.errors} errors, ${l.dropped} dropped)`} accepted; ` +
    `queue at most ${l.maxQueued} entries (bound: one per sensor, ${l.sensors}); message timestamp → done() p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms (${l.latencyMs.p99 < SOAK_P99_BOUND_MS ? 'under' : 'NOT under'} the soak's ${SOAK_P99_BOUND_MS} ms), max ${l.latencyMs.max} ms, p99 first third ${l.latencyMs.firstThirdP99} ms / last third ${l.latencyMs.lastThirdP99} ms (not growing: at most 1.5×); ` +
    `${l.upsertsPerSecond} upserts/s written in ${l.batches} batches (mean ${l.meanBatchMs} ms each); ${l.documents} documents, ${l.documentsNewest} with the newest value`;
  return { goal, met, detail };
}

/**
 * Bounded: once the queue is full (its entry or byte limit, or drops reported), the heap stops
 * growing; and after recovery every reading is in the database and the heap is back near its start.
 */
function outageGoal(out) {
  const goal = `memory bounded during an outage at ${OUTAGE_RATE} readings/s (ran ${out.outageSeconds ?? OUTAGE_S} s; the issue's 600 s with BENCH_MONGO_OUTAGE_S=600)`;
  if (!out.ok) return { goal, met: false, detail: `failed: ${out.error}` };
  const during = out.memory.filter((m) => m.phase === 'outage');
  const full = during.findIndex((m) => /dropped [1-9]/.test(m.status) || Number(/queued (\d+)/.exec(m.status)?.[1]) >= 100000);
  const plateau = full >= 0 ? during.slice(full) : [];
  const atFull = full >= 0 ? during[full].heapMB : NaN;
  const plateauMax = plateau.length ? Math.max(...plateau.map((m) => m.heapMB)) : NaN;
  // Drop-oldest is the policy once the queue is full: dropped readings are counted in the status;
  // every other reading must be in the database exactly once.
  const dropped = Number(/dropped (\d+)/.exec(out.statusAfter)?.[1] ?? 0);
  const recovered = out.present + dropped === out.sent && out.heapAfterRecoveryMB - out.heapBeforeMB < 20;
  const detail = `heap ${out.heapBeforeMB} MB before, max ${out.outageHeapMaxMB} MB during (RSS max ${out.outageRssMaxMB} MB), ${out.heapEndOfOutageMB} MB at the end of the outage (after GC), ${out.heapAfterRecoveryMB} MB after recovery; ` +
    (full >= 0 ? `queue full after ${during[full].s} s at ${atFull} MB, max ${plateauMax} MB after that; ` : 'the queue never reached its bound, so a plateau was not shown; ') +
    `${out.sent} readings sent, ${out.present} in the database, ${dropped} dropped by the overflow policy and reported (${out.sent - out.present - dropped} unaccounted for); ${out.completed}/${out.messages} messages done, ${out.errors} errors; ` +
    `status at the end of the outage "${out.statusAtEndOfOutage}", after "${out.statusAfter}"`;
  if (full < 0) return { goal, met: recovered ? null : false, detail };
  // Heap samples between collections swing by tens of MB: allow 50 % over the level at which the queue filled.
  const capped = during.every((m) => Number(/queued (\d+)/.exec(m.status)?.[1] ?? 0) <= 100000);
  return { goal, met: recovered && capped && plateauMax <= atFull * 1.5, detail };
}

/** Goals from saved figures (the report recomputes them with the current criteria). */
export function goalsOf(result) {
  return goals(result.results, result.outage, result.latest);
}

export function tables(result) {
  const o = result.outage;
  return [
    {
      title: 'Documents per second into the same server',
      columns: ['server', 'round', 'writer', 'docs/s', 'docs', 'seconds', 'timed by', 'vs best peer', 'vs the round\'s ceiling'],
      rows: result.results.map((r) => {
        const peer = result.results.filter((p) => p.server === r.server && p.ok && !p.baseline && !p.name.includes('ours')).reduce((a, b) => (!a || b.perSecond > a.perSecond ? b : a), null);
        const inRound = r.round ? ceilingRounds(result.results, r.server).find((c) => c.round === r.round) : undefined;
        const vsCeiling = r.ok && !r.baseline && inRound?.ceiling ? `${round((100 * r.perSecond) / inRound.ceiling.perSecond, 1)} %` : '-';
        return [r.server, r.round ?? '', r.name, r.ok ? round(r.perSecond, 0) : `failed: ${r.error}`, r.docs ?? '', r.seconds ?? '', r.timedBy ?? '', r.ok && peer ? `${round(r.perSecond / peer.perSecond, 1)}×` : '-', vsCeiling];
      }),
    },
    ...(result.latest?.ok
      ? [{
        title: `"Latest per sensor" at ${LATEST_RATE} readings/s on ${result.latest.server}`,
        columns: ['sensors', 'seconds', 'readings offered', 'messages done / sent', 'dropped', 'max queued', 'latency p50 / p99 / max ms', 'p99 first / last third ms', 'upserts/s', 'batches (mean ms)', 'documents (newest value)'],
        rows: [[result.latest.sensors, result.latest.offerSeconds, result.latest.readingsOffered, `${result.latest.messagesDone} / ${result.latest.messages}`, result.latest.dropped, result.latest.maxQueued,
          `${result.latest.latencyMs.p50} / ${result.latest.latencyMs.p99} / ${result.latest.latencyMs.max}`, `${result.latest.latencyMs.firstThirdP99} / ${result.latest.latencyMs.lastThirdP99}`,
          result.latest.upsertsPerSecond, `${result.latest.batches} (${result.latest.meanBatchMs})`, `${result.latest.documents} (${result.latest.documentsNewest})`]],
      }]
      : []),
    ...(o
      ? [{
        title: `Outage on ${o.server}: our sink's memory (every 10 s)`,
        columns: ['s', 'phase', 'heap MB', 'RSS MB', 'status'],
        rows: (o.memory ?? []).filter((_, i) => i % 10 === 0).map((m) => [m.s, m.phase, m.heapMB, m.rssMB, m.status]),
      }]
      : []),
  ];
}

export function notes(result) {
  const spread = SERVERS.map((server) => {
    const rounds = ceilingRounds(result.results, server);
    const range = (values) => `${round(Math.min(...values), 0)}-${round(Math.max(...values), 0)}/s`;
    return rounds.length ? `${server}: ceiling ${range(rounds.map((r) => r.ceiling.perSecond))}, ours ${range(rounds.filter((r) => r.ours).map((r) => r.ours.perSecond))}` : '';
  }).filter(Boolean);
  return [
    ...(spread.length ? [`Spread between the rounds (the machine was shared; compare within a round): ${spread.join('; ')}. Our sink above the ceiling in a round is that spread, not a gain over the driver: the sink makes the same insertMany calls.`] : []),
    'The 20,000 readings/s goal is bounded by the test servers here: the "driver insertMany" row is the server\'s own ceiling with the official driver and no Node-RED at all. No real mongod can be installed on this machine.',
    'node-red-node-mongodb registers its input handler only once connected (messages before that are dropped silently), and calls done() before its write completes; the benchmark waits for its green status and times it by the server\'s document count. node-red-contrib-mongodb4 and our sink call done() after the write and are timed by their completions. Every run ends with an exact countDocuments() check.',
    'Upserts ("latest" mode, one per sensor) cost a SQLite transaction each on FerretDB (about 4 ms here), so a batch of 100 sensors takes about 0.4 s; coalescing per sensor keeps a batch at one upsert per sensor however fast readings come.',
    'FerretDB 1.x on SQLite holds a pooled connection for every update of a command that matched a document until the command ends (pool of 100): one command of 100 such upserts never finished and blocked the server (the "next 200 did not finish within 3 min" of the earlier run). The writer now sends bulk updates 20 to a command (lib/mongo/writer.ts, UPDATES_PER_COMMAND).',
  ];
}
