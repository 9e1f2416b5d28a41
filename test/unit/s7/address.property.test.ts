/**
 * Address parsing over the whole space fast-check can reach: every valid address written in
 * the canonical notation parses back to itself, and any text either parses into an address
 * that fits the PLC's memory or is rejected with an S7AddressError naming it.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  S7AddressError,
  elementSize,
  elementStride,
  formatAddress,
  formatDataType,
  parseAddress,
  type S7Address,
  type S7Area,
  type S7ScalarType,
} from '../../../lib/s7/address';

const FIXED_TYPES: S7ScalarType[] = [
  'BOOL', 'BYTE', 'WORD', 'DWORD', 'CHAR', 'SINT', 'USINT', 'INT', 'UINT', 'DINT', 'UDINT',
  'LINT', 'ULINT', 'REAL', 'LREAL', 'DATE', 'TIME', 'TOD', 'DT', 'DTL',
];

/** The parts of a valid address: type, length, count and a location where it fits. */
const validAddress = fc
  .record({
    area: fc.constantFrom<S7Area>('DB', 'I', 'Q', 'M'),
    dbNumber: fc.integer({ min: 1, max: 65535 }),
    type: fc.constantFrom<S7ScalarType>(...FIXED_TYPES, 'STRING', 'WSTRING'),
    stringLength: fc.integer({ min: 1, max: 254 }),
    count: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 300 })),
    bitOffset: fc.integer({ min: 0, max: 7 }),
    offsetFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((p) => {
    const stringLength = p.type === 'STRING' || p.type === 'WSTRING' ? p.stringLength : 0;
    const bitOffset = p.type === 'BOOL' ? p.bitOffset : 0;
    const byteLength = p.type === 'BOOL'
      ? Math.ceil((bitOffset + p.count) / 8)
      : elementStride(p.type, stringLength) * (p.count - 1) + elementSize(p.type, stringLength);
    return { p, stringLength, bitOffset, byteLength };
  })
  .filter(({ byteLength }) => byteLength <= 65536)
  .map(({ p, stringLength, bitOffset, byteLength }) => ({
    area: p.area,
    dbNumber: p.area === 'DB' ? p.dbNumber : 0,
    // Anywhere it fits, the last byte included.
    byteOffset: Math.floor(p.offsetFraction * (65536 - byteLength)),
    bitOffset,
    type: p.type,
    count: p.count,
    stringLength,
  }));

/** What any parsed address must satisfy to be read from a PLC. */
function assertReadable(a: S7Address): void {
  assert.ok(['DB', 'I', 'Q', 'M'].includes(a.area));
  assert.ok(a.area === 'DB' ? a.dbNumber >= 1 && a.dbNumber <= 65535 : a.dbNumber === 0, `DB number ${a.dbNumber}`);
  assert.ok(Number.isInteger(a.byteOffset) && a.byteOffset >= 0);
  assert.ok(Number.isInteger(a.byteLength) && a.byteLength >= 1);
  assert.ok(a.byteOffset + a.byteLength <= 65536, `${a.text} ends beyond 65536`);
  assert.ok(a.bitOffset >= 0 && a.bitOffset <= 7 && (a.type === 'BOOL' || a.bitOffset === 0));
  assert.ok(Number.isInteger(a.count) && a.count >= 1);
  assert.ok(a.type === 'BOOL' || a.byteLength >= elementSize(a.type, a.stringLength) * 1);
}

describe('s7 address (properties)', () => {
  it('parse ∘ format is the identity on valid addresses', () => {
    fc.assert(
      fc.property(validAddress, (spec) => {
        const text = formatAddress(spec);
        const dataType = formatDataType(spec as S7Address);
        const parsed = parseAddress(text, dataType);
        assertReadable(parsed);
        assert.deepEqual(
          { area: parsed.area, dbNumber: parsed.dbNumber, byteOffset: parsed.byteOffset, bitOffset: parsed.bitOffset, type: parsed.type, count: parsed.count, stringLength: parsed.stringLength },
          spec,
        );
        // And the formatted form of the parsed address is stable.
        assert.equal(formatAddress(parsed), text);
        assert.equal(formatDataType(parsed), dataType);
      }),
      { numRuns: 500 },
    );
  });

  /** Text near the grammar: fragments of real notations glued together, plus noise. */
  const addressLike = fc
    .array(
      fc.oneof(
        fc.constantFrom('DB', 'DBX', 'DBB', 'DBW', 'DBD', '%', 'I', 'Q', 'M', 'E', 'A', 'X', 'B', 'W', 'D', 'REAL', 'INT', 'S', 'WS', 'DQ',
          ',', '.', '..', ' ', '-', '[', ']', 'STRING', '__proto__', 'constructor'),
        fc.integer({ min: 0, max: 70000 }).map(String),
        fc.constantFrom('99999999999999999999', '0', '7', '8', '65535', '65536'),
        fc.string({ maxLength: 3 }),
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join(''));

  const dataTypeLike = fc.option(
    fc.oneof(
      fc.constantFrom('REAL', 'BOOL', 'INT[10]', 'STRING[20]', 'STRING[0]', 'WSTRING[16383]', 'BOOL[0]', 'Array[0..9] of Int', 'Array[5..1] of Int',
        'Array[0..99999999] of Byte', 'STRING[20][4]', 'INT[2][2]', 'constructor', '__proto__', 'toString', 'DTL', 'LREAL'),
      fc.string({ maxLength: 12 }),
    ),
    { nil: undefined },
  );

  it('any text either parses into a readable address or is rejected naming the address', () => {
    fc.assert(
      fc.property(fc.oneof(addressLike, fc.string({ maxLength: 20 })), dataTypeLike, (text, dataType) => {
        let parsed: S7Address | undefined;
        try {
          parsed = parseAddress(text, dataType);
        } catch (err) {
          assert.ok(err instanceof S7AddressError, `a ${(err as Error).name} for ${JSON.stringify(text)} / ${String(dataType)}: ${(err as Error).message}`);
          assert.match(err.message, /^Address( "|\s)/);
          return;
        }
        assertReadable(parsed);
        assert.equal(parsed.text, text);
      }),
      { numRuns: 3000 },
    );
  });
});
