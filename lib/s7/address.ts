/**
 * S7 address parsing: TIA notation (DB1.DBX0.1, %Q0.3, IW64, MD10), nodes7 notation
 * (DB1,REAL4, DB1,X0.1, DB1,S10.20) and the application's pins (DQ.0 -> Q0.0 via a pin map).
 */

export type S7Area = 'DB' | 'I' | 'Q' | 'M';
export type S7ScalarType =
  | 'BOOL' | 'BYTE' | 'WORD' | 'DWORD' | 'CHAR' | 'SINT' | 'USINT' | 'INT' | 'UINT' | 'DINT' | 'UDINT'
  | 'LINT' | 'ULINT' | 'REAL' | 'LREAL' | 'STRING' | 'WSTRING' | 'DATE' | 'TIME' | 'TOD' | 'DT' | 'DTL';

export interface S7Address {
  /** As the user wrote it. */
  text: string;
  area: S7Area;
  /** 0 unless area DB. */
  dbNumber: number;
  byteOffset: number;
  /** 0..7, BOOL only. */
  bitOffset: number;
  type: S7ScalarType;
  /** 1 for a scalar, n for an array. */
  count: number;
  /** STRING[n]/WSTRING[n] max chars (0 otherwise). */
  stringLength: number;
  /** Bytes this item occupies in the PLC. */
  byteLength: number;
}

export interface PinMap { [pinId: string]: string }

export const DEFAULT_PIN_MAP: PinMap = Object.freeze({
  'DQ.0': 'Q0.0', 'DQ.1': 'Q0.1', 'DQ.2': 'Q0.2', 'DQ.3': 'Q0.3',
  'DQ.4': 'Q0.4', 'DQ.5': 'Q0.5', 'DQ.6': 'Q0.6', 'DQ.7': 'Q0.7',
}) as PinMap;

export class S7AddressError extends Error {
  override name = 'S7AddressError';
}

/**
 * dataType: 'REAL', 'STRING[20]', 'INT[10]' (array of 10), 'BOOL[16]' ...; optional when the
 * address implies it. Throws S7AddressError naming the address text and what is wrong.
 */
export function parseAddress(text: string, dataType?: string, pinMap?: PinMap): S7Address {
  void dataType; void pinMap;
  throw new S7AddressError(`${text}: not implemented yet`);
}

export function formatDataType(a: S7Address): string {
  const base = a.type === 'STRING' || a.type === 'WSTRING' ? `${a.type}[${a.stringLength}]` : a.type;
  return a.count > 1 ? `${base}[${a.count}]` : base;
}
