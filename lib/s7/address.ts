/**
 * S7 address parsing. Accepted notations (case-insensitive):
 *  - TIA:    DB1.DBX0.1, DB1.DBB2, DB1.DBW4, DB1.DBD4, %DB1.DBD4, I0.0, %Q0.3, QB0, IW64, MW2, MD10
 *            (German mnemonics E/A for I/Q accepted too)
 *  - nodes7: DB1,REAL4, DB1,X0.1, DB1,INT2, DB1,S10.20 (STRING[20] at byte 10),
 *            DB1,REAL4.10 (10 REALs from byte 4), DB1,X0.1.8 (8 BOOLs from bit 0.1)
 *  - pins:   the application's DQ.0..DQ.7, translated through a pin map (default Q0.0..Q0.7)
 * dataType: 'REAL', 'STRING[20]', 'INT[10]' (array of 10), 'STRING[20][4]', 'Array[0..9] of INT'.
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

/** Fixed sizes in bytes; STRING/WSTRING depend on their length, BOOL is a bit. */
const FIXED_SIZE: Record<Exclude<S7ScalarType, 'STRING' | 'WSTRING'>, number> = {
  BOOL: 1, BYTE: 1, CHAR: 1, SINT: 1, USINT: 1,
  WORD: 2, INT: 2, UINT: 2, DATE: 2,
  DWORD: 4, DINT: 4, UDINT: 4, REAL: 4, TIME: 4, TOD: 4,
  LINT: 8, ULINT: 8, LREAL: 8, DT: 8,
  DTL: 12,
};

const TYPE_ALIASES: Record<string, S7ScalarType> = {
  TIME_OF_DAY: 'TOD', DATE_AND_TIME: 'DT', USINT: 'USINT', BOOLEAN: 'BOOL',
};

/** S7's default maximum string length when none is given. */
const DEFAULT_STRING_LENGTH = 254;
const MAX_STRING_LENGTH = 254;
const MAX_WSTRING_LENGTH = 16382;

/** Bytes one element of the type occupies (STRING[n]: n + 2; WSTRING[n]: 2n + 4). */
export function elementSize(type: S7ScalarType, stringLength: number): number {
  if (type === 'STRING') return stringLength + 2;
  if (type === 'WSTRING') return 2 * stringLength + 4;
  return FIXED_SIZE[type];
}

/**
 * Distance between array elements. In a standard-access DB every element that is not a bit or
 * a byte type starts at an even address, so STRING[n] with odd n + 2 is followed by a pad byte.
 */
export function elementStride(type: S7ScalarType, stringLength: number): number {
  const size = elementSize(type, stringLength);
  return type === 'STRING' ? size + (size & 1) : size;
}

function byteLengthOf(type: S7ScalarType, count: number, stringLength: number, bitOffset: number): number {
  if (type === 'BOOL') return Math.ceil((bitOffset + count) / 8);
  return elementStride(type, stringLength) * (count - 1) + elementSize(type, stringLength);
}

interface DataTypeSpec { type: S7ScalarType; count: number; stringLength: number }

function isScalarType(name: string): name is S7ScalarType {
  return name === 'STRING' || name === 'WSTRING' || name in FIXED_SIZE;
}

function parseDataType(text: string, dataType: string): DataTypeSpec {
  const fail = (why: string): never => {
    throw new S7AddressError(`Address "${text}": data type "${dataType}" ${why}`);
  };
  let s = dataType.trim().toUpperCase();
  let count = 1;
  const tiaArray = /^ARRAY\s*\[\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*\]\s*OF\s+(.+)$/.exec(s);
  if (tiaArray) {
    count = Number(tiaArray[2]) - Number(tiaArray[1]) + 1;
    if (count < 1) fail('has an empty array range');
    s = tiaArray[3].trim();
  }
  const m = /^([A-Z_]+)\s*(?:\[\s*(\d+)\s*\])?\s*(?:\[\s*(\d+)\s*\])?$/.exec(s);
  if (!m) return fail('is not understood (expected e.g. REAL, INT[10], STRING[20])');
  const name = TYPE_ALIASES[m[1]] ?? m[1];
  if (!isScalarType(name)) return fail(`is not a supported S7 type`);
  let stringLength = 0;
  let arrayLen: string | undefined;
  if (name === 'STRING' || name === 'WSTRING') {
    stringLength = m[2] !== undefined ? Number(m[2]) : DEFAULT_STRING_LENGTH;
    arrayLen = m[3];
    const max = name === 'STRING' ? MAX_STRING_LENGTH : MAX_WSTRING_LENGTH;
    if (stringLength < 1 || stringLength > max) fail(`needs a length between 1 and ${max}`);
  } else {
    if (m[3] !== undefined) fail('has two array dimensions; only one is supported');
    arrayLen = m[2];
  }
  if (arrayLen !== undefined) {
    if (tiaArray) fail('has two array dimensions; only one is supported');
    count = Number(arrayLen);
    if (count < 1) fail('needs an array length of at least 1');
  }
  return { type: name, count, stringLength };
}

