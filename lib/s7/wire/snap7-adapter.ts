/**
 * S7WireClient behind node-snap7's client interface (lib/s7/snap7.ts Snap7Client), so that the
 * code driving snap7 clients (client-pool.ts runRequest, connectClient) can drive it unchanged:
 * the same parameter numbers, area and word-length constants, callbacks and snap7 error codes
 * (errors.ts classifies them: link errors reconnect, CPU errors mark items bad).
 *
 * Unlike a snap7 client it takes several calls at once and pipelines them on its one socket
 * (up to `maxJobs`, the parallel jobs the PLC agreed to); snap7 allows one call at a time.
 */
import os from 'node:os';
import type { Clock } from '../../shared/clock';
import type { S7Area } from '../address';
import { SNAP7 } from '../errors';
import { maxBytesPerItem, MAX_MULTI_ITEMS } from '../planner';
import type { MultiVarRequest, MultiVarResult, Snap7Client } from '../snap7';
import { S7WireClient, S7WireError } from './client';
import { CONNECTION_TYPE, LOCAL_TSAP } from './frames';
import { RETURN_CODE, type ItemResult, type ReadItem } from './s7comm';

/** snap7's codes this adapter reports beyond those lib/s7/errors.ts names. */
const CODE = {
  errIsoConnect: 0x00010000,
  errCliInvalidWordLen: 0x00500000,
  errCliDataSizeMismatch: 0x00b00000,
  errCliInvalidValue: 0x00d00000,
} as const;

const errno = (name: string, fallback: number): number => os.constants.errno[name as keyof typeof os.constants.errno] ?? fallback;
const ECONNRESET = errno('ECONNRESET', 104);
const ETIMEDOUT = errno('ETIMEDOUT', 110);
const ENOTCONN = errno('ENOTCONN', 107);
const ECONNREFUSED = errno('ECONNREFUSED', 111);
const EHOSTUNREACH = errno('EHOSTUNREACH', 113);

const TEXT = new Map<number, string>([
  [SNAP7.errNegotiatingPDU, 'CPU : Error in PDU negotiation'],
  [SNAP7.errCliInvalidParams, 'CLI : invalid param(s) supplied'],
  [SNAP7.errCliTooManyItems, 'CLI : too may items (>20) in multi read/write'],
  [SNAP7.errCliSizeOverPDU, 'CPU : total data exceeds the PDU size'],
  [SNAP7.errCliInvalidPlcAnswer, 'CLI : invalid CPU answer'],
  [SNAP7.errCliAddressOutOfRange, 'CPU : Address out of range'],
  [SNAP7.errCliInvalidTransportSize, 'CPU : Invalid Transport size'],
  [SNAP7.errCliItemNotAvailable, 'CPU : Item not available'],
  [SNAP7.errCliFunNotAvailable, 'CPU : Function not available'],
  [SNAP7.errCliNeedPassword, 'CPU : Function not authorized for current protection level'],
  [SNAP7.errCliFunctionRefused, 'CLI : function refused by CPU (Unknown error)'],
  [SNAP7.errCliDestroying, 'CLI : Cannot perform (destroying)'],
  [CODE.errIsoConnect, 'ISO : Connection error'],
  [CODE.errCliInvalidWordLen, 'CLI : invalid WordLength'],
  [CODE.errCliDataSizeMismatch, 'CPU : Data size mismatch'],
  [CODE.errCliInvalidValue, 'CPU : Invalid value supplied'],
  [ECONNRESET, 'TCP : Connection reset by peer'],
  [ETIMEDOUT, 'TCP : Connection timed out'],
  [ENOTCONN, 'TCP : Socket is not connected'],
  [ECONNREFUSED, 'TCP : Connection refused'],
  [EHOSTUNREACH, 'TCP : Unreachable peer'],
]);

/** snap7's code for an item's return code. */
export function itemCode(returnCode: number): number {
  switch (returnCode) {
    case RETURN_CODE.success: return 0;
    case RETURN_CODE.addressOutOfRange: return SNAP7.errCliAddressOutOfRange;
    case RETURN_CODE.dataTypeNotSupported: return SNAP7.errCliInvalidTransportSize;
    case RETURN_CODE.dataTypeInconsistent: return CODE.errCliDataSizeMismatch;
    case RETURN_CODE.objectDoesNotExist: return SNAP7.errCliItemNotAvailable;
    default: return SNAP7.errCliFunctionRefused;
  }
}

