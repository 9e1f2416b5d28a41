/**
 * A connection to one PLC: a small pool of S7 clients (client-pool.ts) of one engine, the
 * pipelined wire client (the default; up to its negotiated jobs in flight per client, no threads)
 * or node-snap7's (one call per client, each holding a libuv thread), sized to the reads in use
 * (pool-sizer.ts: one while the cycles fit, more up to a cap while they do not), the requests
 * waiting for them (request-queue.ts), and the reconnect policy.
 *
 * Reconnecting: after a working link is lost the first attempt is immediate. Every attempt
 * starts with a non-blocking TCP probe (tcp-probe.ts); while the PLC is unreachable it is
 * probed again every probeIntervalMs, so reading resumes within about that time once it is
 * back, and nothing but a TCP handshake ever reaches a dead PLC. Only the full S7 connect, a
 * call that a PLC answering TCP but not S7 can hold for its whole timeout, backs off
 * exponentially (lib/shared/backoff.ts). snap7 calls take a slot of the process-wide thread
 * budget first (thread-slots.ts); after a failed S7 connect the PLC's connects go on probation
 * there until one succeeds. Wire calls hold no thread and skip the budget. Timers run on the
 * injected clock.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { Backoff } from '../shared/backoff';
import { systemClock, type Clock } from '../shared/clock';
import type { S7Address } from './address';
import { readIsolatingBadItems } from './bad-item-retry';
import { capacityOf, connectClient, errorText, newClient, PooledClient, runRequest, type ClientSettings } from './client-pool';
import { DEFAULT_ENGINE, S7_ENGINES, type S7Engine } from './engine';
import { isLinkError } from './errors';
import type { ReadPlan } from './planner';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_SHRINK_AFTER_MS, PoolSizer } from './pool-sizer';
import { planResult, Prepared, S7ConnectionError, type PartOutcome, type PlanResult, type PreparedRead, type ReadResult } from './prepared-read';
import { RequestQueue, type Task } from './request-queue';
import { probeTcp } from './tcp-probe';
import { snap7Slots, TRIAL_TIMEOUT_MS, type SlotGrant, type ThreadSlots } from './thread-slots';

export { S7ConnectionError, type ItemResult, type PreparedRead, type ReadResult } from './prepared-read';
export { DEFAULT_ENGINE, S7_ENGINES, type S7Engine } from './engine';

export interface S7ConnectionOptions {
  host: string;
  /** The S7 client: 'wire' (built-in, pipelined, no threads; the default) or 'snap7' (node-snap7). */
  engine?: S7Engine;
  /** Default 102. */
  port?: number;
  /** Default 0. */
  rack?: number;
  /** Default 1. */
  slot?: number;
  /** When both TSAPs are set they are used instead of rack/slot (LOGO!, S7-200). */
  localTSAP?: number;
  remoteTSAP?: number;
  /** Default 'PG'. */
  connectionType?: 'PG' | 'OP' | 'S7_BASIC';
  /** Requested PDU, default 480; the PLC may negotiate less. */
  pduSize?: number;
  /** TCP probe and connect timeout, default 3000. */
  connectTimeoutMs?: number;
  /** Send/receive timeout of a request, default 2000. */
  receiveTimeoutMs?: number;
  /** Delay after the first failed S7 connect, default 1000; doubles per failed connect up to reconnectMaxMs (default 30000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How often an unreachable PLC is probed (TCP only), default the smaller of 500 and reconnectMinMs. */
  probeIntervalMs?: number;
  /** At most this many parallel S7 connections to the PLC (1..8), default 3 (DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Always hold maxConnections connections instead of adapting to the reads in use. Default false. */
  fixedConnections?: boolean;
  /** How long the adaptive pool must have been larger than needed before it closes one, default 30000. */
  shrinkAfterMs?: number;
  /** Planner gap in bytes, default 16. */
  maxGap?: number;
  /** Every snap7 call on probation, with the silent PLCs' connects (the dialog's test reads). Default false; no effect on the wire engine. */
  onProbation?: boolean;
  /** Default the system clock; tests move their own. */
  clock?: Clock;
  /** Default the process-wide budget; tests give their own. */
  threadSlots?: ThreadSlots;
}

