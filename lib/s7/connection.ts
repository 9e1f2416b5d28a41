/**
 * A connection to one PLC: a small pool of node-snap7 clients (default 1), each with strictly
 * one request in flight, reconnecting with exponential backoff and jitter.
 *
 * Why it looks like this:
 *  - snap7 calls run on libuv's thread pool (4 threads by default, shared with file I/O, DNS,
 *    zlib). A connect to a dead host would park a thread for the whole TCP timeout, so each
 *    connect is preceded by a non-blocking net.connect probe, connects are capped process-wide,
 *    and snap7's timeouts are kept short. Sites with many PLCs raise UV_THREADPOOL_SIZE.
 *  - Connected() only reflects the last socket state; after a timeout a late reply would shift
 *    every following answer by one, so a client that saw a link error is disconnected and a new
 *    connection made instead of reusing the socket.
 *  - Disconnect() runs on the main thread without snap7's per-client lock, so it is only called
 *    on a client with no request in flight.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { S7Address } from './address';
import { decodeValue } from './decode';
import { describeError, isLinkError, SNAP7 } from './errors';
import { planReads, type PlannedRequest, type RangePart, type ReadPlan } from './planner';
import { snap7, type MultiVarRequest, type MultiVarResult, type Snap7Client } from './snap7';

export interface S7ConnectionOptions {
  host: string;
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
  /** First reconnect delay, default 1000; doubles per failed attempt up to reconnectMaxMs (default 30000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Parallel connections to the same PLC, default 1. */
  poolSize?: number;
  /** Planner gap in bytes, default 16. */
  maxGap?: number;
}

export type S7ConnectionState = 'connecting' | 'connected' | 'backoff' | 'closed';

export interface PreparedRead {
  readonly addresses: readonly S7Address[];
  /** S7 requests one read takes with the current plan. */
  readonly requestCount: number;
}

export interface ItemResult {
  ok: boolean;
  value?: unknown;
  /** snap7 text + hint; names the address. */
  error?: string;
}

export interface ReadResult {
  /** In input order. */
  items: ItemResult[];
  /** Epoch ms when the (last) reply came. */
  timestamp: number;
  requests: number;
  durationMs: number;
}

export class S7ConnectionError extends Error {
  override name = 'S7ConnectionError';
  code?: number;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

/** Concurrent snap7 connects allowed in this process (each may hold a thread-pool thread). */
let maxConcurrentConnects = 2;
let connectsRunning = 0;
const connectWaiters: (() => void)[] = [];

/** Tunes the process-wide cap on concurrent snap7 connects (default 2). */
export function setMaxConcurrentConnects(n: number): void {
  maxConcurrentConnects = Math.max(1, Math.floor(n));
}

async function withConnectSlot<T>(fn: () => Promise<T>): Promise<T> {
  while (connectsRunning >= maxConcurrentConnects) await new Promise<void>((r) => connectWaiters.push(r));
  connectsRunning++;
  try {
    return await fn();
  } finally {
    connectsRunning--;
    connectWaiters.shift()?.();
  }
}

/**
 * Non-blocking reachability check: resolves with the peer's IPv4 address (snap7 takes no host
 * names) when a TCP connection opens, rejects otherwise.
 */
function probe(host: string, port: number, timeoutMs: number, open: Set<net.Socket>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, family: 4 });
    open.add(socket);
    const done = (err?: Error): void => {
      const ip = socket.remoteAddress;
      open.delete(socket);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else if (!ip) reject(new Error(`TCP connect to ${host}:${port}: no peer address`));
      else resolve(ip);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no TCP answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => done(new Error(`TCP connect to ${host}:${port} failed: ${err.code ?? err.message}`)));
    socket.once('close', () => done(new Error(`TCP connect to ${host}:${port} closed`)));
  });
}

class Prepared implements PreparedRead {
  readonly addresses: readonly S7Address[];
  plan: ReadPlan;
  planPdu: number;
  /** Items that produced errors while coalesced with others: planned alone from then on. */
  readonly isolate = new Set<number>();

