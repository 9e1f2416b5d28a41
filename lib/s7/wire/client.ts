/**
 * An S7 read client on one TCP socket, without threads: it keeps up to the negotiated number of
 * jobs (MaxAmQ) in flight, queues the rest, and matches the replies to their requests by PDU
 * reference, so a cycle of n requests costs about ceil(n / maxJobs) round trips instead of n.
 *
 * Anything that makes the stream untrustworthy (socket error or close, a garbled or unexpected
 * reply, a request unanswered within its timeout) ends the connection and fails every pending
 * read with an error naming the PLC and what happened; the owner connects a new client. A
 * request the PLC refuses as a whole (an error in the reply header) fails only that read.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { systemClock, type Clock } from '../../shared/clock';
import { connectionRequest, dataFrame, DATA_FRAME_OVERHEAD, LOCAL_TSAP, parseTpdu, remoteTsap, TpktReader, TsduAssembler, type ConnectionType } from './frames';
import { parseHeader, parseReadVarReply, parseSetupReply, readRequestProblem, readVarRequest, ROSCTR, setupCommunication, type ItemResult, type ReadItem } from './s7comm';

export interface WireConnectOptions {
  host: string;
  /** Default 102. */
  port?: number;
  /** Default 0. */
  rack?: number;
  /** Default 1. */
  slot?: number;
  /** Default 'PG'; selects the remote TSAP's high byte. */
  connectionType?: ConnectionType;
  /** When both are set they replace rack, slot and connection type (LOGO!, S7-200). */
  localTsap?: number;
  remoteTsap?: number;
  /** Requested PDU size, default 480; the PLC may negotiate less. */
  pduSize?: number;
  /** Requested parallel jobs (MaxAmQ), default 8; the PLC may allow fewer. */
  maxJobs?: number;
  /** TCP, ISO and S7 connect together, default 3000. */
  timeoutMs?: number;
  /** How long a sent request may wait for its answer, default 2000. */
  requestTimeoutMs?: number;
}

/** What the PLC agreed to. */
export interface Negotiated {
  pduSize: number;
  maxJobs: number;
}

/**
 * Why a call failed. Link reasons end the connection: 'connect-timeout', 'timeout' (a request's),
 * 'closed' (by the PLC), 'socket', 'protocol', 'iso-refused', 'negotiation', 'closed-by-client',
 * 'not-connected'. The others concern one read: 'refused' (the PLC refused the request),
 * 'invalid' (an item no S7 address can express), 'too-large' (the items do not fit the PDU).
 */
export type WireFailure =
  | 'connect-timeout' | 'timeout' | 'closed' | 'socket' | 'protocol' | 'iso-refused' | 'negotiation' | 'closed-by-client' | 'not-connected'
  | 'refused' | 'invalid' | 'too-large';

export class S7WireError extends Error {
  override name = 'S7WireError';
  constructor(
    message: string,
    readonly reason: WireFailure,
    /** The socket's error code (ECONNREFUSED ...) for 'socket'; the reply header's error class × 256 + code for 'refused'. */
    readonly detail?: string | number,
  ) {
    super(message);
  }

  /** The connection is gone: every pending read failed with it. */
  get isLinkError(): boolean {
    return this.reason !== 'refused' && this.reason !== 'invalid' && this.reason !== 'too-large';
  }
}

const HEADER_ERROR_CLASS: Record<number, string> = {
  0x81: 'application relationship error',
  0x82: 'object definition error',
  0x83: 'no resources available',
  0x84: 'error on service processing',
  0x85: 'error on supplies',
  0x87: 'access error',
};

function headerErrorText(error: number): string {
  const hex = `0x${error.toString(16).padStart(4, '0')}`;
  if (error === 0x8104) return `function not available: PUT/GET access not permitted? (S7 error ${hex})`;
  return `${HEADER_ERROR_CLASS[error >> 8] ?? 'error'} (S7 error ${hex})`;
}

interface Job {
  /** The whole frame; its PDU reference is written when it is sent. */
  frame: Buffer;
  items: number;
  resolve: (results: ItemResult[]) => void;
  reject: (err: S7WireError) => void;
  timer?: unknown;
}

interface Connecting {
  resolve: (n: Negotiated) => void;
  reject: (err: S7WireError) => void;
  timer: unknown;
  stage: string;
  requested: Negotiated;
}

type State = 'new' | 'connecting' | 'ready' | 'closed';

/** Events: 'close' (err: S7WireError) once the connection has ended, for whatever reason. */
export class S7WireClient extends EventEmitter {
  private state: State = 'new';
  private socket: net.Socket | undefined;
  private where = '';
  private agreed: Negotiated | undefined;
  private connecting: Connecting | undefined;
  private requestTimeoutMs = 2000;
  private readonly frames = new TpktReader();
  private readonly tsdu = new TsduAssembler();
  private readonly waiting: Job[] = [];
  private readonly inFlight = new Map<number, Job>();
  private lastRef = 0;
  private sendScheduled = false;
  private ended: S7WireError | undefined;
  /** The most requests that were in flight at once (pipelining at work). */
  peakInFlight = 0;

