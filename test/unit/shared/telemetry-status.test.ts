/**
 * Node statuses as catalogue phrases (lib/shared/telemetry-status.ts): worded in the runtime's
 * language as before, and again by the editor plugin in the editor's, numbers in its format.
 */
import assert from 'node:assert/strict';
import type { EngineStats } from '../../../lib/reader/engine';
import { readerStatus, readerStatusPhrases } from '../../../lib/reader/status';
import { numberFormatOf, plainNumber, wordPhrases, type Phrase } from '../../../lib/shared/telemetry-status';
import { catalogue } from '../../helpers/catalogue';

const stats: EngineStats = { tags: 4, groups: 1, requestsPerCycle: 1, cycleTimeMs: 3.2, bad: 0, overruns: 2, skippedSlots: 2, cycles: 0 };
const connected = { state: 'connected' as const, retryAt: undefined, lastError: undefined };

describe('shared/telemetry-status', () => {
  it('numbers in the language\'s format, never grouped: 5.0 / 5,0 and 1000', () => {
    assert.equal(numberFormatOf('en-US')(5, 1), '5.0');
    assert.equal(numberFormatOf('de')(5, 1), '5,0');
    assert.equal(numberFormatOf('de')(1000), '1000');
    assert.equal(numberFormatOf('de')(2.5), '2,5');
    assert.equal(plainNumber(4.96, 1), '5.0');
  });

  it('the reader\'s status: the same text as before in the runtime, German with German numbers in the editor', () => {
    const sampling = { intervalMs: 200, ratePerS: 4.96 };
    const { phrases, fill } = readerStatusPhrases(connected, stats, 0, sampling);
    assert.equal(fill, 'green');
    const en = catalogue('nodes/plc-reader', 'plc-reader');
    const de = catalogue('nodes/plc-reader', 'plc-reader', 'de');
    assert.equal(wordPhrases(phrases, en, plainNumber), 'every 200 ms · 5.0/s · 4 tags · 1 req · 3 ms · 2 overruns');
    assert.equal(readerStatus(connected, stats, 0, en, sampling).text, 'every 200 ms · 5.0/s · 4 tags · 1 req · 3 ms · 2 overruns');
    assert.equal(wordPhrases(phrases, de, numberFormatOf('de')), 'alle 200 ms · 5,0/s · 4 Signale · 1 Anfr. · 3 ms · 2 Überläufe');
    const connecting = readerStatusPhrases({ ...connected, state: 'connecting' }, { ...stats, tags: 1 }, 0);
    assert.equal(wordPhrases(connecting.phrases, de, numberFormatOf('de')), 'verbinde · 1 Signal', 'a phrase within a phrase');
  });

  it('the edge counter\'s phrases exist in both catalogues', () => {
    const phrases: Phrase[] = [
      { key: 'edge-counter.status.andMore', values: { first: { key: 'edge-counter.status.advice', values: { key: 'press-1', pulse: 500, every: 200 } }, count: 1 } },
      { key: 'edge-counter.status.count', values: { count: 12, what: { key: 'edge-counter.status.units' } } },
      { key: 'edge-counter.status.count', values: { count: 2, what: { key: 'edge-counter.status.keys' } } },
    ];
    assert.equal(wordPhrases(phrases, catalogue('nodes/edge-counter', 'edge-counter'), plainNumber),
      'press-1: pulses ≈ 500 ms: read every ≤ 200 ms (+1) · 12 units · 2 keys');
    assert.equal(wordPhrases(phrases, catalogue('nodes/edge-counter', 'edge-counter', 'de'), numberFormatOf('de')),
      `${catalogue('nodes/edge-counter', 'edge-counter', 'de')('edge-counter.status.advice', { key: 'press-1', pulse: '500', every: '200' })} (+1) · 12 Stück · 2 Schlüssel`);
  });
});