  constructor(addresses: S7Address[], pdu: number, private readonly maxGap: number | undefined) {
    this.addresses = Object.freeze(addresses.slice());
    this.planPdu = pdu;
    this.plan = this.replan(pdu);
  }

  get requestCount(): number {
    return this.plan.requests.length;
  }

  replan(pdu: number): ReadPlan {
    this.planPdu = pdu;
    this.plan = planReads(this.addresses.slice(), { pduSize: pdu, maxGap: this.maxGap, isolate: this.isolate });
    return this.plan;
  }
}

/** One S7 request waiting for, or running on, a pooled client. */
interface Task {
  request: PlannedRequest;
  resolve: (outcome: TaskOutcome) => void;
  reject: (err: S7ConnectionError) => void;
}

/** Per range part: the bytes, or the item-level error (snap7 code and text). */
type PartOutcome = { ok: true; data: Buffer } | { ok: false; code: number; text: string };
interface TaskOutcome { parts: PartOutcome[]; at: number }

class PooledClient {
  client: Snap7Client | undefined;
  connected = false;
  busy = false;
  pdu = 0;
  retryTimer: NodeJS.Timeout | undefined;
  retryAt: number | undefined;
  connecting = false;
  /** Resolves whenever the client becomes idle; used by close(). */
  idleWaiters: (() => void)[] = [];

