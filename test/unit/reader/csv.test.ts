import assert from 'node:assert/strict';
import { dataTypeFromTia, dataTypeToTia, exportSignalsCsv, importSignalsCsv, parseCsvRecords } from '../../../lib/reader/csv';
import type { SignalRow } from '../../../lib/reader/signals';

describe('reader CSV (TIA tag table)', () => {
  it('reads a TIA tag table export with our extra columns', () => {
    const csv = [
      'Name,Path,Data Type,Logical Address,Comment,Hmi Visible,Hmi Accessible,Hmi Writeable,Typeobject ID,Version ID,Kind,Machine ID,Sensor ID,Interval (ms),Deadband',
      'Press1_Power,Default tag table,Real,%MD10,"Power, kW",True,True,True,,,power,65f000000000000000000001,65f0000000000000000000a1,,0.5',
      'Press1_Cycle,Default tag table,Bool,%Q0.3,,True,True,True,,,unit-cycle,65f000000000000000000001,65f0000000000000000000a2,100,',
    ].join('\r\n');
    const { rows, errors } = importSignalsCsv(csv);
    assert.deepEqual(errors, []);
    assert.deepEqual(rows, [
      { name: 'Press1_Power', address: '%MD10', dataType: 'REAL', comment: 'Power, kW', kind: 'power',
        machineId: '65f000000000000000000001', sensorId: '65f0000000000000000000a1', deadband: 0.5 },
      { name: 'Press1_Cycle', address: '%Q0.3', dataType: 'BOOL', kind: 'unit-cycle',
        machineId: '65f000000000000000000001', sensorId: '65f0000000000000000000a2', intervalMs: 100 },
    ]);
  });

  it('reads German Excel files: semicolons, BOM, decimal commas, columns in any order', () => {
    const csv = '\uFEFFLogical Address;Name;Deadband;Data Type\n"DB1.DBD4";Temp;0,25;LReal\nDB1.DBX0.1;"Say ""hi""";;Bool\n';
    const { rows, errors } = importSignalsCsv(csv);
    assert.deepEqual(errors, []);
    assert.deepEqual(rows, [
      { name: 'Temp', address: 'DB1.DBD4', dataType: 'LREAL', deadband: 0.25 },
      { name: 'Say "hi"', address: 'DB1.DBX0.1', dataType: 'BOOL' },
    ]);
  });

  it('reports each bad line by number and still imports the good ones', () => {
    const csv = 'Name,Logical Address,Kind,Interval (ms)\nA,MW2,,\n,MW4,,\nC,,,\nD,MW6,pressure,\nE,MW8,,fast\n';
    const { rows, errors } = importSignalsCsv(csv);
    assert.deepEqual(rows.map((r) => r.name), ['A']);
    assert.deepEqual(errors, [
      'line 3: no name',
      'line 4 (C): no logical address',
      'line 5 (D): kind "pressure" is not one of power, unit-cycle, counter, other',
      'line 6 (E): interval "fast" is not a number',
    ]);
  });

  it('refuses a file without the required columns, naming what it found', () => {
    assert.deepEqual(importSignalsCsv('Tag,Addr\nA,MW2\n').errors, ['the header must have the columns "Name" and "Logical Address"; found: Tag, Addr']);
    assert.deepEqual(importSignalsCsv('').errors, ['the file is empty']);
  });

  it('round-trips a table through export and import', () => {
    const rows: SignalRow[] = [
      { name: 'Power, line 1', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: '65f000000000000000000001', sensorId: '65f0000000000000000000a1', deadband: 0.1 },
      { name: 'Cycle', address: 'DQ.0', dataType: 'BOOL', kind: 'unit-cycle', intervalMs: 50, comment: 'line "A"\nsecond line' },
      { name: 'Counts', address: 'DB2.DBW0', dataType: 'INT[10]', kind: 'counter' },
      { name: 'Label', address: 'DB3.DBB0', dataType: 'STRING[20]' },
      { name: 'Implicit', address: 'DB1,REAL4' },
    ];
    for (const delimiter of [',', ';']) {
      const csv = exportSignalsCsv(rows, { delimiter });
      assert.match(csv.split('\r\n')[0], /^Name.Path.Data Type.Logical Address.Comment/);
      const back = importSignalsCsv(csv);
      assert.deepEqual(back.errors, []);
      assert.deepEqual(back.rows, rows);
    }
    assert.match(exportSignalsCsv(rows), /Counts,Default tag table,Array\[0\.\.9\] of Int,DB2\.DBW0/);
  });

  it('translates TIA type names both ways', () => {
    assert.equal(dataTypeFromTia('Time_Of_Day'), 'TOD');
    assert.equal(dataTypeFromTia('Date_And_Time'), 'DT');
    assert.equal(dataTypeFromTia('String[20]'), 'STRING[20]');
    assert.equal(dataTypeFromTia('Array[1..16] of Bool'), 'BOOL[16]');
    assert.equal(dataTypeFromTia('Array[0..3] of String[8]'), 'STRING[8][4]');
    assert.equal(dataTypeToTia('STRING[8][4]'), 'Array[0..3] of String[8]');
    assert.equal(dataTypeToTia('WSTRING[10]'), 'WString[10]');
    assert.equal(dataTypeToTia('TOD'), 'Time_Of_Day');
    assert.equal(dataTypeToTia('UDINT'), 'UDInt');
  });

  it('splits records with quoted delimiters and line breaks, skipping blank lines', () => {
    assert.deepEqual(parseCsvRecords('a,"b,c","d\r\ne"\n\n1,2,3'), [['a', 'b,c', 'd\r\ne'], ['1', '2', '3']]);
    assert.deepEqual(parseCsvRecords('x\ty\n1\t2\n'), [['x', 'y'], ['1', '2']]);
  });

  it('reports a reserved signal name on its line and imports the other lines', () => {
    const csv = 'Name,Logical Address\r\n__proto__,%Q0.0\r\nconstructor,%Q0.1\r\nok,%Q0.2\r\n';
    const result = importSignalsCsv(csv);
    assert.deepEqual(result.rows, [{ name: 'ok', address: '%Q0.2' }]);
    assert.deepEqual(result.errors, [
      'line 2 (__proto__): name "__proto__" is reserved (__proto__, constructor, prototype cannot be used as names)',
      'line 3 (constructor): name "constructor" is reserved (__proto__, constructor, prototype cannot be used as names)',
    ]);
    assert.equal(({} as Record<string, unknown>).name, undefined);
  });
});
