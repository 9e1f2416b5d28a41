/**
 * The sink engine's queueing and completion rules and the connection supervisor's reconnects,
 * with the database boundary replaced by an in-memory stand-in (the real servers are exercised
 * in test/runtime/mongo).
 */
import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { MONGO_SINK_DEFAULTS, type MongoSinkConfig } from '../../../lib/mongo/sink-config';
import { SinkEngine, type BatchReport, type DropReport } from '../../../lib/mongo/sink-engine';
import type { BsonTypes, CollectionLike, DbLike, Doc } from '../../../lib/mongo/store';
import { ConnectionClosedError, ConnectionSupervisor, type SupervisedClient } from '../../../lib/mongo/supervisor';

const M = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const S = 'bbbbbbbbbbbbbbbbbbbbbbbb';

/** An in-memory database that can be "down" (every call fails like a lost connection). */
class MemoryDb implements DbLike {
  down = false;
  /** Calls left that fail with the server's "Unknown error". */
  unknownErrors = 0;
  readonly docs = new Map<string, Doc[]>();
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  private async op<T>(what: string, fn: () => T): Promise<T> {
    this.calls.push(what);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
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
      insertMany: (docs) => this.op(`insertMany ${name} ${docs.length}`, () => list().push(...docs)),
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
  reports: (BatchReport | DropReport)[];
  done: { err?: Error; dropped?: number }[];
  submit(msg: Record<string, unknown>): void;
}

function harness(over: Partial<MongoSinkConfig> = {}): Harness {
  const db = new MemoryDb();
  const h: Harness = {
    db,
    reports: [],
    done: [],
    engine: new SinkEngine({
      config: { ...MONGO_SINK_DEFAULTS, createIndexes: false, flushIntervalMs: 10, retryInitialMs: 10, retryMaxMs: 40, ...over },
      getDb: async () => db,
      bson: { ObjectId } as unknown as BsonTypes,
      onReport: (r) => h.reports.push(r),
      onStats: () => undefined,
      warn: () => undefined,
      redact: (t) => t,
    }),
    submit: (msg) => h.engine.submit(msg, (err, dropped) => h.done.push({ err, dropped })),
  };
  return h;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('mongo sink engine', () => {
  let h: Harness;
  afterEach(() => h.engine.close(100));

  it('writes in batches of the batch size, one batch in flight per collection, done after the write', async () => {
    h = harness({ batchSize: 100 });
    for (let i = 0; i < 250; i++) h.submit(reading(i));
    assert.equal(h.done.length, 0, 'nothing is done before it is written');
    await until(() => h.done.length === 250);
    assert.deepEqual(h.db.calls, ['insertMany signaldatas 100', 'insertMany signaldatas 100', 'insertMany signaldatas 50']);
    assert.equal(h.db.maxInFlight, 1);
    assert.ok(h.done.every((d) => !d.err && d.dropped === 0));
    assert.equal(h.engine.getStats().written, 250);
  });

  it('keeps one batch in flight per collection even when two kinds of write share it', async () => {
    h = harness({ batchSize: 5, generic: true, genericCollection: 'signaldatas' });
    for (let i = 0; i < 20; i++) {
      h.submit(reading(i));
      h.submit({ payload: { note: i } });
    }
    await until(() => h.done.length === 40);
    assert.equal(h.db.maxInFlight, 1);
    assert.equal(h.db.docs.get('signaldatas')!.length, 40);
  });

  it('retries while the database is down without reporting failures', async () => {
    h = harness();
    h.db.down = true;
    for (let i = 0; i < 5; i++) h.submit(reading(i));
    await until(() => h.db.calls.length >= 3);
    assert.equal(h.done.length, 0);
    assert.equal(h.engine.getStats().retrying, true);
    h.db.down = false;
    await until(() => h.done.length === 5);
    assert.ok(h.done.every((d) => !d.err));
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
    await until(() => h.done.length === 17);
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
    await until(() => h.done.length === 1);
    assert.equal(h.done[0].err, undefined);
    h.db.unknownErrors = 100;
    h.submit(reading(2));
    await until(() => h.done.length === 2);
    assert.match(String(h.done[1].err), /signaldatas: Unknown error: null \(5 attempts\)/);
    assert.equal(h.db.unknownErrors, 95);
  });

  it('completes with an error naming the document a permanent failure concerns', async () => {
    h = harness();
    h.submit({ topic: 'machine-status', payload: { machineId: M, status: 'running', timestamp: T0 + 1 } });
    await until(() => h.done.length === 1);
    assert.match(String(h.done[0].err), /machines: no machine with _id a{24}/);
  });
});

class FakeClient implements SupervisedClient<string> {
  closed = false;
  constructor(private readonly outcome: 'fail' | 'ok' | 'hang') {}
  connect(): Promise<unknown> {
    if (this.outcome === 'ok') return Promise.resolve(this);
    if (this.outcome === 'fail') return Promise.reject(new Error('connect ECONNREFUSED mongodb://u:pw@127.0.0.1:1'));
    return new Promise((_resolve, reject) => (this.rejectConnect = reject));
  }
  private rejectConnect: ((err: Error) => void) | undefined;
  db(name: string): string {
    return `db:${name}`;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.rejectConnect?.(new Error('topology closed'));
  }
  on(): unknown {
    return this;
  }
}

describe('mongo connection supervisor', () => {
  it('makes a new client after each failed first connect, with backoff, until one connects', async () => {
    const clients: FakeClient[] = [];
    const plan: ('fail' | 'ok')[] = ['fail', 'fail', 'ok'];
    const sup = new ConnectionSupervisor<string>({
      createClient: () => {
        const c = new FakeClient(plan[clients.length] ?? 'ok');
        clients.push(c);
        return c;
      },
      databaseName: 'industrial_iot',
      redact: (t) => t.replace(/\/\/[^@]*@/, '//***@'),
      initialBackoffMs: 5,
    });
    const states: string[] = [];
    sup.on('status', (s: { status: string; error?: string }) => states.push(s.error ? `${s.status}: ${s.error}` : s.status));
    sup.start();
    assert.equal(await sup.getDb(2000), 'db:industrial_iot');
    assert.equal(clients.length, 3);
    assert.deepEqual(clients.map((c) => c.closed), [true, true, false], 'failed clients are closed');
    assert.ok(states.some((s) => s.startsWith('disconnected: connect ECONNREFUSED mongodb://***@127.0.0.1:1 (retry in')));
    assert.ok(!states.join().includes('pw@'));
    await sup.close();
    assert.equal(clients[2].closed, true);
    await assert.rejects(sup.getDb(), ConnectionClosedError);
  });

  it('closes promptly while a connect is still pending, and makes no client after that', async () => {
    let made = 0;
    const sup = new ConnectionSupervisor<string>({ createClient: () => (made++, new FakeClient('hang')), databaseName: 'x', redact: (t) => t });
    sup.start();
    const waiting = sup.getDb(10_000);
    const started = Date.now();
    await sup.close();
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(waiting, ConnectionClosedError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(made, 1);
  });
});
