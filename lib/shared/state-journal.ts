/**
 * Durable node state, independent of the Node-RED context store: one small JSON file per node
 * under Node-RED's user directory, replaced atomically (temp file, fsync, rename, fsync of the
 * directory), so a deploy, a restart, kill -9 or a power cut finds either the previous or the
 * new state, never a torn one. The context store keeps a second copy; on start the newer wins.
 * What a node sends that carries counts waits for the save of the state that counted it
 * (NodeState.sendInOrder), so nothing downstream is ever ahead of the journal.
 * Hand-written rather than write-file-atomic: that one does not fsync the directory (a power
 * cut can lose the rename) and would be a new runtime dependency for thirty lines.
 */
import nodeFs from 'node:fs/promises';
import path from 'node:path';
import { Backoff } from './backoff';
import { systemClock, type Clock } from './clock';
import { StateSaver, errorText } from './node-kit';

/** The file operations the journal uses: node:fs/promises, or a test's seam that fails on demand. */
export interface JournalFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  open(file: string, flags: string): Promise<{ writeFile(data: string): Promise<void>; sync(): Promise<void>; close(): Promise<void> }>;
  rename(from: string, to: string): Promise<void>;
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  rm(file: string, options: { force: true }): Promise<void>;
}

/** What is written: the state and when (the clock's epoch ms), so the newer of two copies wins. */
export interface SavedState {
  savedAt: number;
  state: unknown;
}

/** Marks a context-store value written by this module (older versions stored the bare state). */
const FORMAT = 's7p-state/1';

/** Directory of the journal files inside Node-RED's user directory. */
export const JOURNAL_DIR_NAME = 's7-production-state';

/** The journal directory for Node-RED's settings, or null when there is no user directory (embedded, test helper). */
export function journalDirOf(settings: { userDir?: unknown } | undefined): string | null {
  const userDir = settings?.userDir;
  return typeof userDir === 'string' && userDir !== '' ? path.join(userDir, JOURNAL_DIR_NAME) : null;
}

