import assert from 'node:assert/strict';
import { intakeMessage, type SignalItem } from '../../../lib/mongo/intake';
import { MONGO_SINK_DEFAULTS, normalizeSinkConfig, sinkConfigProblems, type MongoSinkConfig } from '../../../lib/mongo/sink-config';
import { ValidationError, assertSafeValue, requireObjectIdHex } from '../../../lib/shared/validate';

const M = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const S = 'bbbbbbbbbbbbbbbbbbbbbbbb';
let n = 0;
const newId = (): string => (++n).toString(16).padStart(24, '0');
const config = (over: Partial<MongoSinkConfig> = {}): MongoSinkConfig => ({ ...MONGO_SINK_DEFAULTS, ...over });
const T0 = Date.parse('2026-03-10T08:00:00Z');
const NOW = T0 + 3_600_000;
const signal = { name: 'cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle' as const, machineId: M, sensorId: S };

describe('validate (mongo sink checks)', () => {
  it('rejects operator keys, dotted keys, NaN and Infinity, naming the field', () => {
    assert.throws(() => assertSafeValue({ a: { $where: '1' } }, 'payload'), /^ValidationError: payload\.a\.\$where: keys must not start with "\$"/);
    assert.throws(() => assertSafeValue({ 'a.b': 1 }, 'payload'), /payload\.a\.b: keys must not contain "\."/);
    assert.throws(() => assertSafeValue({ x: [1, NaN] }, 'payload'), /payload\.x\.1: NaN is not a finite number/);
    assert.throws(() => assertSafeValue({ x: -Infinity }, 'payload'), /payload\.x: -Infinity/);
    assert.deepEqual(assertSafeValue({ ok: [1, 'a', null, new Date(0)] }, 'payload'), { ok: [1, 'a', null, new Date(0)] });
  });

  it('accepts an ObjectId only as 24 hex digits', () => {
    assert.equal(requireObjectIdHex('AAAAAAAAAAAAAAAAAAAAAAAA', 'f'), M);
    assert.throws(() => requireObjectIdHex('machine-1', 'payload.machineId'), /payload\.machineId: expected an ObjectId as 24 hex digits, got "machine-1"/);
    assert.throws(() => requireObjectIdHex(12, 'x'), ValidationError);
  });
});

describe('mongo sink config', () => {
  it('fills missing fields with defaults and reads numbers and booleans stored as text', () => {
    const c = normalizeSinkConfig({ batchSize: '250', spool: 'true', maxMegabytes: 'lots', signalMode: 'sometimes', overflow: 'drop-newest' });
    assert.equal(c.batchSize, 250);
    assert.equal(c.spool, true);
    assert.equal(c.maxMegabytes, MONGO_SINK_DEFAULTS.maxMegabytes);
    assert.equal(c.signalMode, 'history');
    assert.equal(c.overflow, 'drop-newest');
    assert.equal(c.writeProduction, true);
    assert.deepEqual(sinkConfigProblems(normalizeSinkConfig({ generic: true, genericOperation: 'upsert', maxEntries: 10, batchSize: 20 })), [
      'genericKey: an upsert needs at least one key field',
      'maxEntries must be at least batchSize',
    ]);
  });
});