/** The size letter of TIA absolute addresses: X bit, B byte, W word, D double word. */
type SizeLetter = 'X' | 'B' | 'W' | 'D';
const SIZE_BYTES: Record<SizeLetter, number> = { X: 0, B: 1, W: 2, D: 4 };
const SIZE_DEFAULT_TYPE: Record<SizeLetter, S7ScalarType> = { X: 'BOOL', B: 'BYTE', W: 'WORD', D: 'DWORD' };

const AREA_LETTER: Record<string, S7Area> = { I: 'I', E: 'I', Q: 'Q', A: 'Q', M: 'M' };

const NODES7_TYPES: Record<string, S7ScalarType> = {
  X: 'BOOL', B: 'BYTE', C: 'CHAR', I: 'INT', W: 'WORD', DI: 'DINT', DW: 'DWORD', R: 'REAL', DR: 'REAL',
  LR: 'LREAL', S: 'STRING', WS: 'WSTRING',
};

interface Location { area: S7Area; dbNumber: number; byteOffset: number; bitOffset: number }

function checkBit(text: string, bit: string | undefined): number {
  const b = Number(bit);
  if (!(b >= 0 && b <= 7)) throw new S7AddressError(`Address "${text}": bit number must be 0..7`);
  return b;
}

/** Bytes an area (a DB, I, Q, M) can address: offsets are 16-bit. */
const AREA_BYTES = 65536;

function build(text: string, loc: Location, spec: DataTypeSpec): S7Address {
  if (spec.type !== 'BOOL' && loc.bitOffset !== 0) {
    throw new S7AddressError(`Address "${text}": a bit address can only hold BOOL, not ${spec.type}`);
  }
  if (loc.area === 'DB' && (loc.dbNumber < 1 || loc.dbNumber > 65535)) {
    throw new S7AddressError(`Address "${text}": DB number must be 1..65535`);
  }
  const byteLength = byteLengthOf(spec.type, spec.count, spec.stringLength, loc.bitOffset);
  if (loc.byteOffset + byteLength > AREA_BYTES) {
    // Name the length too: a long array or string at a small offset overruns as well.
    throw new S7AddressError(`Address "${text}": ${byteLength} byte(s) from offset ${loc.byteOffset} run past the end of the area (${AREA_BYTES} bytes)`);
  }
  return { text, ...loc, ...spec, byteLength };
}

/** TIA absolute address with a size letter: the data type may refine it within the same size. */
function fromSized(text: string, loc: Location, size: SizeLetter, dataType: string | undefined): S7Address {
  if (!dataType) return build(text, loc, { type: SIZE_DEFAULT_TYPE[size], count: 1, stringLength: 0 });
  const spec = parseDataType(text, dataType);
  if (size === 'X' && spec.type !== 'BOOL') {
    throw new S7AddressError(`Address "${text}": a bit address can only hold BOOL, not ${spec.type}`);
  }
  if (size !== 'X' && spec.type === 'BOOL') {
    throw new S7AddressError(`Address "${text}": BOOL needs a bit address (e.g. ${text.replace(/([BWD])(\d+)$/i, 'X$2.0')})`);
  }
  // A byte address marks just the start (strings, arrays, DTL); a W/D address must match the element size.
  const want = SIZE_BYTES[size];
  if (size === 'W' || size === 'D') {
    const have = elementSize(spec.type, spec.stringLength);
    if (have !== want) {
      throw new S7AddressError(`Address "${text}": ${spec.type} occupies ${have} bytes but a ${size} address holds ${want}`);
    }
  }
  return build(text, loc, spec);
}

function parseNodes7(text: string, m: RegExpExecArray, dataType: string | undefined): S7Address {
  const [, db, typeName, byteStr, second, third] = m;
  const upper = typeName.toUpperCase();
  const type = NODES7_TYPES[upper] ?? (isScalarType(upper) ? upper : (TYPE_ALIASES[upper] as S7ScalarType | undefined));
  if (!type) throw new S7AddressError(`Address "${text}": unknown nodes7 type "${typeName}"`);
  const loc: Location = { area: 'DB', dbNumber: Number(db), byteOffset: Number(byteStr), bitOffset: 0 };
  let spec: DataTypeSpec;
  if (type === 'BOOL') {
    if (second === undefined) throw new S7AddressError(`Address "${text}": a bit address needs a bit number (e.g. X0.1)`);
    loc.bitOffset = checkBit(text, second);
    spec = { type, count: third !== undefined ? Number(third) : 1, stringLength: 0 };
  } else if (type === 'STRING' || type === 'WSTRING') {
    const len = second !== undefined ? Number(second) : DEFAULT_STRING_LENGTH;
    spec = parseDataType(text, `${type}[${len}]` + (third !== undefined ? `[${third}]` : ''));
  } else {
    if (third !== undefined) throw new S7AddressError(`Address "${text}": too many parts`);
    spec = { type, count: second !== undefined ? Number(second) : 1, stringLength: 0 };
  }
  if (spec.count < 1) throw new S7AddressError(`Address "${text}": array length must be at least 1`);
  if (dataType) {
    const given = parseDataType(text, dataType);
    if (given.type !== spec.type || given.count !== spec.count || given.stringLength !== spec.stringLength) {
      const implied = formatSpec(spec);
      throw new S7AddressError(`Address "${text}": data type "${dataType}" contradicts the address, which means ${implied}`);
    }
  }
  return build(text, loc, spec);
}

