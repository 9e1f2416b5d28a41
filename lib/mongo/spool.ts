/**
 * The optional disk spool: every queued entry is appended to a file (one JSON line, Extended
 * JSON so Dates and ObjectIds survive) and acknowledged once written, dropped or superseded, so
 * a restart during an outage replays what was not yet written. Lines are buffered and written
 * (and fsynced) together, every `flushMs`; the file is compacted when mostly acknowledged. An
 * entry acknowledged before that write is never written (nor serialised): the database took it
 * within `flushMs`, so a crash loses nothing the file would have held, and under load (full
 * batches go at once) most entries never touch the disk.
 *
 * A failing disk (full, read-only, directory removed) never throws out of a timer: the spool
 * keeps every live entry in memory, reports the problem, and retries with backoff by rewriting
 * the whole file from memory (a half-written line must not be followed by a retried copy).
 */
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { Backoff } from '../shared/backoff';
import { systemClock, type Clock } from '../shared/clock';

export interface SpooledEntry<T> {
  seq: number;
  lane: string;
  key?: string;
  item: T;
  bytes: number;
}

export interface ExtendedJson {
  stringify(value: unknown, options?: { relaxed?: boolean }): string;
  parse(text: string, options?: { relaxed?: boolean }): unknown;
}

/** The file operations the spool uses: a seam, so tests can make the disk fail. */
export type SpoolFs = Pick<
  typeof nodeFs,
  'closeSync' | 'existsSync' | 'fstatSync' | 'fsyncSync' | 'mkdirSync' | 'openSync' | 'readFileSync' | 'renameSync' | 'unlinkSync' | 'writeSync'
>;

export interface SpoolOptions {
  /** How long lines are buffered before they are written together, ms (default 100). */
  flushMs?: number;
  clock?: Clock;
  fs?: SpoolFs;
  /** First retry after a failed write, ms (default 1000; doubles up to 30 s). */
  retryInitialMs?: number;
  /** The disk failed (an Error naming the operation and file) or works again (undefined). */
  onProblem?: (problem: Error | undefined) => void;
}

interface AddLine<T> {
  a: number;
  l: string;
  k?: string;
  b: number;
  i: T;
}
interface AckLine {
  d: number[];
}

export class Spool<T> {
  /** Entries added since the last write, in seq order; acknowledged ones leave unwritten. */
  private unwritten = new Map<number, SpooledEntry<T>>();
  /** Acknowledgements of entries the file holds, for the next write. */
  private acks: number[] = [];
  private fd: number | undefined;
  private live = new Map<number, SpooledEntry<T>>();
  private acknowledged = 0;
  private timer: unknown;
  private readonly flushMs: number;
  private readonly clock: Clock;
  private readonly fs: SpoolFs;
  private readonly retry: Backoff;
  /** Set while the file is behind memory: the next attempt rewrites it whole. */
  private failure: Error | undefined;
  /** Lines in the file that could not be read (a crash mid-line): counted, reported once. */
  corruptLines = 0;

  constructor(readonly file: string, private readonly ejson: ExtendedJson, private readonly options: SpoolOptions = {}) {
    this.flushMs = options.flushMs ?? 100;
    this.clock = options.clock ?? systemClock;
    this.fs = options.fs ?? nodeFs;
    this.retry = new Backoff({ initialMs: options.retryInitialMs ?? 1000, maxMs: 30_000 });
  }

  /** The disk problem the spool is retrying, if any. */
  get problem(): Error | undefined {
    return this.failure;
  }

  /**
   * Reads what earlier runs left unwritten, oldest first, and opens the file for appending.
   * Throws when an existing spool file cannot be read (its entries must not be overwritten);
   * a failure to write is retried like any other.
   */
  load(): SpooledEntry<T>[] {
    if (this.fs.existsSync(this.file)) {
      for (const line of this.fs.readFileSync(this.file, 'utf8').split('\n')) {
        if (!line) continue;
        let parsed: AddLine<T> | AckLine;
        try {
          parsed = this.ejson.parse(line, { relaxed: true }) as AddLine<T> | AckLine;
        } catch {
          this.corruptLines++;
          continue;
        }
        if ('d' in parsed) for (const seq of parsed.d) this.live.delete(seq);
        else this.live.set(parsed.a, { seq: parsed.a, lane: parsed.l, ...(parsed.k === undefined ? {} : { key: parsed.k }), item: parsed.i, bytes: parsed.b });
      }
    }
    this.attempt(() => this.rewrite());
    return [...this.live.values()].sort((a, b) => a.seq - b.seq);
  }

  add(entry: SpooledEntry<T>): void {
    this.live.set(entry.seq, entry);
    if (this.failure) return; // the retry rewrites the file from memory
    this.unwritten.set(entry.seq, entry);
    this.schedule();
  }