describe('mongo intake', () => {
  it('turns a per-signal reading into a history item with 0/1 for a bit', () => {
    const intake = intakeMessage({ signal, payload: true, quality: 'good', timestamp: T0 }, config(), newId, NOW);
    assert.equal(intake.items.length, 1);
    const item = intake.items[0] as SignalItem;
    assert.equal(item.kind, 'history');
    assert.equal(item.collection, 'signaldatas');
    assert.equal(item.value, 1);
    assert.equal(item.timestamp, T0);
    assert.match(item.id!, /^[0-9a-f]{24}$/);
  });

  it('writes both history and latest into two collections when asked', () => {
    const intake = intakeMessage({ signal, payload: 0, timestamp: T0 }, config({ signalMode: 'both', latestCollection: 'latest' }), newId, NOW);
    assert.deepEqual(intake.items.map((i) => `${i.kind}:${i.collection}`), ['history:signaldatas', 'latest:latest']);
    assert.deepEqual(sinkConfigProblems(config({ signalMode: 'both' })), [
      'history and latest values need different collections (an upsert by sensorId would overwrite a history document)',
    ]);
  });

  it('skips bad quality and signals without application ids, and names a bad reading of a cycle', () => {
    const readings = [
      { signal, value: 1, quality: 'good' as const, timestamp: T0 },
      { signal, value: 1, quality: 'bad' as const, timestamp: T0 },
      { signal: { ...signal, sensorId: undefined, machineId: undefined, name: 'temp' }, value: 20, quality: 'good' as const, timestamp: T0 },
      { signal: { ...signal, sensorId: 'nope' }, value: 1, quality: 'good' as const, timestamp: T0 },
      { signal, value: NaN, quality: 'good' as const, timestamp: T0 },
    ];
    const intake = intakeMessage({ readings }, config(), newId, NOW);
    assert.equal(intake.items.length, 1);
    assert.deepEqual(intake.skipped, ['cycle: bad quality', 'temp: no sensorId/machineId (not an application sensor)']);
    assert.deepEqual(intake.errors.map((e) => e.field), ['readings.3.signal.sensorId', 'readings.4.value']);
  });

  it('stores a failed read as null when bad-quality readings are wanted', () => {
    const intake = intakeMessage({ readings: [{ signal, value: undefined, quality: 'bad', error: 'timeout', timestamp: T0 }] }, config({ writeBadQuality: true }), newId, NOW);
    assert.equal((intake.items[0] as SignalItem).value, null);
  });

  it('throws for a message that carries nothing writable', () => {
    assert.throws(() => intakeMessage({ payload: { a: 1 } }, config(), newId), /^ValidationError: msg: not a reading/);
    assert.throws(() => intakeMessage({ signal, payload: NaN, timestamp: T0 }, config(), newId, NOW), /payload: NaN is not a finite number/);
    assert.throws(() => intakeMessage({ topic: 'machine-status', payload: { machineId: M, status: 'broken' } }, config(), newId), /payload\.status: expected one of running, stoppage, stopped_yet_producing, inactive/);
    assert.throws(() => intakeMessage({ topic: 'production', payload: { machineId: M, date: '2026-02-30', hour: 1, revision: 1 } }, config(), newId), /payload\.date/);
  });

  it('takes generic documents, checks ObjectId fields and upsert keys', () => {
    const c = config({ generic: true, genericCollection: 'events', genericObjectIdFields: 'machineId' });
    const [item] = intakeMessage({ payload: { machineId: M, note: 'x' } }, c, newId).items;
    assert.equal(item.kind, 'generic');
    assert.throws(() => intakeMessage({ payload: { machineId: 'm1' } }, c, newId), /payload\.machineId: expected an ObjectId/);
    assert.throws(() => intakeMessage({ payload: [{ ok: 1 }, { $set: 1 }] }, c, newId), /payload\.1\.\$set/);
    const up = config({ generic: true, genericOperation: 'upsert', genericKey: 'code', genericCollection: '' });
    assert.throws(() => intakeMessage({ collection: 'molds', payload: { name: 'x' } }, up, newId), /payload\.code: upsert key field missing/);
    assert.throws(() => intakeMessage({ collection: 'system.users', payload: { code: 1 } }, up, newId), /msg\.collection: collection name must not start with "system\."/);
  });

  it('refuses reserved names as generic key or ObjectId fields: a missing key is not found on the prototype', () => {
    const up = config({ generic: true, genericOperation: 'upsert', genericKey: 'constructor', genericCollection: 'molds' });
    assert.throws(() => intakeMessage({ payload: { name: 'x' } }, up, newId, NOW), /^ValidationError: genericKey: field "constructor" is reserved/);
    const ids = config({ generic: true, genericCollection: 'events', genericObjectIdFields: 'machineId, __proto__' });
    assert.throws(() => intakeMessage({ payload: { machineId: M } }, ids, newId, NOW), /^ValidationError: genericObjectIdFields: field "__proto__" is reserved/);
    const doc = JSON.parse('{"__proto__": {"polluted": true}, "code": 1}') as unknown;
    assert.throws(() => intakeMessage({ payload: doc }, config({ generic: true, genericCollection: 'events' }), newId, NOW), /payload\.__proto__: keys must not be/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects times outside the timestamp window in readings, status and snapshots, and reports instead of replacing a bad per-signal timestamp', () => {
    for (const timestamp of [1e20, 8.64e15 + 1, Date.UTC(1938, 0, 1), Date.UTC(2100, 0, 1)]) {
      assert.throws(() => intakeMessage({ readings: [{ signal, value: 1, quality: 'good', timestamp }] }, config(), newId, NOW), /^ValidationError: readings\.0\.timestamp: /);
      assert.throws(() => intakeMessage({ topic: 'machine-status', payload: { machineId: M, status: 'running', timestamp } }, config(), newId, NOW), /^ValidationError: payload\.timestamp: /);
    }
    assert.throws(() => intakeMessage({ signal, payload: 1, timestamp: 'yesterday' as unknown as number }, config(), newId, NOW), /^ValidationError: timestamp: expected a time \(epoch ms, Date or ISO string\), got "yesterday"/);
    const snapshot = { machineId: M, date: '2026-03-10', hour: 8, unitsProduced: 1, runningMinutes: 1, stoppageMinutes: 0, status: 'running', stoppages: [], final: false, revision: 1 };
    assert.equal(intakeMessage({ topic: 'production', payload: snapshot }, config(), newId, NOW).items.length, 1);
    assert.throws(() => intakeMessage({ topic: 'production', payload: { ...snapshot, date: '2100-01-01' } }, config(), newId, NOW), /^ValidationError: payload\.date: 2100-01-01T00:00:00\.000Z lies more than 24 h ahead/);
    const stoppage = { startTime: Date.UTC(1938, 0, 1), endTime: null, duration: 1, isPending: true };
    assert.throws(() => intakeMessage({ topic: 'production', payload: { ...snapshot, stoppages: [stoppage] } }, config(), newId, NOW), /^ValidationError: payload\.stoppages\.0\.startTime: 1938-01-01/);
    const window = { earliestMs: T0, maxAheadMs: 0 };
    assert.throws(() => intakeMessage({ signal, payload: 1, timestamp: T0 - 1 }, { ...config(), timestampWindow: window }, newId, NOW), /timestamp: 2026-03-10T07:59:59\.999Z lies before 2026-03-10T08:00:00\.000Z/);
  });

  it('names msg.readings when it is not a list, and msg.signal when it is not an object', () => {
    assert.throws(() => intakeMessage({ readings: {} as never }, config(), newId, NOW), /^ValidationError: msg\.readings: expected an array of readings, got an object$/);
    assert.throws(() => intakeMessage({ signal: 'x' as never, payload: 1, timestamp: T0 }, config(), newId, NOW), /^ValidationError: msg\.signal: expected an object, got "x"$/);
  });
});
