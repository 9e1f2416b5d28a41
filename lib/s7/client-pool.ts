/**
 * The clients of one connection and the S7 calls made on them. Two engines speak snap7's client
 * interface (snap7.ts): node-snap7's client, strictly one call in flight, and the wire client
 * (wire/snap7-adapter.ts), which pipelines up to the negotiated number of jobs on its socket.
 * A client that saw a link error is never reused: after a timeout a late reply would shift every
 * following answer by one, so it is disconnected and a new one made. snap7's Disconnect() runs
 * on the main thread without its per-client lock, so it is only called on a snap7 client with no
 * call in flight; the wire client's fails its calls at once.
 */
import type { Clock } from '../shared/clock';
import type { S7Engine } from './engine';
import { SNAP7 } from './errors';
import type { PlannedRequest, RangePart } from './planner';
import type { PartOutcome } from './prepared-read';
import { snap7, type MultiVarRequest, type MultiVarResult, type Snap7Client } from './snap7';
import { WireSnap7Client } from './wire/snap7-adapter';

export interface ClientSettings {
  port: number;
  rack: number;
  slot: number;
  localTSAP?: number;
  remoteTSAP?: number;
  connectionType: 'PG' | 'OP' | 'S7_BASIC';
  pduSize: number;
  connectTimeoutMs: number;
  receiveTimeoutMs: number;
}

export class PooledClient {
  client: Snap7Client | undefined;
  connected = false;
  /** Requests running (or waiting for a thread slot) on this client. */
  inFlight = 0;
  /** Requests it may carry at once: the wire client's negotiated jobs, 1 for snap7. */
  capacity = 1;
  /** A probe or connect runs. */
  connecting = false;
  /** The running probe is a quiet retry (the connection stays in backoff while it runs). */
  quietProbe = false;
  /** The adaptive pool no longer needs it: it closes once its running calls are done. */
  retiring = false;
  pdu = 0;
  retryTimer: unknown;
  retryAt: number | undefined;
  private idleWaiters: (() => void)[] = [];

  /** Resolves once no call runs on this client; used by close(). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0 && !this.connecting) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  settle(): void {
    if (this.inFlight > 0 || this.connecting) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  dispose(): void {
    const client = this.client;
    this.client = undefined;
    this.pdu = 0;
    this.capacity = 1;
    if (!client) return;
    try {
      client.Disconnect();
    } catch {
      // nothing left to clean up
    }
  }
}

export function errorText(client: Snap7Client, code: number): string {
  try {
    return client.ErrorText(code);
  } catch {
    return `snap7 error 0x${code.toString(16)}`;
  }
}

/** A new client of `engine` with the connection's timeouts (the wire client's run on `clock`); the caller connects it. */
export function newClient(s: ClientSettings, engine: S7Engine, clock: Clock): Snap7Client {
  const client = engine === 'wire' ? new WireSnap7Client({ clock }) : new (snap7().S7Client)();
  client.SetParam(client.RemotePort, s.port);
  client.SetParam(client.PingTimeout, s.connectTimeoutMs);
  client.SetParam(client.SendTimeout, s.receiveTimeoutMs);
  client.SetParam(client.RecvTimeout, s.receiveTimeoutMs);
  client.SetParam(client.PDURequest, s.pduSize);
  return client;
}

/** Requests `client` may carry at once once connected. */
export function capacityOf(client: Snap7Client): number {
  return client instanceof WireSnap7Client ? Math.max(1, client.maxJobs) : 1;
}

/** Connects `client` to `ip` (for snap7 a thread-pool call); resolves with the negotiated PDU, rejects with snap7's code. */
export function connectClient(client: Snap7Client, ip: string, s: ClientSettings): Promise<number> {
  return new Promise((resolve, reject) => {
    const cb = (err: unknown): void => {
      if (err) {
        reject(Object.assign(new Error(errorText(client, Number(err))), { code: Number(err) }));
        return;
      }
      const pdu = client.PDULength();
      if (pdu) resolve(pdu);
      else reject(new Error('no PDU negotiated'));
    };
    if (s.localTSAP !== undefined && s.remoteTSAP !== undefined) {
      client.SetConnectionParams(ip, s.localTSAP, s.remoteTSAP);
      client.Connect(cb);
    } else {
      client.SetConnectionType(s.connectionType === 'OP' ? client.CONNTYPE_OP : s.connectionType === 'S7_BASIC' ? client.CONNTYPE_BASIC : client.CONNTYPE_PG);
      client.ConnectTo(ip, s.rack, s.slot, cb);
    }
  });
}

/**
 * Runs one planned request (for snap7 a thread-pool call). `done` gets snap7's request-level error code,
 * or null and the outcome of each range part. Throws when snap7 refuses the call itself.
 */
export function runRequest(client: Snap7Client, request: PlannedRequest, done: (err: number | null, parts?: PartOutcome[]) => void): void {
  if (request.kind === 'multi') {
    const parts = request.parts;
    client.ReadMultiVars(parts.map((part) => multiVar(client, part)), (err, results: MultiVarResult[] | undefined) => {
      try {
        if (err || !Array.isArray(results)) {
          done(typeof err === 'number' ? err : SNAP7.errCliInvalidPlcAnswer);
          return;
        }
        done(null, results.slice(0, parts.length).map((r): PartOutcome => (r.Result === 0 && Buffer.isBuffer(r.Data)
          ? { ok: true, data: r.Data }
          : { ok: false, code: r.Result, text: errorText(client, r.Result) })));
      } catch {
        done(SNAP7.errCliInvalidPlcAnswer);
      }
    });
    return;
  }
  const v = multiVar(client, request.part);
  client.ReadArea(v.Area, v.DBNumber ?? 0, v.Start, v.Amount, client.S7WLByte, (err, data) => {
    if (err || !Buffer.isBuffer(data)) done(typeof err === 'number' ? err : SNAP7.errCliInvalidPlcAnswer);
    else done(null, [{ ok: true, data }]);
  });
}

function multiVar(client: Snap7Client, part: RangePart): MultiVarRequest {
  const area = { I: client.S7AreaPE, Q: client.S7AreaPA, M: client.S7AreaMK, DB: client.S7AreaDB }[part.area];
  return { Area: area, WordLen: client.S7WLByte, DBNumber: part.dbNumber, Start: part.start, Amount: part.length };
}
