/**
 * A replica set's primary stepping down, as the sink sees it: the errors the driver raises during
 * an election, injected at the driver boundary (a real replica set cannot run here). Every one is
 * a retryable outage: nothing is lost, nothing written twice (docs/failover.md says why).
 */
import assert from 'node:assert/strict';
import { MongoNetworkError, MongoServerError, ObjectId } from 'mongodb';
import { isTransientError } from '../../../lib/mongo/errors';
import { MONGO_SINK_DEFAULTS, type MongoSinkConfig } from '../../../lib/mongo/sink-config';
import { SinkEngine } from '../../../lib/mongo/sink-engine';
import type { BsonTypes, CollectionLike, DbLike, Doc } from '../../../lib/mongo/store';
import { ManualClock } from '../../helpers/manual-clock';
import { waitFor } from '../../helpers/wait';

type Failure =
  | 'NotWritablePrimary' // refused before writing
  | 'PrimarySteppedDown'
  | 'InterruptedDueToReplStateChange-after-write' // the write happened, the reply is an error
  | 'network-after-write' // the write happened, the connection dropped before the reply
  | 'half-then-NotWritablePrimary'; // unordered bulk: half written, the rest refused per document

const CODES = { NotWritablePrimary: 10107, PrimarySteppedDown: 189, InterruptedDueToReplStateChange: 11602 };

const serverError = (codeName: keyof typeof CODES): MongoServerError =>
  new MongoServerError({ message: `${codeName}: not primary (replica set election)`, code: CODES[codeName], codeName });

function networkError(): MongoNetworkError {
  const err = new MongoNetworkError('connection 7 to 10.0.0.1:27017 closed');
  err.addErrorLabel('RetryableWriteError');
  return err;
}

/** One collection of a replica set whose primary fails as scripted, one failure per call. */
class ReplicaSetDb implements DbLike {
  readonly docs: Doc[] = [];
  readonly script: Failure[] = [];
  calls = 0;

  collection(): CollectionLike {
    const unsupported = (): never => {
      throw new Error('not used by these tests');
    };
    return {
      insertMany: (docs) => this.call(docs.length, (n) => this.insert(docs.slice(0, n))),
      bulkWrite: (ops) => this.call(ops.length, (n) => this.upsert(ops.slice(0, n) as never)),
      findOne: unsupported,
      find: unsupported,
      updateOne: unsupported,
      createIndex: async () => 'ok',
    };
  }

  private async call(count: number, apply: (n: number) => { index: number; code: number; errmsg: string }[]): Promise<unknown> {
    this.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.script.shift();
    if (failure === 'NotWritablePrimary' || failure === 'PrimarySteppedDown') throw serverError(failure);
    if (failure === 'half-then-NotWritablePrimary') {
      const half = Math.ceil(count / 2);
      const writeErrors = [...apply(half), ...Array.from({ length: count - half }, (_, i) => ({ index: half + i, code: 10107, errmsg: 'NotWritablePrimary' }))];
      throw Object.assign(new Error('bulk write failed'), { name: 'MongoBulkWriteError', writeErrors, result: { insertedCount: half - writeErrors.filter((w) => w.code === 11000).length } });
    }
    const writeErrors = apply(count);
    if (failure === 'InterruptedDueToReplStateChange-after-write') throw serverError('InterruptedDueToReplStateChange');
    if (failure === 'network-after-write') throw networkError();
    if (writeErrors.length) {
      throw Object.assign(new Error('E11000 duplicate key error'), { name: 'MongoBulkWriteError', code: 11000, writeErrors, result: { insertedCount: count - writeErrors.length } });
    }
    return {};
  }

  /** A unique _id, as on a real server: a replayed insert meets "duplicate key". */
  private insert(docs: Doc[]): { index: number; code: number; errmsg: string }[] {
    const errors = [];
    for (const [index, doc] of docs.entries()) {
      if (this.docs.some((d) => String(d._id) === String(doc._id))) errors.push({ index, code: 11000, errmsg: 'E11000 duplicate key' });
      else this.docs.push(doc);
    }
    return errors;
  }

  private upsert(ops: { updateOne: { filter: Doc; update: { $set: Doc } } }[]): never[] {
    for (const { updateOne } of ops) {
      const existing = this.docs.find((d) => String(d.sensorId) === String(updateOne.filter.sensorId));
      if (existing) Object.assign(existing, updateOne.update.$set);
      else this.docs.push({ sensorId: updateOne.filter.sensorId, ...updateOne.update.$set });
    }
    return [];
  }
}

const M = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const sensor = (i: number): string => (0x100000 + i).toString(16).padStart(24, 'b');

/** Source times count from here: the sink refuses times before 2000. */
const T0 = Date.parse('2026-03-10T08:00:00Z');

