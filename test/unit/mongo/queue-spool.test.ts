import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON, ObjectId } from 'mongodb';
import { WriteQueue } from '../../../lib/mongo/queue';
import { Spool, type SpoolFs } from '../../../lib/mongo/spool';
import { ManualClock } from '../../helpers/manual-clock';

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
    const batch = q.take('latest', 10);
    const [entry] = batch;
    assert.equal(entry.item.v, 3);
    assert.deepEqual(entry.waiters.sort(), ['a', 'b', 'c']);
    q.add('latest', { v: 4 }, 1, 'd', { key: 's', newer });
    const superseded = q.retry('latest', batch);
    assert.equal(superseded.length, 1);
    const taken = q.take('latest', 10);
    const [next] = taken;
    assert.equal(next.item.v, 4);
    assert.deepEqual(next.waiters.sort(), ['a', 'b', 'c', 'd']);
    q.complete('latest', taken);
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
      q.complete('raw', batch);
    }
    assert.deepEqual(seen, Array.from({ length: 2500 }, (_, i) => i + 500));
    assert.equal(q.entries, 0);
  });

  it('puts a failed batch back at the head of its lane, one batch in flight per lane unless told more', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 10, maxBytes: 1e9, overflow: 'drop-oldest' });
    for (let v = 1; v <= 4; v++) q.add('raw', { v }, 1, `w${v}`);
    const batch = q.take('raw', 2);
    assert.deepEqual(q.take('raw', 2), [], 'second batch waits');
    assert.deepEqual(q.waitingLanes(), [{ name: 'raw', pending: 2, batchesInFlight: 1 }]);
    q.retry('raw', batch);
    assert.deepEqual(q.take('raw', 10).map((e) => e.item.v), [1, 2, 3, 4]);
  });

  it('keeps two batches of a lane in flight apart: each completes or comes back on its own, in seq order', () => {
    const q = new WriteQueue<Item, string>({ maxEntries: 100, maxBytes: 1e9, overflow: 'drop-oldest' });
    for (let v = 1; v <= 8; v++) q.add('raw', { v }, 1, `w${v}`);
    const first = q.take('raw', 3, 2);
    const second = q.take('raw', 3, 2);
    assert.deepEqual(q.take('raw', 3, 2), [], 'no third batch');
    assert.equal(q.inFlight, 6);
    assert.deepEqual([...q.all()].map((e) => e.item.v), [1, 2, 3, 4, 5, 6, 7, 8], 'in flight and pending, for the spool and close');
    // The later batch fails first, then the earlier one: both come back before what waits, in order.
    q.retry('raw', second);
    q.retry('raw', first);
    assert.equal(q.inFlight, 0);
    const all = q.take('raw', 10);
    assert.deepEqual(all.map((e) => e.item.v), [1, 2, 3, 4, 5, 6, 7, 8]);
    q.retry('raw', all);
    // A batch completes alone: the other stays in flight.
    const a = q.take('raw', 4, 2);
    const b = q.take('raw', 4, 2);
    q.complete('raw', b);
    assert.equal(q.entries, 4);
    assert.equal(q.inFlight, 4);
    q.complete('raw', b); // not in flight any more: nothing happens
    assert.equal(q.entries, 4);
    q.complete('raw', a);
    assert.equal(q.entries, 0);
    assert.equal(q.inFlight, 0);
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

  it('never writes (nor serialises) an entry acknowledged before its write; the others replay as before', async () => {
    const file = path.join(dir, 'q.jsonl');
    const clock = new ManualClock();
    const serialised: number[] = [];
    const ejson = { ...BSON.EJSON, stringify: (value: unknown, options?: { relaxed?: boolean }) => (serialised.push((value as { a: number }).a), BSON.EJSON.stringify(value, options)) };
    const spool = new Spool<{ v: number }>(file, ejson, { clock, flushMs: 100 });
    spool.load();
    for (const seq of [1, 2, 3]) spool.add({ seq, lane: 'l', item: { v: seq }, bytes: 1 });
    spool.ack([1, 2, 3]); // written to the database within flushMs
    await clock.advance(100);
    assert.equal(fs.statSync(file).size, 0, 'nothing written');
    assert.deepEqual(serialised, []);
    spool.add({ seq: 4, lane: 'l', item: { v: 4 }, bytes: 1 });
    spool.add({ seq: 5, lane: 'l', item: { v: 5 }, bytes: 1 });
    await clock.advance(100); // 4 and 5 wait longer than flushMs: written
    spool.add({ seq: 6, lane: 'l', item: { v: 6 }, bytes: 1 });
    spool.add({ seq: 7, lane: 'l', item: { v: 7 }, bytes: 1 });
    spool.ack([4, 6]);
    await clock.advance(100);
    assert.deepEqual(serialised, [4, 5, 7]);
    assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => Object.keys(JSON.parse(l))[0]), ['a', 'a', 'd', 'a'], 'adds of 4 and 5; the acknowledgement of 4, the add of 7');
    spool.close();
    const again = new Spool<{ v: number }>(file, BSON.EJSON);
    assert.deepEqual(again.load().map((e) => e.seq), [5, 7]);
    again.close();
  });

  it('after a crash (the process killed), replays every entry written and not acknowledged in the file', () => {
    const file = path.join(dir, 'q.jsonl');
    // A child writes 1-3 (flushed), acknowledges 1 (flushed), acknowledges 2 and adds 4 (not yet
    // flushed), and is killed: 2 comes back (written twice is harmless, every write is idempotent); 4 was
    // never on disk, as before (the spool's window is flushMs).
    const script = `
      const { Spool } = require(${JSON.stringify(path.resolve(__dirname, '../../../lib/mongo/spool.js'))});
      const { BSON } = require('mongodb');
      const spool = new Spool(${JSON.stringify(file)}, BSON.EJSON, { flushMs: 60000 });
      spool.load();
      for (const seq of [1, 2, 3]) spool.add({ seq, lane: 'l', item: { v: seq, at: new Date(seq) }, bytes: 1 });
      spool.flush();
      spool.ack([1]);
      spool.flush();
      spool.ack([2]);
      spool.add({ seq: 4, lane: 'l', item: { v: 4, at: new Date(4) }, bytes: 1 });
      process.kill(process.pid, 'SIGKILL');`;
    let killed: string | null = null;
    try {
      execFileSync(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../../../..'), stdio: 'pipe' });
    } catch (err) {
      killed = (err as { signal: string | null }).signal;
    }
    assert.equal(killed, 'SIGKILL');
    const after = new Spool<{ v: number; at: Date }>(file, BSON.EJSON);
    const entries = after.load();
    assert.deepEqual(entries.map((e) => e.seq), [2, 3]);
    assert.ok(entries[0].item.at instanceof Date && entries[0].item.at.getTime() === 2);
    assert.equal(after.corruptLines, 0);
    after.close();
  });
});

