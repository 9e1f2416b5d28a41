import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { joinPinMappings } from '../../../lib/reader/mapping-join';

const PINS = ['DQ.0', 'DQ.1', 'DQ.2', 'DQ.3', 'DQ.4', 'DQ.5', 'DQ.6', 'DQ.7'];
const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, '0'));

describe('reader mapping join (sensorpinmappings -> sensors -> machines)', () => {
  const press = { _id: oid(1), name: 'Press 1' };
  const lathe = { _id: oid(2), name: 'Lathe', isActive: true };
  const stopped = { _id: oid(3), name: 'Old', isActive: false };
  const sensors = [
    { _id: oid(0xa1), name: 'power', machineId: press._id, sensorType: 'power' },
    { _id: oid(0xa2), name: 'cycle', machineId: press._id, sensorType: 'unit-cycle', isActive: true },
    { _id: oid(0xa3), name: 'cycle', machineId: lathe._id, sensorType: 'unit-cycle' },
    { _id: oid(0xa4), name: 'spare', machineId: lathe._id, sensorType: 'power', isActive: false },
    { _id: oid(0xa5), name: 'x', machineId: stopped._id, sensorType: 'power' },
    { _id: oid(0xa6), name: 'orphan', machineId: oid(0x99), sensorType: 'power' },
  ];

  it('joins active mappings into BOOL pin rows with the ids as 24-hex strings, in pin order', () => {
    const mappings = [
      { sensorId: sensors[2]._id, pinId: 'DQ.5' },
      { sensorId: sensors[0]._id, pinId: 'DQ.0' },
      { sensorId: sensors[1]._id, pinId: 'DQ.1', isActive: true },
    ];
    const { rows, skipped } = joinPinMappings(mappings, sensors, [press, lathe, stopped], PINS);
    assert.deepEqual(skipped, []);
    assert.deepEqual(rows, [
      { name: 'Press 1 power', address: 'DQ.0', dataType: 'BOOL', kind: 'power', machineId: '000000000000000000000001', sensorId: '0000000000000000000000a1' },
      { name: 'Press 1 cycle', address: 'DQ.1', dataType: 'BOOL', kind: 'unit-cycle', machineId: '000000000000000000000001', sensorId: '0000000000000000000000a2' },
      { name: 'Lathe cycle', address: 'DQ.5', dataType: 'BOOL', kind: 'unit-cycle', machineId: '000000000000000000000002', sensorId: '0000000000000000000000a3' },
    ]);
  });

  it('skips inactive mappings, inactive or missing sensors and machines, and unknown pins, saying why', () => {
    const mappings = [
      { sensorId: sensors[0]._id, pinId: 'DQ.0', isActive: false },
      { sensorId: sensors[3]._id, pinId: 'DQ.1' },
      { sensorId: sensors[4]._id, pinId: 'DQ.2' },
      { sensorId: sensors[5]._id, pinId: 'DQ.3' },
      { sensorId: oid(0xee), pinId: 'DQ.4' },
      { sensorId: sensors[1]._id, pinId: 'DQ.9' },
      { sensorId: sensors[2]._id, pinId: 'dq.6' },
    ];
    const { rows, skipped } = joinPinMappings(mappings, sensors, [press, lathe, stopped], PINS);
    assert.deepEqual(rows.map((r) => [r.name, r.address]), [['Lathe cycle', 'DQ.6']], 'pin ids match case-insensitively');
    assert.deepEqual(skipped, [
      'pin DQ.0: mapping is inactive',
      'pin DQ.1: sensor 0000000000000000000000a4 is inactive',
      'pin DQ.2: machine 000000000000000000000003 is inactive',
      'pin DQ.3: machine 000000000000000000000099 of sensor 0000000000000000000000a6 not found',
      'pin DQ.4: sensor 0000000000000000000000ee not found',
      'pin DQ.9: not one of the pins DQ.0, DQ.1, DQ.2, DQ.3, DQ.4, DQ.5, DQ.6, DQ.7',
    ]);
  });

  it('keeps names unique when two sensors of a machine share a name', () => {
    const twin = { _id: oid(0xb1), name: 'cycle', machineId: press._id, sensorType: 'unit-cycle' };
    const { rows } = joinPinMappings(
      [{ sensorId: sensors[1]._id, pinId: 'DQ.1' }, { sensorId: twin._id, pinId: 'DQ.2' }],
      [...sensors, twin], [press], PINS);
    assert.deepEqual(rows.map((r) => r.name), ['Press 1 cycle', 'Press 1 cycle DQ.2']);
  });

  it('accepts string ids from older data', () => {
    const { rows } = joinPinMappings(
      [{ sensorId: '0000000000000000000000a1', pinId: 'DQ.7' }],
      [{ _id: '0000000000000000000000a1', name: 'p', machineId: '000000000000000000000001', sensorType: 'power' }],
      [{ _id: '000000000000000000000001', name: 'M' }], PINS);
    assert.equal(rows[0].sensorId, '0000000000000000000000a1');
    assert.equal(rows[0].machineId, '000000000000000000000001');
  });

  it("takes a sensorType from the application's data as data, never as an object key", () => {
    const { rows } = joinPinMappings(
      [{ sensorId: sensors[0]._id, pinId: 'DQ.0' }, { sensorId: sensors[1]._id, pinId: 'DQ.1' }],
      [{ ...sensors[0], sensorType: 'constructor' }, { ...sensors[1], sensorType: '__proto__' }], [press], PINS);
    assert.deepEqual(rows.map((r) => r.kind), ['other', 'other']);
  });
});
