import assert from 'node:assert/strict';
import { ParkedConnections } from '../../../../lib/s7/session/parked-connections';
import { ManualClock } from '../../../helpers/manual-clock';

/** A session that records whether it was closed. */
const session = (name: string): { name: string; closed: boolean; close(): Promise<void> } => ({
  name,
  closed: false,
  async close() {
    this.closed = true;
  },
});

describe('parked PLC sessions (full deploy)', () => {
  it('gives a parked session back to the same node id with the same settings, open', () => {
    const parked = new ParkedConnections<ReturnType<typeof session>>(1000);
    const s = session('a');
    parked.park('conn', 'host=plc1', s);
    assert.equal(parked.take('conn', 'host=plc1'), s);
    assert.equal(s.closed, false);
    assert.equal(parked.size, 0);
    assert.equal(parked.take('conn', 'host=plc1'), undefined, 'taken once');
  });

  it('closes a parked session when its node comes back with other settings, and gives nothing', () => {
    const parked = new ParkedConnections<ReturnType<typeof session>>(1000);
    const s = session('a');
    parked.park('conn', 'host=plc1', s);
    assert.equal(parked.take('conn', 'host=plc2'), undefined);
    assert.equal(s.closed, true);
    assert.equal(parked.size, 0);
  });

  it('never hands a session to another node id', () => {
    const parked = new ParkedConnections<ReturnType<typeof session>>(1000);
    const s = session('a');
    parked.park('conn', 'host=plc1', s);
    assert.equal(parked.take('other', 'host=plc1'), undefined);
    assert.equal(s.closed, false);
    parked.closeAll();
  });

  it('closes what nobody took back: on closeAll, after the grace period, and when parked over', async () => {
    const clock = new ManualClock();
    const parked = new ParkedConnections<ReturnType<typeof session>>(30, clock);
    const [a, b, c] = [session('a'), session('b'), session('c')];
    parked.park('x', 'k', a);
    parked.park('x', 'k', b);
    assert.equal(a.closed, true, 'a second park of the same node closes the first session');
    parked.park('y', 'k', c);
    parked.closeAll();
    assert.deepEqual([b.closed, c.closed], [true, true]);
    assert.equal(parked.size, 0);

    const d = session('d');
    parked.park('z', 'k', d);
    await clock.advance(29);
    assert.equal(d.closed, false, 'kept during the grace period');
    await clock.advance(1);
    assert.equal(d.closed, true, 'closed after the grace period');
    assert.equal(parked.take('z', 'k'), undefined);
  });

  it('a failing close of an abandoned session does not escape', async () => {
    const parked = new ParkedConnections<{ close(): Promise<void> }>(1000);
    let attempted = false;
    parked.park('conn', 'k', { close: async () => { attempted = true; throw new Error('socket gone'); } });
    parked.closeAll();
    assert.equal(attempted, true);
    await new Promise((resolve) => setImmediate(resolve));
  });
});