/** The real file system, made to fail on demand like a full disk (ENOSPC) or a read-only mount (EROFS). */
class FailingFs implements SpoolFs {
  /** Error code every writing operation fails with; undefined: works. */
  failWith: string | undefined;
  /** The next write stores half of its bytes, then the disk is full. */
  halfWriteThenFull = false;
  failures = 0;

  private fail(op: string): void {
    if (!this.failWith) return;
    this.failures++;
    throw Object.assign(new Error(`${this.failWith}: ${op} failed`), { code: this.failWith });
  }
  closeSync = fs.closeSync;
  existsSync = fs.existsSync;
  fstatSync = fs.fstatSync;
  readFileSync = fs.readFileSync;
  unlinkSync = fs.unlinkSync;
  fsyncSync: SpoolFs['fsyncSync'] = (fd) => (this.fail('fsync'), fs.fsyncSync(fd));
  mkdirSync = ((dir: string, options: fs.MakeDirectoryOptions) => (this.fail('mkdir'), fs.mkdirSync(dir, options))) as SpoolFs['mkdirSync'];
  openSync = ((file: string, flags: string) => (this.fail('open'), fs.openSync(file, flags))) as SpoolFs['openSync'];
  renameSync: SpoolFs['renameSync'] = (from, to) => (this.fail('rename'), fs.renameSync(from, to));
  writeSync = ((fd: number, data: Buffer, offset: number, length: number) => {
    if (this.halfWriteThenFull) {
      this.halfWriteThenFull = false;
      this.failWith = 'ENOSPC';
      return fs.writeSync(fd, data, offset, Math.ceil(length / 2));
    }
    this.fail('write');
    return fs.writeSync(fd, data, offset, length);
  }) as SpoolFs['writeSync'];
}

