/**
 * Input checks shared by the edge counter and the hourly aggregator: each failure names the
 * offending message field, so a Catch node tells the user exactly what to fix.
 */
export class InputError extends Error {
  constructor(message: string) {
    // Caught and reported by message only: a stack trace would never be read, and capturing
    // one costs more than the checks (a stream of bad input is rejected message by message).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'InputError';
  }
}

export interface TimeWindow {
  /** Oldest accepted age of a timestamp relative to the clock, ms. */
  maxAgeMs: number;
  /** How far ahead of the clock a timestamp may be (clock skew), ms. */
  maxAheadMs: number;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** A finite epoch-ms timestamp inside the accepted window around now. */
export function checkTimestamp(value: unknown, field: string, now: number, window: TimeWindow): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${field} must be a finite number of epoch milliseconds, got ${describe(value)}`);
  }
  if (value > now + window.maxAheadMs) {
    throw new InputError(`${field} ${new Date(value).toISOString()} lies more than ${window.maxAheadMs / 1000} s in the future`);
  }
  if (value < now - window.maxAgeMs) {
    const iso = value >= -8.64e15 && value <= 8.64e15 ? new Date(value).toISOString() : String(value);
    throw new InputError(`${field} ${iso} is older than the accepted window of ${window.maxAgeMs / 3_600_000} h`);
  }
  return value;
}

/** A bit value: true/false or 1/0. */
export function checkBit(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new InputError(`${field} must be a BOOL (true/false or 1/0), got ${describe(value)}`);
}

export function checkFiniteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${field} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

export function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${field} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export { describe as describeValue };
