/**
 * Decoding S7 values (big-endian, as the PLC stores them) into JS values:
 *  - BOOL -> boolean; BYTE/WORD/DWORD/SINT/USINT/INT/UINT/DINT/UDINT/REAL/LREAL -> number
 *  - LINT/ULINT -> number when |v| <= Number.MAX_SAFE_INTEGER, else the decimal string
 *  - CHAR -> 1-character string; STRING (Latin-1) / WSTRING (UTF-16) -> string (the actual length)
 *  - TIME -> signed milliseconds; TOD -> milliseconds since midnight
 *  - DATE -> 'YYYY-MM-DD'; DT -> 'YYYY-MM-DDTHH:MM:SS.mmm'; DTL -> 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnn'
 *    (PLC local time, no zone: the PLC does not say which zone its clock runs in); bytes that
 *    are no valid date and time throw a RangeError naming the item
 *  - arrays (count > 1) -> JS arrays of the above
 */
import { elementStride, type S7Address, type S7ScalarType } from './address';

const DATE_EPOCH_MS = Date.UTC(1990, 0, 1);
const DAY_MS = 86_400_000;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0x0f);
}

function bigToValue(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

function decodeDate(days: number): string {
  return new Date(DATE_EPOCH_MS + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Throws a RangeError unless the parts make a date and time: memory that holds no DT/DTL
 * (never written, or another type) is reported as a bad item, not passed on as a date.
 */
function checkDateTime(text: string, type: string, [y, mo, d, h, mi, s]: number[], fraction: number, fractionLimit: number): void {
  const daysInMonth = mo >= 1 && mo <= 12 ? new Date(Date.UTC(y, mo, 0)).getUTCDate() : 0;
  const problem = daysInMonth === 0 ? `month ${mo}`
    : d < 1 || d > daysInMonth ? `day ${d} of month ${mo}`
      : h > 23 || mi > 59 || s > 59 ? `time ${h}:${mi}:${s}`
        : fraction >= fractionLimit ? `fraction ${fraction}` : undefined;
  if (problem) throw new RangeError(`${text}: the bytes are not a valid ${type} (${problem})`);
}

function decodeDt(buf: Buffer, o: number, text: string): string {
  for (let i = 0; i < 8; i++) {
    // The last nibble is the weekday (1..7); every other one a BCD digit.
    if (buf[o + i] >> 4 > 9 || (i < 7 && (buf[o + i] & 0x0f) > 9)) throw new RangeError(`${text}: the bytes are not a valid DT (not BCD)`);
  }
  const yy = fromBcd(buf[o]);
  const year = yy >= 90 ? 1900 + yy : 2000 + yy;
  const ms = fromBcd(buf[o + 6]) * 10 + (buf[o + 7] >> 4);
  const parts = [year, fromBcd(buf[o + 1]), fromBcd(buf[o + 2]), fromBcd(buf[o + 3]), fromBcd(buf[o + 4]), fromBcd(buf[o + 5])];
  checkDateTime(text, 'DT', parts, ms, 1000);
  return `${year}-${pad(parts[1])}-${pad(parts[2])}T${pad(parts[3])}:${pad(parts[4])}:${pad(parts[5])}.${pad(ms, 3)}`;
}

function decodeDtl(buf: Buffer, o: number, text: string): string {
  const parts = [buf.readUInt16BE(o), buf[o + 2], buf[o + 3], buf[o + 5], buf[o + 6], buf[o + 7]];
  const nanos = buf.readUInt32BE(o + 8);
  if (parts[0] > 9999) throw new RangeError(`${text}: the bytes are not a valid DTL (year ${parts[0]})`);
  checkDateTime(text, 'DTL', parts, nanos, 1e9);
  return `${pad(parts[0], 4)}-${pad(parts[1])}-${pad(parts[2])}T${pad(parts[3])}:${pad(parts[4])}:${pad(parts[5])}.${pad(nanos, 9)}`;
}

function decodeString(buf: Buffer, o: number, maxChars: number): string {
  const len = Math.min(buf[o + 1], buf[o], maxChars);
  return buf.toString('latin1', o + 2, o + 2 + len);
}

function decodeWString(buf: Buffer, o: number, maxChars: number): string {
  const len = Math.min(buf.readUInt16BE(o + 2), buf.readUInt16BE(o), maxChars);
  const chars = Buffer.from(buf.subarray(o + 4, o + 4 + 2 * len));
  return chars.swap16().toString('utf16le');
}

function decodeScalar(buf: Buffer, o: number, type: Exclude<S7ScalarType, 'BOOL'>, stringLength: number, text: string): unknown {
  switch (type) {
    case 'BYTE': case 'USINT': return buf.readUInt8(o);
    case 'SINT': return buf.readInt8(o);
    case 'CHAR': return buf.toString('latin1', o, o + 1);
    case 'WORD': case 'UINT': return buf.readUInt16BE(o);
    case 'INT': return buf.readInt16BE(o);
    case 'DWORD': case 'UDINT': case 'TOD': return buf.readUInt32BE(o);
    case 'DINT': case 'TIME': return buf.readInt32BE(o);
    case 'LINT': return bigToValue(buf.readBigInt64BE(o));
    case 'ULINT': return bigToValue(buf.readBigUInt64BE(o));
    case 'REAL': return buf.readFloatBE(o);
    case 'LREAL': return buf.readDoubleBE(o);
    case 'DATE': return decodeDate(buf.readUInt16BE(o));
    case 'DT': return decodeDt(buf, o, text);
    case 'DTL': return decodeDtl(buf, o, text);
    case 'STRING': return decodeString(buf, o, stringLength);
    case 'WSTRING': return decodeWString(buf, o, stringLength);
  }
}

/** Decodes one item (scalar or array) whose first byte (a.byteOffset) is at buf[offset]. */
export function decodeValue(buf: Buffer, offset: number, a: S7Address): unknown {
  if (offset < 0 || offset + a.byteLength > buf.length) {
    throw new RangeError(`${a.text}: needs ${a.byteLength} bytes at ${offset}, buffer has ${buf.length}`);
  }
  if (a.type === 'BOOL') {
    const bit = (i: number): boolean => {
      const n = a.bitOffset + i;
      return ((buf[offset + (n >> 3)] >> (n & 7)) & 1) === 1;
    };
    if (a.count === 1) return bit(0);
    return Array.from({ length: a.count }, (_, i) => bit(i));
  }
  const type = a.type;
  if (a.count === 1) return decodeScalar(buf, offset, type, a.stringLength, a.text);
  const stride = elementStride(type, a.stringLength);
  return Array.from({ length: a.count }, (_, i) => decodeScalar(buf, offset + i * stride, type, a.stringLength, a.text));
}
