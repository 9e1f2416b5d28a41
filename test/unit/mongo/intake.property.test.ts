/**
 * The sink's intake over hostile messages: whatever comes in, it either makes work items that
 * are safe to write (ids as ObjectId hex, times inside the window, no NaN, no operator, dotted
 * or prototype key anywhere) or throws a ValidationError naming the field. Never another
 * exception, never Object.prototype touched.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { intakeMessage, type WorkItem } from '../../../lib/mongo/intake';
import { MONGO_SINK_DEFAULTS, type MongoSinkConfig } from '../../../lib/mongo/sink-config';
import { DEFAULT_TIMESTAMP_WINDOW, ValidationError } from '../../../lib/shared/validate';
import { NAMED_FIELD, NOW, message } from '../shared/hostile-messages';

const HEX_ID = /^[0-9a-f]{24}$/;

/** Walks a value as the driver would store it; fails on anything the database must not get. */
function assertStorable(value: unknown, path: string): void {
  if (typeof value === 'number') {
    assert.ok(Number.isFinite(value), `${path} is ${value}`);
    return;
  }
  assert.ok(typeof value !== 'function' && typeof value !== 'symbol', `${path} is a ${typeof value}`);
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Date) {
    assert.ok(!Number.isNaN(value.getTime()), `${path} is an invalid Date`);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    assert.ok(!key.startsWith('$') && !key.includes('.') && !['__proto__', 'constructor', 'prototype'].includes(key), `${path} has the key ${JSON.stringify(key)}`);
    assertStorable(item, `${path}.${key}`);
  }
}

function assertInWindow(ms: number, what: string): void {
  assert.ok(Number.isFinite(ms) && ms >= DEFAULT_TIMESTAMP_WINDOW.earliestMs && ms <= NOW + DEFAULT_TIMESTAMP_WINDOW.maxAheadMs, `${what} ${ms} outside the window`);
}

function assertItem(item: WorkItem): void {
  switch (item.kind) {
    case 'history':
    case 'latest':
      assert.match(item.sensorId, HEX_ID);
      assert.match(item.machineId, HEX_ID);
      assertInWindow(item.timestamp, 'reading timestamp');
      assertStorable(item.value, 'value');
      return;
    case 'status':
      assert.match(item.machineId, HEX_ID);
      assertInWindow(item.timestamp, 'status timestamp');
      return;
    case 'production': {
      const s = item.snapshot;
      assert.match(s.machineId, HEX_ID);
      assertStorable(s, 'snapshot');
      assertInWindow(Date.parse(`${s.date}T00:00:00Z`), 'snapshot date');
      for (const st of s.stoppages) {
        assertInWindow(st.startTime, 'stoppage start');
        if (st.endTime !== null) assertInWindow(st.endTime, 'stoppage end');
      }
      return;
    }
    case 'generic':
      assertStorable(item.doc, 'doc');
  }
}

const config = fc.record({
  signalMode: fc.constantFrom<MongoSinkConfig['signalMode']>('history', 'latest', 'both', 'off'),
  writeBadQuality: fc.boolean(),
  generic: fc.boolean(),
  genericCollection: fc.constantFrom('events', ''),
  genericOperation: fc.constantFrom<MongoSinkConfig['genericOperation']>('insert', 'upsert'),
  genericKey: fc.constantFrom('code', 'value, ok'),
  genericObjectIdFields: fc.constantFrom('', 'machineId'),
}).map((over): MongoSinkConfig => ({ ...MONGO_SINK_DEFAULTS, latestCollection: 'latest', ...over }));

describe('mongo-sink intake (properties)', () => {
  it('any message gives safe work items or a ValidationError naming the field, never anything else', () => {
    let n = 0;
    const newId = (): string => (++n).toString(16).padStart(24, '0');
    fc.assert(
      fc.property(message, config, (msg, c) => {
        try {
          const intake = intakeMessage(msg, c, newId, NOW);
          intake.items.forEach(assertItem);
          for (const err of intake.errors) {
            assert.ok(err instanceof ValidationError);
            assert.match(err.message, NAMED_FIELD);
          }
        } catch (err) {
          assert.ok(err instanceof ValidationError, `${(err as Error).name}: ${(err as Error).message}`);
          assert.match(err.message, NAMED_FIELD);
        }
        assert.deepEqual(Object.keys(Object.prototype), []);
        assert.equal(({} as Record<string, unknown>).value, undefined);
      }),
      { numRuns: 3000 },
    );
  });
});
