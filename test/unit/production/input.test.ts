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
        [{ payload: 1 }, /expected a reading \(msg\.signal or msg\.readings/],
        [{ readings: {} }, /msg\.readings must be an array/],
        [{ readings: [42] }, /msg\.readings\[0\] must be an object, got 42/],
        [{ signal: 'x', payload: 1 }, /msg\.signal must be an object/],
        [{ signal: signal('power', { machineId: undefined }), payload: true, timestamp: NOW }, /msg\.signal\.machineId must be the machine's 24-digit hex id, got undefined/],
        [{ signal: signal('unit-cycle'), payload: 'yes', timestamp: NOW }, /msg\.payload must be a BOOL/],
        [{ signal: signal('power', { dataType: 'REAL' }), payload: Number.NaN, timestamp: NOW }, /msg\.payload must be a finite number, got NaN/],
        [{ signal: signal('power'), payload: true, timestamp: '10:00' }, /msg\.timestamp must be a finite number of epoch milliseconds, got "10:00"/],
        [{ signal: signal('power'), payload: true, timestamp: NOW + 301_000 }, /msg\.timestamp .* more than 300 s in the future/],
        [{ signal: signal('power'), payload: true, timestamp: NOW - 25 * 3_600_000 }, /is older than the accepted window of 24 h/],
        [{ units: { machineId: M1, delta: 0, timestamp: NOW } }, /msg\.units\.delta must be a positive integer, got 0/],
        [{ units: { delta: 1, timestamp: NOW } }, /msg\.units\.machineId must be/],
        [{ units: [] }, /msg\.units must be an object, got an array/],
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
      assert.match(parsed.errors[0], /msg\.signal\.machineId must name the machine or signal \(the state key\), got ""/);
      assert.match(parseCounterInput({ signal: signal('unit-cycle'), payload: 1 }, 'rising', 'sensorId', NOW).errors[0], /msg\.signal\.sensorId/);
      assert.match(parseCounterInput({ payload: 1 }, 'rising', 'machineId', NOW).errors[0], /expected a reading from plc-reader/);
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
