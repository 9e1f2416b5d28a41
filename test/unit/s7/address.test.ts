import assert from 'node:assert/strict';
import { DEFAULT_PIN_MAP, formatDataType, parseAddress, S7AddressError } from '../../../lib/s7/address';

/** The fields that locate an item, for compact comparisons. */
function loc(text: string, dataType?: string, pins?: Record<string, string>) {
  const a = parseAddress(text, dataType, pins);
  return [a.area, a.dbNumber, a.byteOffset, a.bitOffset, a.type, a.count, a.stringLength, a.byteLength];
}

describe('s7 address parser', () => {
  describe('TIA notation', () => {
    it('reads DB bits, bytes, words and double words', () => {
      assert.deepEqual(loc('DB1.DBX0.1'), ['DB', 1, 0, 1, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('DB1.DBB2'), ['DB', 1, 2, 0, 'BYTE', 1, 0, 1]);
      assert.deepEqual(loc('DB1.DBW4'), ['DB', 1, 4, 0, 'WORD', 1, 0, 2]);
      assert.deepEqual(loc('DB1.DBD4'), ['DB', 1, 4, 0, 'DWORD', 1, 0, 4]);
      assert.deepEqual(loc('%DB1.DBD4', 'REAL'), ['DB', 1, 4, 0, 'REAL', 1, 0, 4]);
      assert.deepEqual(loc(' db12.dbw100 ', 'int'), ['DB', 12, 100, 0, 'INT', 1, 0, 2]);
    });

    it('reads inputs, outputs and merkers (and German mnemonics)', () => {
      assert.deepEqual(loc('%Q0.3'), ['Q', 0, 0, 3, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('Q0.3'), ['Q', 0, 0, 3, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('I0.0'), ['I', 0, 0, 0, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('IW64'), ['I', 0, 64, 0, 'WORD', 1, 0, 2]);
      assert.deepEqual(loc('QB0'), ['Q', 0, 0, 0, 'BYTE', 1, 0, 1]);
      assert.deepEqual(loc('MD10', 'REAL'), ['M', 0, 10, 0, 'REAL', 1, 0, 4]);
      assert.deepEqual(loc('MW2'), ['M', 0, 2, 0, 'WORD', 1, 0, 2]);
      assert.deepEqual(loc('E1.7'), ['I', 0, 1, 7, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('AW4', 'INT'), ['Q', 0, 4, 0, 'INT', 1, 0, 2]);
    });

    it('lets a byte address start strings, arrays and structures', () => {
      assert.deepEqual(loc('DB1.DBB60', 'STRING[20]'), ['DB', 1, 60, 0, 'STRING', 1, 20, 22]);
      assert.deepEqual(loc('DB1.DBB82', 'WSTRING[10]'), ['DB', 1, 82, 0, 'WSTRING', 1, 10, 24]);
      assert.deepEqual(loc('DB1.DBB136', 'INT[10]'), ['DB', 1, 136, 0, 'INT', 10, 0, 20]);
      assert.deepEqual(loc('DB1.DBB136', 'Array[0..9] of Int'), ['DB', 1, 136, 0, 'INT', 10, 0, 20]);
      assert.deepEqual(loc('DB1.DBB124', 'DTL'), ['DB', 1, 124, 0, 'DTL', 1, 0, 12]);
      assert.deepEqual(loc('DB1.DBB0', 'STRING[10][3]'), ['DB', 1, 0, 0, 'STRING', 3, 10, 36]);
      // Odd-sized STRING elements are padded to even addresses: 8 + 8 + 7.
      assert.deepEqual(loc('DB1.DBB0', 'STRING[5][3]'), ['DB', 1, 0, 0, 'STRING', 3, 5, 23]);
      assert.deepEqual(loc('DB1.DBX172.3', 'BOOL[16]'), ['DB', 1, 172, 3, 'BOOL', 16, 0, 3]);
      assert.deepEqual(loc('DB1.DBB0', 'Date_And_Time'), ['DB', 1, 0, 0, 'DT', 1, 0, 8]);
    });
  });

  describe('nodes7 notation', () => {
    it('reads typed addresses, bits, strings and arrays', () => {
      assert.deepEqual(loc('DB1,REAL4'), ['DB', 1, 4, 0, 'REAL', 1, 0, 4]);
      assert.deepEqual(loc('DB1,X0.1'), ['DB', 1, 0, 1, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('DB1,INT2'), ['DB', 1, 2, 0, 'INT', 1, 0, 2]);
      assert.deepEqual(loc('DB1,S10.20'), ['DB', 1, 10, 0, 'STRING', 1, 20, 22]);
      assert.deepEqual(loc('DB1,REAL4.10'), ['DB', 1, 4, 0, 'REAL', 10, 0, 40]);
      assert.deepEqual(loc('DB3,DI8'), ['DB', 3, 8, 0, 'DINT', 1, 0, 4]);
      assert.deepEqual(loc('DB3,LREAL8'), ['DB', 3, 8, 0, 'LREAL', 1, 0, 8]);
      assert.deepEqual(loc('DB3,X1.6.4'), ['DB', 3, 1, 6, 'BOOL', 4, 0, 2]);
      assert.deepEqual(loc('DB1,REAL4', 'REAL'), ['DB', 1, 4, 0, 'REAL', 1, 0, 4]);
    });
  });

  describe('application pins', () => {
    it('maps DQ.0..DQ.7 to Q0.0..Q0.7 and keeps the text', () => {
      for (let i = 0; i < 8; i++) assert.deepEqual(loc(`DQ.${i}`), ['Q', 0, 0, i, 'BOOL', 1, 0, 1]);
      assert.equal(parseAddress('DQ.3').text, 'DQ.3');
      assert.equal(DEFAULT_PIN_MAP['DQ.5'], 'Q0.5');
    });

    it('follows a configured pin map', () => {
      assert.deepEqual(loc('DQ.1', undefined, { 'DQ.1': 'Q4.2' }), ['Q', 0, 4, 2, 'BOOL', 1, 0, 1]);
      assert.deepEqual(loc('dq.2', undefined, { 'DQ.2': 'DB9.DBX1.0' }), ['DB', 9, 1, 0, 'BOOL', 1, 0, 1]);
      assert.throws(() => parseAddress('DQ.1', undefined, { 'DQ.1': 'Z9' }), /"DQ.1".*pin DQ.1 maps to Z9/);
    });
  });

  describe('errors name the address and what is wrong', () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['', undefined, /empty/],
      ['DB1.DBX0', undefined, /"DB1.DBX0": DBX needs a bit number/],
      ['DB1.DBX0.8', undefined, /"DB1.DBX0.8": bit number must be 0..7/],
      ['DB1.DBW4.1', undefined, /only DBX addresses take a bit number/],
      ['DB1.DBW4', 'REAL', /"DB1.DBW4": REAL occupies 4 bytes but a W address holds 2/],
      ['DB1.DBD4', 'BOOL', /BOOL needs a bit address \(e.g. DB1.DBX4.0\)/],
      ['DB1.DBX0.0', 'INT', /a bit address can only hold BOOL, not INT/],
      ['DB0.DBW0', undefined, /DB number must be 1..65535/],
      ['DB1.DBB0', 'FLOAT', /data type "FLOAT" is not a supported S7 type/],
      ['DB1.DBB0', 'STRING[300]', /needs a length between 1 and 254/],
      ['DB1.DBB0', 'INT[0]', /array length of at least 1/],
      ['DB1,FOO4', undefined, /unknown nodes7 type "FOO"/],
      ['DB1,X3', undefined, /needs a bit number/],
      ['DB1,REAL4', 'INT', /contradicts the address, which means REAL/],
      ['DB7', undefined, /names a data block but no offset/],
      ['Z9', undefined, /"Z9" is not understood/],
      ['I0', undefined, /a bit address needs a bit number \(e.g. I0.0\)/],
      ['DB1.DBB0', 'LREAL[8193]', /65544 byte\(s\) from offset 0 run past the end of the area/],
      ['DB1.DBB65535', 'DINT', /4 byte\(s\) from offset 65535 run past the end of the area \(65536 bytes\)/],
    ];
    for (const [text, dataType, re] of cases) {
      it(`${JSON.stringify(text)} ${dataType ?? ''}`, () => {
        assert.throws(() => parseAddress(text, dataType), (err: Error) => err instanceof S7AddressError && re.test(err.message));
      });
    }
  });

  it('formats data types so they parse back', () => {
    for (const dt of ['REAL', 'STRING[20]', 'INT[10]', 'WSTRING[5][2]', 'BOOL[16]', 'DTL']) {
      const a = parseAddress(dt.startsWith('BOOL') ? 'DB1.DBX0.0' : 'DB1.DBB0', dt);
      assert.equal(formatDataType(a), dt);
    }
  });
});
