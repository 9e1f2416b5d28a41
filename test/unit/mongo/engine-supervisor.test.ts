/**
 * The sink engine's queueing and completion rules and the connection supervisor's reconnects,
 * with the database boundary replaced by an in-memory stand-in (the real servers are exercised
 * in test/runtime/mongo), on a ManualClock: flush intervals and retry pauses are simulated time.
 */
import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { ConnectionSettingsError } from '../../../lib/mongo/client-settings';
import { MONGO_SINK_DEFAULTS, type MongoSinkConfig } from '../../../lib/mongo/sink-config';
import { AttemptTimeoutError, INSERT_BATCHES_IN_FLIGHT, MIN_ATTEMPT_LIMIT_MS, SinkEngine, attemptLimitMs, type BatchReport, type DropReport } from '../../../lib/mongo/sink-engine';
import type { BsonTypes, CollectionLike, DbLike, Doc } from '../../../lib/mongo/store';
import { CLOSE_GRACE_MS, ConnectionClosedError, ConnectionRefusedError, ConnectionSupervisor, type SupervisedClient } from '../../../lib/mongo/supervisor';
import { ManualClock } from '../../helpers/manual-clock';
import { waitFor } from '../../helpers/wait';

const M = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const S = 'bbbbbbbbbbbbbbbbbbbbbbbb';

/** Moves the clock `stepMs` at a time (timers fire at their exact times) until `check` holds. */
function drive(clock: ManualClock, what: string, check: () => boolean, stepMs = 10): Promise<true> {
  return waitFor(what, async () => {
    if (check()) return true;
    await clock.advance(stepMs);
    return check();
  });
}

/** An in-memory database that can be "down" (every call fails like a lost connection). */
class MemoryDb implements DbLike {
  down = false;
  /** Calls left that fail with the server's "Unknown error". */
  unknownErrors = 0;
  /** Calls left that never settle (a write sent on a socket the server has just closed). */
  unanswered = 0;
  readonly docs = new Map<string, Doc[]>();
  readonly calls: string[] = [];
  /** The clock's time of each call. */
  readonly callTimes: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** What each call in flight writes (readings or other documents), and calls that overlapped a call writing something else. */
  private readonly writing: string[] = [];
  mixed = 0;

  constructor(private readonly clock: ManualClock) {}

  private async op<T>(what: string, fn: () => T, writes = what): Promise<T> {
    this.calls.push(what);
    this.callTimes.push(this.clock.now());
    if (this.unanswered > 0) {
      this.unanswered--;
      return new Promise<T>(() => undefined);
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.writing.some((w) => w !== writes)) this.mixed++;
    this.writing.push(writes);
    await new Promise((resolve) => setImmediate(resolve)); // an answer comes later, not at once
    this.writing.splice(this.writing.indexOf(writes), 1);
    this.inFlight--;
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoNetworkError' });
    if (this.unknownErrors > 0) {
      this.unknownErrors--;
      throw Object.assign(new Error('Unknown error: null'), { name: 'MongoServerError', code: 8 });
    }
    return fn();
  }
  collection(name: string): CollectionLike {
    const list = (): Doc[] => this.docs.get(name) ?? this.docs.set(name, []).get(name)!;
    return {
      insertMany: (docs) => this.op(`insertMany ${name} ${docs.length}`, () => list().push(...docs), docs.every((d) => 'sensorId' in d) ? 'readings' : 'documents'),
      bulkWrite: (ops) =>
        this.op(`bulkWrite ${name} ${ops.length}`, () => {
          for (const op of ops as { updateOne: { filter: Doc; update: { $set: Doc } } }[]) {
            const doc = list().find((d) => String(d._id) === String(op.updateOne.filter._id));
            if (doc) Object.assign(doc, op.updateOne.update.$set);
          }
        }),
      find: (filter) => ({ toArray: () => this.op(`find ${name}`, () => list().filter((d) => (filter._id as { $in: unknown[] }).$in.some((id) => String(id) === String(d._id)))) }),
      findOne: () => this.op('findOne', () => null),
      updateOne: () => this.op('updateOne', () => ({ matchedCount: 0, modifiedCount: 0, upsertedCount: 0 })),
      createIndex: () => this.op('createIndex', () => 'ok'),
    };
  }
}

