import assert from 'node:assert/strict';
import type { EngineStats } from '../../../lib/reader/engine';
import { readerStatus } from '../../../lib/reader/status';

const stats = (patch: Partial<EngineStats> = {}): EngineStats => ({
  tags: 24, groups: 2, requestsPerCycle: 3, cycleTimeMs: 12.4, bad: 0, overruns: 0, skippedSlots: 0, ...patch,
});

describe('reader status', () => {
  it('shows tags, requests per cycle and cycle time when connected; bad tags and overruns when there are any', () => {
    const conn = { state: 'connected' as const, retryAt: undefined, lastError: undefined };
    assert.deepEqual(readerStatus(conn, stats(), 0), { fill: 'green', shape: 'dot', text: '24 tags · 3 req · 12 ms' });
    assert.deepEqual(readerStatus(conn, stats({ bad: 2, overruns: 1 }), 0),
      { fill: 'yellow', shape: 'dot', text: '24 tags · 3 req · 12 ms · 2 bad · 1 overrun' });
  });

  it('counts down to the next connect attempt while backing off', () => {
    const conn = { state: 'backoff' as const, retryAt: 10_000, lastError: 'connection refused' };
    assert.equal(readerStatus(conn, stats(), 5_500).text, 'retry in 5 s: connection refused');
    assert.equal(readerStatus(conn, stats(), 9_999).text, 'retry in 1 s: connection refused');
    assert.equal(readerStatus(conn, stats(), 12_000).text, 'retry in 0 s: connection refused');
    assert.equal(readerStatus(conn, stats(), 0).fill, 'red');
  });

  it('says when it connects, is closed, or has no connection', () => {
    assert.equal(readerStatus({ state: 'connecting', retryAt: undefined, lastError: undefined }, stats({ tags: 1 }), 0).text, 'connecting · 1 tag');
    assert.equal(readerStatus({ state: 'closed', retryAt: undefined, lastError: undefined }, stats(), 0).fill, 'grey');
    assert.equal(readerStatus(undefined, stats(), 0).text, 'no PLC connection configured');
  });
});
