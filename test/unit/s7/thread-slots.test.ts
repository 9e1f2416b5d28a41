import assert from 'node:assert/strict';
import { limitsFor, OVERDUE_MS, threadPoolSize, ThreadSlots, type ReleaseSlot, type SlotGrant, type SlotKind } from '../../../lib/s7/thread-slots';

/** Lets granted acquisitions resolve (grants are promise callbacks). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Acquires and records the release once granted. */
function take(slots: ThreadSlots, owner: object, kind: SlotKind): { granted: () => ReleaseSlot | undefined } {
  let release: ReleaseSlot | undefined;
  void slots.acquire(owner, kind).then((grant) => { release = grant.release; });
  return { granted: () => release };
}

const grantedCount = (takes: { granted: () => ReleaseSlot | undefined }[]): number => takes.filter((t) => t.granted()).length;

describe('snap7 thread slots', () => {
  it('leaves one thread of the pool to file I/O, and keeps one slot for requests', () => {
    assert.equal(threadPoolSize({}), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'many' }), 4);
    assert.deepEqual(limitsFor(4), { total: 3, connects: 1, probation: 1 });
    assert.deepEqual(limitsFor(16), { total: 15, connects: 13, probation: 1 });
    assert.deepEqual(limitsFor(1), { total: 1, connects: 1, probation: 1 });
    for (const threads of [4, 5, 8, 64, 1024]) {
      const l = limitsFor(threads);
      assert.equal(l.total, threads - 1, `${threads} threads: snap7 never holds more than threads - 1`);
      assert.ok(l.total - l.connects - l.probation >= 1, `${threads} threads: requests always keep a slot`);
    }
  });

  it('never lets connects or calls on probation take the slot requests need, nor more than the budget in all', async () => {
    const slots = new ThreadSlots(limitsFor(4));
    const silent = Array.from({ length: 8 }, () => take(slots, {}, 'probation'));
    const connects = Array.from({ length: 3 }, () => take(slots, {}, 'connect'));
    await settle();
    assert.equal(grantedCount(silent), 1, 'one call on probation at a time on the default pool');
    assert.equal(grantedCount(connects), 1, 'one connect at a time on the default pool');
    const healthy = take(slots, {}, 'request');
    await settle();
    assert.ok(healthy.granted(), 'a request to a healthy PLC still finds a slot');
    const another = take(slots, {}, 'request');
    await settle();
    assert.equal(another.granted(), undefined, 'the budget (3 of 4 threads) is used up');
    assert.equal(slots.usage.peak, 3);
    healthy.granted()?.();
    await settle();
    assert.ok(another.granted(), 'a freed slot goes to the waiting request, not to a connect (connects are at their limit)');
    assert.deepEqual([slots.usage.connects, slots.usage.probation, slots.usage.held], [1, 1, 3]);
  });

  it('never makes a connect in good standing or a request wait behind a call on probation (a test read)', async () => {
    const slots = new ThreadSlots(limitsFor(4));
    const tests = [take(slots, {}, 'probation'), take(slots, {}, 'probation')];
    await settle();
    assert.deepEqual(tests.map((t) => Boolean(t.granted())), [true, false], 'one at a time');
    const connect = take(slots, {}, 'connect');
    const request = take(slots, {}, 'request');
    await settle();
    assert.ok(connect.granted() && request.granted(), 'production connect and request granted while a test read holds its slot');
    assert.equal(tests[1].granted(), undefined, 'the second test read still waits for the first');
    tests[0].granted()?.();
    await settle();
    assert.ok(tests[1].granted());
    assert.equal(slots.usage.peak, 3, 'never more than 3 of 4 threads');
  });

  it('serves the least recently served PLC first', async () => {
    const slots = new ThreadSlots({ total: 1, connects: 1, probation: 1 });
    const busy = {};
    const quiet = {};
    const first = take(slots, busy, 'request');
    await settle();
    const again = [take(slots, busy, 'request'), take(slots, busy, 'request')];
    const other = take(slots, quiet, 'request');
    first.granted()?.();
    await settle();
    assert.ok(other.granted(), 'the PLC not served yet goes before the one that keeps asking');
    assert.equal(grantedCount(again), 0);
    other.granted()?.();
    await settle();
    assert.equal(grantedCount(again), 1);
  });

  it('refuses the waiting calls of a closing connection and releases once only', async () => {
    const slots = new ThreadSlots({ total: 1, connects: 1, probation: 1 });
    const owner = {};
    const held = take(slots, {}, 'request');
    await settle();
    const refused = slots.acquire(owner, 'request').then(() => 'granted', (err: Error) => err.message);
    slots.cancel(owner, new Error('closed'));
    assert.equal(await refused, 'closed');
    const release = held.granted() as ReleaseSlot;
    release();
    release();
    assert.equal(slots.usage.held, 0);
  });

  it('after requests went unanswered, gives each PLC not heard from since a trial (short timeout) until it answers', async () => {
    let now = 0;
    const slots = new ThreadSlots({ total: 3, connects: 1, probation: 1 }, { now: () => now });
    const grantOf = (owner: object): { grant: () => SlotGrant | undefined } => {
      let grant: SlotGrant | undefined;
      void slots.acquire(owner, 'request').then((g) => { grant = g; });
      return { grant: () => grant };
    };
    const silent = [{}, {}, {}];
    const healthy = {};
    const stuck = silent.map(grantOf);
    await settle();
    assert.deepEqual(stuck.map((s) => s.grant()?.trial), [false, false, false], 'nothing is known before the PLCs fall silent');
    const waiting = grantOf(healthy);
    now = OVERDUE_MS + 100;
    stuck[0].grant()?.release(); // its receive timeout ended
    await settle();
    assert.equal(waiting.grant()?.trial, true, 'not heard from since the stall began: a trial');
    now += 2;
    waiting.grant()?.release(); // answered at once
    const again = grantOf(healthy);
    await settle();
    assert.equal(again.grant()?.trial, false, 'a PLC that answered during the stall is trusted again');
    const unknown = grantOf({});
    stuck[1].grant()?.release();
    await settle();
    assert.equal(unknown.grant()?.trial, true, 'one not heard from is tried briefly');
    for (const s of [stuck[2], again, unknown]) s.grant()?.release();
    now += 2000;
    const later = grantOf({});
    await settle();
    assert.equal(later.grant()?.trial, false, 'the stall is over once nothing was overdue for a while');
  });
});
