/**
 * The dialogs' field checks, in words: each check gives a catalogue key (group "check" of the
 * node's catalogue) with parameters, or undefined when the value is fine. Pure (no Node-RED, no
 * DOM): the dialogs run them on typed values, the runtime's check-env endpoints on the values of
 * ${ENV} references, so both judge a value alike.
 */
import { ENV_REFERENCE, parseTsap } from '../../../lib/s7/session/connection-config';
import { parsePinMap } from '../../../lib/reader/signals';
import { formatDataType, parseAddress, type PinMap } from '../../../lib/s7/address';
import { hostProblem } from '../../../lib/shared/host';

export interface FieldProblem {
  /** Key in the node catalogue's "check" group. */
  key: string;
  params?: Record<string, string | number>;
  /** The library's own (English) words about the problem, shown after the message in the dialog; never sent by check-env. */
  detail?: string;
}
export type FieldCheck = (value: string) => FieldProblem | undefined;

export const required = (check: FieldCheck): FieldCheck => (v) => (v.trim() === '' ? { key: 'required' } : check(v));

/** A number from min to max; integer when asked. An empty field means the default. */
export const numberIn = (min: number, max: number, integer = false): FieldCheck => (v) => {
  if (v.trim() === '') return undefined;
  const n = Number(v.trim());
  if (!Number.isFinite(n)) return { key: 'notNumber' };
  if (integer && !Number.isInteger(n)) return { key: 'notInteger', params: { min, max } };
  return n < min || n > max ? { key: 'range', params: { min, max } } : undefined;
};
export const integerIn = (min: number, max: number): FieldCheck => numberIn(min, max, true);

/** 0 (off / the default) or at least min. */
export const zeroOrAtLeast = (min: number): FieldCheck => (v) => {
  if (v.trim() === '' || Number(v.trim()) === 0) return undefined;
  const n = Number(v.trim());
  if (!Number.isFinite(n)) return { key: 'notNumber' };
  return n < min ? { key: 'zeroOrAtLeast', params: { min } } : undefined;
};

export const atLeast = (min: number): FieldCheck => (v) => {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) return { key: 'notNumber' };
  return n < min ? { key: 'atLeast', params: { min } } : undefined;
};

export const hostField: FieldCheck = (v) => {
  const problem = hostProblem(v);
  if (!problem) return undefined;
  return { key: `host.${problem.key}`, params: 'params' in problem ? problem.params : undefined };
};

export const tsapField: FieldCheck = (v) => {
  try {
    parseTsap(v);
    return undefined;
  } catch {
    return { key: 'tsap' };
  }
};

/** An IANA time zone; empty means the Node-RED host's zone. */
export const timeZoneField: FieldCheck = (v) => {
  if (v.trim() === '') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v.trim() });
    return undefined;
  } catch {
    return { key: 'timeZone' };
  }
};

export const pinMapField: FieldCheck = (v) => {
  try {
    parsePinMap(v);
    return undefined;
  } catch (err) {
    return { key: 'pinMap', detail: (err as Error).message };
  }
};

/** The variable a field's whole value refers to ("${PLC_HOST}" -> "PLC_HOST"), else undefined. */
export function envReferenceOf(value: unknown): string | undefined {
  const text = String(value ?? '').trim();
  return ENV_REFERENCE.test(text) ? text.slice(2, -1) : undefined;
}

/** What a check-env endpoint tells the editor about one field. Never the variable's value. */
export interface EnvFieldReport {
  variable: string;
  set: boolean;
  problem?: FieldProblem;
}

/**
 * Parameters of a problem that say something about the check, not the value: only these reach
 * the editor, so a secret a variable holds never does, even in a message.
 */
const SAFE_PARAMS = ['min', 'max'];

/**
 * Resolves each field that refers to an environment variable and checks the variable's value
 * with the field's check. Fields without a check, or without a reference, are left out.
 */
export function checkEnvFields(fields: unknown, checks: Readonly<Record<string, FieldCheck>>, getEnv: (name: string) => unknown): Record<string, EnvFieldReport> {
  const reports: Record<string, EnvFieldReport> = Object.create(null) as Record<string, EnvFieldReport>;
  if (!fields || typeof fields !== 'object') return reports;
  for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(checks, field)) continue;
    const variable = envReferenceOf(value);
    if (!variable) continue;
    const resolved = getEnv(variable);
    if (resolved === undefined || resolved === null) {
      reports[field] = { variable, set: false };
      continue;
    }
    const problem = checks[field](String(resolved));
    const report: EnvFieldReport = { variable, set: true };
    if (problem) {
      const params = Object.fromEntries(Object.entries(problem.params ?? {}).filter(([k]) => SAFE_PARAMS.includes(k)));
      report.problem = Object.keys(params).length > 0 ? { key: problem.key, params } : { key: problem.key };
    }
    reports[field] = report;
  }
  return reports;
}

/**
 * The data type the runtime reads an address as when the Type cell is empty (parseAddress without
 * a type, as resolveSignals does), or undefined when the address is not readable.
 */
export function inferredDataType(address: string, pinMap?: PinMap): string | undefined {
  try {
    return formatDataType(parseAddress(address.trim(), undefined, pinMap));
  } catch {
    return undefined;
  }
}
