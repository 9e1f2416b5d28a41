/**
 * The optional disk spool: every queued entry is appended to a file (one JSON line, Extended
 * JSON so Dates and ObjectIds survive) and acknowledged once written, dropped or superseded, so
 * a restart during an outage replays what was not yet written. Lines are buffered and written
 * (and fsynced) together, every `flushMs`; the file is compacted when mostly acknowledged.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

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
  private buffer: string[] = [];
  private fd: number | undefined;
  private live = new Map<number, SpooledEntry<T>>();
  private acknowledged = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Lines in the file that could not be read (a crash mid-line): counted, reported once. */
  corruptLines = 0;

  constructor(readonly file: string, private readonly ejson: ExtendedJson, private readonly flushMs = 100) {}

  /** Reads what earlier runs left unwritten, oldest first, and opens the file for appending. */
  load(): SpooledEntry<T>[] {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
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
    this.rewrite();
    return [...this.live.values()].sort((a, b) => a.seq - b.seq);
  }

  add(entry: SpooledEntry<T>): void {
    this.live.set(entry.seq, entry);
    const line: AddLine<T> = { a: entry.seq, l: entry.lane, b: entry.bytes, i: entry.item, ...(entry.key === undefined ? {} : { k: entry.key }) };
    this.push(this.ejson.stringify(line, { relaxed: true }));
  }

  ack(seqs: number[]): void {
    if (seqs.length === 0) return;
    for (const seq of seqs) this.live.delete(seq);
    this.acknowledged += seqs.length;
    this.push(JSON.stringify({ d: seqs }));
  }

  private push(line: string): void {
    this.buffer.push(line);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Writes buffered lines and fsyncs; compacts when most lines are acknowledgements. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fd === undefined || this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join('\n') + '\n');
    this.buffer = [];
    fsyncSync(this.fd);
    if (this.acknowledged > 10_000 && this.acknowledged > 2 * this.live.size) this.rewrite();
  }

  /** The file holds exactly the live entries (written to a temporary file, then renamed). */
  private rewrite(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    const lines = [...this.live.values()].map((e) =>
      this.ejson.stringify({ a: e.seq, l: e.lane, b: e.bytes, i: e.item, ...(e.key === undefined ? {} : { k: e.key }) }, { relaxed: true }),
    );
    if (lines.length) writeSync(fd, lines.join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    this.acknowledged = 0;
    this.buffer = [];
  }

  get pending(): number {
    return this.live.size;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