/** A file name for a node id: Node-RED ids are hex, but subflow instances and imports may carry other characters. */
export function journalFileName(nodeId: string): string {
  return `${nodeId.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.codePointAt(0)!.toString(16)}`)}.json`;
}

function isSavedState(value: unknown): value is SavedState & { format: string } {
  const v = value as { format?: unknown; savedAt?: unknown };
  return typeof v === 'object' && v !== null && v.format === FORMAT && typeof v.savedAt === 'number' && Number.isFinite(v.savedAt);
}

/** One node's state file. */
export class StateJournal {
  readonly file: string;

  constructor(readonly dir: string, nodeId: string, private readonly fs: JournalFs = nodeFs) {
    this.file = path.join(dir, journalFileName(nodeId));
  }

  /** The saved state, or undefined when none was saved. A damaged file throws. */
  async read(): Promise<SavedState | undefined> {
    let text: string;
    try {
      text = await this.fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed: unknown = JSON.parse(text);
    if (!isSavedState(parsed)) throw new Error(`${this.file} is not a state file of this package`);
    return { savedAt: parsed.savedAt, state: parsed.state };
  }

  /** Replaces the file atomically with `json` (a SavedState serialised by serialise()). */
  async write(json: string): Promise<void> {
    await this.fs.mkdir(this.dir, { recursive: true });
    const temp = `${this.file}.tmp`;
    const handle = await this.fs.open(temp, 'w');
    try {
      await handle.writeFile(json);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(temp, this.file);
    // The rename itself must reach the disk before a power cut; Windows cannot open a directory.
    if (process.platform !== 'win32') {
      const dir = await this.fs.open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  async remove(): Promise<void> {
    await this.fs.rm(this.file, { force: true });
    await this.fs.rm(`${this.file}.tmp`, { force: true });
  }
}

/** Serialises once per save: the same text goes to the journal and (parsed) to the context store. */
function serialise(savedAt: number, state: unknown): string {
  return JSON.stringify({ format: FORMAT, savedAt, state });
}

/** The structural part of a node's context the state needs (typed without a Node-RED import). */
export interface ContextStore {
  get(key: string, store: string | undefined, callback: (err: Error | undefined, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error) => void): void;
}

export const STATE_KEY = 'productionState';

function contextGet(context: ContextStore, store: string | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => context.get(STATE_KEY, store, (err, value) => (err ? reject(err) : resolve(value))));
}

function contextSet(context: ContextStore, store: string | undefined, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => context.set(STATE_KEY, value, store, (err) => (err ? reject(err) : resolve())));
}

export type StateCopy = 'journal' | 'context';

/** A copy that could not be read, written or removed; the other copy and memory carry on. */
export interface StateProblem {
  copy: StateCopy;
  action: 'read' | 'write' | 'remove';
  error: string;
}

export interface RestoredState {
  /** The newer copy's state, undefined when neither copy holds one. */
  state: unknown;
  from: StateCopy | null;
  problems: StateProblem[];
}

export interface DurableStateOptions {
  context: ContextStore;
  /** Context store name; undefined = Node-RED's default store. */
  store: string | undefined;
  /** null when there is no user directory: the context store is the only copy. */
  journal: StateJournal | null;
  /** The live state, JSON-safe. */
  snapshot: () => unknown;
  /** A copy failed; called for every failed attempt (the caller rate-limits what it logs). */
  onProblem: (problem: StateProblem) => void;
  /** Both copies were written after a failure: the state is safe again. */
  onRecovered: () => void;
  clock?: Clock;
  /** Saves reach both copies at most this long after a change (and at close). */
  intervalMs?: number;
  /** Delays between attempts while a copy keeps failing. */
  retry?: Backoff;
}

/**
 * A node's state in two copies, the journal file and the context store, saved at most once per
 * interval after a change, retried while a copy fails (the state stays in memory meanwhile),
 * flushed at close and removed with the node.
 */
export class DurableState {
  private readonly clock: Clock;
  private readonly saver: StateSaver;
  private failing = false;

  constructor(private readonly options: DurableStateOptions) {
    this.clock = options.clock ?? systemClock;
    this.saver = new StateSaver(
      options.intervalMs ?? 1000,
      () => this.save(),
      () => undefined,
      this.clock,
      options.retry ?? new Backoff({ initialMs: 1000, maxMs: 30_000 }),
    );
  }

  get journalFile(): string | null {
    return this.options.journal?.file ?? null;
  }

  /** True while the last save attempt failed for a copy. */
  get unsaved(): boolean {
    return this.failing;
  }

  /** Reads both copies; the newer wins. A copy that cannot be read is reported and skipped. */
  async load(): Promise<RestoredState> {
    const problems: StateProblem[] = [];
    let journal: SavedState | undefined;
    if (this.options.journal) {
      try {
        journal = await this.options.journal.read();
      } catch (err) {
        problems.push({ copy: 'journal', action: 'read', error: errorText(err) });
      }
    }
    let context: SavedState | undefined;
    try {
      const value = await contextGet(this.options.context, this.options.store);
      // A bare state is what versions before the journal stored: older than any journal file.
      if (value !== undefined) context = isSavedState(value) ? { savedAt: value.savedAt, state: value.state } : { savedAt: -Infinity, state: value };
    } catch (err) {
      problems.push({ copy: 'context', action: 'read', error: errorText(err) });
    }
    for (const problem of problems) this.options.onProblem(problem);
    if (journal && (!context || journal.savedAt >= context.savedAt)) return { state: journal.state, from: 'journal', problems };
    if (context) return { state: context.state, from: 'context', problems };
    return { state: undefined, from: null, problems };
  }

  /** The state changed: both copies get it within the interval. */
  changed(): void {
    this.saver.changed();
  }

  /** Saves the state now; resolves once both copies were written or failed (then retried, as after a change). */
  saved(): Promise<void> {
    return this.saver.saved();
  }

  /** Saves what changed now (a node's close), then stops; a removed node's copies are deleted instead. */
  async close(removed: boolean): Promise<void> {
    if (!removed) this.saver.changed();
    await this.saver.close(!removed);
    if (!removed) return;
    try {
      await this.options.journal?.remove();
    } catch (err) {
      this.options.onProblem({ copy: 'journal', action: 'remove', error: errorText(err) });
    }
  }

  /** Writes both copies; throws (so the saver retries) when either failed, after trying both. */
  private async save(): Promise<void> {
    const json = serialise(this.clock.now(), this.options.snapshot());
    const failed: StateProblem[] = [];
    try {
      await contextSet(this.options.context, this.options.store, JSON.parse(json));
    } catch (err) {
      failed.push({ copy: 'context', action: 'write', error: errorText(err) });
    }
    if (this.options.journal) {
      try {
        await this.options.journal.write(json);
      } catch (err) {
        failed.push({ copy: 'journal', action: 'write', error: errorText(err) });
      }
    }
    if (failed.length > 0) {
      this.failing = true;
      for (const problem of failed) this.options.onProblem(problem);
      throw new Error(failed.map((p) => p.error).join('; '));
    }
    if (this.failing) {
      this.failing = false;
      this.options.onRecovered();
    }
  }
}

/** What a context store survives, from Node-RED's contextStorage setting. */
export interface StoreDurability {
  /** The store's name as configured ("default" when the node picks none). */
  name: string;
  module: 'memory' | 'localfilesystem' | 'other';
  /** localfilesystem with its cache: seconds between writes to disk (what kill -9 or a power cut loses). */
  flushSeconds?: number;
}

export function storeDurability(contextStorage: unknown, store: string | undefined): StoreDurability {
  const stores = (typeof contextStorage === 'object' && contextStorage !== null ? contextStorage : {}) as Record<string, unknown>;
  let name = store ?? 'default';
  let entry = Object.hasOwn(stores, name) ? stores[name] : undefined;
  // Node-RED's default may name another store: `default: "file"`.
  if (typeof entry === 'string' && Object.hasOwn(stores, entry)) {
    name = entry;
    entry = stores[entry];
  }
  // No contextStorage at all: Node-RED keeps context in memory.
  if (entry === undefined) return { name, module: Object.keys(stores).length === 0 || name === 'default' ? 'memory' : 'other' };
  const config = entry as { module?: unknown; config?: { cache?: unknown; flushInterval?: unknown } };
  if (config.module === 'memory') return { name, module: 'memory' };
  if (config.module !== 'localfilesystem') return { name, module: 'other' };
  if (config.config?.cache === false) return { name, module: 'localfilesystem', flushSeconds: 0 };
  const flush = Number(config.config?.flushInterval ?? 30);
  return { name, module: 'localfilesystem', flushSeconds: Number.isFinite(flush) && flush >= 0 ? flush : 30 };
}

/**
 * What the user should know about where the state lives, as a catalogue key under
 * `<node type>.durability.` with its parameters; null when nothing is at risk beyond the last second.
 */
export function durabilityAdvice(durability: StoreDurability, journal: boolean): { key: string; params: Record<string, string | number> } | null {
  if (journal) return null;
  if (durability.module === 'memory') return { key: 'memoryOnly', params: { store: durability.name } };
  if (durability.module === 'localfilesystem' && (durability.flushSeconds ?? 0) > 1) {
    return { key: 'fileFlush', params: { store: durability.name, seconds: durability.flushSeconds ?? 30 } };
  }
  if (durability.module === 'other') return { key: 'unknownStore', params: { store: durability.name } };
  return null;
}

/** Node-RED's parts a node's state needs, typed structurally (no Node-RED import). */
export interface StateHost {
  id: string;
  context(): unknown;
  warn(text: string): void;
  log(text: string): void;
}

export interface NodeStateOptions {
  host: StateHost;
  /** RED.settings: userDir (where the journal goes) and contextStorage (what the store survives). */
  settings: { userDir?: unknown; contextStorage?: unknown } | undefined;
  /** The node's catalogue: key under "<type>.", e.g. RED._(`edge-counter.${key}`, params). */
  t: (key: string, params?: Record<string, string | number>) => string;
  store: string | undefined;
  snapshot: () => unknown;
  /** The status may have to change (a copy started or stopped failing). */
  onStatus: () => void;
  fs?: JournalFs;
  clock?: Clock;
}

/**
 * A node's durable state with the node's chores around it: the journal under the user
 * directory, warnings (once a minute) when a copy fails, a status text while the state is not
 * saved, and a warning at start when where the state lives cannot survive what users do.
 */
export class NodeState {
  private readonly durable: DurableState;
  private readonly durability: StoreDurability;
  private unsavedError: string | null = null;
  private readonly warnedAt = new Map<StateCopy, number>();
  private readonly clock: Clock;
  /** Sends not made yet, in call order; `ready` once nothing they wait for is left. */
  private readonly unsent: { send: () => void; ready: boolean }[] = [];

  constructor(private readonly options: NodeStateOptions) {
    const dir = journalDirOf(options.settings);
    this.clock = options.clock ?? systemClock;
    this.durability = storeDurability(options.settings?.contextStorage, options.store);
    this.durable = new DurableState({
      context: options.host.context() as ContextStore,
      store: options.store,
      journal: dir ? new StateJournal(dir, options.host.id, options.fs) : null,
      snapshot: options.snapshot,
      clock: this.clock,
      onProblem: (problem) => this.problem(problem),
      onRecovered: () => {
        this.unsavedError = null;
        this.warnedAt.clear();
        options.host.warn(options.t('state.recovered'));
        options.onStatus();
      },
    });
  }

  /** While the state is not saved: the status text saying so; else null. */
  get statusProblem(): string | null {
    return this.unsavedError === null ? null : this.options.t('state.unsaved', { error: this.unsavedError });
  }

  /** The newer saved copy's state (undefined when none), after warning about what is at risk. */
  async load(): Promise<unknown> {
    const advice = durabilityAdvice(this.durability, this.durable.journalFile !== null);
    if (advice) this.options.host.warn(this.options.t(`durability.${advice.key}`, advice.params));
    const restored = await this.durable.load();
    if (restored.from) this.options.host.log(this.options.t('state.restored', { from: this.copyName(restored.from) }));
    return restored.state;
  }

  changed(): void {
    this.durable.changed();
  }

  /**
   * Makes a node's send in call order. One that carries counts (`afterSave`) waits until the state
   * that counted them is saved: downstream (and the database behind it) is never ahead of the
   * journal, so after a kill -9 a count is neither lost nor doubled by comparing the two. A save
   * that fails holds nothing back (the status shows it, and it is retried).
   */
  sendInOrder(send: () => void, afterSave: boolean): void {
    if (!afterSave && this.unsent.length === 0) {
      send();
      return;
    }
    const entry = { send, ready: !afterSave };
    this.unsent.push(entry);
    if (!afterSave) return;
    void this.durable.saved().then(() => {
      entry.ready = true;
      while (this.unsent[0]?.ready) {
        try {
          this.unsent.shift()!.send();
        } catch (err) {
          this.options.host.warn(errorText(err));
        }
      }
    });
  }

  close(removed: boolean): Promise<void> {
    return this.durable.close(removed);
  }

  private copyName(copy: StateCopy): string {
    return copy === 'journal' ? this.options.t('state.copy.journal', { file: this.durable.journalFile ?? '' }) : this.options.t('state.copy.context', { store: this.durability.name });
  }

  private problem(problem: StateProblem): void {
    const params = { copy: this.copyName(problem.copy), error: problem.error };
    if (problem.action !== 'write') {
      this.options.host.warn(this.options.t(`state.${problem.action}Failed`, params));
      return;
    }
    const first = this.unsavedError === null;
    this.unsavedError = problem.error;
    const now = this.clock.now();
    if (now - (this.warnedAt.get(problem.copy) ?? Number.NEGATIVE_INFINITY) >= 60_000) {
      this.warnedAt.set(problem.copy, now);
      this.options.host.warn(this.options.t('state.writeFailed', params));
      // Without the journal, the context store's limits are what protects the state.
      if (problem.copy === 'journal') {
        const advice = durabilityAdvice(this.durability, false);
        if (advice) this.options.host.warn(this.options.t(`durability.${advice.key}`, advice.params));
      }
    }
    if (first) this.options.onStatus();
  }
}
