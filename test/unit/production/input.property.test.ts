/**
 * The edge counter's and the aggregator's input parsing over hostile messages: never a throw;
 * every sample or observation well-formed (a usable key or machine id, a time inside both
 * windows, finite numbers), every error naming the field.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COUNT_MODES, type CountMode } from '../../../lib/production/edge-counter';
import { EDGE_TIME_WINDOW, KEY_SOURCES, parseCounterInput, type KeySource } from '../../../lib/production/edge-input';
import { parseAggregatorInput } from '../../../lib/production/observations';
import type { ContractMessage } from '../../../lib/shared/messages';
import { DEFAULT_TIMESTAMP_WINDOW, RESERVED_NAMES } from '../../../lib/shared/validate';
import { NAMED_FIELD, NOW, message } from '../shared/hostile-messages';

const AGGREGATOR_WINDOW = { maxAgeMs: 24 * 3_600_000, maxAheadMs: 5 * 60_000 };

function assertTime(ms: number, recent: { maxAgeMs: number; maxAheadMs: number }): void {
  assert.ok(Number.isFinite(ms), `timestamp ${ms}`);
  assert.ok(ms >= Math.max(DEFAULT_TIMESTAMP_WINDOW.earliestMs, NOW - recent.maxAgeMs), `timestamp ${ms} too old`);
  assert.ok(ms <= NOW + Math.min(recent.maxAheadMs, DEFAULT_TIMESTAMP_WINDOW.maxAheadMs), `timestamp ${ms} too far ahead`);
}

describe('production input parsing (properties)', () => {
  it('edge counter: any message gives well-formed samples and errors naming the field, never a throw', () => {
    fc.assert(
      fc.property(message, fc.constantFrom<CountMode>(...COUNT_MODES), fc.constantFrom<KeySource>(...KEY_SOURCES), (msg, mode, keyBy) => {
        const parsed = parseCounterInput(msg as ContractMessage, mode, keyBy, NOW);
        for (const sample of parsed.samples) {
          assert.ok(typeof sample.key === 'string' && sample.key !== '' && !RESERVED_NAMES.includes(sample.key), `key ${JSON.stringify(sample.key)}`);
          assertTime(sample.timestamp, EDGE_TIME_WINDOW);
          assert.match(sample.field, /^msg\.(payload|readings\[\d+\]\.value)$/);
        }
        for (const error of parsed.errors) assert.match(error, NAMED_FIELD);
        assert.deepEqual(Object.keys(Object.prototype), []);
      }),
      { numRuns: 3000 },
    );
  });

  it('aggregator: any message gives well-formed observations and errors naming the field, never a throw', () => {
    fc.assert(
      fc.property(message, fc.double({ min: 0, max: 100, noNaN: true }), (msg, powerThresholdKw) => {
        const parsed = parseAggregatorInput(msg as ContractMessage, NOW, AGGREGATOR_WINDOW, { powerThresholdKw });
        for (const obs of parsed.observations) {
          assert.match(obs.machineId, /^[0-9a-f]{24}$/);
          assertTime(obs.timestamp, AGGREGATOR_WINDOW);
          if (obs.kind === 'units') assert.ok(Number.isInteger(obs.delta) && obs.delta > 0, `delta ${obs.delta}`);
          if (obs.kind === 'power') {
            assert.equal(typeof obs.powered, 'boolean');
            if (obs.kw !== undefined) assert.ok(Number.isFinite(obs.kw), `kw ${obs.kw}`);
          }
        }
        for (const error of parsed.errors) assert.match(error, NAMED_FIELD);
        assert.ok(Number.isInteger(parsed.ignored) && parsed.ignored >= 0);
        assert.deepEqual(Object.keys(Object.prototype), []);
      }),
      { numRuns: 3000 },
    );
  });
});