  constructor(private readonly clock: Clock = systemClock) {
    super();
  }

  /** host:port, for messages. */
  get endpoint(): string {
    return this.where;
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  /** The PDU size and parallel jobs agreed with the PLC; undefined before connect() resolved. */
  get negotiated(): Negotiated | undefined {
    return this.agreed;
  }

  /** Requests sent and not yet answered. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Reads waiting for a free job. */
  get queuedCount(): number {
    return this.waiting.length;
  }

  /** Why the connection ended, once it has. */
  get closeReason(): S7WireError | undefined {
    return this.ended;
  }

  /** Opens the TCP connection, the ISO connection and the S7 session; once per client. */
  connect(options: WireConnectOptions): Promise<Negotiated> {
    if (this.state !== 'new') return Promise.reject(new S7WireError('connect() is called once per S7WireClient; make a new one to reconnect', 'invalid'));
    const host = options.host;
    const port = options.port ?? 102;
    this.where = `${host}:${port}`;
    const timeoutMs = options.timeoutMs ?? 3000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2000;
    let request: Buffer;
    let setup: Buffer;
    try {
      if (typeof host !== 'string' || host.trim() === '') throw new RangeError('host is required');
      if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new RangeError(`port must be 1..65535, not ${port}`);
      if (!(timeoutMs > 0 && this.requestTimeoutMs > 0)) throw new RangeError('timeouts must be positive');
      if ((options.localTsap === undefined) !== (options.remoteTsap === undefined)) throw new RangeError('give both local and remote TSAP, or neither');
      const remote = options.remoteTsap ?? remoteTsap(options.rack ?? 0, options.slot ?? 1, options.connectionType ?? 'PG');
      request = connectionRequest(options.localTsap ?? LOCAL_TSAP, remote);
      setup = dataFrame(setupCommunication(this.nextRef(), options.maxJobs ?? 8, options.pduSize ?? 480));
    } catch (err) {
      this.state = 'closed';
      return Promise.reject(new S7WireError(`S7 connection to ${this.where}: ${(err as Error).message}`, 'invalid'));
    }
    const requested = { pduSize: options.pduSize ?? 480, maxJobs: options.maxJobs ?? 8 };
    this.state = 'connecting';
    return new Promise<Negotiated>((resolve, reject) => {
      const timer = this.clock.setTimer(() => {
        this.end(new S7WireError(`${this.where}: no S7 connection within ${timeoutMs} ms (${this.connecting?.stage})`, 'connect-timeout'));
      }, timeoutMs);
      this.connecting = { resolve, reject, timer, stage: 'TCP connect', requested };
      const socket = net.connect({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('connect', () => {
        if (this.connecting) this.connecting.stage = 'ISO connect';
        socket.write(request);
      });
      socket.on('data', (chunk: Buffer) => this.received(chunk, setup));
      socket.on('error', (err: NodeJS.ErrnoException) => this.end(new S7WireError(`${this.where}: ${err.message}`, 'socket', err.code)));
      socket.on('close', () => this.end(new S7WireError(`${this.where}: connection closed by the PLC`, 'closed')));
    });
  }

  /**
   * Reads `items` in one Read Var request (they must fit the negotiated PDU: lib/s7/planner.ts
   * plans such requests). Resolves with one result per item, in order.
   */
  read(items: readonly ReadItem[]): Promise<ItemResult[]> {
    if (this.state !== 'ready' || !this.agreed) {
      return Promise.reject(this.ended ?? new S7WireError(`not connected to ${this.where || 'a PLC'}`, 'not-connected'));
    }
    let frame: Buffer;
    try {
      frame = dataFrame(readVarRequest(0, items));
    } catch (err) {
      return Promise.reject(new S7WireError(`${this.where}: ${(err as Error).message}`, 'invalid'));
    }
    const problem = readRequestProblem(items, this.agreed.pduSize);
    if (problem) return Promise.reject(new S7WireError(`${this.where}: ${problem}`, 'too-large'));
    return new Promise<ItemResult[]>((resolve, reject) => {
      this.waiting.push({ frame, items: items.length, resolve, reject });
      // the reads of one cycle usually come in one go: send them together, in as few segments as the jobs allow
      if (!this.sendScheduled) {
        this.sendScheduled = true;
        process.nextTick(() => {
          this.sendScheduled = false;
          this.sendWaiting();
        });
      }
    });
  }

  /** Ends the connection; pending reads fail. Resolves once the socket is closed. */
  close(): Promise<void> {
    const socket = this.socket;
    this.end(new S7WireError(`S7 connection to ${this.where} closed by its owner`, 'closed-by-client'));
    if (!socket || socket.closed) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** PDU references 1..65535, skipping any still awaiting its answer. */
  private nextRef(): number {
    do this.lastRef = (this.lastRef % 0xffff) + 1;
    while (this.inFlight.has(this.lastRef));
    return this.lastRef;
  }

  private sendWaiting(): void {
    const socket = this.socket;
    if (this.state !== 'ready' || !socket || !this.agreed) return;
    const sending = Math.min(this.waiting.length, this.agreed.maxJobs - this.inFlight.size);
    if (sending <= 0) return;
    socket.cork();
    for (let i = 0; i < sending; i++) {
      const job = this.waiting.shift() as Job;
      const ref = this.nextRef();
      job.frame.writeUInt16BE(ref, DATA_FRAME_OVERHEAD + 4);
      job.timer = this.clock.setTimer(() => {
        this.end(new S7WireError(`${this.where}: no answer to an S7 read request within ${this.requestTimeoutMs} ms`, 'timeout'));
      }, this.requestTimeoutMs);
      this.inFlight.set(ref, job);
      socket.write(job.frame);
    }
    socket.uncork();
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight.size);
  }

  private received(chunk: Buffer, setup: Buffer): void {
    try {
      for (const frame of this.frames.push(chunk)) {
        if (this.state === 'closed') return;
        const tpdu = parseTpdu(frame);
        if (tpdu.type === 'DR' || tpdu.type === 'ER') {
          const what = tpdu.type === 'DR' ? `disconnect request (reason 0x${tpdu.reason.toString(16)})` : `error TPDU (cause 0x${tpdu.cause.toString(16)})`;
          const stage = this.state === 'connecting' ? 'refused the ISO connection (wrong rack/slot or TSAP?)' : 'ended the ISO connection';
          throw new S7WireError(`${this.where}: the PLC ${stage}: COTP ${what}`, this.state === 'connecting' ? 'iso-refused' : 'closed');
        }
        if (tpdu.type === 'CC') {
          if (this.state !== 'connecting' || this.connecting?.stage !== 'ISO connect') throw new S7WireError(`${this.where}: unexpected COTP connection confirm`, 'protocol');
          this.connecting.stage = 'S7 setup communication';
          this.socket?.write(setup);
          continue;
        }
        const pdu = this.tsdu.push(tpdu.payload, tpdu.endOfTsdu);
        if (pdu) this.answer(pdu);
      }
    } catch (err) {
      this.end(err instanceof S7WireError ? err : new S7WireError(`${this.where}: garbled answer from the PLC: ${(err as Error).message}`, 'protocol'));
      return;
    }
    this.sendWaiting();
  }

  private answer(pdu: Buffer): void {
    const header = parseHeader(pdu);
    if (this.state === 'connecting') {
      const c = this.connecting;
      if (!c || c.stage !== 'S7 setup communication') throw new S7WireError(`${this.where}: S7 data before the ISO connection was confirmed`, 'protocol');
      if (header.error !== 0) throw new S7WireError(`${this.where}: the PLC refused the S7 setup: ${headerErrorText(header.error)}`, 'negotiation');
      const reply = parseSetupReply(pdu, header);
      const pduSize = Math.min(reply.pduSize, c.requested.pduSize);
      if (pduSize < 240) throw new S7WireError(`${this.where}: the PLC offers a PDU of ${reply.pduSize} bytes, below S7's minimum of 240`, 'negotiation');
      this.agreed = { pduSize, maxJobs: Math.max(1, Math.min(reply.maxJobsCalling, c.requested.maxJobs)) };
      this.connecting = undefined;
      this.clock.clearTimer(c.timer);
      this.state = 'ready';
      c.resolve(this.agreed);
      return;
    }
    if (header.rosctr !== ROSCTR.ack && header.rosctr !== ROSCTR.ackData) throw new S7WireError(`${this.where}: unexpected S7 PDU (ROSCTR ${header.rosctr})`, 'protocol');
    const job = this.inFlight.get(header.pduRef);
    if (!job) throw new S7WireError(`${this.where}: an answer to PDU reference ${header.pduRef}, which no request awaits`, 'protocol');
    if (header.error !== 0) {
      this.settle(header.pduRef, job);
      job.reject(new S7WireError(`${this.where}: the PLC refused the read: ${headerErrorText(header.error)}`, 'refused', header.error));
      return;
    }
    // a garbled reply throws here, while the job is still pending: it fails with the connection
    const results = parseReadVarReply(pdu, header, job.items);
    this.settle(header.pduRef, job);
    job.resolve(results);
  }

  private settle(ref: number, job: Job): void {
    this.inFlight.delete(ref);
    this.clock.clearTimer(job.timer);
  }

  /** The connection is over: every pending call fails with `err`, once. */
  private end(err: S7WireError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ended = err;
    const pending = [...this.inFlight.values(), ...this.waiting.splice(0)];
    this.inFlight.clear();
    const failure = pending.length > 1 ? new S7WireError(`${err.message} (${pending.length} reads pending)`, err.reason, err.detail) : err;
    for (const job of pending) {
      this.clock.clearTimer(job.timer);
      job.reject(failure);
    }
    const c = this.connecting;
    this.connecting = undefined;
    if (c) {
      this.clock.clearTimer(c.timer);
      c.reject(err);
    }
    this.socket?.destroy();
    this.emit('close', err);
  }
}