/** snap7's code for a failed call. */
export function failureCode(err: unknown): number {
  if (!(err instanceof S7WireError)) return SNAP7.errCliInvalidPlcAnswer;
  switch (err.reason) {
    case 'socket': return typeof err.detail === 'string' ? errno(err.detail, ECONNRESET) : ECONNRESET;
    case 'closed': return ECONNRESET;
    case 'connect-timeout':
    case 'timeout': return ETIMEDOUT;
    case 'not-connected': return ENOTCONN;
    case 'closed-by-client': return SNAP7.errCliDestroying;
    case 'iso-refused': return CODE.errIsoConnect;
    case 'negotiation': return SNAP7.errNegotiatingPDU;
    case 'protocol': return SNAP7.errCliInvalidPlcAnswer;
    case 'invalid': return SNAP7.errCliInvalidParams;
    case 'too-large': return SNAP7.errCliSizeOverPDU;
    case 'refused':
      switch (err.detail) {
        case 0x8104: return SNAP7.errCliFunNotAvailable;
        case 0x8500: return SNAP7.errCliSizeOverPDU;
        case 0xd209: return SNAP7.errCliItemNotAvailable;
        case 0xd241: return SNAP7.errCliNeedPassword;
        case 0xdc01: return CODE.errCliInvalidValue;
        default: return SNAP7.errCliFunctionRefused;
      }
  }
}

/** snap7's parameter numbers (SetParam/GetParam) this adapter honours, with snap7's defaults. */
const PARAM = { RemotePort: 2, PingTimeout: 3, SendTimeout: 4, RecvTimeout: 5, PDURequest: 10 } as const;
const AREA_BY_CODE = new Map<number, S7Area>([[0x81, 'I'], [0x82, 'Q'], [0x83, 'M'], [0x84, 'DB']]);
const WORD_LEN = { bit: 1, byte: 2 } as const;

type Callback<T> = (err: unknown, result: T) => void;

export interface WireSnap7Options {
  /** Timeouts run on it; default the system clock. */
  clock?: Clock;
  /** Parallel jobs to ask the PLC for, default 8. */
  maxJobs?: number;
}

export class WireSnap7Client implements Snap7Client {
  readonly S7AreaPE = 0x81;
  readonly S7AreaPA = 0x82;
  readonly S7AreaMK = 0x83;
  readonly S7AreaDB = 0x84;
  readonly S7WLBit = WORD_LEN.bit;
  readonly S7WLByte = WORD_LEN.byte;
  readonly CONNTYPE_PG = CONNECTION_TYPE.PG;
  readonly CONNTYPE_OP = CONNECTION_TYPE.OP;
  readonly CONNTYPE_BASIC = CONNECTION_TYPE.S7_BASIC;
  readonly RemotePort = PARAM.RemotePort;
  readonly PingTimeout = PARAM.PingTimeout;
  readonly SendTimeout = PARAM.SendTimeout;
  readonly RecvTimeout = PARAM.RecvTimeout;
  readonly PDURequest = PARAM.PDURequest;

  private readonly params = new Map<number, number>([
    [PARAM.RemotePort, 102], [PARAM.PingTimeout, 750], [PARAM.SendTimeout, 10], [PARAM.RecvTimeout, 3000], [PARAM.PDURequest, 480],
  ]);
  private connectionType: number = CONNECTION_TYPE.PG;
  private address: { ip: string; localTsap: number; remoteTsap: number } | undefined;
  private client: S7WireClient | undefined;
  private lastError = 0;

  constructor(private readonly options: WireSnap7Options = {}) {}

  /** Parallel jobs the PLC agreed to (not part of snap7's interface); 0 when not connected. */
  get maxJobs(): number {
    return this.client?.connected ? (this.client.negotiated?.maxJobs ?? 0) : 0;
  }

  SetParam(param: number, value: number): boolean {
    if (!this.params.has(param) || !Number.isFinite(value)) return false;
    this.params.set(param, value);
    return true;
  }

  GetParam(param: number): number | false {
    return this.params.get(param) ?? false;
  }

  SetConnectionType(type: number): boolean {
    if (![CONNECTION_TYPE.PG, CONNECTION_TYPE.OP, CONNECTION_TYPE.S7_BASIC].includes(type as 1 | 2 | 3)) return false;
    this.connectionType = type;
    return true;
  }

  SetConnectionParams(ip: string, localTSAP: number, remoteTSAP: number): boolean {
    this.address = { ip, localTsap: localTSAP, remoteTsap: remoteTSAP };
    return true;
  }

  ConnectTo(ip: string, rack: number, slot: number, cb: (err: unknown) => void): void {
    this.address = { ip, localTsap: LOCAL_TSAP, remoteTsap: (this.connectionType << 8) | (rack * 0x20 + slot) };
    this.Connect(cb);
  }