/** Source times inside the sink's timestamp window (2000-01-01 to now + 24 h). */
const T0 = Date.parse('2026-03-10T08:00:00Z');

function reading(i: number): Record<string, unknown> {
  return { signal: { name: 'p', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: M, sensorId: S }, payload: 1, quality: 'good', timestamp: T0 + i };
}

interface Harness {
  engine: SinkEngine;
  db: MemoryDb;
  clock: ManualClock;
  reports: (BatchReport | DropReport)[];
  done: { err?: Error; dropped?: number }[];
  submit(msg: Record<string, unknown>): void;
  drive(what: string, check: () => boolean): Promise<true>;
}

function harness(over: Partial<MongoSinkConfig> = {}, getDb?: () => Promise<DbLike>, onAbandoned?: (err: AttemptTimeoutError) => void): Harness {
  const clock = new ManualClock();
  const db = new MemoryDb(clock);
  const h: Harness = {
    db,
    clock,
    reports: [],
    done: [],
    engine: new SinkEngine({
      config: { ...MONGO_SINK_DEFAULTS, createIndexes: false, flushIntervalMs: 10, retryInitialMs: 10, retryMaxMs: 40, ...over },
      getDb: getDb ?? (async () => db),
      bson: { ObjectId } as unknown as BsonTypes,
      onReport: (r) => h.reports.push(r),
      onStats: () => undefined,
      warn: () => undefined,
      onAbandoned,
      redact: (t) => t,
      clock,
    }),
    submit: (msg) => h.engine.submit(msg, (err, dropped) => h.done.push({ err, dropped })),
    drive: (what, check) => drive(clock, what, check),
  };
  return h;
}

