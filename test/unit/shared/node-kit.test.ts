import assert from 'node:assert/strict';
import { RateLimit, StartGate, StateSaver, Throttle } from '../../../lib/shared/node-kit';
import { Backoff } from '../../../lib/shared/backoff';
import { ValidationError } from '../../../lib/shared/validate';
import { ManualClock } from '../../helpers/manual-clock';

describe('shared/node-kit', () => {
  describe('StartGate', () => {
    it('holds tasks until open, then runs them in order, and later ones at once', async () => {
      const ran: string[] = [];
      const gate = new StartGate((err) => ran.push(`error ${String(err)}`));
      gate.run(() => ran.push('a'));
      gate.run(() => ran.push('b'));
      assert.equal(ran.length, 0, 'held');
      let opened = false;
      const whenOpen = gate.whenOpen().then(() => {
        opened = true;
      });
      gate.open();
      assert.deepEqual(ran, ['a', 'b']);
      gate.run(() => ran.push('c'));
      assert.deepEqual(ran, ['a', 'b', 'c'], 'synchronously once open');
      await whenOpen;
      assert.equal(opened, true);
    });

    it('reports a failing task and keeps running the ones after it', () => {
      const ran: string[] = [];
      const gate = new StartGate((err) => ran.push(`error: ${(err as Error).message}`));
      gate.run(() => {
        throw new Error('boom');
      });
      gate.run(() => ran.push('after'));
      gate.open();
      gate.run(() => {
        throw new Error('again');
      });
      assert.deepEqual(ran, ['error: boom', 'after', 'error: again']);
    });
  });

  describe('StateSaver (on a manual clock)', () => {
    it('saves once per interval after changes, not per change, and only when something changed', async () => {
      const clock = new ManualClock();
      let saves = 0;
      const saver = new StateSaver(1000, async () => {
        saves += 1;
      }, (err) => assert.fail(String(err)), clock);
      for (let i = 0; i < 1000; i++) saver.changed();
      assert.equal(saves, 0, 'not synchronously');
      await clock.advance(999);
      assert.equal(saves, 0, 'not before the interval');
      await clock.advance(1);
      assert.equal(saves, 1, 'once, at the interval');
      await clock.advance(5000);
      assert.equal(saves, 1, 'nothing changed since');
      saver.changed();
      await saver.flush();
      assert.equal(saves, 2, 'flush saves at once');
      await clock.advance(5000);
      assert.equal(saves, 2, 'flush cancelled the pending timer');
      await saver.flush();
      assert.equal(saves, 2, 'flush without a change saves nothing');
    });

    it('keeps a failed save pending and retries it after the backoff, without a new change', async () => {
      const clock = new ManualClock();
      const errors: string[] = [];
      let fail = true;
      let saves = 0;
      const saver = new StateSaver(1000, async () => {
        saves += 1;
        if (fail) throw new Error('ENOSPC: no space left on device');
      }, (err) => errors.push((err as Error).message), clock, new Backoff({ initialMs: 2000, maxMs: 8000 }));
      saver.changed();
      await clock.advance(1000);
      assert.deepEqual([saves, errors.length], [1, 1]);
      await clock.advance(2000);
      assert.deepEqual([saves, errors.length], [2, 2], 'retried after 2 s');
      await clock.advance(3999);
      assert.equal(saves, 2, 'then after 4 s');
      fail = false;
      await clock.advance(1);
      assert.deepEqual([saves, errors.length], [3, 2], 'saved once the disk has room');
      await clock.advance(60_000);
      assert.equal(saves, 3, 'nothing pending after the success');
    });

    it('runs one save at a time: a flush during a save waits for it, then saves what changed meanwhile', async () => {
      const clock = new ManualClock();
      const log: string[] = [];
      let release: () => void = () => undefined;
      let n = 0;
      const saver = new StateSaver(1000, () => {
        const i = ++n;
        log.push(`start ${i}`);
        return new Promise<void>((resolve) => {
          release = () => {
            log.push(`end ${i}`);
            resolve();
          };
        });
      }, (err) => assert.fail(String(err)), clock);
      saver.changed();
      const first = saver.flush();
      await clock.advance(0);
      saver.changed();
      const second = saver.flush();
      await clock.advance(0);
      assert.deepEqual(log, ['start 1'], 'the second waits');
      release();
      await first;
      await clock.advance(0);
      release();
      await second;
      assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2']);
    });

    it('close saves what changed (or drops it for a removed node) and stops its timers', async () => {
      const clock = new ManualClock();
      let saves = 0;
      const saver = new StateSaver(1000, async () => {
        saves += 1;
      }, (err) => assert.fail(String(err)), clock);
      saver.changed();
      await saver.close(true);
      assert.equal(saves, 1);
      saver.changed();
      await clock.advance(10_000);
      assert.equal(saves, 1, 'closed: no timer any more');
      const removed = new StateSaver(1000, async () => {
        saves += 1;
      }, (err) => assert.fail(String(err)), clock);
      removed.changed();
      await removed.close(false);
      await clock.advance(10_000);
      assert.equal(saves, 1);
    });
  });

  describe('Throttle (on a manual clock)', () => {
    it('runs at once, then at most once per interval, a request in between at the interval\'s end', async () => {
      const clock = new ManualClock();
      let runs = 0;
      const throttle = new Throttle(1000, () => {
        runs += 1;
      }, clock);
      throttle.request();
      assert.equal(runs, 1);
      throttle.request();
      throttle.request();
      await clock.advance(999);
      assert.equal(runs, 1);
      await clock.advance(1);
      assert.equal(runs, 2, 'the requests in between ran once');
      throttle.request();
      throttle.close();
      await clock.advance(5000);
      assert.equal(runs, 2, 'close cancels the pending run');
    });
  });

  describe('RateLimit', () => {
    it('allows each key and kind once per interval', () => {
      let now = 0;
      const limit = new RateLimit(1000, () => now);
      assert.equal(limit.allow('m1', 'gap'), true);
      assert.equal(limit.allow('m1', 'gap'), false);
      assert.equal(limit.allow('m1', 'short-pulse'), true, 'another kind');
      assert.equal(limit.allow('m2', 'gap'), true, 'another key');
      now = 999;
      assert.equal(limit.allow('m1', 'gap'), false);
      now = 1000;
      assert.equal(limit.allow('m1', 'gap'), true);
    });
  });

  describe('ValidationError', () => {
    it('carries its field, message and name, and leaves the stack trace limit as it was', () => {
      const limit = Error.stackTraceLimit;
      const err = new ValidationError('msg.payload', 'expected a BOOL');
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'ValidationError');
      assert.equal(err.field, 'msg.payload');
      assert.equal(err.message, 'msg.payload: expected a BOOL');
      assert.equal(Error.stackTraceLimit, limit);
    });
  });
});
