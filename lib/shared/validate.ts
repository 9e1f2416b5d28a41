/**
 * The package's one set of input checks, with one error type. Every error names the field it
 * is about (a path from the message, e.g. "msg.readings[2].timestamp" or
 * "payload.stoppages.0.startTime") and says what was expected and what came, so a Catch
 * node's user can fix it: "<field>: expected <what>, got <value>".
 */
import { isObjectIdHex } from './messages';

export class ValidationError extends Error {
  constructor(readonly field: string, problem: string) {
    // Caught and reported by message only: a stack trace would never be read, and capturing
    // one costs more than the checks (a stream of bad input is rejected message by message).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${field}: ${problem}`);
    Error.stackTraceLimit = limit;
    this.name = 'ValidationError';
  }
}

/** A short, safe description of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Names that reach into an object's prototype machinery when used as a key. A user-supplied
 * string that is to index an object (a signal name, a pin, a document field) must not be one.
 */
export const RESERVED_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export function isReservedName(name: string): boolean {
  return RESERVED_NAMES.includes(name);
}

/** Why a user-chosen name cannot be used as a key, or undefined when it can. */
export function reservedNameProblem(name: string, what: string): string | undefined {
  return isReservedName(name) ? `${what} "${name}" is reserved (${RESERVED_NAMES.join(', ')} cannot be used as names)` : undefined;
}

/** An empty object without a prototype: any user-supplied string is safe as its key. */
export function nullObject<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ValidationError(field, `expected an object, got ${describeValue(value)}`);
}

export function requireFiniteNumber(value: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(field, `expected a finite number, got ${describeValue(value)}`);
  if (value < min || value > max) throw new ValidationError(field, `${value} is outside ${min}..${max}`);
  return value;
}

export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(field, `expected one of ${allowed.join(', ')}, got ${describeValue(value)}`);
}

/** A bit value: true/false or 1/0. */
export function requireBit(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new ValidationError(field, `expected a BOOL (true/false or 1/0), got ${describeValue(value)}`);
}

/** A 24-hex-digit id string (or an ObjectId's hex) from a field the contract says is an ObjectId. */
export function requireObjectIdHex(value: unknown, field: string): string {
  if (isObjectIdHex(value)) return value.toLowerCase();
  if (value && typeof value === 'object' && (value as { _bsontype?: unknown })._bsontype === 'ObjectId') {
    return (value as { toHexString(): string }).toHexString();
  }
  throw new ValidationError(field, `expected an ObjectId as 24 hex digits, got ${describeValue(value)}`);
}

/** The largest magnitude a JavaScript Date can hold, ms (ECMAScript time values). */
const DATE_LIMIT_MS = 8.64e15;

/** ISO text of a time value, or the number itself when no Date can hold it. */
function timeText(ms: number): string {
  return Math.abs(ms) <= DATE_LIMIT_MS ? new Date(ms).toISOString() : String(ms);
}

/** Epoch milliseconds from a number, a Date or an ISO date string (any time a Date can hold). */
export function requireEpochMs(value: unknown, field: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > DATE_LIMIT_MS) {
    throw new ValidationError(field, `expected a time (epoch ms, Date or ISO string), got ${describeValue(value)}`);
  }
  return ms;
}

/**
 * The times a message may carry: a source time before `earliestMs` or more than `maxAheadMs`
 * ahead of the clock is a PLC clock that was never set, a unit mix-up (seconds for ms) or a
 * forged message, and would be stored as a wrong date.
 */
export interface TimestampWindow {
  /** Epoch ms; default 2000-01-01T00:00:00Z. */
  earliestMs: number;
  /** How far ahead of the clock, ms; default one day. */
  maxAheadMs: number;
}

export const DEFAULT_TIMESTAMP_WINDOW: Readonly<TimestampWindow> = Object.freeze({
  earliestMs: Date.UTC(2000, 0, 1),
  maxAheadMs: 24 * 3_600_000,
});

/** The Node-RED setting (settings.js) that changes the window for every node of the package. */
export const TIMESTAMP_WINDOW_SETTING = 's7productionTimestampWindow';

/**
 * The window from the setting's value, `{ earliest: "2000-01-01", maxAheadHours: 24 }` (both
 * optional); undefined means the default. Throws a ValidationError naming the setting's field.
 */
export function timestampWindowFromSetting(setting: unknown): TimestampWindow {
  if (setting === undefined || setting === null) return { ...DEFAULT_TIMESTAMP_WINDOW };
  const s = requireObject(setting, TIMESTAMP_WINDOW_SETTING);
  const window = { ...DEFAULT_TIMESTAMP_WINDOW };
  if (s.earliest !== undefined) {
    const field = `${TIMESTAMP_WINDOW_SETTING}.earliest`;
    if (typeof s.earliest !== 'string') throw new ValidationError(field, `expected an ISO date such as "2000-01-01", got ${describeValue(s.earliest)}`);
    window.earliestMs = requireEpochMs(s.earliest, field);
  }
  if (s.maxAheadHours !== undefined) {
    window.maxAheadMs = requireFiniteNumber(s.maxAheadHours, `${TIMESTAMP_WINDOW_SETTING}.maxAheadHours`, 0, 24 * 366) * 3_600_000;
  }
  return window;
}

