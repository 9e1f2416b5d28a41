/**
 * Loads the application's pin mappings from MongoDB and joins them in code (no $lookup, so
 * it works on every MongoDB-compatible server). The database comes from a small interface
 * the mongo-connection config node implements (/tmp/team/MONGO-CONN-API.md).
 */
import type { Db, Document } from 'mongodb';
import { joinPinMappings, type MachineDoc, type MappingJoinResult, type PinMappingDoc, type SensorDoc } from './mapping-join';

/** What the reader needs of a MongoDB connection: the configured database. */
export interface MongoDbSource {
  db(): Promise<Db>;
}

export function isMongoDbSource(value: unknown): value is MongoDbSource {
  return !!value && typeof (value as MongoDbSource).db === 'function';
}

/** A filter on _id; the ids are whatever the documents hold (ObjectIds, or strings in older data). */
const byIds = (ids: unknown[]): Document => ({ _id: { $in: ids.filter((id) => id !== undefined && id !== null) } });

/** Reads sensorpinmappings, then only the sensors and machines they reference, and joins them. */
export async function loadPinMappings(source: MongoDbSource, knownPins: readonly string[]): Promise<MappingJoinResult> {
  const db = await source.db();
  const mappings = await db.collection<PinMappingDoc>('sensorpinmappings')
    .find({}, { projection: { sensorId: 1, pinId: 1, isActive: 1 } }).toArray();
  const sensorFilter = byIds(mappings.map((m) => m.sensorId));
  const sensors = sensorFilter._id.$in.length === 0 ? [] : await db.collection('sensors')
    .find(sensorFilter, { projection: { name: 1, machineId: 1, sensorType: 1, isActive: 1 } }).toArray() as SensorDoc[];
  const machineFilter = byIds(sensors.map((s) => s.machineId));
  const machines = machineFilter._id.$in.length === 0 ? [] : await db.collection('machines')
    .find(machineFilter, { projection: { name: 1, isActive: 1 } }).toArray() as MachineDoc[];
  return joinPinMappings(mappings, sensors, machines, knownPins);
}
