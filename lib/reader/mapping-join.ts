/**
 * The application's own signal configuration, pin mappings -> sensors -> machines
 * (lib/app-contract/queries.ts reads them), joined in code into signal rows. Pure: documents
 * in, rows out.
 */
import { machineInScope, type MachineDoc, type MachineScope, type PinMappingDoc, type SensorDoc } from '../app-contract';
import type { SignalKind } from '../shared/messages';
import type { SignalRow } from './signals';

export interface MappingJoinResult {
  rows: SignalRow[];
  /** Why a mapping was left out, e.g. "pin DQ.3: sensor 65f0... is inactive". */
  skipped: string[];
  /** Mappings of machines outside this instance's share: another instance reads them, so they are no problem. */
  otherShare: number;
}

const idText = (id: unknown): string => (id === undefined || id === null ? '' : String(id));
/** The contract: a missing isActive means active. */
const active = (doc: { isActive?: unknown }): boolean => doc.isActive !== false;

// A Map: sensorType is the application's data, and must not reach Object.prototype.
const KIND_BY_SENSOR_TYPE = new Map<string, SignalKind>([['power', 'power'], ['unit-cycle', 'unit-cycle']]);

/**
 * One BOOL row per active mapping whose sensor and machine exist and are active, named
 * "<machine> <sensor>" (unique: a pin maps to one sensor), addressed by its pin id (DQ.i).
 * With a scope, only the share's machines (the rest belong to other instances).
 * Rows come out in pin order so a refresh that finds the same mappings yields equal lists.
 */
export function joinPinMappings(
  mappings: readonly PinMappingDoc[],
  sensors: readonly SensorDoc[],
  machines: readonly MachineDoc[],
  knownPins: readonly string[],
  scope?: MachineScope,
): MappingJoinResult {
  const sensorById = new Map(sensors.map((s) => [idText(s._id), s]));
  const machineById = new Map(machines.map((m) => [idText(m._id), m]));
  const pins = new Map(knownPins.map((p) => [p.toUpperCase(), p]));
  const rows: SignalRow[] = [];
  const skipped: string[] = [];
  let otherShare = 0;
  const names = new Set<string>();
  const sorted = [...mappings].sort((a, b) => String(a.pinId).localeCompare(String(b.pinId)));
  for (const mapping of sorted) {
    const pinText = typeof mapping.pinId === 'string' ? mapping.pinId.trim() : '';
    const where = `pin ${pinText || '(none)'}`;
    if (!active(mapping)) {
      skipped.push(`${where}: mapping is inactive`);
      continue;
    }
    const pin = pins.get(pinText.toUpperCase());
    if (!pin) {
      skipped.push(`${where}: not one of the pins ${knownPins.join(', ')}`);
      continue;
    }
    const sensorId = idText(mapping.sensorId);
    const sensor = sensorById.get(sensorId);
    if (!sensor) {
      skipped.push(`${where}: sensor ${sensorId || '(none)'} not found`);
      continue;
    }
    if (!active(sensor)) {
      skipped.push(`${where}: sensor ${sensorId} is inactive`);
      continue;
    }
    const machineId = idText(sensor.machineId);
    const machine = machineById.get(machineId);
    if (!machine) {
      skipped.push(`${where}: machine ${machineId || '(none)'} of sensor ${sensorId} not found`);
      continue;
    }
    if (scope && !machineInScope(machine, scope)) {
      otherShare += 1;
      continue;
    }
    if (!active(machine)) {
      skipped.push(`${where}: machine ${machineId} is inactive`);
      continue;
    }
    const baseName = `${String(machine.name ?? machineId)} ${String(sensor.name ?? sensorId)}`;
    const name = names.has(baseName) ? `${baseName} ${pin}` : baseName;
    names.add(name);
    rows.push({
      name,
      address: pin,
      dataType: 'BOOL',
      kind: KIND_BY_SENSOR_TYPE.get(String(sensor.sensorType)) ?? 'other',
      machineId,
      sensorId,
    });
  }
  return { rows, skipped, otherShare };
}

