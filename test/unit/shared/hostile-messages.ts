/**
 * Generators of the messages careless or hostile senders produce: any JSON value where a field
 * is expected, near-valid readings with one part wrong, times no Date can hold, and keys that
 * reach into prototypes or into MongoDB's operators. Shared by the nodes' input property tests.
 */
import fc from 'fast-check';

export const NOW = Date.parse('2026-06-01T10:00:00Z');
export const MACHINE = '65a1b2c3d4e5f60718293a4b';
export const SENSOR = '75a1b2c3d4e5f60718293a4b';

/** Keys that must never reach a prototype or the database as they are. */
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '$set', '$where', 'a.b', '', 'ok', 'value');

/** Any JSON value, with hostile keys likely in its objects, and the non-JSON numbers a message can carry. */
export const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e20, 8.64e15 + 1, undefined),
    fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 4 }),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
})).value;

export const timestamp: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 86_400_000 }),
  fc.constantFrom(NOW, 1e20, -1e20, 8.64e15 + 1, -8.64e15 - 1, Date.UTC(1938, 5, 1), Date.UTC(2100, 0, 1), 0, Number.NaN, Infinity, '2026-06-01T10:00:00Z', 'yesterday'),
  anyValue,
);

const id = (valid: string): fc.Arbitrary<unknown> => fc.oneof(fc.constant(valid), fc.constant(valid.toUpperCase()), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg'), minLength: 23, maxLength: 25 }), anyValue);

export const signal: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('p', 'cycle', '__proto__', 'constructor', 'a.b', '$x'), anyValue),
      address: fc.constantFrom('DQ.0', 'DB1.DBD0'),
      dataType: fc.oneof(fc.constantFrom('BOOL', 'REAL', 'INT'), anyValue),
      kind: fc.oneof(fc.constantFrom('power', 'unit-cycle', 'counter', 'other'), anyValue),
      machineId: id(MACHINE),
      sensorId: id(SENSOR),
    },
    { requiredKeys: ['name', 'kind'] },
  ),
  anyValue,
);

export const reading: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      signal,
      value: fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 2.5, -1, 70_000), anyValue),
      quality: fc.oneof(fc.constantFrom('good', 'bad'), anyValue),
      timestamp,
    },
    { requiredKeys: ['signal'] },
  ),
  anyValue,
);

/** A message: per signal, per cycle, a unit event, a status, a snapshot, or anything. */
export const message: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ signal, payload: fc.oneof(fc.boolean(), anyValue), quality: fc.oneof(fc.constant('good'), anyValue), timestamp, topic: fc.oneof(fc.constant('cycle'), anyValue) }, { requiredKeys: ['signal'] }),
  fc.record({ readings: fc.oneof(fc.array(reading, { maxLength: 5 }), anyValue), topic: anyValue }, { requiredKeys: ['readings'] }),
  fc.record({
    topic: fc.constant('units'),
    units: fc.oneof(fc.record({ machineId: id(MACHINE), delta: fc.oneof(fc.integer({ min: -2, max: 5 }), anyValue), timestamp }), anyValue),
  }),
  fc.record({
    topic: fc.constant('machine-status'),
    payload: fc.oneof(fc.record({ machineId: id(MACHINE), status: fc.oneof(fc.constantFrom('running', 'inactive'), anyValue), timestamp }), anyValue),
  }),
  fc.record({
    topic: fc.constant('production'),
    payload: fc.oneof(
      fc.record({
        machineId: id(MACHINE),
        date: fc.oneof(fc.constantFrom('2026-06-01', '1938-06-01', '2100-01-01', '2026-02-30'), anyValue),
        hour: fc.oneof(fc.integer({ min: -1, max: 24 }), anyValue),
        unitsProduced: fc.oneof(fc.nat(100), anyValue),
        runningMinutes: fc.oneof(fc.nat(61), anyValue),
        stoppageMinutes: fc.oneof(fc.nat(61), anyValue),
        status: fc.oneof(fc.constant('running'), anyValue),
        stoppages: fc.oneof(fc.array(fc.record({ startTime: timestamp, endTime: fc.oneof(fc.constant(null), timestamp), duration: fc.oneof(fc.nat(60), anyValue), isPending: fc.boolean() }), { maxLength: 2 }), anyValue),
        lastActivityTime: timestamp,
        final: fc.boolean(),
        revision: fc.oneof(fc.nat(10), anyValue),
      }),
      anyValue,
    ),
  }),
  fc.dictionary(fc.oneof(fc.constantFrom('payload', 'signal', 'readings', 'units', 'topic', 'collection', 'timestamp'), hostileKey), anyValue, { maxKeys: 5 }),
);

/** How a ValidationError says what is wrong: "<field>: <problem>", the field a path from the message or a setting. */
export const NAMED_FIELD = /^(msg|payload|readings|timestamp|genericKey|genericObjectIdFields|genericCollection)\b.*: \S/;
