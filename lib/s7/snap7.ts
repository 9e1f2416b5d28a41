/**
 * Typed view of the parts of node-snap7 this package uses (it ships no type declarations).
 * snap7 client calls with a callback run on libuv's thread pool; the server runs its own threads.
 */

export interface MultiVarRequest { Area: number; WordLen: number; DBNumber?: number; Start: number; Amount: number }
export interface MultiVarResult { Result: number; Data: Buffer | null }

type Callback<T> = (err: unknown, result: T) => void;

export interface Snap7Client {
  ConnectTo(ip: string, rack: number, slot: number, cb: (err: unknown) => void): void;
  Connect(cb: (err: unknown) => void): void;
  SetConnectionParams(ip: string, localTSAP: number, remoteTSAP: number): boolean;
  SetConnectionType(type: number): boolean;
  Disconnect(): boolean;
  SetParam(param: number, value: number): boolean;
  GetParam(param: number): number | false;
  ReadArea(area: number, dbNumber: number, start: number, amount: number, wordLen: number, cb: Callback<Buffer>): void;
  ReadMultiVars(vars: MultiVarRequest[], cb: Callback<MultiVarResult[]>): void;
  PDULength(): number | false;
  Connected(): boolean;
  ErrorText(code: number): string;
  LastError(): number;
  readonly S7AreaPE: number; readonly S7AreaPA: number; readonly S7AreaMK: number; readonly S7AreaDB: number;
  readonly S7WLByte: number; readonly S7WLBit: number;
  readonly CONNTYPE_PG: number; readonly CONNTYPE_OP: number; readonly CONNTYPE_BASIC: number;
  readonly RemotePort: number; readonly PingTimeout: number; readonly SendTimeout: number; readonly RecvTimeout: number;
  readonly PDURequest: number;
}

export interface Snap7Server {
  StartTo(ip: string): boolean | number;
  Stop(): boolean | number;
  SetParam(param: number, value: number): boolean;
  /** DBs take (area, dbNumber, buffer); the other areas (area, buffer). The buffer is copied. */
  RegisterArea(area: number, index: number, buffer: Buffer): boolean;
  RegisterArea(area: number, buffer: Buffer): boolean;
  SetArea(area: number, index: number, buffer: Buffer): void;
  ClientsCount(): number;
  ErrorText(code: number): string;
  LastError(): number;
  on(event: 'event', listener: (e: unknown) => void): this;
  readonly srvAreaPE: number; readonly srvAreaPA: number; readonly srvAreaMK: number; readonly srvAreaDB: number;
  readonly LocalPort: number; readonly PDURequest: number; readonly MaxClients: number;
}

interface Snap7Module {
  S7Client: new () => Snap7Client;
  S7Server: new () => Snap7Server;
}

let loaded: Snap7Module | undefined;

/** Loads the native addon on first use, so that merely importing lib/s7 costs nothing. */
export function snap7(): Snap7Module {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('node-snap7') as Snap7Module;
  return loaded;
}