function reading(sensorId: string, ts: number, value = 1): Record<string, unknown> {
  return { signal: { name: 'p', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: M, sensorId }, payload: value, quality: 'good', timestamp: T0 + ts };
}

function sink(db: ReplicaSetDb, over: Partial<MongoSinkConfig> = {}): { engine: SinkEngine; clock: ManualClock; done: (Error | undefined)[] } {
  const clock = new ManualClock();
  const done: (Error | undefined)[] = [];
  const engine = new SinkEngine({
    config: { ...MONGO_SINK_DEFAULTS, createIndexes: false, flushIntervalMs: 10, retryInitialMs: 10, retryMaxMs: 40, batchSize: 10, ...over },
    getDb: async () => db,
    bson: { ObjectId } as unknown as BsonTypes,
    onReport: () => undefined,
    onStats: () => undefined,
    warn: () => undefined,
    redact: (t) => t,
    clock,
  });
  return { engine, clock, done };
}

async function writeAll(db: ReplicaSetDb, messages: Record<string, unknown>[], over: Partial<MongoSinkConfig> = {}): Promise<{ errors: (Error | undefined)[]; failed: number }> {
  const { engine, clock, done } = sink(db, over);
  for (const msg of messages) engine.submit(msg, (err) => done.push(err));
  await waitFor('every message done', async () => {
    if (done.length === messages.length) return true;
    await clock.advance(10);
    return done.length === messages.length;
  });
  const failed = engine.getStats().failed;
  await engine.close(0);
  return { errors: done.filter(Boolean), failed };
}

describe('mongo sink through a replica set failover', () => {
  it('classifies the errors of an election as retryable', () => {
    for (const name of ['NotWritablePrimary', 'PrimarySteppedDown', 'InterruptedDueToReplStateChange'] as const) assert.ok(isTransientError(serverError(name)), name);
    assert.ok(isTransientError(new MongoServerError({ message: 'not primary', code: 10058, codeName: 'LegacyNotPrimary' })), 'LegacyNotPrimary');
    assert.ok(isTransientError(networkError()), 'a network error labelled RetryableWriteError');
    assert.ok(isTransientError({ message: 'x', errorLabels: ['RetryableWriteError'] }), 'labels as plain reply data');
    assert.ok(isTransientError({ name: 'MongoBulkWriteError', writeErrors: [{ index: 0, code: 10107 }, { index: 1, code: 189 }] }), 'a bulk write refused per document by the old primary');
    assert.ok(!isTransientError({ name: 'MongoBulkWriteError', writeErrors: [{ index: 0, code: 10107 }, { index: 1, code: 121 }] }), 'a document that fails validation is not');
    assert.ok(!isTransientError(new MongoServerError({ message: 'Document failed validation', code: 121 })));
  });

  it('history: every election error is retried; the replay of what was written meets "duplicate key"; nothing lost or doubled', async () => {
    const db = new ReplicaSetDb();
    db.script.push('NotWritablePrimary', 'InterruptedDueToReplStateChange-after-write', 'PrimarySteppedDown', 'network-after-write', 'half-then-NotWritablePrimary');
    const messages = Array.from({ length: 60 }, (_, i) => reading(sensor(i % 6), 1_000 + i));
    const { errors, failed } = await writeAll(db, messages);
    assert.deepEqual(errors, []);
    assert.equal(failed, 0);
    assert.equal(db.script.length, 0, 'every failure happened');
    assert.equal(db.docs.length, 60, 'each reading exactly once');
    assert.equal(new Set(db.docs.map((d) => `${String(d.sensorId)}|${(d.timestamp as Date).getTime()}`)).size, 60);
  });

  it('latest values: a bulk upsert refused per document during the election is retried, not failed', async () => {
    const db = new ReplicaSetDb();
    db.script.push('half-then-NotWritablePrimary', 'network-after-write');
    const messages = Array.from({ length: 20 }, (_, i) => reading(sensor(i), 2_000 + i, i));
    const { errors, failed } = await writeAll(db, messages, { signalMode: 'latest' });
    assert.deepEqual(errors, []);
    assert.equal(failed, 0);
    assert.equal(db.docs.length, 20, 'one document per sensor');
    assert.deepEqual(db.docs.map((d) => d.value).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 20 }, (_, i) => i));
  });

  it('latest values: coalesced per sensor, only the newest of each sensor is written', async () => {
    const db = new ReplicaSetDb();
    const messages = [3, 1, 2].flatMap((v) => [reading(sensor(1), 3_000 + v, v), reading(sensor(2), 3_000 + v, 10 + v)]);
    const { errors } = await writeAll(db, messages, { signalMode: 'latest', batchSize: 100 });
    assert.deepEqual(errors, []);
    assert.equal(db.calls, 1, 'one batch');
    assert.deepEqual(db.docs.map((d) => [String(d.sensorId), d.value]).sort(), [[sensor(1), 3], [sensor(2), 13]].sort());
  });
});
