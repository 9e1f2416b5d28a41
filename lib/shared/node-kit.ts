/**
 * The node kit: chores every node of the package shares. State in a Node-RED context store
 * (saved shortly after changes, not per message), inputs held while the state is restored
 * (asynchronous) and handled synchronously after that, rate limits for warnings and status
 * updates, and reading numbers from a node's saved configuration. Typed structurally: no
 * Node-RED import, so engines and their tests stay Node-RED-free.
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
 * Puts the live state into the context store at most once per interval after a change, and
 * at close. Memory and cached file stores keep the object itself, so this is what schedules
 * the file store's flush (and replaces the object after a restore); saving per message cost
 * more than the counting.
 */
export class StateSaver {
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly save: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  changed(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Saves now when something changed since the last save. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.save();
    } catch (err) {
      this.onError(err);
    }
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
