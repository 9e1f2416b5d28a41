import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { machineInScope, parseMachineScope, plcHostInScope, scopeNamesMachines } from '../../../lib/app-contract';
import { joinPinMappings } from '../../../lib/reader/mapping-join';

const hex = (n: number): string => n.toString(16).padStart(24, '0');
const oid = (n: number): ObjectId => new ObjectId(hex(n));

describe('machine scope (each instance reads only its share)', () => {
  it('reads department, machine and host terms separated by commas, semicolons or blanks, case-insensitively', () => {
    assert.deepEqual(parseMachineScope(` department=${hex(0xd1)}, MACHINE=${hex(1).toUpperCase()};host=PLC-Line2.local  host=10.0.0.5 `), {
      departmentIds: [hex(0xd1)],
      machineIds: [hex(1)],
      plcHosts: ['plc-line2.local', '10.0.0.5'],
    });
  });

  it('is everything when empty or unset', () => {
    for (const text of ['', '  ', undefined, null]) {
      const scope = parseMachineScope(text);
      assert.equal(scopeNamesMachines(scope), false);
      assert.equal(machineInScope({ _id: oid(7), departmentId: oid(8) }, scope), true);
      assert.equal(plcHostInScope('any-host', scope), true);
    }
  });

  it('refuses a bad term, naming it', () => {
    assert.throws(() => parseMachineScope('line=3'), /"line=3" is not department=<id>, machine=<id> or host=<PLC host>/);
    assert.throws(() => parseMachineScope('machine=42'), /"machine=42": a machine id is 24 hex digits/);
    assert.throws(() => parseMachineScope(`department=${hex(1)}x`), /a department id is 24 hex digits/);
    assert.throws(() => parseMachineScope('host=a/b'), /"host=a\/b" is not a host name or address/);
    assert.throws(() => parseMachineScope(42), /machine scope must be text, not number/);
    // an unresolved ${ENV} reaches the runtime as "" or as the literal text: the literal is refused
    assert.throws(() => parseMachineScope('${S7_MACHINE_SCOPE}'), /the environment variable S7_MACHINE_SCOPE is not set/);
  });

  it('admits a machine named by its id or its department (ObjectIds or hex strings)', () => {
    const scope = parseMachineScope(`machine=${hex(1)} department=${hex(0xd2)}`);
    assert.equal(machineInScope({ _id: oid(1), departmentId: oid(0xd1) }, scope), true);
    assert.equal(machineInScope({ _id: hex(2), departmentId: hex(0xd2) }, scope), true);
    assert.equal(machineInScope({ _id: oid(3), departmentId: oid(0xd1) }, scope), false);
    assert.equal(machineInScope({ _id: oid(4) }, scope), false, 'no department: only its id can admit it');
  });

  it('host terms decide which readers take mappings, and leave the machines to the other terms', () => {
    const scope = parseMachineScope('host=10.0.0.5');
    assert.equal(plcHostInScope('10.0.0.5', scope), true);
    assert.equal(plcHostInScope(' 10.0.0.5 ', scope), true);
    assert.equal(plcHostInScope('10.0.0.6', scope), false);
    assert.equal(scopeNamesMachines(scope), false);
    assert.equal(machineInScope({ _id: oid(1) }, scope), true);
  });

  it('the mapping join keeps only the share\'s machines and counts the others apart from the problems', () => {
    const machines = [
      { _id: oid(1), name: 'Press', departmentId: oid(0xd1) },
      { _id: oid(2), name: 'Lathe', departmentId: oid(0xd2) },
      { _id: oid(3), name: 'Mill', departmentId: oid(0xd2), isActive: false },
    ];
    const sensors = [
      { _id: oid(0xa1), name: 'cycle', machineId: oid(1), sensorType: 'unit-cycle' },
      { _id: oid(0xa2), name: 'cycle', machineId: oid(2), sensorType: 'unit-cycle' },
      { _id: oid(0xa3), name: 'cycle', machineId: oid(3), sensorType: 'unit-cycle' },
    ];
    const mappings = [
      { sensorId: oid(0xa1), pinId: 'DQ.1' },
      { sensorId: oid(0xa2), pinId: 'DQ.3' },
      { sensorId: oid(0xa3), pinId: 'DQ.5' },
    ];
    const pins = ['DQ.0', 'DQ.1', 'DQ.2', 'DQ.3', 'DQ.4', 'DQ.5'];
    const mine = joinPinMappings(mappings, sensors, machines, pins, parseMachineScope(`department=${hex(0xd1)}`));
    assert.deepEqual(mine.rows.map((r) => [r.address, r.machineId]), [['DQ.1', hex(1)]]);
    assert.deepEqual(mine.skipped, [], 'other instances\' machines are no problem of this one');
    assert.equal(mine.otherShare, 2);

    const theirs = joinPinMappings(mappings, sensors, machines, pins, parseMachineScope(`department=${hex(0xd2)}`));
    assert.deepEqual(theirs.rows.map((r) => [r.address, r.machineId]), [['DQ.3', hex(2)]]);
    assert.deepEqual(theirs.skipped, [`pin DQ.5: machine ${hex(3)} is inactive`]);
    assert.equal(theirs.otherShare, 1);

    const all = joinPinMappings(mappings, sensors, machines, pins);
    assert.deepEqual(all.rows.map((r) => r.address), ['DQ.1', 'DQ.3']);
    assert.equal(all.otherShare, 0);
  });
});