  ack(seqs: number[]): void {
    for (const seq of seqs) {
      this.live.delete(seq);
      if (this.failure || this.unwritten.delete(seq)) continue;
      this.acks.push(seq);
      this.acknowledged++;
    }
    if (this.acks.length) this.schedule();
  }

  private addLine(e: SpooledEntry<T>): AddLine<T> {
    return { a: e.seq, l: e.lane, b: e.bytes, i: e.item, ...(e.key === undefined ? {} : { k: e.key }) };
  }

  private schedule(): void {
    this.timer ??= this.clock.setTimer(() => this.flush(), this.flushMs);
  }

  /** What the next write appends: the acknowledgements, then the entries added since. */
  private takeLines(): string[] {
    const lines = this.acks.length ? [JSON.stringify({ d: this.acks })] : [];
    for (const entry of this.unwritten.values()) lines.push(this.ejson.stringify(this.addLine(entry), { relaxed: true }));
    this.clearUnwritten();
    return lines;
  }

  private clearUnwritten(): void {
    this.unwritten = new Map();
    this.acks = [];
  }

  /** Writes buffered lines and fsyncs; compacts when most lines are acknowledgements. Never throws. */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.failure) {
      this.attempt(() => this.rewrite());
      return;
    }
    if (this.fd === undefined || (this.unwritten.size === 0 && this.acks.length === 0)) return;
    this.attempt(() => {
      this.writeAll(this.fd!, this.takeLines().join('\n') + '\n');
      this.fs.fsyncSync(this.fd!);
      // Writes to a file whose directory was removed succeed, and vanish with the process.
      if (this.fs.fstatSync(this.fd!).nlink === 0) throw Object.assign(new Error('the spool file was removed'), { code: 'ENOENT' });
      if (this.acknowledged > 10_000 && this.acknowledged > 2 * this.live.size) this.rewrite();
    });
  }

  /** Runs file work; a failure is kept, reported once per kind, and retried from memory. */
  private attempt(work: () => void): void {
    try {
      work();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const first = (this.failure as NodeJS.ErrnoException | undefined)?.code !== code || !this.failure;
      this.failure = Object.assign(new Error(`spool ${this.file}: ${(err as Error).message}`), { code });
      this.clearUnwritten();
      if (first) this.options.onProblem?.(this.failure);
      this.timer ??= this.clock.setTimer(() => this.flush(), this.retry.next());
      return;
    }
    if (this.failure) {
      this.failure = undefined;
      this.options.onProblem?.(undefined);
    }
    this.retry.reset();
  }

  /** writeSync may write less than asked (a nearly full disk): the rest follows, or it throws. */
  private writeAll(fd: number, text: string): void {
    const data = Buffer.from(text);
    for (let offset = 0; offset < data.length; ) offset += this.fs.writeSync(fd, data, offset, data.length - offset);
  }

  /**
   * The file holds exactly the live entries: written to a temporary file, then renamed. On a
   * full disk the old file itself is rewritten in place: it is already behind memory, and the
   * space it takes is what the new one needs.
   */
  private rewrite(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      try {
        this.fs.closeSync(fd);
      } catch {
        // The descriptor is released either way; the rewrite below replaces what it wrote.
      }
    }
    this.fs.mkdirSync(path.dirname(this.file), { recursive: true }); // again: it may have been removed
    const tmp = `${this.file}.tmp`;
    try {
      this.writeLive(tmp);
      this.fs.renameSync(tmp, this.file);
    } catch (err) {
      // A half-written temporary file only takes space a full disk needs.
      try {
        this.fs.unlinkSync(tmp);
      } catch {
        // already gone, or the directory is
      }
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      this.writeLive(this.file);
    }
    this.fd = this.fs.openSync(this.file, 'a');
    this.acknowledged = 0;
    this.clearUnwritten();
  }

  private writeLive(file: string): void {
    const fd = this.fs.openSync(file, 'w');
    try {
      const lines = [...this.live.values()].map((e) => this.ejson.stringify(this.addLine(e), { relaxed: true }));
      if (lines.length) this.writeAll(fd, lines.join('\n') + '\n');
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
  }

  get pending(): number {
    return this.live.size;
  }

  /**
   * Writes what is buffered and closes the file. Returns true when the file holds every live
   * entry, false when the disk still fails (those entries exist only in memory, and are lost
   * when the process ends).
   */
  close(): boolean {
    this.flush();
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.fd !== undefined) {
      try {
        this.fs.closeSync(this.fd);
      } catch {
        // nothing left to do with it
      }
    }
    this.fd = undefined;
    return !this.failure;
  }
}
