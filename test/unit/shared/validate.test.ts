import assert from 'node:assert/strict';
import {
  DEFAULT_TIMESTAMP_WINDOW,
  ValidationError,
  assertSafeValue,
  describeValue,
  driverDate,
  requireEpochMs,
  requireTimestamp,
  reservedNameProblem,
  timestampWindowFromSetting,
  timestampWindowOf,
} from '../../../lib/shared/validate';

const NOW = Date.parse('2026-06-01T10:00:00Z');

describe('shared validate', () => {
  it('describes a bad value briefly, with the right article', () => {
    assert.equal(describeValue({}), 'an object');
    assert.equal(describeValue([1]), 'an array');
    assert.equal(describeValue(() => 1), 'a function');
    assert.equal(describeValue(Symbol('s')), 'a symbol');
    assert.equal(describeValue(new Date(Number.NaN)), 'an invalid Date');
    assert.equal(describeValue('x'.repeat(50)), JSON.stringify(`${'x'.repeat(40)}…`));
  });

  it('accepts times from 2000-01-01 to now + 24 h by default, naming the field otherwise', () => {
    assert.equal(requireTimestamp(DEFAULT_TIMESTAMP_WINDOW.earliestMs, 'ts', NOW), Date.UTC(2000, 0, 1));
    assert.equal(requireTimestamp(NOW + 24 * 3_600_000, 'ts', NOW), NOW + 24 * 3_600_000);
    assert.throws(() => requireTimestamp(Date.UTC(1999, 11, 31, 23, 59, 59, 999), 'ts', NOW), /^ValidationError: ts: 1999-12-31T23:59:59\.999Z lies before 2000-01-01T00:00:00\.000Z/);
    assert.throws(() => requireTimestamp(NOW + 24 * 3_600_000 + 1, 'ts', NOW), /^ValidationError: ts: 2026-06-02T10:00:00\.001Z lies more than 24 h ahead of the clock \(2026-06-01T10:00:00\.000Z\)/);
    assert.throws(() => requireTimestamp(1e20, 'ts', NOW), /ts: 100000000000000000000 lies more than 24 h ahead/);
    assert.throws(() => requireTimestamp('2026-06-01', 'ts', NOW), /ts: expected a finite number of epoch milliseconds, got "2026-06-01"/);
    assert.throws(() => requireEpochMs(8.64e15 + 1, 'ts'), /ts: expected a time \(epoch ms, Date or ISO string\), got 8640000000000001/);
  });

  it('reads the window setting, and says what is wrong with a bad one', () => {
    assert.deepEqual(timestampWindowFromSetting(undefined), DEFAULT_TIMESTAMP_WINDOW);
    assert.deepEqual(timestampWindowFromSetting({ earliest: '2020-01-01', maxAheadHours: 1 }), { earliestMs: Date.UTC(2020, 0, 1), maxAheadMs: 3_600_000 });
    assert.throws(() => timestampWindowFromSetting('2020'), /^ValidationError: s7productionTimestampWindow: expected an object, got "2020"/);
    assert.throws(() => timestampWindowFromSetting({ earliest: 2020 }), /s7productionTimestampWindow\.earliest: expected an ISO date such as "2000-01-01", got 2020/);
    assert.throws(() => timestampWindowFromSetting({ earliest: 'soon' }), /s7productionTimestampWindow\.earliest: expected a time/);
    assert.throws(() => timestampWindowFromSetting({ maxAheadHours: -1 }), /s7productionTimestampWindow\.maxAheadHours: -1 is outside 0\.\.8784/);
    const warnings: string[] = [];
    assert.deepEqual(timestampWindowOf({ s7productionTimestampWindow: { maxAheadHours: 'x' } }, (w) => warnings.push(w)), DEFAULT_TIMESTAMP_WINDOW);
    assert.deepEqual(warnings, ['s7productionTimestampWindow.maxAheadHours: expected a finite number, got "x"']);
  });

  it('never hands the driver an Invalid Date', () => {
    assert.equal(driverDate(NOW, 'timestamp').getTime(), NOW);
    assert.throws(() => driverDate(1e20, 'timestamp'), ValidationError);
    assert.throws(() => driverDate(Number.NaN, 'timestamp'), /timestamp: expected a time a Date can hold, got NaN/);
  });

  it('refuses reserved names as keys of stored documents, at any depth', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const doc = JSON.parse(`{"a": {"${key}": {"polluted": 1}}}`) as unknown;
      assert.throws(() => assertSafeValue(doc, 'payload'), new RegExp(`^ValidationError: payload\\.a\\.${key}: keys must not be __proto__, constructor, prototype`));
    }
    assert.equal(reservedNameProblem('line 1', 'name'), undefined);
    assert.equal(reservedNameProblem('constructor', 'name'), 'name "constructor" is reserved (__proto__, constructor, prototype cannot be used as names)');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
