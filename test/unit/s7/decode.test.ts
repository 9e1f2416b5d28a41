import assert from 'node:assert/strict';
import { parseAddress } from '../../../lib/s7/address';
import { decodeValue } from '../../../lib/s7/decode';
import { encodeValue } from '../../../lib/s7/encode';

const at = (dataType: string, bit?: number) => parseAddress(bit === undefined ? 'DB1.DBB0' : `DB1.DBX0.${bit}`, dataType);
const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('s7 decoder', () => {
  it('decodes big-endian integers and floats from known bytes', () => {
    const cases: [string, string, unknown][] = [
      ['BYTE', 'a5', 0xa5], ['USINT', 'c8', 200], ['SINT', 'd6', -42], ['CHAR', '53', 'S'],
      ['WORD', 'beef', 0xbeef], ['UINT', 'd431', 54321], ['INT', 'cfc7', -12345],
      ['DWORD', 'deadbeef', 0xdeadbeef], ['UDINT', 'b2d05e00', 3000000000], ['DINT', 'f8a432eb', -123456789],
      ['REAL', '40490fd0', Math.fround(3.14159)], ['LREAL', '4005bf0a8b145769', 2.718281828459045],
      ['LINT', 'fffffee08e04fb35', -1234567890123], ['LINT', '7fffffffffffffff', '9223372036854775807'],
      ['ULINT', 'ab54a98ceb1f0ad2', '12345678901234567890'], ['ULINT', '001fffffffffffff', Number.MAX_SAFE_INTEGER],
      ['TIME', '0038cefc', 3723004], ['TIME', 'ffffec78', -5000], ['TOD', '02f3c58a', 49530250],
    ];
    for (const [type, bytes, want] of cases) assert.deepEqual(decodeValue(hex(bytes), 0, at(type)), want, type);
  });

  it('decodes bits and bit arrays, starting at the bit offset', () => {
    const buf = hex('45 81 01');
    assert.equal(decodeValue(buf, 0, at('BOOL', 0)), true);
    assert.equal(decodeValue(buf, 0, at('BOOL', 1)), false);
    assert.equal(decodeValue(buf, 0, at('BOOL', 2)), true);
    assert.deepEqual(decodeValue(buf, 0, parseAddress('DB1.DBX0.6', 'BOOL[4]')), [true, false, true, false]);
    assert.deepEqual(decodeValue(buf, 0, parseAddress('DB1.DBX0.7', 'BOOL[10]')), [false, true, false, false, false, false, false, false, true, true]);
  });

  it('decodes STRING (max, actual length, Latin-1) and WSTRING (UTF-16BE)', () => {
    assert.equal(decodeValue(hex('0a 05 48656c6c6f ffffffffff'), 0, at('STRING[10]')), 'Hello');
    assert.equal(decodeValue(hex('04 02 e4f6 0000'), 0, at('STRING[4]')), 'äö');
    // A corrupt actual length never reads past the declared maximum.
    assert.equal(decodeValue(hex('02 09 4142 0000'), 0, at('STRING[2]')), 'AB');
    assert.equal(decodeValue(hex('0005 0003 0047 00fc 2713 0000 0000'), 0, at('WSTRING[5]')), 'Gü✓');
  });

  it('decodes DATE, DT (BCD), DTL', () => {
    assert.equal(decodeValue(hex('0000'), 0, at('DATE')), '1990-01-01');
    assert.equal(decodeValue(hex('2b8a'), 0, at('DATE')), '2020-07-08');
    assert.equal(decodeValue(hex('24 03 15 13 45 30 25 06'), 0, at('DT')), '2024-03-15T13:45:30.250');
    assert.equal(decodeValue(hex('95 12 31 23 59 59 99 97'), 0, at('DT')), '1995-12-31T23:59:59.999');
    assert.equal(decodeValue(hex('07e8 03 0f 06 0d 2d 1e 075bcd15'), 0, at('DTL')), '2024-03-15T13:45:30.123456789');
  });

  it('decodes arrays at an offset inside a larger buffer', () => {
    const buf = Buffer.concat([hex('ffff'), hex('0001 fffe 7fff')]);
    assert.deepEqual(decodeValue(buf, 2, at('INT[3]')), [1, -2, 32767]);
    // STRING[3] takes 5 bytes; the next element starts at the next even address.
    const strings = Buffer.concat([hex('03 02 4142 00 ff'), hex('03 03 434445')]);
    assert.deepEqual(decodeValue(strings, 0, at('STRING[3][2]')), ['AB', 'CDE']);
    assert.deepEqual(decodeValue(hex('04 01 41 000000 04 02 4243 0000'), 0, at('STRING[4][2]')), ['A', 'BC']);
  });

  it('refuses to read past the buffer', () => {
    assert.throws(() => decodeValue(hex('0000'), 0, at('DINT')), /needs 4 bytes/);
  });

  it('round-trips every type through the encoder', () => {
    const cases: [string, unknown][] = [
      ['BOOL[5]', [true, false, true, true, false]], ['SINT', -128], ['UDINT', 4294967295], ['LINT', '-9223372036854775808'],
      ['REAL[3]', [1.5, -2.25, 0]], ['LREAL', -1e300], ['STRING[8]', 'Straße'], ['WSTRING[6]', '温度 °C'],
      ['STRING[3][3]', ['ab', '', 'xyz']], ['DATE', '2099-12-31'], ['DT', '2089-01-02T03:04:05.006'], ['DTL', '2262-04-11T23:47:16.854775807'],
      ['TOD', 86399999], ['TIME', -2147483648], ['CHAR[3]', ['a', 'b', 'c']],
    ];
    for (const [dataType, value] of cases) {
      const a = parseAddress(dataType.startsWith('BOOL') ? 'DB1.DBX0.3' : 'DB1.DBB0', dataType);
      const buf = Buffer.alloc(a.byteLength + 4, 0x55);
      encodeValue(buf, 2, a, value);
      assert.deepEqual(decodeValue(buf, 2, a), value, dataType);
    }
  });

  it('reports memory that holds no date and time as a RangeError naming the item (found by the property test)', () => {
    assert.throws(() => decodeValue(Buffer.alloc(12), 0, at('DTL')), /^RangeError: DB1\.DBB0: the bytes are not a valid DTL \(month 0\)/);
    assert.throws(() => decodeValue(hex('24 03 15 13 45 30 25 05'.replace('25 05', 'a5 05')), 0, at('DT')), /DB1\.DBB0: the bytes are not a valid DT \(not BCD\)/);
    assert.throws(() => decodeValue(hex('24 02 30 13 45 30 25 05'), 0, at('DT')), /not a valid DT \(day 30 of month 2\)/);
    assert.throws(() => decodeValue(hex('07e8 03 0f 06 0d 2d 1e 3b9aca00'), 0, at('DTL')), /not a valid DTL \(fraction 1000000000\)/);
    assert.equal(decodeValue(hex('07e8 03 0f 06 0d 2d 1e 075bcd15'), 0, at('DTL')), '2024-03-15T13:45:30.123456789');
  });
});