export type S7ConnectionState = 'connecting' | 'connected' | 'backoff' | 'closed';

/** What a wire call gets instead of a thread slot: nothing to give back, never a trial. */
const NO_SLOT: SlotGrant = { release: () => undefined, trial: false };

/**
 * How long (ms, on the clock) close() waits for snap7 calls in flight to return, so their sockets
 * are usually gone when it resolves. Never longer: a call to a silent PLC can take its whole
 * connect or receive timeout (up to minutes), and snap7 cannot cancel it. (The wire engine's
 * calls end at once when its clients disconnect.)
 */
export const CLOSE_GRACE_MS = 1000;

type Settings = ClientSettings & {
  host: string; engine: S7Engine; reconnectMinMs: number; reconnectMaxMs: number; probeIntervalMs: number; maxConnections: number; fixedConnections: boolean;
  shrinkAfterMs: number; maxGap?: number; onProbation: boolean;
};

export class S7Connection extends EventEmitter {
  private readonly opts: Settings;
  private readonly clock: Clock;
  private readonly slots: ThreadSlots;
  /** The clients, connected or (re)connecting; the sizer decides how many. */
  private pool: PooledClient[];
  private readonly sizer: PoolSizer;
  private shrinkTimer: unknown;
  private readonly queue = new RequestQueue();
  /** The requests running on the clients, so close() can fail them at once. */
  private readonly running = new Set<Task>();
  private readonly backoff: Backoff;
  private currentState: S7ConnectionState = 'backoff';
  private started = false;
  private closing: Promise<void> | undefined;
  private closed = false;
  private error: string | undefined;
  private readonly probes = new Set<net.Socket>();
  /** False once an S7 connect failed on a PLC that answered TCP (likely silent): its connects go on probation. */
  private goodStanding = true;

  constructor(options: S7ConnectionOptions) {
    super();
    if (!options || typeof options.host !== 'string' || options.host.trim() === '') {
      throw new S7ConnectionError('S7 connection: host is required');
    }
    if ('poolSize' in options) {
      // the fixed pool size of older versions: failing loudly beats a silently different pool
      throw new S7ConnectionError('S7 connection: poolSize is no longer an option: use maxConnections (and fixedConnections: true for a fixed count)');
    }
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<S7ConnectionOptions>;
    const o: Settings = {
      engine: DEFAULT_ENGINE, port: 102, rack: 0, slot: 1, connectionType: 'PG', pduSize: 480, connectTimeoutMs: 3000, receiveTimeoutMs: 2000,
      reconnectMinMs: 1000, reconnectMaxMs: 30000, maxConnections: DEFAULT_MAX_CONNECTIONS, fixedConnections: false,
      shrinkAfterMs: DEFAULT_SHRINK_AFTER_MS, onProbation: false,
      ...given,
      probeIntervalMs: given.probeIntervalMs ?? Math.min(500, given.reconnectMinMs ?? 1000),
      host: options.host.trim(),
    };
    if (!S7_ENGINES.includes(o.engine)) throw new S7ConnectionError(`S7 connection: engine must be ${S7_ENGINES.join(' or ')}, not "${String(o.engine)}"`);
    if (!(o.pduSize >= 240 && o.pduSize <= 960)) throw new S7ConnectionError(`S7 connection: PDU size must be 240..960, not ${o.pduSize}`);
    if (!(Number.isInteger(o.maxConnections) && o.maxConnections >= 1 && o.maxConnections <= 8)) {
      throw new S7ConnectionError(`S7 connection: connections must be 1..8, not ${o.maxConnections}`);
    }
    if (!(o.port > 0 && o.port < 65536)) throw new S7ConnectionError(`S7 connection: port must be 1..65535, not ${o.port}`);
    if ((o.localTSAP === undefined) !== (o.remoteTSAP === undefined)) {
      throw new S7ConnectionError('S7 connection: give both local and remote TSAP, or neither');
    }
    o.reconnectMaxMs = Math.max(o.reconnectMaxMs, o.reconnectMinMs);
    this.opts = o;
    this.clock = options.clock ?? systemClock;
    this.slots = options.threadSlots ?? snap7Slots;
    this.backoff = new Backoff({ initialMs: o.reconnectMinMs, maxMs: o.reconnectMaxMs, jitter: 0.2 });
    this.sizer = new PoolSizer({ max: o.maxConnections, fixed: o.fixedConnections, shrinkAfterMs: o.shrinkAfterMs });
    this.pool = Array.from({ length: o.fixedConnections ? o.maxConnections : 1 }, () => new PooledClient());
  }

