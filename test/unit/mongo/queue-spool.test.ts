import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON, ObjectId } from 'mongodb';
import { WriteQueue } from '../../../lib/mongo/queue';
import { Spool } from '../../../lib/mongo/spool';

interface Item {
  v: number;
}
const newer = (a: Item, b: Item): boolean => a.v >= b.v;

describe('mongo write queue', () => {
  it('drops the oldest raw entries when full, never keyed ones', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 3, maxBytes: 1e9, overflow: 'drop-oldest' });
    q.add('status', { v: 1 }, 10, 's1', { key: 'm1', newer });
    q.add('raw', { v: 1 }, 10, 'r1');
    q.add('raw', { v: 2 }, 10, 'r2');
    const r = q.add('raw', { v: 3 }, 10, 'r3');
    assert.deepEqual(r.dropped.map((e) => e.waiters[0]), ['r1']);
    assert.equal(q.entries, 3);
    const k = q.add('status', { v: 2 }, 10, 's2', { key: 'm2', newer });
    assert.deepEqual(k.dropped.map((e) => e.waiters[0]), ['r2'], 'a keyed entry makes room by dropping raw ones');
    assert.deepEqual(q.take('raw', 10).map((e) => e.item.v), [3]);
  });

  it('drops the newest when so configured, and bounds bytes', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 100, maxBytes: 25, overflow: 'drop-newest' });
    q.add('raw', { v: 1 }, 10, 'a');
    q.add('raw', { v: 2 }, 10, 'b');
    assert.equal(q.add('raw', { v: 3 }, 10, 'c').rejected, true);
    assert.equal(q.bytes, 20);
  });

  it('coalesces keyed entries (newest wins, waiters kept) and lets a newer pending entry supersede a retried one', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 10, maxBytes: 1e9, overflow: 'drop-oldest' });
    q.add('latest', { v: 1 }, 1, 'a', { key: 's', newer });
    q.add('latest', { v: 3 }, 1, 'b', { key: 's', newer });
    q.add('latest', { v: 2 }, 1, 'c', { key: 's', newer });
    assert.equal(q.entries, 1);
    const [entry] = q.take('latest', 10);
    assert.equal(entry.item.v, 3);
    assert.deepEqual(entry.waiters.sort(), ['a', 'b', 'c']);
    q.add('latest', { v: 4 }, 1, 'd', { key: 's', newer });
    const superseded = q.retry('latest', [entry]);
    assert.equal(superseded.length, 1);
    const [next] = q.take('latest', 10);
    assert.equal(next.item.v, 4);
    assert.deepEqual(next.waiters.sort(), ['a', 'b', 'c', 'd']);
    q.complete('latest');
    assert.equal(q.entries, 0);
  });

  it('keeps FIFO order through thousands of entries, drops and retries', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 2500, maxBytes: 1e9, overflow: 'drop-oldest' });
    for (let v = 0; v < 3000; v++) q.add('raw', { v }, 1, `w${v}`);
    const seen: number[] = [];
    let failed = false;
    for (let round = 0; round < 10; round++) {
      const batch = q.take('raw', 700);
      if (batch.length === 0) break;
      if (seen.length === 700 && !failed) {
        failed = true;
        q.retry('raw', batch); // fails once, comes back first
        continue;
      }
      seen.push(...batch.map((e) => e.item.v));
      q.complete('raw');
    }
    assert.deepEqual(seen, Array.from({ length: 2500 }, (_, i) => i + 500));
    assert.equal(q.entries, 0);
  });

  it('puts a failed batch back at the head of its lane, one batch in flight per lane', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 10, maxBytes: 1e9, overflow: 'drop-oldest' });
    for (let v = 1; v <= 4; v++) q.add('raw', { v }, 1, `w${v}`);
    const batch = q.take('raw', 2);
    assert.deepEqual(q.take('raw', 2), [], 'second batch waits');
    assert.deepEqual(q.idleLanes(), []);
    q.retry('raw', batch);
    assert.deepEqual(q.take('raw', 10).map((e) => e.item.v), [1, 2, 3, 4]);
  });
});

describe('mongo spool', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'spool-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays what was added and not acknowledged, with Dates and ObjectIds intact', () => {
    const file = path.join(dir, 'q.jsonl');
    const id = new ObjectId();
    const a = new Spool<Record<string, unknown>>(file, BSON.EJSON, { flushMs: 5 });
    assert.deepEqual(a.load(), []);
    a.add({ seq: 1, lane: 'l', item: { at: new Date(5), id }, bytes: 10 });
    a.add({ seq: 2, lane: 'k', key: 'm', item: { v: 2 }, bytes: 10 });
    a.add({ seq: 3, lane: 'l', item: { v: 3 }, bytes: 10 });
    a.ack([1]);
    a.close();
    appendFileSync(file, '{"a": 9, "l": "l", "i": {tor'); // a crash mid-line
    const b = new Spool<Record<string, unknown>>(file, BSON.EJSON, { flushMs: 5 });
    const entries = b.load();
    assert.deepEqual(entries.map((e) => e.seq), [2, 3]);
    assert.equal(entries[0].key, 'm');
    assert.equal(b.corruptLines, 1);
    b.close();
    writeFileSync(file, BSON.EJSON.stringify({ a: 7, l: 'l', b: 1, i: { at: new Date(7), id } }, { relaxed: true }) + '\n');
    const c = new Spool<{ at: Date; id: ObjectId }>(file, BSON.EJSON, { flushMs: 5 });
    const [e] = c.load();
    assert.ok(e.item.at instanceof Date && e.item.at.getTime() === 7);
    assert.ok(e.item.id instanceof ObjectId && e.item.id.equals(id));
    c.close();
  });
});
