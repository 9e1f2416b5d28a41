import assert from 'node:assert/strict';
import { DEFAULT_SHRINK_AFTER_MS, GROW_RETRY_MS, PoolSizer } from '../../../lib/s7/pool-sizer';
import { ManualClock } from '../../helpers/manual-clock';

/** `cycles` reads of `key` every `periodMs` on the clock, each request taking `rttMs`. */
async function readEvery(sizer: PoolSizer, clock: ManualClock, key: object, requests: number, periodMs: number, rttMs: number, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) {
    sizer.readStarted(key, requests, clock.now());
    for (let r = 0; r < requests; r++) sizer.roundTrip(rttMs);
    await clock.advance(periodMs);
  }
}

/** Asks the sizer until it stops changing, as the connection does (one step per connect). */
function settle(sizer: PoolSizer, clock: ManualClock, open: number): number {
  for (;;) {
    const { count } = sizer.wanted(open, clock.now());
    if (count === open) return open;
    open = count;
  }
}

describe('adaptive S7 connection pool (sizer)', () => {
  const adaptive = (max = 3): PoolSizer => new PoolSizer({ max, fixed: false, shrinkAfterMs: DEFAULT_SHRINK_AFTER_MS });

  it('keeps one connection while the cycle takes at most half the interval', async () => {
    const clock = new ManualClock();
    const sizer = adaptive();
    // 14 requests of 2 ms every 100 ms: 28 % of the interval
    await readEvery(sizer, clock, {}, 14, 100, 2, 20);
    assert.equal(sizer.wanted(1, clock.now()).count, 1);
    assert.ok(sizer.load(1, clock.now()) < 0.5, `load ${sizer.load(1, clock.now())}`);
  });

  it('opens one more at a time, up to the cap, while the cycle does not fit', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    const read = {};
    // 14 requests of 12 ms (5 ms each way + the PLC) every 100 ms: 168 % of the interval on one
    await readEvery(sizer, clock, read, 14, 100, 12, 20);
    assert.deepEqual(sizer.wanted(1, clock.now()), { count: 2 }, 'one more, not all at once');
    assert.deepEqual(sizer.wanted(2, clock.now()), { count: 3 });
    assert.deepEqual(sizer.wanted(3, clock.now()), { count: 3 }, 'never beyond the cap');
    assert.equal(adaptive(8).wanted(1, clock.now()).count, 1, 'no round trip measured yet: no growth');
  });

  it('with pipelining (8 jobs per connection) keeps ONE connection where snap7 (1 job) needs three', async () => {
    const clock = new ManualClock();
    const [pipelined, snap7] = [adaptive(3), adaptive(3)];
    pipelined.jobsPerConnection(8);
    // 500 tags at PDU 240: 27 requests of 12 ms every 100 ms; 8 jobs: 4 round trips, 48 % of the interval
    for (const sizer of [pipelined, snap7]) await readEvery(sizer, clock, {}, 27, 100, 12, 20);
    assert.equal(settle(pipelined, clock, 1), 1);
    assert.ok(pipelined.load(1, clock.now()) <= 0.5, `load ${pipelined.load(1, clock.now())}`);
    assert.equal(settle(snap7, clock, 1), 3);
  });

  it('with pipelining still grows, up to the cap, when one pipelined connection does not fit', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    sizer.jobsPerConnection(8);
    // 27 requests of 30 ms every 100 ms: 4 round trips on one connection (120 %), 2 on two (60 %), 2 on three
    await readEvery(sizer, clock, {}, 27, 100, 30, 20);
    assert.deepEqual(sizer.wanted(1, clock.now()), { count: 2 });
    assert.equal(settle(sizer, clock, 1), 2, 'a third would not save a round trip');
    sizer.jobsPerConnection(4);
    // 4 jobs: 7 / 4 / 3 round trips on 1 / 2 / 3 connections
    assert.equal(settle(sizer, clock, 1), 3);
  });

  it('a request count within one connection\'s jobs never opens a second, however slow the link', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    sizer.jobsPerConnection(8);
    await readEvery(sizer, clock, {}, 8, 50, 50, 20);
    assert.ok(sizer.load(1, clock.now()) > 0.5);
    assert.equal(settle(sizer, clock, 1), 1);
  });

  it('one slow read (a busy moment) among quick ones opens no connection: a read counts as one sample, not one per request', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    sizer.jobsPerConnection(8);
    const read = {};
    // 27 requests of 9 ms every 100 ms: 4 round trips, 36 % of the interval
    await readEvery(sizer, clock, read, 27, 100, 9, 20);
    assert.equal(settle(sizer, clock, 1), 1);
    // one read whose 27 requests each took 20 ms: smoothed per request, the round trip would be 20 ms (80 %)
    await readEvery(sizer, clock, read, 27, 100, 20, 1);
    sizer.readStarted(read, 27, clock.now());
    assert.ok((sizer.roundTripMs as number) < 12, `round trip ${sizer.roundTripMs}`);
    assert.equal(settle(sizer, clock, 1), 1);
    // slow for good (40 ms): two connections save two round trips; a third none
    await readEvery(sizer, clock, read, 27, 100, 40, 10);
    assert.equal(settle(sizer, clock, 1), 2);
  });

  it('opens none that would not shorten a cycle', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    // two requests, back to back on two connections (busy all the time): a third would have nothing to do
    await readEvery(sizer, clock, {}, 2, 12, 12, 20);
    assert.ok(sizer.load(2, clock.now()) > 0.5);
    assert.equal(settle(sizer, clock, 1), 2);
  });

  it('adds up the readers sharing the connection', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    const [a, b] = [{}, {}];
    // each alone: 3 × 10 ms per 100 ms = 30 %; both: 60 %
    for (let i = 0; i < 20; i++) {
      sizer.readStarted(a, 3, clock.now());
      sizer.readStarted(b, 3, clock.now());
      sizer.roundTrip(10);
      await clock.advance(100);
    }
    assert.equal(settle(sizer, clock, 1), 2);
  });

  it('closes one again only after the hysteresis period, and not while it is needed', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    const read = {};
    await readEvery(sizer, clock, read, 14, 100, 12, 20);
    assert.equal(settle(sizer, clock, 1), 3);
    // the interval relaxed to 1 s: one connection would do (14 × 12 ms = 17 %)
    await readEvery(sizer, clock, read, 14, 1000, 12, 10);
    const pending = sizer.wanted(3, clock.now());
    assert.equal(pending.count, 3, 'not at once');
    assert.ok(pending.shrinkAt !== undefined && pending.shrinkAt > clock.now(), 'a shrink is pending');
    await readEvery(sizer, clock, read, 14, 1000, 12, Math.ceil(DEFAULT_SHRINK_AFTER_MS / 1000));
    assert.equal(sizer.wanted(3, clock.now()).count, 2, 'one fewer after the period');
    assert.equal(sizer.wanted(2, clock.now()).count, 2, 'the next one waits its own period');
    await readEvery(sizer, clock, read, 14, 1000, 12, Math.ceil(DEFAULT_SHRINK_AFTER_MS / 1000));
    assert.equal(sizer.wanted(2, clock.now()).count, 1);
  });

  it('forgets a demand that went away (a reader stopped) and shrinks', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    await readEvery(sizer, clock, {}, 14, 100, 12, 20);
    assert.equal(settle(sizer, clock, 1), 3);
    await clock.advance(2000);
    assert.equal(sizer.load(1, clock.now()), 0);
    const { count, shrinkAt } = sizer.wanted(3, clock.now());
    assert.equal(count, 3);
    await clock.advance(shrinkAt! - clock.now());
    assert.equal(sizer.wanted(3, clock.now()).count, 2);
  });

  it('does not flap at the threshold: a load between the shrink and the grow marks changes nothing', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    const read = {};
    // 10 requests × 8 ms every 100 ms: 80 % on one, 40 % on two (above the 35 % shrink mark)
    await readEvery(sizer, clock, read, 10, 100, 8, 20);
    assert.equal(settle(sizer, clock, 1), 2);
    await readEvery(sizer, clock, read, 10, 100, 8, 20 + DEFAULT_SHRINK_AFTER_MS / 100);
    assert.deepEqual(sizer.wanted(2, clock.now()), { count: 2 });
  });

  it('stops growing for a while after an extra connection was refused', async () => {
    const clock = new ManualClock();
    const sizer = adaptive(3);
    const read = {};
    await readEvery(sizer, clock, read, 14, 100, 12, 20);
    sizer.growFailed(clock.now());
    assert.equal(sizer.wanted(1, clock.now()).count, 1);
    await readEvery(sizer, clock, read, 14, 100, 12, GROW_RETRY_MS / 100);
    assert.equal(sizer.wanted(1, clock.now()).count, 2);
  });

  it('a fixed pool always wants the cap', async () => {
    const clock = new ManualClock();
    const sizer = new PoolSizer({ max: 4, fixed: true, shrinkAfterMs: DEFAULT_SHRINK_AFTER_MS });
    assert.equal(sizer.wanted(4, clock.now()).count, 4);
    await readEvery(sizer, clock, {}, 1, 1000, 1, 5);
    assert.equal(sizer.wanted(4, clock.now()).count, 4);
  });
});
