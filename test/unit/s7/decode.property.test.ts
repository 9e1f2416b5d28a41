/**
 * Decoding and encoding of every S7 type over generated values: encode then decode gives the
 * value back (scalars and arrays, at any offset, BOOLs at any bit), and decoding any bytes
 * gives a value that encodes back to the same decoded value (or a RangeError naming the item).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAddress, type S7Address } from '../../../lib/s7/address';
import { decodeValue } from '../../../lib/s7/decode';
import { encodeValue } from '../../../lib/s7/encode';

const DATE_EPOCH_MS = Date.UTC(1990, 0, 1);
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const int64 = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

const latin1 = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength });
const dayOf = (y: number, mo: number) => fc.integer({ min: 1, max: new Date(Date.UTC(y, mo, 0)).getUTCDate() });
const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }));

/** Each type with the JS values it decodes to (what encode takes back). */
const VALUES: Record<string, fc.Arbitrary<unknown>> = {
  BOOL: fc.boolean(),
  BYTE: fc.integer({ min: 0, max: 255 }),
  USINT: fc.integer({ min: 0, max: 255 }),
  SINT: fc.integer({ min: -128, max: 127 }),
  CHAR: latin1(1).filter((s) => s.length === 1),
  WORD: fc.integer({ min: 0, max: 0xffff }),
  UINT: fc.integer({ min: 0, max: 0xffff }),
  INT: fc.integer({ min: -0x8000, max: 0x7fff }),
  DWORD: fc.integer({ min: 0, max: 0xffffffff }),
  UDINT: fc.integer({ min: 0, max: 0xffffffff }),
  TOD: fc.integer({ min: 0, max: 86_399_999 }),
  DINT: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  TIME: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  LINT: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(int64),
  ULINT: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(int64),
  REAL: fc.float(),
  LREAL: fc.double(),
  DATE: fc.integer({ min: 0, max: 0xffff }).map((d) => new Date(DATE_EPOCH_MS + d * 86_400_000).toISOString().slice(0, 10)),
  DT: fc.integer({ min: 1990, max: 2089 }).chain((y) => fc.integer({ min: 1, max: 12 }).chain((mo) =>
    fc.tuple(dayOf(y, mo), clock, fc.integer({ min: 0, max: 999 })).map(([d, [h, mi, s], ms]) =>
      `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}`))),
  DTL: fc.integer({ min: 1970, max: 2262 }).chain((y) => fc.integer({ min: 1, max: 12 }).chain((mo) =>
    fc.tuple(dayOf(y, mo), clock, fc.integer({ min: 0, max: 999_999_999 })).map(([d, [h, mi, s], ns]) =>
      `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ns, 9)}`))),
};

/** A data type (scalar or array, strings of any length) with its value generator. */
const typed = fc
  .record({
    base: fc.constantFrom(...Object.keys(VALUES), 'STRING', 'WSTRING'),
    stringLength: fc.integer({ min: 1, max: 40 }),
    count: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 6 })),
    bit: fc.integer({ min: 0, max: 7 }),
    offset: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ base, stringLength, count, bit, offset }) => {
    const isString = base === 'STRING' || base === 'WSTRING';
    const dataType = `${base}${isString ? `[${stringLength}]` : ''}${count > 1 ? `[${count}]` : ''}`;
    const address = parseAddress(base === 'BOOL' ? `DB1.DBX0.${bit}` : 'DB1.DBB0', dataType);
    const element = base === 'STRING'
      ? latin1(stringLength)
      : base === 'WSTRING'
        ? fc.string({ unit: 'binary', maxLength: stringLength }).filter((s) => s.length <= stringLength)
        : VALUES[base];
    return { address, offset, value: count > 1 ? fc.array(element, { minLength: count, maxLength: count }) : element };
  });

const withValue = typed.chain(({ address, offset, value }) => value.map((v) => ({ address, offset, value: v })));

function bufferFor(a: S7Address, offset: number, fill: number): Buffer {
  return Buffer.alloc(offset + a.byteLength + 3, fill);
}

describe('s7 decode and encode (properties)', () => {
  it('decode ∘ encode gives every value of every type back, at any offset', () => {
    fc.assert(
      fc.property(withValue, fc.integer({ min: 0, max: 255 }), ({ address, offset, value }, fill) => {
        const buf = bufferFor(address, offset, fill);
        encodeValue(buf, offset, address, value);
        assert.deepStrictEqual(decodeValue(buf, offset, address), value);
      }),
      { numRuns: 2000 },
    );
  });

  it('any bytes decode to a value that encodes back to the same value, or a RangeError', () => {
    fc.assert(
      fc.property(typed, fc.uint8Array({ minLength: 64, maxLength: 64 }), ({ address, offset }, noise) => {
        const buf = Buffer.alloc(offset + address.byteLength);
        for (let i = 0; i < buf.length; i++) buf[i] = noise[i % noise.length];
        let decoded: unknown;
        try {
          decoded = decodeValue(buf, offset, address);
        } catch (err) {
          assert.ok(err instanceof RangeError, `${(err as Error).name}: ${(err as Error).message}`);
          assert.match(err.message, /^DB1\./);
          return;
        }
        const again = Buffer.alloc(buf.length);
        encodeValue(again, offset, address, decoded);
        assert.deepStrictEqual(decodeValue(again, offset, address), decoded);
      }),
      { numRuns: 2000 },
    );
  });
});