  get state(): S7ConnectionState {
    return this.currentState;
  }

  get negotiatedPdu(): number | undefined {
    const c = this.pool.find((p) => p.connected);
    return c ? c.pdu : undefined;
  }

  get retryAt(): number | undefined {
    if (this.currentState !== 'backoff') return undefined;
    const times = this.pool.map((p) => p.retryAt).filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }

  /** S7 connections open now (connected clients). */
  get connections(): number {
    return this.pool.filter((p) => p.connected).length;
  }

  get engine(): S7Engine {
    return this.opts.engine;
  }

  /** Requests each open connection may carry at once (the wire engine's negotiated jobs; 1 for snap7), 0 when none is open. */
  get jobsPerConnection(): number {
    const c = this.pool.find((p) => p.connected);
    return c ? c.capacity : 0;
  }

  /** Requests in flight on the open connections now. */
  get requestsInFlight(): number {
    return this.pool.reduce((n, p) => n + p.inFlight, 0);
  }

  get lastError(): string | undefined {
    return this.error;
  }

  /** Where this connection points, for messages. */
  get endpoint(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.updateState();
    for (const p of this.pool) this.attempt(p, false);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.shutdown();
    }
    return this.closing;
  }

  prepare(addresses: S7Address[]): PreparedRead {
    return new Prepared(addresses, this.negotiatedPdu ?? this.opts.pduSize, this.opts.maxGap);
  }

  async read(prepared: PreparedRead): Promise<ReadResult> {
    if (!(prepared instanceof Prepared)) throw new S7ConnectionError('read() needs a PreparedRead from prepare() of this connection');
    const began = Date.now();
    const pdu = this.negotiatedPdu;
    if (this.closed) throw new S7ConnectionError(`S7 connection to ${this.endpoint} is closed`);
    if (pdu === undefined) throw this.notConnected();
    if (pdu !== prepared.planPdu) prepared.replan(pdu);
    this.sizer.readStarted(prepared, prepared.requestCount, this.clock.now());
    this.resize();
    const { items, requests, at } = await readIsolatingBadItems(prepared, pdu, (addresses, plan) => this.runPlan(addresses, plan));
    return { items, timestamp: at, requests, durationMs: Date.now() - began };
  }

  /** Runs a plan's requests on the pool and decodes the items. */
  private async runPlan(addresses: readonly S7Address[], plan: ReadPlan): Promise<PlanResult> {
    const { tasks, outcomes } = this.queue.enqueue(plan.requests);
    this.pump();
    try {
      return planResult(addresses, plan, await Promise.all(outcomes));
    } catch (err) {
      // Withdraw this read's requests that have not started; wait for the running ones to settle.
      this.queue.withdraw(tasks, err as S7ConnectionError);
      await Promise.allSettled(outcomes);
      throw err;
    }
  }

  private notConnected(): S7ConnectionError {
    return new S7ConnectionError(`not connected to ${this.endpoint}${this.error ? `: ${this.error}` : ''}`);
  }

  /** Hands queued requests to connected clients with room, one at a time round the pool. */
  private pump(): void {
    let handed = true;
    while (this.queue.length > 0 && handed) {
      handed = false;
      for (const p of this.pool) {
        if (this.queue.length === 0) return;
        if (!p.connected || p.inFlight >= p.capacity || !p.client || p.retiring) continue;
        this.run(p, this.queue.next() as Task);
        handed = true;
      }
    }
    if (this.queue.length > 0 && !this.pool.some((p) => p.connected)) this.queue.failAll(this.notConnected());
  }

  private run(p: PooledClient, task: Task): void {
    p.inFlight++;
    // a wire call holds no thread: it needs no slot of snap7's budget
    if (this.opts.engine === 'wire') {
      this.call(p, task, NO_SLOT);
      return;
    }
    this.slots.acquire(this, this.opts.onProbation ? 'probation' : 'request').then((grant) => this.call(p, task, grant), (err: Error) => {
      p.inFlight--;
      task.reject(new S7ConnectionError(`${this.endpoint}: ${err.message}`));
      this.idle(p);
    });
  }

  private call(p: PooledClient, task: Task, { release, trial }: SlotGrant): void {
    const client = p.client;
    if (this.closed || !p.connected || !client) {
      release();
      p.inFlight--;
      // this client went away while the request waited for a slot: another one may run it
      if (!this.closed && this.pool.some((q) => q.connected && !q.retiring)) this.queue.retry(task);
      else task.reject(this.closed ? new S7ConnectionError(`S7 connection to ${this.endpoint} is closed`) : this.notConnected());
      this.idle(p);
      if (!this.closed) this.pump();
      return;
    }
    let finished = false;
    const began = this.clock.now();
    // other PLCs fell silent and this one has not answered since: do not wait long for it
    const timeoutMs = trial ? Math.min(TRIAL_TIMEOUT_MS, this.opts.receiveTimeoutMs) : this.opts.receiveTimeoutMs;
    const finish = (err: number | null, parts?: PartOutcome[]): void => {
      if (finished) return;
      finished = true;
      release();
      p.inFlight--;
      this.running.delete(task);
      try {
        if (trial) client.SetParam(client.RecvTimeout, this.opts.receiveTimeoutMs);
        if (err !== null && isLinkError(err)) {
          const text = errorText(client, err);
          // Another connection of the pool still works: it runs the request once more (reads are
          // idempotent; the request still answers its own read once), so one failed connection
          // does not fail the cycle.
          if (!task.retried && this.pool.some((q) => q !== p && q.connected)) {
            task.retried = true;
            this.queue.retry(task);
          } else {
            task.reject(new S7ConnectionError(`${this.endpoint}: ${text}`, err));
          }
          // no answer within the whole timeout: the PLC has fallen silent, its reconnects go on probation
          if (this.clock.now() - began >= timeoutMs) this.goodStanding = false;
          // the other calls pipelined on this client fail with it: the first one drops the client
          if (p.client === client) this.linkLost(p, text);
        } else if (err !== null) {
          this.sizer.roundTrip(this.clock.now() - began);
          // A request-level CPU error: every item in the request is bad, the link is fine.
          const text = errorText(client, err);
          const n = task.request.kind === 'multi' ? task.request.parts.length : 1;
          task.resolve({ parts: Array.from({ length: n }, () => ({ ok: false, code: err, text })), at: Date.now() });
        } else {
          this.sizer.roundTrip(this.clock.now() - began);
          task.resolve({ parts: parts ?? [], at: Date.now() });
        }
      } catch (e) {
        task.reject(new S7ConnectionError(`${this.endpoint}: ${(e as Error).message}`));
      }
      this.idle(p);
      if (!this.closed) this.pump();
    };
    try {
      if (trial) client.SetParam(client.RecvTimeout, timeoutMs);
      this.running.add(task);
      runRequest(client, task.request, finish);
    } catch (e) {
      // the client refused the call itself: treat it as unusable
      finished = true;
      release();
      p.inFlight--;
      this.running.delete(task);
      task.reject(new S7ConnectionError(`${this.endpoint}: ${(e as Error).message}`));
      if (p.client === client) this.linkLost(p, (e as Error).message);
      this.idle(p);
    }
  }

  /** A client's call is over: once it has none left, wake close(), and take it out if the pool no longer needs it (or the connection is closed). */
  private idle(p: PooledClient): void {
    if (p.inFlight > 0) return;
    if (this.closed && !p.connecting) p.dispose();
    p.settle();
    if (p.retiring) this.remove(p);
  }

  /** Drops a client whose socket can no longer be trusted and tries again at once. */
  private linkLost(p: PooledClient, reason: string): void {
    this.error = reason;
    p.connected = false;
    p.dispose();
    this.updateState(reason);
    if (!this.closed && !p.retiring) setImmediate(() => this.attempt(p, false));
    this.pump();
  }

  /** Opens or closes one connection when the sizer asks for it (pool-sizer.ts). */
  private resize(): void {
    if (this.closed || !this.started) return;
    const active = this.pool.filter((p) => !p.retiring);
    const now = this.clock.now();
    const { count, shrinkAt } = this.sizer.wanted(active.length, now);
    this.clock.clearTimer(this.shrinkTimer);
    this.shrinkTimer = undefined;
    if (count > active.length) {
      // one at a time, only onto a working session, and only while snap7 calls do not wait for a
      // thread (then another connection would only wait too, and take a CPU connection resource)
      if (active.every((p) => p.connected) && (this.opts.engine === 'wire' || this.slots.usage.waiting === 0)) {
        const p = new PooledClient();
        this.pool.push(p);
        this.attempt(p, false);
      }
    } else if (count < active.length) {
      // the one not connected, else an idle one; a busy one closes when its requests are done
      const p = active.find((q) => !q.connected && !q.connecting) ?? active.find((q) => q.connected && q.inFlight === 0) ?? active[active.length - 1];
      p.retiring = true;
      if (p.inFlight === 0 && !p.connecting) this.remove(p);
    } else if (shrinkAt !== undefined) {
      this.shrinkTimer = this.clock.setTimer(() => this.resize(), Math.max(0, shrinkAt - now));
    }
  }

  /** Takes a retired client out of the pool. */
  private remove(p: PooledClient): void {
    this.clock.clearTimer(p.retryTimer);
    p.retryAt = undefined;
    p.connected = false;
    p.dispose();
    this.pool = this.pool.filter((q) => q !== p);
    this.updateState();
    p.settle();
  }

  /** An extra connection of an adaptive pool failed to connect while others work: the CPU may be out of connection resources. */
  private extraFailed(p: PooledClient): boolean {
    if (this.opts.fixedConnections || !this.pool.some((q) => q !== p && q.connected)) return false;
    p.connecting = false;
    p.quietProbe = false;
    this.sizer.growFailed(this.clock.now());
    this.remove(p);
    return true;
  }

  private schedule(p: PooledClient, delayMs: number): void {
    this.clock.clearTimer(p.retryTimer);
    p.retryAt = this.clock.now() + delayMs;
    p.retryTimer = this.clock.setTimer(() => this.attempt(p, true), delayMs);
  }

  /**
   * Probes, then connects. A quiet attempt is a retry while in backoff: the state stays
   * 'backoff' during its probe and becomes 'connecting' only when the S7 connect starts.
   */
  private attempt(p: PooledClient, quiet: boolean): void {
    if (this.closed || p.connecting || p.connected) return;
    p.retryAt = undefined;
    p.connecting = true;
    p.quietProbe = quiet;
    this.updateState();
    const o = this.opts;
    probeTcp(o.host, o.port, o.connectTimeoutMs, this.clock, this.probes).then(
      (ip) => this.connectAfterProbe(p, ip),
      (err: Error) => {
        if (this.extraFailed(p)) return;
        // unreachable: probe again soon; the S7 connect's backoff is not advanced by this
        this.attemptFailed(p, err.message, o.probeIntervalMs);
      },
    ).catch((err: Error) => {
      // Bookkeeping failed: record it rather than let a rejection escape.
      this.error = `internal: ${err.message}`;
    });
  }

  private async connectAfterProbe(p: PooledClient, ip: string): Promise<void> {
    if (this.closed) {
      p.connecting = false;
      p.settle();
      return;
    }
    p.quietProbe = false;
    this.updateState();
    let pdu: number;
    try {
      const { release } = this.opts.engine === 'wire' ? NO_SLOT
        : await this.slots.acquire(this, this.opts.onProbation || !this.goodStanding ? 'probation' : 'connect');
      try {
        if (this.closed) throw new Error('closed');
        const client = newClient(this.opts, this.opts.engine, this.clock);
        p.client = client;
        pdu = await connectClient(client, ip, this.opts);
      } finally {
        release();
      }
    } catch (err) {
      p.dispose();
      if (this.extraFailed(p)) return;
      this.goodStanding = false;
      this.attemptFailed(p, `${this.endpoint}: ${(err as Error).message}`, this.backoff.next());
      return;
    }
    p.connecting = false;
    if (this.closed || p.retiring) {
      if (p.retiring) this.remove(p);
      else p.dispose();
      p.settle();
      return;
    }
    p.pdu = pdu;
    p.capacity = p.client ? capacityOf(p.client) : 1;
    this.sizer.jobsPerConnection(p.capacity);
    p.connected = true;
    this.goodStanding = true;
    this.backoff.reset();
    this.error = undefined;
    this.updateState();
    p.settle();
    this.pump();
    this.resize();
  }

  private attemptFailed(p: PooledClient, reason: string, retryInMs: number): void {
    p.connecting = false;
    p.quietProbe = false;
    p.settle();
    if (this.closed) return;
    if (p.retiring) {
      this.remove(p);
      return;
    }
    this.error = reason;
    this.schedule(p, retryInMs);
    this.updateState(reason);
    this.pump();
  }

  private updateState(detail?: string): void {
    let next: S7ConnectionState;
    if (this.closed) next = 'closed';
    else if (this.pool.some((p) => p.connected)) next = 'connected';
    else if (this.pool.some((p) => p.connecting && !p.quietProbe)) next = 'connecting';
    else next = 'backoff';
    if (next === this.currentState) return;
    this.currentState = next;
    try {
      this.emit('state', next, detail ?? (next === 'backoff' ? this.error : undefined));
    } catch {
      // a listener's exception must not break the connection's own bookkeeping
    }
  }

  /**
   * Fails every request at once, those in flight too. Wire clients disconnect at once, which ends
   * their calls and connects. A snap7 call cannot be cancelled, and Disconnect() must not run
   * under one, so a snap7 client whose call still runs keeps its thread slot and is disconnected
   * when the call returns (idle(), connectAfterProbe()); close() waits for that at most
   * CLOSE_GRACE_MS, never for a silent PLC's timeout.
   */
  private async shutdown(): Promise<void> {
    const closedError = new S7ConnectionError(`S7 connection to ${this.endpoint} is closed`);
    this.queue.failAll(closedError);
    this.slots.cancel(this, closedError);
    for (const task of this.running) task.reject(closedError);
    this.running.clear();
    this.clock.clearTimer(this.shrinkTimer);
    for (const s of this.probes) s.destroy(new Error('connection closed'));
    for (const p of this.pool) {
      this.clock.clearTimer(p.retryTimer);
      p.retryAt = undefined;
      p.connected = false;
      if (this.opts.engine === 'wire' || (p.inFlight === 0 && !p.connecting)) p.dispose();
    }
    this.updateState();
    let graceTimer: unknown;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = this.clock.setTimer(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.all(this.pool.map((p) => p.whenIdle())), graceOver]);
    this.clock.clearTimer(graceTimer);
  }
}
