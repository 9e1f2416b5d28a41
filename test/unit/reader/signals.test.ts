import assert from 'node:assert/strict';
import { checkRow, itemError, parsePinMap, pinIdOf, resolveSignals, toSignalRow } from '../../../lib/reader/signals';

const MACHINE = '65f000000000000000000001';

describe('reader signal rows', () => {
  it('resolves rows into identities and parsed addresses, with the reader interval as default', () => {
    const { signals, problems } = resolveSignals([
      { name: ' power ', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: MACHINE, sensorId: MACHINE },
      { name: 'cycle', address: 'DQ.3', kind: 'unit-cycle', intervalMs: 50 },
      { name: 'label', address: 'DB1,S60.20', deadband: 2 },
    ], 5000);
    assert.deepEqual(problems, []);
    assert.deepEqual(signals.map((s) => s.identity), [
      { name: 'power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'power', machineId: MACHINE, sensorId: MACHINE },
      { name: 'cycle', address: 'DQ.3', dataType: 'BOOL', kind: 'unit-cycle', pinId: 'DQ.3' },
      { name: 'label', address: 'DB1,S60.20', dataType: 'STRING[20]', kind: 'other' },
    ]);
    assert.deepEqual(signals.map((s) => [s.intervalMs, s.deadband]), [[5000, 0], [50, 0], [5000, 2]]);
    assert.equal(signals[1].address.area, 'Q');
    assert.equal(signals[1].address.bitOffset, 3);
  });

  it('names signal and address in every problem, and keeps the good rows', () => {
    const { signals, problems } = resolveSignals([
      { name: 'ok', address: 'MW2', dataType: 'INT' },
      { name: 'typo', address: 'DB1.DBQ3' },
      { name: '', address: 'MW4' },
      { name: 'ok', address: 'MW6', dataType: 'INT' },
      { name: 'ids', address: 'MW8', dataType: 'INT', machineId: '123', sensorId: 'zz' },
      { name: 'fast', address: 'MW10', dataType: 'INT', intervalMs: 5 },
      { name: 'kind', address: 'MW12', dataType: 'INT', kind: 'pressure' as 'other' },
    ], 1000);
    assert.deepEqual(signals.map((s) => s.identity.name), ['ok']);
    assert.deepEqual(problems.map((p) => p.index), [1, 2, 3, 4, 5, 6]);
    assert.match(problems[0].message, /^signal "typo" \(DB1\.DBQ3\): .*DB1\.DBQ3/);
    assert.equal(problems[1].message, 'signal "" (MW4): name is empty');
    assert.equal(problems[2].message, 'signal "ok" (MW6): name is used by another signal');
    assert.match(problems[3].message, /machineId "123" is not a 24-digit hex ObjectId; sensorId "zz" is not a 24-digit hex ObjectId/);
    assert.match(problems[4].message, /interval 5 ms is below the minimum of 10 ms/);
    assert.match(problems[5].message, /kind "pressure" is not one of power, unit-cycle, counter, other/);
  });

  it('checks a single row for the editor', () => {
    assert.deepEqual(checkRow({ name: 'a', address: 'DB1.DBD4', dataType: 'REAL' }), []);
    assert.deepEqual(checkRow({ name: 'a', address: '' }), ['address is empty']);
    assert.deepEqual(checkRow({ name: 'a', address: 'MW2', deadband: -1 }), ['deadband -1 is not a number >= 0']);
  });

  it('maps the application pins through a configurable pin map', () => {
    const map = parsePinMap('DQ.0=Q4.0; DQ.1 = Q4.1\nDQ.8=Q5.0');
    assert.equal(map['DQ.0'], 'Q4.0');
    assert.equal(map['DQ.2'], 'Q0.2', 'the rest keeps the default');
    const { signals } = resolveSignals([{ name: 'p', address: 'DQ.8' }], 1000, map);
    assert.equal(signals[0].address.byteOffset, 5);
    assert.equal(signals[0].identity.pinId, 'DQ.8');
    assert.equal(pinIdOf('dq.1', map), 'DQ.1');
    assert.equal(pinIdOf('Q0.1', map), undefined);
    assert.throws(() => parsePinMap('DQ.0'), /pin map entry "DQ.0" is not of the form PIN=ADDRESS/);
  });

  it('words a bad item with signal and address first, not repeating the address', () => {
    const signal = { name: 'p', address: 'DB9.DBD0' };
    assert.equal(itemError(signal, 'DB9.DBD0: CPU : Item not available'), 'signal "p" (DB9.DBD0): CPU : Item not available');
    assert.equal(itemError(signal, 'timeout'), 'signal "p" (DB9.DBD0): timeout');
    assert.equal(itemError(signal, undefined), 'signal "p" (DB9.DBD0): no result');
  });

  it('coerces loose JSON rows (msg.signals, HTTP bodies)', () => {
    assert.deepEqual(toSignalRow({ name: 'a', address: 'MW2', intervalMs: '100', deadband: '', machineId: null, extra: 1 }),
      { name: 'a', address: 'MW2', intervalMs: 100 });
    assert.deepEqual(toSignalRow(null), { name: '', address: '' });
  });

  it('refuses reserved names for signals and pins, naming the row', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const { signals, problems } = resolveSignals([{ name, address: 'DB1.DBD0', dataType: 'REAL' }, { name: 'ok', address: 'DQ.0' }], 1000);
      assert.deepEqual(signals.map((s) => s.identity.name), ['ok']);
      assert.deepEqual(problems, [{ index: 0, message: `signal "${name}" (DB1.DBD0): name "${name}" is reserved (__proto__, constructor, prototype cannot be used as names)` }]);
    }
    assert.throws(() => parsePinMap('__proto__=Q0.0'), /^Error: pin map entry: pin "__proto__" is reserved/);
    assert.throws(() => parsePinMap('DQ.0=Q1.0, constructor=Q0.1'), /pin "constructor" is reserved/);
    assert.equal(({} as Record<string, unknown>)['DQ.0'], undefined);
    assert.equal(parsePinMap('DQ.0=Q1.0')['DQ.0'], 'Q1.0');
  });
});