/**
 * A source time in epoch ms (a number, as the message contract has it) inside the window
 * around `now`. The message names the value as a date when a Date can hold it.
 */
export function requireTimestamp(value: unknown, field: string, now: number, window: TimestampWindow = DEFAULT_TIMESTAMP_WINDOW): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(field, `expected a finite number of epoch milliseconds, got ${describeValue(value)}`);
  }
  if (value < window.earliestMs) {
    throw new ValidationError(field, `${timeText(value)} lies before ${timeText(window.earliestMs)}, the earliest accepted time`);
  }
  if (value > now + window.maxAheadMs) {
    throw new ValidationError(field, `${timeText(value)} lies more than ${window.maxAheadMs / 3_600_000} h ahead of the clock (${timeText(now)})`);
  }
  return value;
}

/** A window relative to the clock, of a consumer that can only place recent times. */
export interface RecentWindow {
  /** Oldest accepted age of a timestamp relative to the clock, ms. */
  maxAgeMs: number;
  /** How far ahead of the clock a timestamp may be (clock skew), ms. */
  maxAheadMs: number;
}

/**
 * A source time inside the consumer's recent window and the window. The recent window is
 * checked first: its message says more ("older than the 24 h the aggregator can place").
 */
export function requireRecentTimestamp(value: unknown, field: string, now: number, recent: RecentWindow, window: TimestampWindow = DEFAULT_TIMESTAMP_WINDOW): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(field, `expected a finite number of epoch milliseconds, got ${describeValue(value)}`);
  }
  if (value > now + recent.maxAheadMs) {
    throw new ValidationError(field, `${timeText(value)} lies more than ${recent.maxAheadMs / 1000} s in the future`);
  }
  if (value < now - recent.maxAgeMs) {
    throw new ValidationError(field, `${timeText(value)} is older than the accepted window of ${recent.maxAgeMs / 3_600_000} h`);
  }
  return requireTimestamp(value, field, now, window);
}

/**
 * The last guard before the driver: a Date for an epoch-ms time that was validated upstream.
 * An Invalid Date would be stored as 1970-01-01; this throws instead.
 */
export function driverDate(ms: number, field: string): Date {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new ValidationError(field, `expected a time a Date can hold, got ${describeValue(ms)}`);
  return date;
}

/** Something BSON has its own type for (ObjectId, Decimal128, Long, ...): left as it is. */
function isBsonValue(value: object): boolean {
  return typeof (value as { _bsontype?: unknown })._bsontype === 'string';
}

/**
 * Throws unless `value` is safe to store: no key starting with "$" or containing "." (no operator
 * injection), no reserved key (__proto__, constructor, prototype), no NaN or Infinity, no
 * invalid Date, no functions or symbols. Returns the value for chaining.
 */
export function assertSafeValue<T>(value: T, field: string): T {
  checkStorable(value, field, 0);
  return value;
}

function checkStorable(value: unknown, field: string, depth: number): void {
  if (depth > 100) throw new ValidationError(field, 'nested more than 100 levels deep');
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(field, `${value} is not a finite number`);
      return;
    case 'string':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return;
    case 'function':
    case 'symbol':
      throw new ValidationError(field, `a ${typeof value} cannot be stored`);
  }
  if (value === null || value instanceof Date || ArrayBuffer.isView(value) || isBsonValue(value as object)) {
    if (value instanceof Date && Number.isNaN(value.getTime())) throw new ValidationError(field, 'an invalid Date cannot be stored');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkStorable(item, `${field}.${i}`, depth + 1));
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('$')) throw new ValidationError(`${field}.${key}`, 'keys must not start with "$"');
    if (key.includes('.')) throw new ValidationError(`${field}.${key}`, 'keys must not contain "."');
    if (key.includes('\0')) throw new ValidationError(field, 'keys must not contain a NUL character');
    if (isReservedName(key)) throw new ValidationError(`${field}.${key}`, `keys must not be ${RESERVED_NAMES.join(', ')}`);
    checkStorable(item, `${field}.${key}`, depth + 1);
  }
}

/**
 * The window the Node-RED settings (settings.js) ask for. A bad setting is reported through
 * `warn` with what is wrong, and the default window is used: it is the safe one.
 */
export function timestampWindowOf(settings: unknown, warn: (problem: string) => void): TimestampWindow {
  try {
    return timestampWindowFromSetting((settings as Record<string, unknown> | undefined)?.[TIMESTAMP_WINDOW_SETTING]);
  } catch (err) {
    warn((err as Error).message);
    return { ...DEFAULT_TIMESTAMP_WINDOW };
  }
}