  Connect(cb: (err: unknown) => void): void {
    const address = this.address;
    if (!address) {
      this.callBack(() => cb(this.fail(SNAP7.errCliInvalidParams)));
      return;
    }
    this.client?.close().catch(() => undefined);
    const client = new S7WireClient(this.options.clock);
    this.client = client;
    client.connect({
      host: address.ip,
      port: this.params.get(PARAM.RemotePort),
      localTsap: address.localTsap,
      remoteTsap: address.remoteTsap,
      pduSize: this.params.get(PARAM.PDURequest),
      maxJobs: this.options.maxJobs,
      timeoutMs: this.params.get(PARAM.PingTimeout),
      requestTimeoutMs: this.params.get(PARAM.RecvTimeout),
    }).then(() => {
      this.lastError = 0;
      cb(null);
    }, (err: unknown) => cb(this.fail(failureCode(err))));
  }

  Disconnect(): boolean {
    this.client?.close().catch(() => undefined);
    this.client = undefined;
    return true;
  }

  PDULength(): number | false {
    return this.client?.connected ? (this.client.negotiated?.pduSize ?? false) : false;
  }

  Connected(): boolean {
    return this.client?.connected ?? false;
  }

  LastError(): number {
    return this.lastError;
  }

  ErrorText(code: number): string {
    if (code === 0) return 'OK';
    return TEXT.get(code) ?? `${(code & 0xfffff) !== 0 ? 'TCP/ISO' : 'CLI'} : error 0x${code.toString(16)}`;
  }

  ReadMultiVars(vars: MultiVarRequest[], cb: Callback<MultiVarResult[]>): void {
    if (vars.length > MAX_MULTI_ITEMS) {
      this.callBack(() => cb(this.fail(SNAP7.errCliTooManyItems), []));
      return;
    }
    let items: ReadItem[];
    try {
      items = vars.map((v) => this.item(v.Area, v.DBNumber ?? 0, v.Start, v.Amount, v.WordLen));
    } catch (err) {
      this.callBack(() => cb(this.fail(Number((err as { code?: number }).code ?? SNAP7.errCliInvalidParams)), []));
      return;
    }
    this.read(items).then(
      (results) => cb(null, results.map((r) => (r.ok ? { Result: 0, Data: r.data } : { Result: itemCode(r.returnCode), Data: null }))),
      (err: unknown) => cb(this.fail(failureCode(err)), []),
    );
  }

  /** Reads a block of any length: items of at most one PDU's worth, all sent at once (pipelined). */
  ReadArea(area: number, dbNumber: number, start: number, amount: number, wordLen: number, cb: Callback<Buffer>): void {
    const pdu = this.PDULength();
    let chunks: ReadItem[];
    try {
      if (!pdu) throw Object.assign(new Error('not connected'), { code: ENOTCONN });
      const whole = this.item(area, dbNumber, start, amount, wordLen);
      if (whole.bit !== undefined) chunks = [whole];
      else {
        const step = maxBytesPerItem(pdu);
        chunks = [];
        for (let off = 0; off < amount; off += step) chunks.push({ ...whole, start: start + off, length: Math.min(step, amount - off) });
      }
    } catch (err) {
      this.callBack(() => cb(this.fail(Number((err as { code?: number }).code ?? SNAP7.errCliInvalidParams)), Buffer.alloc(0)));
      return;
    }
    Promise.all(chunks.map((c) => this.read([c]))).then((replies) => {
      const bad = replies.map((r) => r[0]).find((r): r is Extract<ItemResult, { ok: false }> => !r.ok);
      if (bad) cb(this.fail(itemCode(bad.returnCode)), Buffer.alloc(0));
      else cb(null, Buffer.concat(replies.map((r) => (r[0] as Extract<ItemResult, { ok: true }>).data)));
    }, (err: unknown) => cb(this.fail(failureCode(err)), Buffer.alloc(0)));
  }

  private read(items: ReadItem[]): Promise<ItemResult[]> {
    if (!this.client) return Promise.reject(new S7WireError('not connected', 'not-connected'));
    return this.client.read(items);
  }

  /** A snap7 read variable as a wire item; throws an error with snap7's code when it has none. */
  private item(area: number, dbNumber: number, start: number, amount: number, wordLen: number): ReadItem {
    const s7Area = AREA_BY_CODE.get(area);
    if (!s7Area) throw Object.assign(new Error(`area 0x${area.toString(16)}`), { code: SNAP7.errCliInvalidParams });
    if (wordLen === WORD_LEN.bit) {
      if (amount !== 1) throw Object.assign(new Error('a bit read reads one bit'), { code: SNAP7.errCliInvalidParams });
      return { area: s7Area, dbNumber, start: Math.floor(start / 8), bit: start % 8, length: 1 };
    }
    if (wordLen !== WORD_LEN.byte) throw Object.assign(new Error(`word length ${wordLen}`), { code: CODE.errCliInvalidWordLen });
    return { area: s7Area, dbNumber, start, length: amount };
  }

  private fail(code: number): number {
    this.lastError = code;
    return code;
  }

  /** snap7 calls back from another thread, never within the call: so does this adapter. */
  private callBack(fn: () => void): void {
    setImmediate(fn);
  }
}
