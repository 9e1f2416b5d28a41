/**
 * Encoding JS values into S7's big-endian layout: the inverse of decode.ts, for the PLC
 * simulator's memory and round-trip tests. (The product itself never writes to a PLC.)
 */
import { elementStride, type S7Address, type S7ScalarType } from './address';

const DATE_EPOCH_MS = Date.UTC(1990, 0, 1);
const DAY_MS = 86_400_000;

const toBcd = (n: number): number => ((Math.floor(n / 10) % 10) << 4) | (n % 10);

/** 'YYYY-MM-DDTHH:MM:SS[.fraction]' -> its parts; fraction is given as nanoseconds. */
function parseLocalDateTime(s: string): number[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
  if (!m) throw new TypeError(`not a date-time (YYYY-MM-DDTHH:MM:SS.fff): ${s}`);
  const nanos = Number((m[7] ?? '').padEnd(9, '0'));
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), nanos];
}

function weekday(y: number, mo: number, d: number): number {
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 1; // S7: 1 = Sunday
}

function encodeScalar(buf: Buffer, o: number, type: Exclude<S7ScalarType, 'BOOL'>, stringLength: number, v: unknown): void {
  switch (type) {
    case 'BYTE': case 'USINT': buf.writeUInt8(Number(v), o); return;
    case 'SINT': buf.writeInt8(Number(v), o); return;
    case 'CHAR': buf.write(String(v).slice(0, 1), o, 1, 'latin1'); return;
    case 'WORD': case 'UINT': buf.writeUInt16BE(Number(v), o); return;
    case 'INT': buf.writeInt16BE(Number(v), o); return;
    case 'DWORD': case 'UDINT': case 'TOD': buf.writeUInt32BE(Number(v), o); return;
    case 'DINT': case 'TIME': buf.writeInt32BE(Number(v), o); return;
    case 'LINT': buf.writeBigInt64BE(BigInt(v as string | number), o); return;
    case 'ULINT': buf.writeBigUInt64BE(BigInt(v as string | number), o); return;
    case 'REAL': buf.writeFloatBE(Number(v), o); return;
    case 'LREAL': buf.writeDoubleBE(Number(v), o); return;
    case 'DATE': buf.writeUInt16BE(Math.round((Date.parse(`${String(v)}T00:00:00Z`) - DATE_EPOCH_MS) / DAY_MS), o); return;
    case 'DT': {
      const [y, mo, d, h, mi, s, ns] = parseLocalDateTime(String(v));
      const ms = Math.floor(ns / 1e6);
      [y % 100, mo, d, h, mi, s].forEach((n, i) => { buf[o + i] = toBcd(n); });
      buf[o + 6] = toBcd(Math.floor(ms / 10));
      buf[o + 7] = ((ms % 10) << 4) | weekday(y, mo, d);
      return;
    }
    case 'DTL': {
      const [y, mo, d, h, mi, s, ns] = parseLocalDateTime(String(v));
      buf.writeUInt16BE(y, o);
      [mo, d, weekday(y, mo, d), h, mi, s].forEach((n, i) => { buf[o + 2 + i] = n; });
      buf.writeUInt32BE(ns, o + 8);
      return;
    }
    case 'STRING': {
      const text = Buffer.from(String(v), 'latin1').subarray(0, stringLength);
      buf[o] = stringLength;
      buf[o + 1] = text.length;
      text.copy(buf, o + 2);
      return;
    }
    case 'WSTRING': {
      const text = Buffer.from(String(v), 'utf16le').swap16().subarray(0, 2 * stringLength);
      buf.writeUInt16BE(stringLength, o);
      buf.writeUInt16BE(text.length / 2, o + 2);
      text.copy(buf, o + 4);
      return;
    }
  }
}

/** Writes value (an array when a.count > 1) at buf[offset], where offset holds a.byteOffset. */
export function encodeValue(buf: Buffer, offset: number, a: S7Address, value: unknown): void {
  const values = a.count === 1 ? [value] : (value as unknown[]);
  if (!Array.isArray(values) || values.length !== a.count) {
    throw new TypeError(`${a.text}: expected ${a.count} values`);
  }
  if (a.type === 'BOOL') {
    values.forEach((v, i) => {
      const n = a.bitOffset + i;
      const at = offset + (n >> 3);
      buf[at] = v ? buf[at] | (1 << (n & 7)) : buf[at] & ~(1 << (n & 7));
    });
    return;
  }
  const type = a.type;
  const stride = elementStride(type, a.stringLength);
  values.forEach((v, i) => encodeScalar(buf, offset + i * stride, type, a.stringLength, v));
}
