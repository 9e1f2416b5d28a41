/**
 * Plant-local time with Intl only: which plant-local hour an instant falls in, and how that
 * hour is labelled in the application's terms (date + hour 0..23, lib/app-contract/day.ts).
 *
 * Hours are identified by their UTC start instant. Offsets change only at whole-hour or
 * half-hour instants in every zone we support (one-hour DST shifts), so each local hour is
 * exactly 60 real minutes: the spring-forward day has 23 of them, the fall-back day 25, with
 * one local hour label occurring twice (two distinct UTC starts).
 */
import { documentDateOf } from '../app-contract/day';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export interface HourLabel {
  /** The UTC date on which the hour starts, YYYY-MM-DD: its day document's date. */
  date: string;
  /** Plant-local hour, 0..23. */
  hour: number;
}

/** Offsets are looked up once per 15-minute UTC block: every real DST transition falls on one. */
const OFFSET_BLOCK_MS = 15 * MINUTE_MS;
const OFFSET_CACHE_LIMIT = 4096;

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

export class PlantZone {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}": use an IANA name such as "Europe/Berlin"`);
    }
    this.timeZone = this.format.resolvedOptions().timeZone;
  }

  /** Local wall-clock fields of an instant. */
  private fields(t: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
    const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(t)) {
      if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
    }
    return out;
  }

  /** Milliseconds to add to an instant to get its plant-local wall time read as UTC. */
  offsetMs(t: number): number {
    const block = Math.floor(t / OFFSET_BLOCK_MS);
    let offset = this.offsets.get(block);
    if (offset === undefined) {
      const at = block * OFFSET_BLOCK_MS;
      const f = this.fields(at);
      offset = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - at;
      if (this.offsets.size >= OFFSET_CACHE_LIMIT) this.offsets.clear();
      this.offsets.set(block, offset);
    }
    return offset;
  }

  /** UTC start instant of the plant-local hour containing t. */
  hourStart(t: number): number {
    const local = t + this.offsetMs(t);
    return local - mod(local, HOUR_MS) - this.offsetMs(t);
  }

  /** The application's label of the plant-local hour starting at hourStart. */
  label(hourStart: number): HourLabel {
    return { date: documentDateOf(hourStart), hour: this.localHour(hourStart) };
  }

  private localHour(t: number): number {
    return new Date(t + this.offsetMs(t)).getUTCHours();
  }

  /** UTC starts of the hours labelled (date, hour): none or one, two when a fall-back repeat starts on that date. */
  hourStartsOf(date: string, hour: number): number[] {
    return this.startsWhere(date, (t) => this.label(t).date === date && this.label(t).hour === hour);
  }

  /**
   * The same under the dating rule of versions before the ledger, which dated an hour by its
   * plant-local date: for reading the documents they wrote.
   */
  plantDatedHourStartsOf(date: string, hour: number): number[] {
    return this.startsWhere(date, (t) => new Date(t + this.offsetMs(t)).toISOString().slice(0, 10) === date && this.localHour(t) === hour);
  }

  private startsWhere(date: string, matches: (hourStart: number) => boolean): number[] {
    const midnightUtc = Date.parse(`${date}T00:00:00.000Z`);
    if (Number.isNaN(midnightUtc)) return [];
    const starts: number[] = [];
    // Plant-local midnight lies within ±14 h of UTC midnight; a local day has at most 25 hours.
    for (let t = this.hourStart(midnightUtc - 15 * HOUR_MS); t < midnightUtc + 40 * HOUR_MS; t += HOUR_MS) {
      if (matches(t)) starts.push(t);
    }
    return starts;
  }

  /** True when the hours starting at a and b (a real hour apart) carry the same label (fall-back night). */
  sameLabel(a: number, b: number): boolean {
    if (this.offsetMs(a) === this.offsetMs(b)) return false;
    const la = this.label(a);
    const lb = this.label(b);
    return la.date === lb.date && la.hour === lb.hour;
  }
}
