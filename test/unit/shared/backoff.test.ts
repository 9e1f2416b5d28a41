import assert from 'node:assert/strict';
import { Backoff } from '../../../lib/shared/backoff';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, and starts over after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => backoff.next()), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(backoff.attempts, 6);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 100);
  });

  it('takes up to the jitter fraction off each delay, from the injected random source', () => {
    const draws = [0, 0.5, 0.999];
    const backoff = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5, random: () => draws.shift() as number });
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [1000, 750, 500]);
  });

  it('honours another growth factor', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 10_000, factor: 3 });
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [10, 30, 90]);
  });
});