describe('mongo sink engine', () => {
  let h: Harness;
  afterEach(() => h.engine.close(100));

  it('writes in batches of the batch size, two full insert batches in flight, done after the write', async () => {
    h = harness({ batchSize: 100 });
    for (let i = 0; i < 250; i++) h.submit(reading(i));
    assert.equal(h.done.length, 0, 'nothing is done before it is written');
    await waitFor('two full batches', () => h.done.length === 200);
    assert.equal(INSERT_BATCHES_IN_FLIGHT, 2);
    assert.equal(h.db.maxInFlight, 2, 'sent together');
    await h.drive('250 written', () => h.done.length === 250);
    assert.deepEqual(h.db.calls, ['insertMany signaldatas 100', 'insertMany signaldatas 100', 'insertMany signaldatas 50']);
    assert.equal(h.db.maxInFlight, 2, 'the rest, not a full batch, waits until nothing of its lane is in flight');
    assert.ok(h.done.every((d) => !d.err && d.dropped === 0));
    assert.equal(h.engine.getStats().written, 250);
  });

  it('writes latest values a command of 20 per batch, each started once the previous is done; a smaller rest waits for the flush tick', async () => {
    h = harness({ signalMode: 'latest', batchSize: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      const sensorId = (0xc0 + i).toString(16).padStart(24, '0');
      h.submit({ ...reading(i), signal: { ...(reading(i).signal as object), sensorId } });
    }
    await waitFor('two commands', () => h.db.calls.length === 2 && h.done.length === 40);
    assert.deepEqual(h.db.calls, ['bulkWrite signaldatas 20', 'bulkWrite signaldatas 20'], 'no flush tick yet: the clock has not moved');
    assert.equal(h.db.maxInFlight, 1, 'one command at a time');
    await h.clock.advance(60_000);
    await h.drive('the rest written at the tick', () => h.done.length === 50);
    assert.deepEqual(h.db.calls, ['bulkWrite signaldatas 20', 'bulkWrite signaldatas 20', 'bulkWrite signaldatas 10']);
    assert.ok(h.done.every((d) => !d.err));
  });

  it('lets one lane at a time write a collection that two kinds of write share', async () => {
    h = harness({ batchSize: 5, generic: true, genericCollection: 'signaldatas' });
    for (let i = 0; i < 20; i++) {
      h.submit(reading(i));
      h.submit({ payload: { note: i } });
    }
    await h.drive('40 written', () => h.done.length === 40);
    assert.equal(h.db.maxInFlight, 2, 'a lane sends two batches at once once the other has nothing waiting');
    assert.equal(h.db.mixed, 0, 'readings and other documents never in flight together');
    assert.equal(h.db.docs.get('signaldatas')!.length, 40);
  });

  it('sends one batch at a time after a failure: the batch in flight with the failed one adds no pause of its own', async () => {
    h = harness({ batchSize: 5, flushIntervalMs: 3_600_000 });
    h.db.down = true;
    for (let i = 0; i < 10; i++) h.submit(reading(i));
    await waitFor('two full batches sent and failed', () => h.engine.getStats().retrying && h.db.calls.length === 2 && h.db.inFlight === 0);
    await h.drive('6 attempts', () => h.db.calls.length >= 6);
    const t0 = h.db.callTimes[0];
    // retryInitialMs 10, doubling up to retryMaxMs 40, one attempt per pause.
    assert.deepEqual(h.db.callTimes.slice(0, 6).map((t) => t - t0), [0, 0, 10, 30, 70, 110]);
    h.db.down = false;
    await h.drive('10 written', () => h.done.length === 10);
    assert.ok(h.done.every((d) => !d.err));
    assert.deepEqual(h.db.docs.get('signaldatas')!.map((d) => (d.timestamp as Date).getTime() - T0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'each reading once, in order');
    assert.equal(h.engine.getStats().retrying, false);
  });

  it('keeps a failed batch\'s pause when the batch sent with it succeeds', async () => {
    h = harness({ batchSize: 5, flushIntervalMs: 3_600_000, retryInitialMs: 1000, retryMaxMs: 1000 });
    h.db.unknownErrors = 1; // the first batch's answer
    for (let i = 0; i < 10; i++) h.submit(reading(i));
    await waitFor('both batches answered', () => h.done.length === 5 && h.db.calls.length === 2);
    assert.equal(h.engine.getStats().retrying, true, 'the second batch succeeded, the first still waits for its pause');
    await h.clock.advance(999);
    assert.equal(h.db.calls.length, 2, 'no retry before the pause is over');
    await h.clock.advance(1);
    await waitFor('the retry', () => h.done.length === 10);
    assert.deepEqual(h.db.callTimes.map((t) => t - h.db.callTimes[0]), [0, 0, 1000]);
    assert.equal(h.db.docs.get('signaldatas')!.length, 10);
    assert.equal(h.engine.getStats().retrying, false);
  });

  it('retries while the database is down, with growing pauses up to the limit, without reporting failures', async () => {
    h = harness();
    h.db.down = true;
    for (let i = 0; i < 5; i++) h.submit(reading(i));
    await h.drive('5 attempts', () => h.db.calls.length >= 5);
    assert.equal(h.done.length, 0);
    assert.equal(h.engine.getStats().retrying, true);
    const pauses = h.db.callTimes.slice(1).map((t, i) => t - h.db.callTimes[i]);
    // retryInitialMs 10, doubling up to retryMaxMs 40; a retry starts when its pause is over.
    assert.deepEqual(pauses.slice(0, 4), [10, 20, 40, 40]);
    h.db.down = false;
    await h.drive('5 written', () => h.done.length === 5);
    assert.ok(h.done.every((d) => !d.err));
    assert.equal(h.db.docs.get('signaldatas')!.length, 5);
    assert.equal(h.engine.getStats().retrying, false);
  });

  it('retries a failed batch when its backoff says, not at the next flush tick (a flush interval of an hour)', async () => {
    h = harness({ batchSize: 5, flushIntervalMs: 3_600_000, retryInitialMs: 1000, retryMaxMs: 8000 });
    h.db.down = true;
    for (let i = 0; i < 5; i++) h.submit(reading(i)); // a full batch goes at once
    await waitFor('the first attempt', () => h.db.calls.length === 1);
    const t0 = h.db.callTimes[0];
    await h.clock.advance(999);
    assert.equal(h.db.calls.length, 1, 'no retry before the first pause is over');
    await h.clock.advance(1);
    await waitFor('the retry after the first pause', () => h.db.calls.length === 2);
    h.db.down = false;
    await h.clock.advance(1999);
    assert.equal(h.db.calls.length, 2, 'no retry before the second (doubled) pause is over');
    await h.clock.advance(1);
    await waitFor('5 written after the second pause', () => h.done.length === 5);
    assert.deepEqual(h.db.callTimes.map((t) => t - t0), [0, 1000, 3000], 'one attempt per pause, on the backoff');
    assert.ok(h.done.every((d) => !d.err));
    assert.equal(h.db.docs.get('signaldatas')!.length, 5);
    assert.equal(h.engine.getStats().retrying, false);
  });

  it('starts a retry once when a flush tick comes at the same moment as its timer', async () => {
    h = harness({ batchSize: 5, flushIntervalMs: 500, retryInitialMs: 1000, retryMaxMs: 1000 });
    h.db.down = true;
    for (let i = 0; i < 5; i++) h.submit(reading(i));
    await waitFor('the first attempt', () => h.db.calls.length === 1);
    const t0 = h.db.callTimes[0];
    for (let step = 0; step < 8; step++) await h.clock.advance(500);
    await waitFor('the retries', () => h.db.calls.length >= 5);
    assert.deepEqual(h.db.callTimes.map((t) => t - t0), [0, 1000, 2000, 3000, 4000], 'one attempt per pause, none at the ticks in between');
    h.db.down = false;
    await h.clock.advance(1000);
    await waitFor('5 written at the next retry', () => h.done.length === 5);
    assert.equal(h.db.calls.length, 6);
    assert.equal(h.db.docs.get('signaldatas')!.length, 5);
  });

  it('drops the oldest readings when full, counts and reports them, and never drops a status', async () => {
    h = harness({ maxEntries: 10, batchSize: 10 });
    h.db.down = true;
    const machine = new ObjectId(M);
    h.db.docs.set('machines', [{ _id: machine, status: 'inactive' }]);
    for (let i = 0; i < 15; i++) h.submit(reading(i));
    for (const status of ['stoppage', 'running']) h.submit({ topic: 'machine-status', payload: { machineId: M, status, timestamp: T0 + 1 } });
    assert.equal(h.done.filter((d) => d.dropped === 1).length, 6, '5 for the readings over the limit, 1 more for the status');
    h.db.down = false;
    await h.drive('17 done', () => h.done.length === 17);
    const drop = h.reports.find((r): r is DropReport => r.kind === 'dropped');
    assert.equal(drop?.count, 6);
    assert.equal(h.engine.getStats().dropped, 6);
    assert.equal(h.db.docs.get('signaldatas')!.length, 9);
    assert.equal(h.db.docs.get('machines')![0].status, 'running', 'the newest status wins');
    assert.equal(h.db.calls.filter((c) => c.startsWith('bulkWrite machines')).length, 1, 'two statuses coalesced into one write');
  });

  it('retries an uncertain server error a few times, then fails the batch', async () => {
    h = harness();
    h.db.unknownErrors = 2;
    h.submit(reading(1));
    await h.drive('the first message', () => h.done.length === 1);
    assert.equal(h.done[0].err, undefined);
    h.db.unknownErrors = 100;
    h.submit(reading(2));
    await h.drive('the second message', () => h.done.length === 2);
    assert.match(String(h.done[1].err), /signaldatas: Unknown error: null \(5 attempts\)/);
    assert.equal(h.db.unknownErrors, 95);
  });

  it('completes with an error naming the document a permanent failure concerns', async () => {
    h = harness();
    h.submit({ topic: 'machine-status', payload: { machineId: M, status: 'running', timestamp: T0 + 1 } });
    await h.drive('the message', () => h.done.length === 1);
    assert.match(String(h.done[0].err), /machines: no machine with _id a{24}/);
  });

  it('shows as queued only what is really waiting: not what arrived since the last flush, nor the batch in flight', async () => {
    h = harness();
    for (let i = 0; i < 3; i++) h.submit(reading(i));
    assert.equal(h.engine.getStats().queued, 0, 'steady state: the next flush takes them');
    await h.drive('3 written', () => h.done.length === 3);
    assert.equal(h.engine.getStats().queued, 0);
    h.db.down = true;
    for (let i = 3; i < 7; i++) h.submit(reading(i));
    await h.drive('a failed attempt', () => h.engine.getStats().retrying);
    assert.equal(h.engine.getStats().queued, 4, 'a backlog while the database is away');
  });

  it('writes on close what arrived since the last flush, and leaves nothing behind', async () => {
    h = harness();
    for (let i = 0; i < 3; i++) h.submit(reading(i));
    assert.equal(await h.engine.close(), 0);
    assert.equal(h.db.docs.get('signaldatas')!.length, 3);
    assert.equal(h.done.length, 3);
  });

  it('returns on close how many entries the database did not take', async () => {
    h = harness();
    h.db.down = true;
    for (let i = 0; i < 3; i++) h.submit(reading(i));
    assert.equal(await h.engine.close(), 3);
    assert.equal(h.done.length, 0, 'not reported as written, nor failed');
  });

  it('abandons an attempt that never gets an answer after the attempt limit and writes the batch on the next one', async () => {
    const abandoned: AttemptTimeoutError[] = [];
    h = harness({ retryMaxMs: 40 }, undefined, (err) => abandoned.push(err));
    h.db.unanswered = 1;
    for (let i = 0; i < 3; i++) h.submit(reading(i));
    await h.drive('the first attempt', () => h.db.calls.length === 1);
    const sent = h.db.callTimes[0];
    await drive(h.clock, 'the batch written after the unanswered attempt', () => h.done.length === 3, 100);
    assert.deepEqual(h.done.map((d) => d.err), [undefined, undefined, undefined], 'written, not failed');
    assert.equal(h.db.docs.get('signaldatas')!.length, 3, 'each reading once');
    assert.equal(abandoned.length, 1, 'the abandonment is reported (the node replaces the client)');
    assert.equal(abandoned[0].limitMs, MIN_ATTEMPT_LIMIT_MS, 'a retry cap of 40 ms still allows 10 s per attempt');
    // The next attempt starts once the limit is over, after at most one retry pause and flush interval.
    const retried = h.db.callTimes[1] - sent;
    assert.ok(retried >= MIN_ATTEMPT_LIMIT_MS && retried <= MIN_ATTEMPT_LIMIT_MS + 10 + 10, `retried ${retried} ms after the unanswered attempt was sent`);
    assert.equal(h.engine.getStats().retrying, false);
  });

  it('bounds an attempt by the retry cap, never below the minimum', () => {
    assert.equal(attemptLimitMs({ retryMaxMs: 30_000 }), 30_000);
    assert.equal(attemptLimitMs({ retryMaxMs: 1000 }), MIN_ATTEMPT_LIMIT_MS);
  });

  it('fails messages at once, naming why, when the connection refuses its settings', async () => {
    h = harness({}, () => Promise.reject(new ConnectionRefusedError('MongoDB connection refused: the connection string in the flow holds a password')));
    h.submit(reading(1));
    await h.drive('the message', () => h.done.length === 1);
    assert.match(String(h.done[0].err), /connection refused: the connection string in the flow holds a password/);
    assert.equal(h.engine.getStats().retrying, false, 'no retry can help');
    assert.equal(h.engine.getStats().failed, 1);
  });
});

/**
 * A client whose connect succeeds, fails or hangs as planned. `closeHangs`: its close() never
 * settles (test/runtime/mongo/close.test.ts makes a real driver's close hang against real servers).
 */
class FakeClient implements SupervisedClient<string> {
  closed = false;
  closeHangs = false;
  constructor(private readonly outcome: 'fail' | 'ok' | 'hang' | 'old-server') {}
  connect(): Promise<unknown> {
    if (this.outcome === 'ok') return Promise.resolve(this);
    if (this.outcome === 'fail') return Promise.reject(new Error('connect ECONNREFUSED mongodb://u:pw@127.0.0.1:1'));
    if (this.outcome === 'old-server') {
      return Promise.reject(new Error('Server at 127.0.0.1:1 reports maximum wire version 8, but this version of the Node.js Driver requires at least 9 (MongoDB 4.4)'));
    }
    return new Promise((_resolve, reject) => (this.rejectConnect = reject));
  }
  private rejectConnect: ((err: Error) => void) | undefined;
  db(name: string): string {
    return `db:${name}`;
  }
  async close(): Promise<void> {
    this.closed = true;
    if (this.closeHangs) return new Promise<void>(() => undefined);
    this.rejectConnect?.(new Error('topology closed'));
  }
  on(): unknown {
    return this;
  }
}

interface Made {
  client: FakeClient;
  at: number;
}

function supervisor(clock: ManualClock, plan: ('fail' | 'ok' | 'hang' | 'old-server')[], made: Made[], over: { createClient?: () => FakeClient } = {}): ConnectionSupervisor<string> {
  return new ConnectionSupervisor<string>({
    createClient:
      over.createClient ??
      (() => {
        const client = new FakeClient(plan[made.length] ?? 'ok');
        made.push({ client, at: clock.now() });
        return client;
      }),
    databaseName: 'industrial_iot',
    redact: (t) => t.replace(/\/\/[^@]*@/, '//***@'),
    initialBackoffMs: 500,
    maxBackoffMs: 1000,
    clock,
    random: () => 0, // no jitter: exact pauses
  });
}

describe('mongo connection supervisor', () => {
  it('makes a new client after each failed first connect, after growing pauses, until one connects', async () => {
    const clock = new ManualClock();
    const made: Made[] = [];
    const sup = supervisor(clock, ['fail', 'fail', 'fail', 'ok'], made);
    const states: string[] = [];
    sup.on('status', (s: { status: string; error?: string }) => states.push(s.error ? `${s.status}: ${s.error}` : s.status));
    sup.start();
    let db: string | undefined;
    void sup.getDb(60_000).then((d) => (db = d));
    await drive(clock, 'the database', () => db !== undefined, 100);
    assert.equal(db, 'db:industrial_iot');
    const t0 = made[0].at;
    assert.deepEqual(made.map((m) => m.at - t0), [0, 500, 1500, 2500], '0.5 s, then 1 s (the limit)');
    assert.deepEqual(made.map((m) => m.client.closed), [true, true, true, false], 'failed clients are closed');
    assert.ok(states.includes('disconnected: connect ECONNREFUSED mongodb://***@127.0.0.1:1 (retry in 0.5 s)'), states.join('\n'));
    assert.ok(!states.join().includes('pw@'));
    assert.equal(await sup.close(), 'closed');
    assert.equal(made[3].client.closed, true);
    await assert.rejects(sup.getDb(), ConnectionClosedError);
  });

  it('gives up on a client whose close never ends after the close grace, and is closed', async () => {
    const clock = new ManualClock();
    const made: Made[] = [];
    const sup = supervisor(clock, ['ok'], made);
    sup.start();
    await drive(clock, 'connected', () => sup.state.status === 'connected', 100);
    made[0].client.closeHangs = true;
    let outcome: string | undefined;
    void sup.close().then((o) => (outcome = o));
    await clock.advance(CLOSE_GRACE_MS - 1);
    assert.equal(outcome, undefined, 'waits for the client during the grace');
    assert.equal(made[0].client.closed, true, 'the client was asked to close');
    await clock.advance(1);
    assert.equal(outcome, 'abandoned');
    assert.equal(sup.state.status, 'closed');
    await assert.rejects(sup.getDb(), ConnectionClosedError);
    assert.equal(sup.listenerCount('status'), 0);
    assert.ok(CLOSE_GRACE_MS <= 5_000, 'with the 10 s wait for users, inside Node-RED\'s 15 s close timeout');
  });

  it('gives up after the grace on a client still connecting whose close never ends', async () => {
    const clock = new ManualClock();
    const made: Made[] = [];
    const sup = supervisor(clock, ['hang'], made);
    sup.start();
    made[0].client.closeHangs = true;
    const waiting = sup.getDb(60_000).then(() => undefined, (err: unknown) => err);
    let outcome: string | undefined;
    void sup.close().then((o) => (outcome = o));
    await clock.advance(CLOSE_GRACE_MS);
    assert.equal(outcome, 'abandoned');
    assert.ok((await waiting) instanceof ConnectionClosedError, 'a waiting user learns the connection closed');
    await clock.advance(120_000);
    assert.equal(made.length, 1, 'no client made after the close');
  });

  it('closes while a connect is still pending, and makes no client after that', async () => {
    const clock = new ManualClock();
    const made: Made[] = [];
    const sup = supervisor(clock, ['hang'], made);
    sup.start();
    const waiting = sup.getDb(10_000);
    await sup.close();
    await assert.rejects(waiting, ConnectionClosedError);
    await clock.advance(120_000);
    assert.equal(made.length, 1);
  });

  it('refuses settings that no retry can fix: getDb fails at once, naming the problem, and no client is made again', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const sup = supervisor(clock, [], [], {
      createClient: () => {
        attempts++;
        throw new ConnectionSettingsError('password-in-uri', 'the connection string in the flow holds a password');
      },
    });
    sup.start();
    assert.equal(sup.state.problem, 'password-in-uri');
    await assert.rejects(sup.getDb(60_000), (err: Error) => err instanceof ConnectionRefusedError && /holds a password/.test(err.message));
    await clock.advance(120_000);
    await assert.rejects(sup.getDb(0), ConnectionRefusedError);
    assert.equal(attempts, 1);
    await sup.close();
  });

  it('replaces a connected client on request: the old one is closed, getDb answers with the new one', async () => {
    const clock = new ManualClock();
    const made: Made[] = [];
    const sup = supervisor(clock, ['ok', 'fail', 'ok'], made);
    const states: string[] = [];
    sup.on('status', (s: { status: string; error?: string }) => states.push(s.error ? `${s.status}: ${s.error}` : s.status));
    sup.start();
    await drive(clock, 'connected', () => sup.state.status === 'connected', 100);
    sup.replaceClient('no answer within 30 s');
    sup.replaceClient('a second user asks too'); // one replacement at a time
    assert.equal(made[0].client.closed, true, 'the old client is closed');
    assert.ok(states.includes('connecting: no answer within 30 s'), states.join('\n'));
    await assert.rejects(sup.getDb(0), /not reachable/, 'no database while the new client connects');
    await drive(clock, 'connected again', () => sup.state.status === 'connected', 100);
    assert.equal(made.length, 3, 'one new client, made again after its failed connect');
    assert.equal(await sup.getDb(0), 'db:industrial_iot');
    await sup.close();
    assert.equal(made[2].client.closed, true);
  });

  it('names a server older than the driver, and keeps trying (it may be upgraded)', async () => {
    const clock = new ManualClock();
    const made: Made[] = [];
    const sup = supervisor(clock, ['old-server', 'old-server', 'ok'], made);
    const problems: (string | undefined)[] = [];
    sup.on('status', (s: { problem?: string }) => problems.push(s.problem));
    sup.start();
    await drive(clock, 'connected', () => sup.state.status === 'connected', 100);
    assert.ok(problems.includes('old-server'));
    assert.equal(sup.state.problem, undefined, 'cleared once connected');
    assert.equal(made.length, 3);
    await sup.close();
  });
});