export function parseAddress(text: string, dataType?: string, pinMap: PinMap = DEFAULT_PIN_MAP): S7Address {
  if (typeof text !== 'string' || text.trim() === '') throw new S7AddressError('Address is empty');
  const original = text;
  let s = text.trim().toUpperCase().replace(/\s+/g, '');
  const dt = dataType && dataType.trim() !== '' ? dataType : undefined;

  const pin = Object.keys(pinMap).find((k) => k.toUpperCase() === s);
  if (pin !== undefined) {
    s = pinMap[pin].trim().toUpperCase();
    if (Object.keys(pinMap).some((k) => k.toUpperCase() === s)) {
      throw new S7AddressError(`Address "${original}": pin map points to another pin (${pinMap[pin]})`);
    }
  }
  try {
    return parseWithoutPins(original, s, dt);
  } catch (err) {
    if (pin !== undefined && err instanceof S7AddressError) {
      throw new S7AddressError(`${err.message} (pin ${pin} maps to ${pinMap[pin]})`);
    }
    throw err;
  }
}

function parseWithoutPins(text: string, s: string, dataType: string | undefined): S7Address {
  let m = /^%?DB(\d+)\.DB([XBWD])(\d+)(?:\.(\d+))?$/.exec(s);
  if (m) {
    const size = m[2] as SizeLetter;
    if ((size === 'X') !== (m[4] !== undefined)) {
      throw new S7AddressError(size === 'X'
        ? `Address "${text}": DBX needs a bit number (e.g. DB${m[1]}.DBX${m[3]}.0)`
        : `Address "${text}": only DBX addresses take a bit number`);
    }
    const loc: Location = { area: 'DB', dbNumber: Number(m[1]), byteOffset: Number(m[3]), bitOffset: size === 'X' ? checkBit(text, m[4]) : 0 };
    return fromSized(text, loc, size, dataType);
  }
  m = /^DB(\d+),([A-Z_]+)(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(s);
  if (m) return parseNodes7(text, m, dataType);
  m = /^%?([IEQAM])([XBWD])?(\d+)(?:\.(\d+))?$/.exec(s);
  if (m) {
    const area = AREA_LETTER[m[1]];
    const size = (m[2] ?? 'X') as SizeLetter;
    if ((size === 'X') !== (m[4] !== undefined)) {
      throw new S7AddressError(size === 'X'
        ? `Address "${text}": a bit address needs a bit number (e.g. ${m[1]}${m[3]}.0)`
        : `Address "${text}": only bit addresses take a bit number`);
    }
    const loc: Location = { area, dbNumber: 0, byteOffset: Number(m[3]), bitOffset: size === 'X' ? checkBit(text, m[4]) : 0 };
    return fromSized(text, loc, size, dataType);
  }
  if (/^DB\d+$/.test(s)) throw new S7AddressError(`Address "${text}": names a data block but no offset (e.g. ${s}.DBD0)`);
  throw new S7AddressError(`Address "${text}" is not understood (expected e.g. DB1.DBD4, DB1,REAL4, %Q0.3, MW2 or DQ.0)`);
}

function formatSpec(spec: DataTypeSpec): string {
  const base = spec.type === 'STRING' || spec.type === 'WSTRING' ? `${spec.type}[${spec.stringLength}]` : spec.type;
  return spec.count > 1 ? `${base}[${spec.count}]` : base;
}

/** 'STRING[20]', 'INT[10]', 'STRING[20][4]' ... (what parseAddress accepts back). */
export function formatDataType(a: S7Address): string {
  return formatSpec(a);
}

/**
 * The canonical TIA notation of an address (DB1.DBX0.1, DB1.DBB4, %I0.3 as I0.3, MB10): with
 * formatDataType, what parseAddress reads back to the same address.
 */
export function formatAddress(a: Pick<S7Address, 'area' | 'dbNumber' | 'byteOffset' | 'bitOffset' | 'type'>): string {
  const bit = a.type === 'BOOL';
  const location = bit ? `${a.byteOffset}.${a.bitOffset}` : `${a.byteOffset}`;
  if (a.area === 'DB') return `DB${a.dbNumber}.DB${bit ? 'X' : 'B'}${location}`;
  return `${a.area}${bit ? '' : 'B'}${location}`;
}