  whenIdle(): Promise<void> {
    if (!this.busy && !this.connecting) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  settle(): void {
    if (this.busy || this.connecting) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

export class S7Connection extends EventEmitter {
  private readonly opts: Required<Omit<S7ConnectionOptions, 'localTSAP' | 'remoteTSAP' | 'maxGap'>>
    & Pick<S7ConnectionOptions, 'localTSAP' | 'remoteTSAP' | 'maxGap'>;
  private readonly pool: PooledClient[];
  private readonly queue: Task[] = [];
  private currentState: S7ConnectionState = 'backoff';
  private started = false;
  private closing: Promise<void> | undefined;
  private closed = false;
  private failedAttempts = 0;
  private error: string | undefined;
  private readonly probes = new Set<net.Socket>();

  constructor(options: S7ConnectionOptions) {
    super();
    if (!options || typeof options.host !== 'string' || options.host.trim() === '') {
      throw new S7ConnectionError('S7 connection: host is required');
    }
    this.opts = {
      port: 102, rack: 0, slot: 1, connectionType: 'PG', pduSize: 480, connectTimeoutMs: 3000, receiveTimeoutMs: 2000,
      reconnectMinMs: 1000, reconnectMaxMs: 30000, poolSize: 1,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      host: options.host.trim(),
    } as S7Connection['opts'];
    const o = this.opts;
    if (!(o.pduSize >= 240 && o.pduSize <= 960)) throw new S7ConnectionError(`S7 connection: PDU size must be 240..960, not ${o.pduSize}`);
    if (!(o.poolSize >= 1 && o.poolSize <= 8)) throw new S7ConnectionError(`S7 connection: pool size must be 1..8, not ${o.poolSize}`);
    if (!(o.port > 0 && o.port < 65536)) throw new S7ConnectionError(`S7 connection: port must be 1..65535, not ${o.port}`);
    if ((o.localTSAP === undefined) !== (o.remoteTSAP === undefined)) {
      throw new S7ConnectionError('S7 connection: give both local and remote TSAP, or neither');
    }
    o.reconnectMaxMs = Math.max(o.reconnectMaxMs, o.reconnectMinMs);
    this.pool = Array.from({ length: o.poolSize }, () => new PooledClient());
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
    for (const p of this.pool) this.connect(p);
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
    if (pdu === undefined) throw new S7ConnectionError(`not connected to ${this.endpoint}${this.error ? `: ${this.error}` : ''}`);
    if (pdu !== prepared.planPdu) prepared.replan(pdu);

    const first = await this.execute(prepared.addresses, prepared.plan);
    let requests = prepared.plan.requests.length;
    let at = first.at;
    const items = first.items;

    // An error on a range holding several items: read those items alone, so that only the bad one is bad.
    const multiItem = first.failedRanges.filter((r) => prepared.plan.ranges[r].items.length > 1);
    if (multiItem.length > 0) {
      const indexes = multiItem.flatMap((r) => prepared.plan.ranges[r].items);
      for (const i of indexes) prepared.isolate.add(i);
      prepared.replan(pdu);
      const subset = indexes.map((i) => prepared.addresses[i]);
      const subPlan = planReads(subset, { pduSize: pdu, isolate: new Set(subset.map((_, k) => k)) });
      const second = await this.execute(subset, subPlan);
      indexes.forEach((i, k) => { items[i] = second.items[k]; });
      requests += subPlan.requests.length;
      at = second.at;
    }
    return { items, timestamp: at, requests, durationMs: Date.now() - began };
  }

  /** Runs a plan's requests on the pool and decodes the items; failedRanges: multi-item ranges worth isolating. */
  private async execute(addresses: readonly S7Address[], plan: ReadPlan): Promise<{ items: ItemResult[]; failedRanges: number[]; at: number }> {
    const tasks = plan.requests.map((request) => {
      let task!: Task;
      const promise = new Promise<TaskOutcome>((resolve, reject) => {
        task = { request, resolve, reject };
      });
      return { task, promise };
    });
    for (const t of tasks) this.queue.push(t.task);
    this.pump();
    let outcomes: TaskOutcome[];
    try {
      outcomes = await Promise.all(tasks.map((t) => t.promise));
    } catch (err) {
      // Withdraw this read's requests that have not started; wait for the running ones to settle.
      for (const t of tasks) {
        const at = this.queue.indexOf(t.task);
        if (at >= 0) {
          this.queue.splice(at, 1);
          t.task.reject(err as S7ConnectionError);
        }
      }
      await Promise.allSettled(tasks.map((t) => t.promise));
      throw err;
    }

    const buffers = plan.ranges.map((r) => Buffer.alloc(r.length));
    const rangeError = new Map<number, { code: number; text: string }>();
    plan.requests.forEach((req, k) => {
      const parts = req.kind === 'multi' ? req.parts : [req.part];
      parts.forEach((part, j) => {
        const out = outcomes[k].parts[j];
        const range = plan.ranges[part.range];
        if (rangeError.has(part.range)) return;
        if (!out) rangeError.set(part.range, { code: SNAP7.errCliInvalidPlcAnswer, text: 'no result for this item in the reply' });
        else if (!out.ok) rangeError.set(part.range, { code: out.code, text: describeError(out.code, out.text, range.area) });
        else if (out.data.length < part.length) {
          rangeError.set(part.range, { code: SNAP7.errCliInvalidPlcAnswer, text: `short reply: ${out.data.length} of ${part.length} bytes` });
        } else out.data.copy(buffers[part.range], part.start - range.start, 0, part.length);
      });
    });
    const items: ItemResult[] = new Array(addresses.length);
    plan.ranges.forEach((range, ri) => {
      const err = rangeError.get(ri);
      for (const i of range.items) {
        const a = addresses[i];
        if (err !== undefined) {
          items[i] = { ok: false, error: `${a.text}: ${err.text}` };
          continue;
        }
        try {
          items[i] = { ok: true, value: decodeValue(buffers[ri], a.byteOffset - range.start, a) };
        } catch (e) {
          items[i] = { ok: false, error: `${a.text}: cannot decode: ${(e as Error).message}` };
        }
      }
    });
    // Only an address beyond the end of an area can hide among good neighbours; a missing DB or a
    // refused request fails every item alike, so reading them one by one would not help.
    const isolatable = [...rangeError].filter(([, e]) => e.code === SNAP7.errCliAddressOutOfRange).map(([ri]) => ri);
    return { items, failedRanges: isolatable, at: Math.max(...outcomes.map((o) => o.at), 0) };
  }

  /** Hands queued requests to idle connected clients. */
  private pump(): void {
    for (const p of this.pool) {
      if (this.queue.length === 0) return;
      if (!p.connected || p.busy || !p.client) continue;
      this.run(p, this.queue.shift() as Task);
    }
    if (this.queue.length > 0 && !this.pool.some((p) => p.connected)) {
      this.failQueue(new S7ConnectionError(`not connected to ${this.endpoint}${this.error ? `: ${this.error}` : ''}`));
    }
  }

  private failQueue(err: S7ConnectionError): void {
    for (const t of this.queue.splice(0)) t.reject(err);
  }

  private run(p: PooledClient, task: Task): void {
    const client = p.client as Snap7Client;
    p.busy = true;
    let finished = false;
    const finish = (err: number | null, parts: PartOutcome[] | undefined): void => {
      if (finished) return;
      finished = true;
      p.busy = false;
      try {
        if (err !== null && isLinkError(err)) {
          const text = this.errorText(client, err);
          task.reject(new S7ConnectionError(`${this.endpoint}: ${text}`, err));
          this.linkLost(p, text);
        } else if (err !== null) {
          // A request-level CPU error: every item in the request is bad, the link is fine.
          const text = this.errorText(client, err);
          const n = task.request.kind === 'multi' ? task.request.parts.length : 1;
          task.resolve({ parts: Array.from({ length: n }, () => ({ ok: false, code: err, text })), at: Date.now() });
        } else {
          task.resolve({ parts: parts ?? [], at: Date.now() });
        }
      } catch (e) {
        task.reject(new S7ConnectionError(`${this.endpoint}: ${(e as Error).message}`));
      }
      p.settle();
      if (!this.closed) this.pump();
    };
    try {
      if (task.request.kind === 'multi') {
        const parts = task.request.parts;
        const vars = parts.map((part) => multiVar(client, part));
        client.ReadMultiVars(vars, (err, results: MultiVarResult[] | undefined) => {
          try {
            if (err || !Array.isArray(results)) {
              finish(typeof err === 'number' ? err : SNAP7.errCliInvalidPlcAnswer, undefined);
              return;
            }
            finish(null, results.slice(0, parts.length).map((r): PartOutcome => (r.Result === 0 && Buffer.isBuffer(r.Data)
              ? { ok: true, data: r.Data }
              : { ok: false, code: r.Result, text: this.errorText(client, r.Result) })));
          } catch {
            finish(SNAP7.errCliInvalidPlcAnswer, undefined);
          }
        });
      } else {
        const part = task.request.part;
        const v = multiVar(client, part);
        client.ReadArea(v.Area, v.DBNumber ?? 0, v.Start, v.Amount, client.S7WLByte, (err, data) => {
          if (err || !Buffer.isBuffer(data)) finish(typeof err === 'number' ? err : SNAP7.errCliInvalidPlcAnswer, undefined);
          else finish(null, [{ ok: true, data }]);
        });
      }
    } catch (e) {
      // snap7 refused the call itself: treat the client as unusable.
      finished = true;
      p.busy = false;
      task.reject(new S7ConnectionError(`${this.endpoint}: ${(e as Error).message}`));
      this.linkLost(p, (e as Error).message);
      p.settle();
    }
  }

  private errorText(client: Snap7Client, code: number): string {
    try {
      return client.ErrorText(code);
    } catch {
      return `snap7 error 0x${code.toString(16)}`;
    }
  }

  /** Drops a client whose socket can no longer be trusted and schedules a new connection. */
  private linkLost(p: PooledClient, reason: string): void {
    this.error = reason;
    p.connected = false;
    this.disposeClient(p);
    this.updateState(reason);
    if (!this.closed) this.scheduleConnect(p, true);
    this.pump();
  }

  private disposeClient(p: PooledClient): void {
    const client = p.client;
    p.client = undefined;
    p.pdu = 0;
    if (!client) return;
    try {
      client.Disconnect();
    } catch {
      // nothing left to clean up
    }
  }

  private scheduleConnect(p: PooledClient, afterLinkLoss: boolean): void {
    clearTimeout(p.retryTimer);
    // The first attempt after losing a good link is immediate; every failure after that doubles the delay.
    const attempt = afterLinkLoss ? this.failedAttempts : this.failedAttempts - 1;
    if (attempt <= 0 && afterLinkLoss) {
      p.retryAt = undefined;
      setImmediate(() => this.connect(p));
      return;
    }
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** Math.max(0, attempt));
    const delay = Math.round(base * (1 - 0.2 * Math.random()));
    p.retryAt = Date.now() + delay;
    p.retryTimer = setTimeout(() => this.connect(p), delay);
    this.updateState();
  }

  private connect(p: PooledClient): void {
    if (this.closed || p.connecting || p.connected) return;
    p.retryAt = undefined;
    p.connecting = true;
    this.updateState();
    const o = this.opts;
    withConnectSlot(async () => {
      if (this.closed) throw new Error('closed');
      const ip = await probe(o.host, o.port, o.connectTimeoutMs, this.probes);
      if (this.closed) throw new Error('closed');
      const client = new (snap7().S7Client)();
      p.client = client;
      client.SetParam(client.RemotePort, o.port);
      client.SetParam(client.PingTimeout, o.connectTimeoutMs);
      client.SetParam(client.SendTimeout, o.receiveTimeoutMs);
      client.SetParam(client.RecvTimeout, o.receiveTimeoutMs);
      client.SetParam(client.PDURequest, o.pduSize);
      await new Promise<void>((resolve, reject) => {
        const cb = (err: unknown): void => {
          if (err) reject(new S7ConnectionError(`${this.endpoint}: ${this.errorText(client, Number(err))}`, Number(err)));
          else resolve();
        };
        if (o.localTSAP !== undefined && o.remoteTSAP !== undefined) {
          client.SetConnectionParams(ip, o.localTSAP, o.remoteTSAP);
          client.Connect(cb);
        } else {
          client.SetConnectionType(o.connectionType === 'OP' ? client.CONNTYPE_OP : o.connectionType === 'S7_BASIC' ? client.CONNTYPE_BASIC : client.CONNTYPE_PG);
          client.ConnectTo(ip, o.rack, o.slot, cb);
        }
      });
      const pdu = client.PDULength();
      if (!pdu) throw new S7ConnectionError(`${this.endpoint}: no PDU negotiated`);
      p.pdu = pdu;
    }).then(
      () => {
        p.connecting = false;
        if (this.closed) {
          this.disposeClient(p);
          p.settle();
          return;
        }
        p.connected = true;
        this.failedAttempts = 0;
        this.error = undefined;
        this.updateState();
        p.settle();
        this.pump();
      },
      (err: Error) => {
        p.connecting = false;
        this.disposeClient(p);
        p.settle();
        if (this.closed) return;
        this.failedAttempts++;
        this.error = err.message;
        this.scheduleConnect(p, false);
        this.updateState(err.message);
        this.pump();
      },
    ).catch((err: Error) => {
      // Bookkeeping failed: record it rather than let a rejection escape.
      this.error = `internal: ${err.message}`;
    });
  }

  private updateState(detail?: string): void {
    let next: S7ConnectionState;
    if (this.closed) next = 'closed';
    else if (this.pool.some((p) => p.connected)) next = 'connected';
    else if (this.pool.some((p) => p.connecting)) next = 'connecting';
    else next = 'backoff';
    if (next === this.currentState) return;
    this.currentState = next;
    try {
      this.emit('state', next, detail ?? (next === 'backoff' ? this.error : undefined));
    } catch {
      // a listener's exception must not break the connection's own bookkeeping
    }
  }

  private async shutdown(): Promise<void> {
    this.failQueue(new S7ConnectionError(`S7 connection to ${this.endpoint} is closed`));
    for (const s of this.probes) s.destroy(new Error('connection closed'));
    for (const p of this.pool) {
      clearTimeout(p.retryTimer);
      p.retryAt = undefined;
    }
    this.updateState();
    await Promise.all(this.pool.map(async (p) => {
      await p.whenIdle();
      p.connected = false;
      this.disposeClient(p);
    }));
  }
}

function multiVar(client: Snap7Client, part: RangePart): MultiVarRequest {
  const area = { I: client.S7AreaPE, Q: client.S7AreaPA, M: client.S7AreaMK, DB: client.S7AreaDB }[part.area];
  return { Area: area, WordLen: client.S7WLByte, DBNumber: part.dbNumber, Start: part.start, Amount: part.length };
}