describe('mongo spool on a failing disk', () => {
  let dir: string;
  let clock: ManualClock;
  let problems: string[];
  const options = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    clock, flushMs: 5, retryInitialMs: 100, onProblem: (p: Error | undefined) => problems.push(p ? p.message : 'recovered'), ...extra,
  });
  const entry = (seq: number, bytes = 10): { seq: number; lane: string; item: { v: number; pad: string }; bytes: number } =>
    ({ seq, lane: 'l', item: { v: seq, pad: 'x'.repeat(bytes) }, bytes });
  const replay = (file: string): number[] => {
    const again = new Spool<{ v: number }>(file, BSON.EJSON);
    const seqs = again.load().map((e) => e.seq);
    assert.equal(again.corruptLines, 0, 'no half-written line');
    again.close();
    return seqs;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'spool-fail-'));
    clock = new ManualClock();
    problems = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a full disk once, keeps every entry in memory, retries, and rewrites the file whole once the disk works again', async () => {
    const file = path.join(dir, 'q.jsonl');
    const disk = new FailingFs();
    const spool = new Spool<{ v: number }>(file, BSON.EJSON, { ...options(), fs: disk });
    spool.load();
    for (const seq of [1, 2, 3]) spool.add(entry(seq));
    await clock.advance(5);
    disk.halfWriteThenFull = true;
    spool.add(entry(4));
    spool.add(entry(5));
    spool.ack([1]);
    await clock.advance(5); // the timer's write fails half-way: nothing is thrown out of it
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^spool .*q\.jsonl: ENOSPC/);
    assert.equal(spool.problem?.message, problems[0]);
    spool.add(entry(6));
    spool.ack([2]);
    const failuresBefore = disk.failures;
    await clock.advance(100);
    assert.ok(disk.failures > failuresBefore, 'retried while the disk is full');
    assert.equal(problems.length, 1, 'the same problem is reported once');
    assert.equal(spool.pending, 4, 'everything live is still held');
    disk.failWith = undefined;
    await clock.advance(30_000);
    assert.deepEqual(problems.slice(1), ['recovered']);
    assert.equal(spool.problem, undefined);
    assert.equal(spool.close(), true, 'the file holds every live entry');
    assert.deepEqual(replay(file), [3, 4, 5, 6]);
  });

  it('says so when it closes on a disk that still fails (the entries exist only in memory)', async () => {
    const disk = new FailingFs();
    const spool = new Spool<{ v: number }>(path.join(dir, 'q.jsonl'), BSON.EJSON, { ...options(), fs: disk });
    spool.load();
    disk.failWith = 'EROFS';
    spool.add(entry(1));
    assert.doesNotThrow(() => spool.flush());
    assert.match(problems[0], /EROFS/);
    assert.equal(spool.close(), false);
  });

  it('notices its directory removed under it and writes the file again', async () => {
    const sub = path.join(dir, 'spool');
    const file = path.join(sub, 'q.jsonl');
    const spool = new Spool<{ v: number }>(file, BSON.EJSON, options());
    spool.load();
    spool.add(entry(1));
    await clock.advance(5);
    rmSync(sub, { recursive: true, force: true });
    spool.add(entry(2));
    await clock.advance(5);
    assert.match(problems[0] ?? '', /removed/);
    await clock.advance(100);
    assert.deepEqual(problems.slice(1), ['recovered']);
    assert.equal(spool.close(), true);
    assert.deepEqual(replay(file), [1, 2]);
  });

  describe('on a real full file system (a 64 KiB tmpfs; needs root)', () => {
    let mount: string;
    before(function () {
      mount = mkdtempSync(path.join(os.tmpdir(), 'spool-tmpfs-'));
      try {
        if (process.getuid?.() !== 0) throw new Error('not root');
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount], { stdio: 'ignore' });
      } catch {
        rmSync(mount, { recursive: true, force: true });
        this.skip();
      }
    });
    after(() => {
      if (!fs.existsSync(mount)) return;
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' }); // lazy: a descriptor still open must not keep it mounted
      rmSync(mount, { recursive: true, force: true });
    });

    it('survives ENOSPC, keeps everything, and recovers once acknowledged entries free the space', async () => {
      const file = path.join(mount, 'q.jsonl');
      const spool = new Spool<{ v: number }>(file, BSON.EJSON, options());
      spool.load();
      for (let seq = 1; seq <= 100; seq++) spool.add(entry(seq, 1000)); // ~100 KiB into 64 KiB
      await clock.advance(5);
      assert.match(problems[0] ?? '', /ENOSPC/);
      assert.equal(spool.pending, 100);
      spool.ack(Array.from({ length: 80 }, (_, i) => i + 1)); // written to the database meanwhile
      await clock.advance(30_000);
      assert.deepEqual(problems.slice(1), ['recovered']);
      assert.equal(spool.close(), true);
      assert.deepEqual(replay(file), Array.from({ length: 20 }, (_, i) => i + 81));
    });
  });
});
