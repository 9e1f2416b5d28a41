/**
 * The node kit: chores every node of the package shares. Inputs held while the state is
 * restored (asynchronous) and handled synchronously after that, state saved shortly after
 * changes (not per message) and retried while saving fails, rate limits for warnings and status
 * updates, and reading numbers from a node's saved configuration. Timers run on an injected
 * Clock, so tests move time themselves. Typed structurally: no Node-RED import, so engines and
 * their tests stay Node-RED-free. Where the state goes: state-journal.ts.
 */
import type { Backoff } from './backoff';
import { systemClock, type Clock } from './clock';

/**
 * Runs tasks in arrival order: held while the node restores its state, then synchronously as
 * they come. Deliberately no promise chain per input: for every Error created while such a
 * chain is pending (input errors, and the test helper's call records), V8 walks the whole
 * chain looking for async frames, which made each message cost time proportional to the queue.
 */
export class StartGate {
  private held: (() => void)[] | null = [];
  private readonly opened: Promise<void>;
  private markOpen!: () => void;

  constructor(private readonly onError: (err: unknown) => void) {
    this.opened = new Promise((resolve) => {
      this.markOpen = resolve;
    });
  }

  run(task: () => void): void {
    if (this.held) this.held.push(task);
    else this.call(task);
  }

  /** Runs the held tasks in order; from now on tasks run at once. */
  open(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const task of held) this.call(task);
    this.markOpen();
  }

  /** Resolves once open() has run the held tasks. */
  whenOpen(): Promise<void> {
    return this.opened;
  }

  private call(task: () => void): void {
    try {
      task();
    } catch (err) {
      this.onError(err);
    }
  }
}

/**
 * Runs `save` at most once per interval after a change, one save at a time, and once more at
 * close. A failed save keeps the change pending and is retried after the backoff's delay, so a
 * full disk that frees up is written again without a new change; saving per message cost more
 * than the counting.
 */
export class StateSaver {
  private dirty = false;
  private closed = false;
  private timer: unknown;
  private running: Promise<void> = Promise.resolve();
  /** A save queued by saved() that has not taken its snapshot yet: later callers share it. */
  private queued: Promise<void> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly save: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly clock: Clock = systemClock,
    private readonly retry?: Backoff,
  ) {}

  changed(): void {
    this.dirty = true;
    this.schedule(this.intervalMs);
  }

  /** Saves now when something changed since the last save (after a save already under way). */
  flush(): Promise<void> {
    this.cancel();
    this.running = this.running.then(() => this.attempt());
    return this.running;
  }

  /**
   * Saves now (after a save under way) and resolves once that save was attempted, failed or not:
   * the state as it is at this call is in it. Calls before that save starts share it.
   */
  saved(): Promise<void> {
    this.dirty = true;
    if (this.queued) return this.queued;
    this.cancel();
    const save = this.running.then(() => {
      this.queued = null;
      return this.attempt();
    });
    this.queued = save;
    this.running = save;
    return save;
  }

  /** Stops the timers; with `saveFirst` what changed is saved once more before. */
  async close(saveFirst: boolean): Promise<void> {
    this.cancel();
    if (saveFirst) await this.flush();
    else await this.running;
    this.closed = true;
    this.cancel();
  }

  private async attempt(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.save();
      this.retry?.reset();
    } catch (err) {
      this.dirty = true;
      this.onError(err);
      this.schedule(this.retry ? this.retry.next() : this.intervalMs);
    }
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}

/** True at most once per interval for each key and kind (two levels: no string built per call). */
export class RateLimit {
  private readonly last = new Map<string, Map<string, number>>();

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  allow(key: string, kind: string): boolean {
    const t = this.now();
    let kinds = this.last.get(key);
    if (!kinds) {
      if (this.last.size >= 10_000) this.last.clear();
      kinds = new Map();
      this.last.set(key, kinds);
    }
    const previous = kinds.get(kind);
    if (previous !== undefined && t - previous < this.intervalMs) return false;
    kinds.set(kind, t);
    return true;
  }
}

/** Runs `fn` at most once per interval; a request in between runs once at the interval's end. */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private timer: unknown;

  constructor(private readonly intervalMs: number, private readonly fn: () => void, private readonly clock: Clock = systemClock) {}

  request(): void {
    const wait = this.last + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.run();
    } else if (this.timer === undefined) {
      this.timer = this.clock.setTimer(() => this.run(), wait);
    }
  }

  private run(): void {
    this.close();
    this.last = this.clock.now();
    this.fn();
  }

  close(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}

/** Reads a number field of a node's saved configuration, falling back when empty or invalid. */
export function numberSetting(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= min && n <= max ? n : fallback;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
