import assert from 'node:assert/strict';
import { timeoutsFromConfigDocument } from '../../../lib/app-contract';
import { parseCounterInput as parseCounter, type KeySource } from '../../../lib/production/edge-input';
import type { CountMode } from '../../../lib/production/edge-counter';
import type { ContractMessage } from '../../../lib/shared/messages';
import { parseAggregatorInput } from '../../../lib/production/observations';

const NOW = Date.parse('2026-06-01T10:00:00Z');
const WINDOW = { maxAgeMs: 24 * 3_600_000, maxAheadMs: 300_000 };
const M1 = '65a1b2c3d4e5f60718293a4b';
const signal = (kind: string, extra: Record<string, unknown> = {}) => ({ name: kind, address: 'DQ.0', dataType: 'BOOL', kind, machineId: M1, ...extra });
const parse = (msg: Record<string, unknown>) => parseAggregatorInput(msg, NOW, WINDOW, { powerThresholdKw: 1 });
const parseCounterInput = (msg: Record<string, unknown>, mode: CountMode, keyBy: KeySource, now: number) => parseCounter(msg as ContractMessage, mode, keyBy, now);

describe('production/input parsing', () => {
  describe('aggregator', () => {
    it('turns readings into observations: bits, analog power, cycle bits, unit events', () => {
      const parsed = parse({
        readings: [
          { signal: signal('power'), value: true, quality: 'good', timestamp: NOW },
          { signal: signal('power', { dataType: 'REAL' }), value: 0.4, quality: 'good', timestamp: NOW },
          { signal: signal('power', { dataType: 'REAL' }), value: 2, quality: 'good', timestamp: NOW },
          { signal: signal('unit-cycle'), value: 1, quality: 'good', timestamp: NOW },
          { signal: signal('unit-cycle'), value: 0, quality: 'good', timestamp: NOW },
          { signal: signal('counter'), value: 12, quality: 'good', timestamp: NOW },
          { signal: signal('power'), value: true, quality: 'bad', error: 'x', timestamp: NOW },
        ],
      });
      assert.deepEqual(parsed.errors, []);
      assert.equal(parsed.ignored, 2);
      assert.deepEqual(parsed.observations, [
        { kind: 'power', machineId: M1, timestamp: NOW, powered: true },
        { kind: 'power', machineId: M1, timestamp: NOW, powered: false, kw: 0.4 },
        { kind: 'power', machineId: M1, timestamp: NOW, powered: true, kw: 2 },
        { kind: 'cycle', machineId: M1, timestamp: NOW },
        { kind: 'idle', machineId: M1, timestamp: NOW },
      ]);
      assert.deepEqual(parse({ topic: 'units', units: { key: 'k', machineId: M1.toUpperCase(), delta: 3, total: 9, timestamp: NOW, source: 'rising' } }).observations, [
        { kind: 'units', machineId: M1, timestamp: NOW, delta: 3 },
      ]);
    });

    it('names the field of every problem', () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ payload: 1 }, /^msg: expected a reading \(msg\.signal or msg\.readings/],
        [{ readings: {} }, /^msg\.readings: expected an array of readings, got an object/],
        [{ readings: [42] }, /^msg\.readings\[0\]: expected an object, got 42/],
        [{ signal: 'x', payload: 1 }, /^msg\.signal: expected an object, got "x"/],
        [{ signal: signal('power', { machineId: undefined }), payload: true, timestamp: NOW }, /^msg\.signal\.machineId: expected the machine's 24-digit hex id, got undefined/],
        [{ signal: signal('unit-cycle'), payload: 'yes', timestamp: NOW }, /^msg\.payload: expected a BOOL/],
        [{ signal: signal('power', { dataType: 'REAL' }), payload: Number.NaN, timestamp: NOW }, /^msg\.payload: expected a finite number, got NaN/],
        [{ signal: signal('power'), payload: true, timestamp: '10:00' }, /^msg\.timestamp: expected a finite number of epoch milliseconds, got "10:00"/],
        [{ signal: signal('power'), payload: true, timestamp: NOW + 301_000 }, /^msg\.timestamp: .* more than 300 s in the future/],
        [{ signal: signal('power'), payload: true, timestamp: NOW - 25 * 3_600_000 }, /^msg\.timestamp: .* is older than the accepted window of 24 h/],
        [{ units: { machineId: M1, delta: 0, timestamp: NOW } }, /^msg\.units\.delta: expected a positive integer, got 0/],
        [{ units: { delta: 1, timestamp: NOW } }, /^msg\.units\.machineId: expected the machine's 24-digit hex id, got undefined/],
        [{ units: [] }, /^msg\.units: expected an object, got an array/],
      ];
      for (const [msg, expected] of cases) {
        const parsed = parse(msg);
        assert.equal(parsed.observations.length, 0, JSON.stringify(msg));
        assert.equal(parsed.errors.length, 1, JSON.stringify(msg));
        assert.match(parsed.errors[0], expected);
      }
    });

    it('a per-signal message without timestamp is stamped with the clock', () => {
      assert.deepEqual(parse({ signal: signal('unit-cycle'), payload: true }).observations, [{ kind: 'cycle', machineId: M1, timestamp: NOW }]);
    });

    it('rejects times no Date can hold, and times outside the timestamp window, naming the field', () => {
      const cases: [unknown, RegExp][] = [
        [1e20, /^msg\.readings\[0\]\.timestamp: 100000000000000000000 lies more than 300 s in the future/],
        [8.64e15 + 1, /^msg\.readings\[0\]\.timestamp: 8640000000000001 lies more than 300 s in the future/],
        [-8.64e15 - 1, /^msg\.readings\[0\]\.timestamp: -8640000000000001 is older than the accepted window/],
        [Date.UTC(1938, 5, 1), /^msg\.readings\[0\]\.timestamp: 1938-06-01T00:00:00\.000Z is older than/],
        [Date.UTC(2100, 0, 1), /^msg\.readings\[0\]\.timestamp: 2100-01-01T00:00:00\.000Z lies more than 300 s in the future/],
      ];
      for (const [timestamp, expected] of cases) {
        const parsed = parse({ readings: [{ signal: signal('power'), value: true, quality: 'good', timestamp }] });
        assert.deepEqual(parsed.observations, []);
        assert.equal(parsed.errors.length, 1);
        assert.match(parsed.errors[0], expected);
      }
    });

    it('applies a narrower timestamp window than its own 24 hours', () => {
      const window = { earliestMs: NOW - 3_600_000, maxAheadMs: 0 };
      const at = (timestamp: number) => parseAggregatorInput({ signal: signal('power'), payload: true, timestamp } as ContractMessage, NOW, WINDOW, { powerThresholdKw: 1 }, window);
      assert.equal(at(NOW - 1_800_000).observations.length, 1);
      assert.match(at(NOW - 7_200_000).errors[0], /^msg\.timestamp: 2026-06-01T08:00:00\.000Z lies before 2026-06-01T09:00:00\.000Z, the earliest accepted time/);
      assert.match(at(NOW + 60_000).errors[0], /^msg\.timestamp: 2026-06-01T10:01:00\.000Z lies more than 0 h ahead of the clock/);
    });
  });

  describe('edge counter', () => {
    it('picks unit-cycle signals in edge modes and counter signals in counter mode, keyed as configured', () => {
      const msg = {
        topic: 'line 1',
        readings: [
          { signal: signal('unit-cycle', { sensorId: 's1' }), value: true, quality: 'good', timestamp: NOW },
          { signal: signal('counter', { name: 'ctr' }), value: 5, quality: 'good', timestamp: NOW },
          { signal: signal('power'), value: true, quality: 'good', timestamp: NOW },
        ],
      };
      assert.deepEqual(parseCounterInput(msg, 'rising', 'machineId', NOW).samples, [
        { key: M1, machineId: M1, sensorId: 's1', timestamp: NOW, value: true, field: 'msg.readings[0].value' },
      ]);
      assert.deepEqual(parseCounterInput(msg, 'counter', 'name', NOW).samples.map((s) => [s.key, s.value]), [['ctr', 5]]);
      assert.deepEqual(parseCounterInput(msg, 'both', 'topic', NOW).samples.map((s) => s.key), ['line 1']);
    });

    it('names the missing key field', () => {
      const parsed = parseCounterInput({ signal: signal('unit-cycle', { machineId: '' }), payload: 1 }, 'rising', 'machineId', NOW);
      assert.match(parsed.errors[0], /^msg\.signal\.machineId: expected the name of the machine or signal \(the state key\), got ""/);
      assert.match(parseCounterInput({ signal: signal('unit-cycle'), payload: 1 }, 'rising', 'sensorId', NOW).errors[0], /msg\.signal\.sensorId/);
      assert.match(parseCounterInput({ payload: 1 }, 'rising', 'machineId', NOW).errors[0], /^msg: expected a reading from plc-reader/);
    });

    it('refuses a reserved name as the state key, and leaves Object.prototype alone', () => {
      for (const name of ['__proto__', 'constructor', 'prototype']) {
        const parsed = parseCounterInput({ signal: signal('unit-cycle', { name }), payload: 1, timestamp: NOW }, 'rising', 'name', NOW);
        assert.deepEqual(parsed.samples, []);
        assert.match(parsed.errors[0], new RegExp(`^msg\\.signal\\.name: state key "${name}" is reserved`));
      }
      assert.equal(({} as Record<string, unknown>).level, undefined);
    });

    it('rejects times outside the timestamp window, and times no Date can hold', () => {
      for (const timestamp of [1e20, 8.64e15 + 1, Date.UTC(1938, 5, 1), Date.UTC(2100, 0, 1)]) {
        const parsed = parseCounterInput({ signal: signal('unit-cycle'), payload: 1, timestamp }, 'rising', 'machineId', NOW);
        assert.deepEqual(parsed.samples, []);
        assert.match(parsed.errors[0], /^msg\.timestamp: \S+ (lies more than 300 s in the future|is older than the accepted window of 168 h)$/);
      }
      const window = { earliestMs: NOW - 3_600_000, maxAheadMs: 24 * 3_600_000 };
      const old = parseCounter({ signal: signal('unit-cycle'), payload: 1, timestamp: NOW - 7_200_000 } as ContractMessage, 'rising', 'machineId', NOW, window);
      assert.match(old.errors[0], /^msg\.timestamp: 2026-06-01T08:00:00\.000Z lies before 2026-06-01T09:00:00\.000Z/);
    });
  });

  describe('the application configs document', () => {
    it('reads signalTimeouts in minutes, defaults where missing or zero', () => {
      const fallback = { powerTimeoutMs: 300_000, cycleTimeoutMs: 120_000 };
      assert.deepEqual(timeoutsFromConfigDocument({ signalTimeouts: { powerSignalTimeout: 10, cycleSignalTimeout: 0.5 } }, fallback), { powerTimeoutMs: 600_000, cycleTimeoutMs: 30_000 });
      assert.deepEqual(timeoutsFromConfigDocument({ signalTimeouts: { powerSignalTimeout: 0 } }, fallback), fallback);
      assert.deepEqual(timeoutsFromConfigDocument(null, fallback), fallback);
    });
  });
});
