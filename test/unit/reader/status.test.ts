import assert from 'node:assert/strict';
import type { EngineStats } from '../../../lib/reader/engine';
import { readerStatus } from '../../../lib/reader/status';
import { RateMeter } from '../../../lib/shared/telemetry';
import { catalogue } from '../../helpers/catalogue';
import { ManualClock } from '../../helpers/manual-clock';

const en = catalogue('nodes/plc-reader', 'plc-reader');
const de = catalogue('nodes/plc-reader', 'plc-reader', 'de');

const stats = (patch: Partial<EngineStats> = {}): EngineStats => ({
  tags: 24, groups: 2, requestsPerCycle: 3, cycleTimeMs: 12.4, bad: 0, overruns: 0, skippedSlots: 0, cycles: 0, ...patch,
});

describe('reader status', () => {
  it('shows tags, requests per cycle and cycle time when connected; bad tags and overruns when there are any', () => {
    const conn = { state: 'connected' as const, retryAt: undefined, lastError: undefined };
    assert.deepEqual(readerStatus(conn, stats(), 0, en), { fill: 'green', shape: 'dot', text: '24 tags · 3 req · 12 ms' });
    assert.deepEqual(readerStatus(conn, stats({ bad: 2, overruns: 1 }), 0, en),
      { fill: 'yellow', shape: 'dot', text: '24 tags · 3 req · 12 ms · 2 bad · 1 overrun' });
  });

  it('shows the S7 connections in use when the adaptive pool holds more than one', () => {
    const conn = (connections: number) => ({ state: 'connected' as const, retryAt: undefined, lastError: undefined, connections });
    assert.equal(readerStatus(conn(1), stats(), 0, en).text, '24 tags · 3 req · 12 ms');
    assert.equal(readerStatus(conn(2), stats(), 0, en).text, '24 tags · 3 req · 12 ms · 2 conn');
    assert.equal(readerStatus(conn(3), stats({ overruns: 1 }), 0, de).text, '24 Signale · 3 Anfr. · 12 ms · 3 Verb. · 1 Überlauf');
  });

  it('counts down to the next connect attempt while backing off', () => {
    const conn = { state: 'backoff' as const, retryAt: 10_000, lastError: 'connection refused' };
    assert.equal(readerStatus(conn, stats(), 5_500, en).text, 'retry in 5 s: connection refused');
    assert.equal(readerStatus(conn, stats(), 9_999, en).text, 'retry in 1 s: connection refused');
    assert.equal(readerStatus(conn, stats(), 12_000, en).text, 'retry in 0 s: connection refused');
    assert.equal(readerStatus(conn, stats(), 0, en).fill, 'red');
  });

  it('says when it connects, is closed, or has no connection', () => {
    assert.equal(readerStatus({ state: 'connecting', retryAt: undefined, lastError: undefined }, stats({ tags: 1 }), 0, en).text, 'connecting · 1 tag');
    assert.equal(readerStatus({ state: 'closed', retryAt: undefined, lastError: undefined }, stats(), 0, en).fill, 'grey');
    assert.equal(readerStatus(undefined, stats(), 0, en).text, 'no PLC connection configured');
  });

  it('answers "did my retune work?": configured interval and achieved rate first, in English and German', () => {
    const conn = { state: 'connected' as const, retryAt: undefined, lastError: undefined };
    const s = stats({ tags: 4, requestsPerCycle: 1, cycleTimeMs: 3.2 });
    assert.equal(readerStatus(conn, s, 0, en, { intervalMs: 200, ratePerS: 5 }).text, 'every 200 ms · 5.0/s · 4 tags · 1 req · 3 ms');
    assert.equal(readerStatus(conn, s, 0, en, { intervalMs: 1000, ratePerS: undefined }).text, 'every 1000 ms · 4 tags · 1 req · 3 ms');
    assert.equal(readerStatus(conn, stats({ tags: 1, overruns: 2 }), 0, de, { intervalMs: 200, ratePerS: 4.96 }).text,
      'alle 200 ms · 5.0/s · 1 Signal · 3 Anfr. · 12 ms · 2 Überläufe');
  });

  it('measures the achieved rate over a sliding window of the injected clock', async () => {
    const clock = new ManualClock(0);
    const meter = new RateMeter(5000);
    let cycles = 0;
    assert.equal(meter.sample(clock.now(), cycles), undefined, 'no rate before a second has passed');
    // 200 ms interval: 5 cycles per second
    for (let s = 0; s < 10; s++) {
      await clock.advance(1000);
      cycles += 5;
      assert.equal(meter.sample(clock.now(), cycles), 5);
    }
    // retuned to 1000 ms: the window forgets the old rate within its length
    let rate: number | undefined;
    for (let s = 0; s < 6; s++) {
      await clock.advance(1000);
      cycles += 1;
      rate = meter.sample(clock.now(), cycles);
    }
    assert.equal(rate, 1);
    // a restarted engine's count starts over without a negative rate
    assert.equal(meter.sample(clock.now() + 100, 0), undefined);
  });
});
