/**
 * Which machines one instance owns when a plant is split across several Node-RED instances
 * (README "Scaling"). Pure, so the dialogs check a scope with the same parser as the runtime.
 */
import { isObjectIdHex } from '../shared/messages';
import type { MachineDoc } from './queries';

/**
 * Department and machine terms name machines (a machine is in the share when either names it);
 * host terms name the PLCs whose readers take the application's mappings. Empty = everything.
 */
export interface MachineScope {
  departmentIds: string[];
  machineIds: string[];
  plcHosts: string[];
}

const SCOPE_KEYS = { department: 'departmentIds', machine: 'machineIds', host: 'plcHosts' } as const;

/**
 * Reads "department=<id>, machine=<id>, host=<name or address>" (separated by commas,
 * semicolons or blanks; typically one `${ENV}` per instance). Throws naming the first bad term.
 */
export function parseMachineScope(text: unknown): MachineScope {
  const scope: MachineScope = { departmentIds: [], machineIds: [], plcHosts: [] };
  if (text === undefined || text === null) return scope;
  if (typeof text !== 'string') throw new Error(`machine scope must be text, not ${typeof text}`);
  for (const term of text.split(/[\s,;]+/).filter((t) => t !== '')) {
    // Node-RED leaves `${NAME}` as it is when the variable is set nowhere (flow, group, process)
    const unset = /^\$\{(\S+)\}$/.exec(term);
    if (unset) throw new Error(`machine scope: the environment variable ${unset[1]} is not set (set it to this instance's machines, or to "" for every machine)`);
    const match = /^(department|machine|host)=(.+)$/i.exec(term);
    if (!match) throw new Error(`machine scope: "${term}" is not department=<id>, machine=<id> or host=<PLC host>`);
    const key = match[1].toLowerCase() as keyof typeof SCOPE_KEYS;
    const value = match[2].toLowerCase();
    if (key !== 'host' && !isObjectIdHex(value)) throw new Error(`machine scope: "${term}": a ${key} id is 24 hex digits`);
    if (key === 'host' && !/^[a-z0-9.:_-]+$/.test(value)) throw new Error(`machine scope: "${term}" is not a host name or address`);
    scope[SCOPE_KEYS[key]].push(value);
  }
  return scope;
}

/** True when department or machine terms limit the machines. */
export const scopeNamesMachines = (scope: MachineScope): boolean => scope.departmentIds.length + scope.machineIds.length > 0;

/** Whether a machines document belongs to the share (always, when no department or machine term limits it). */
export function machineInScope(machine: MachineDoc, scope: MachineScope): boolean {
  if (!scopeNamesMachines(scope)) return true;
  const text = (id: unknown): string => (id === undefined || id === null ? '' : String(id).toLowerCase());
  return scope.machineIds.includes(text(machine._id)) || scope.departmentIds.includes(text(machine.departmentId));
}

/** Whether a reader of this PLC host takes the application's mappings (always, without host terms). */
export function plcHostInScope(host: string, scope: MachineScope): boolean {
  return scope.plcHosts.length === 0 || scope.plcHosts.includes(host.trim().toLowerCase());
}

