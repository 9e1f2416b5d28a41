import assert from 'node:assert/strict';
import { InputWatch } from '../../../lib/production/input-watch';

describe('InputWatch: machines whose input went stale', () => {
  it('names a key once it has had no input for longer than the threshold, with the age, the longest first', () => {
    const watch = new InputWatch(10_000);
    assert.deepEqual(watch.staleAt(0), []);
    watch.seen('m1', 1_000);
    watch.seen('m2', 5_000);
    assert.deepEqual(watch.staleAt(11_000), [], 'exactly the threshold is not stale yet');
    assert.deepEqual(watch.staleAt(11_001), [{ key: 'm1', ageMs: 10_001 }]);
    assert.deepEqual(watch.staleAt(20_000), [{ key: 'm1', ageMs: 19_000 }, { key: 'm2', ageMs: 15_000 }]);
    watch.seen('m1', 20_000);
    assert.deepEqual(watch.staleAt(20_000), [{ key: 'm2', ageMs: 15_000 }]);
  });
});
