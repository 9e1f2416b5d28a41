'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, so the TypeScript tests can require it too */
// The plant configuration the application (line-sentry) keeps in MongoDB, shaped as its
// Mongoose models create it: schema defaults filled in, ObjectId references, createdAt/updatedAt
// from `timestamps: true`, `__v: 0`, and an `_id` on every sub-document. The demo (scripts/start.mjs)
// and the end-to-end test seed a database with it, so the default flow meets exactly what a plant
// running the application has.
const mongodb = require('mongodb');

/** The collections the application's configuration lives in, in the order they reference each other. */
const CONFIGURATION_COLLECTIONS = ['departments', 'machines', 'sensors', 'sensorpinmappings', 'configs'];

/**
 * @typedef {{ name: string, description?: string, powerPin?: number, cyclePin?: number }} MachineSpec
 *   powerPin / cyclePin: the bit i of the PLC's output byte 0 (the application's pin "DQ.i").
 * @typedef {{ department: string, machines: MachineSpec[], now?: Date,
 *   ObjectId?: new () => unknown,
 *   signalTimeouts?: { powerSignalTimeout: number, cycleSignalTimeout: number },
 *   shifts?: { name: string, startTime: string, endTime: string }[] }} PlantSpec
 */

function stamped(fields, now, ObjectId) {
  // Mongoose puts the schema's fields first, then _id, the timestamps and the version key.
  return { ...fields, _id: new ObjectId(), createdAt: now, updatedAt: now, __v: 0 };
}

function thresholds(excellent, good, fair, poor) {
  return { excellent, good, fair, poor };
}

/** The documents, per collection, that the application would hold for this plant. */
function plantDocuments(/** @type {PlantSpec} */ spec) {
  const now = spec.now ?? new Date();
  // The ObjectId class of the driver that writes the documents (the 6.x driver rejects 7.x BSON).
  const ObjectId = spec.ObjectId ?? mongodb.ObjectId;
  const department = stamped({ name: spec.department, description: '', layout: {}, isActive: true }, now, ObjectId);
  const machines = [];
  const sensors = [];
  const sensorpinmappings = [];
  spec.machines.forEach((m, index) => {
    const machine = stamped({
      name: m.name,
      description: m.description ?? '',
      departmentId: department._id,
      position: { x: 40 + index * 200, y: 40 },
      dimensions: { width: 154, height: 152 },
      status: 'inactive',
      isActive: true,
    }, now, ObjectId);
    machines.push(machine);
    const pins = [['power', m.powerPin], ['unit-cycle', m.cyclePin]];
    for (const [sensorType, pin] of pins) {
      if (pin === undefined) continue;
      const sensor = stamped({
        name: `${m.name} ${sensorType === 'power' ? 'power' : 'unit cycle'}`,
        description: '',
        machineId: machine._id,
        sensorType,
        isActive: true,
      }, now, ObjectId);
      sensors.push(sensor);
      sensorpinmappings.push(stamped({ sensorId: sensor._id, pinId: `DQ.${pin}` }, now, ObjectId));
    }
  });
  const config = stamped({
    plc: { ip: '192.168.1.11', rack: 0, slot: 1 },
    signalTimeouts: spec.signalTimeouts ?? { powerSignalTimeout: 5, cycleSignalTimeout: 2 },
    shifts: (spec.shifts ?? [
      { name: 'Morning', startTime: '06:00', endTime: '14:00' },
      { name: 'Evening', startTime: '14:00', endTime: '22:00' },
      { name: 'Night', startTime: '22:00', endTime: '06:00' },
    ]).map((s) => ({ ...s, isActive: true, _id: new ObjectId() })),
    // The application's defaults; its e-mail block (sender credentials) is left out on purpose.
    metricsThresholds: {
      oee: thresholds(85, 70, 50, 0),
      availability: thresholds(90, 80, 70, 0),
      quality: thresholds(95, 90, 85, 0),
      performance: thresholds(90, 80, 70, 0),
      mtbf: thresholds(500, 300, 150, 0),
      mttr: thresholds(20, 40, 60, 100),
    },
  }, now, ObjectId);
  return { departments: [department], machines, sensors, sensorpinmappings, configs: [config] };
}

/** True when none of the configuration collections holds a document. */
async function configurationIsEmpty(db) {
  for (const name of CONFIGURATION_COLLECTIONS) {
    if (await db.collection(name).countDocuments({}, { limit: 1 }) > 0) return false;
  }
  return true;
}

/**
 * Writes the plant's configuration when the database has none, with the application's unique
 * index on sensorpinmappings.pinId. Returns the documents written, or undefined when it left an
 * existing configuration alone.
 */
async function seedIfEmpty(db, /** @type {PlantSpec} */ spec) {
  if (!(await configurationIsEmpty(db))) return undefined;
  const docs = plantDocuments(spec);
  await db.collection('sensorpinmappings').createIndex({ pinId: 1 }, { unique: true });
  for (const name of CONFIGURATION_COLLECTIONS) {
    if (docs[name].length > 0) await db.collection(name).insertMany(docs[name]);
  }
  return docs;
}

module.exports = { CONFIGURATION_COLLECTIONS, plantDocuments, configurationIsEmpty, seedIfEmpty };
