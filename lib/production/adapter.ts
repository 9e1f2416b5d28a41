/**
 * What the edge-counter and hourly-aggregator adapters share: state in a Node-RED context
 * store, inputs handled strictly one after another (restoring is asynchronous), and rate
 * limits for warnings and status updates. Typed structurally: no Node-RED import.
 */
export interface ContextStore {
  get(key: string, store: string | undefined, callback: (err: Error | undefined, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error) => void): void;
}

export const STATE_KEY = 'productionState';

export function loadState(context: ContextStore, store: string | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    context.get(STATE_KEY, store, (err, value) => (err ? reject(err) : resolve(value)));
  });
}

export function saveState(context: ContextStore, store: string | undefined, state: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    context.set(STATE_KEY, state, store, (err) => (err ? reject(err) : resolve()));
  });
}

/** Runs tasks strictly in order; a failing task never stops the ones after it. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: unknown) => void) {}

  run(task: () => unknown): Promise<void> {
    this.tail = this.tail.then(task).then(
      () => undefined,
      (err: unknown) => this.onError(err),
    );
    return this.tail;
  }
}

/** True at most once per interval for each key. */
export class RateLimit {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  allow(key: string): boolean {
    const t = this.now();
    const previous = this.last.get(key);
    if (previous !== undefined && t - previous < this.intervalMs) return false;
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(key, t);
    return true;
  }
}

/** Runs `fn` at most once per interval; a request in between runs once at the interval's end. */
export class Throttle {
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly intervalMs: number, private readonly fn: () => void) {}

  request(): void {
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.run();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.run(), wait);
    }
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    this.fn();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
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
