/**
 * Input checks before anything reaches the database. Every error names the field (a dotted path
 * from the message, e.g. "payload.stoppages.3.startTime"), so a Catch node's user can fix it.
 */
import { isObjectIdHex } from '../shared/messages';

export class ValidationError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ValidationError';
  }
}

/** Something BSON has its own type for (ObjectId, Decimal128, Long, ...): left as it is. */
function isBsonValue(value: object): boolean {
  return typeof (value as { _bsontype?: unknown })._bsontype === 'string';
}

/**
 * Throws unless `value` is safe to store: no key starting with "$" or containing "." (no operator
 * injection), no NaN or Infinity, no functions or symbols. Returns the value for chaining.
 */
export function assertSafeValue<T>(value: T, field: string): T {
  check(value, field, 0);
  return value;
}

function check(value: unknown, field: string, depth: number): void {
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
    if (value instanceof Date && Number.isNaN(value.getTime())) throw new ValidationError(field, 'invalid Date');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => check(item, `${field}.${i}`, depth + 1));
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('$')) throw new ValidationError(`${field}.${key}`, 'keys must not start with "$"');
    if (key.includes('.')) throw new ValidationError(`${field}.${key}`, 'keys must not contain "."');
    if (key.includes('\0')) throw new ValidationError(field, 'keys must not contain a NUL character');
    check(item, `${field}.${key}`, depth + 1);
  }
}

/** A 24-hex-digit id string (or an ObjectId's hex) from a field the contract says is an ObjectId. */
export function requireObjectIdHex(value: unknown, field: string): string {
  if (isObjectIdHex(value)) return value.toLowerCase();
  if (value && typeof value === 'object' && (value as { _bsontype?: unknown })._bsontype === 'ObjectId') {
    return (value as { toHexString(): string }).toHexString();
  }
  throw new ValidationError(field, `expected an ObjectId as 24 hex digits, got ${describe(value)}`);
}

/** Epoch milliseconds from a number, a Date or an ISO date string. */
export function requireEpochMs(value: unknown, field: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new ValidationError(field, `expected a time (epoch ms, Date or ISO string), got ${describe(value)}`);
  return ms;
}

export function requireFiniteNumber(value: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(field, `expected a finite number, got ${describe(value)}`);
  if (value < min || value > max) throw new ValidationError(field, `${value} is outside ${min}..${max}`);
  return value;
}

export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(field, `expected one of ${allowed.join(', ')}, got ${describe(value)}`);
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ValidationError(field, `expected an object, got ${describe(value)}`);
}

/** A short, safe description of a bad value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
