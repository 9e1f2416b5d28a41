import assert from 'node:assert/strict';
import { RateLimit, StartGate, StateSaver } from '../../../lib/shared/node-kit';
import { ValidationError } from '../../../lib/shared/validate';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('production/adapter', () => {
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

  describe('StateSaver', () => {
    it('saves once per interval after changes, not per change, and only when something changed', async () => {
      let saves = 0;
      const saver = new StateSaver(30, async () => {
        saves += 1;
      }, (err) => assert.fail(String(err)));
      for (let i = 0; i < 1000; i++) saver.changed();
      assert.equal(saves, 0, 'not synchronously');
      await sleep(80);
      assert.equal(saves, 1);
      await sleep(60);
      assert.equal(saves, 1, 'nothing changed since');
      saver.changed();
      await saver.flush();
      assert.equal(saves, 2, 'flush saves at once');
      await sleep(60);
      assert.equal(saves, 2, 'flush cancelled the pending timer');
      await saver.flush();
      assert.equal(saves, 2, 'flush without a change saves nothing');
    });

    it('reports a failed save and saves again after the next change', async () => {
      const errors: string[] = [];
      let fail = true;
      let saves = 0;
      const saver = new StateSaver(10, async () => {
        saves += 1;
        if (fail) throw new Error('disk full');
      }, (err) => errors.push((err as Error).message));
      saver.changed();
      await saver.flush();
      assert.deepEqual(errors, ['disk full']);
      fail = false;
      saver.changed();
      await saver.flush();
      assert.equal(saves, 2);
      assert.deepEqual(errors, ['disk full']);
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
