/**
 * Which database errors are worth retrying. Lost connections, elections, timeouts and
 * write-concern failures pass: the sink keeps the batch and retries with backoff. Everything
 * else (a document the server refuses) is permanent for the documents concerned.
 */

// Server codes that say "not now" rather than "never" (MongoDB's retryable-write codes plus
// interruptions and lock timeouts). A replica set's failover answers with NotWritablePrimary
// (10107), LegacyNotPrimary (10058), NotPrimaryNoSecondaryOk (13435), NotPrimaryOrSecondary
// (13436), PrimarySteppedDown (189), InterruptedDueToReplStateChange (11602) or
// ShutdownInProgress (91) until a new primary is elected (docs/failover.md).
const TRANSIENT_CODES = new Set([
  6, 7, 24, 46, 50, 89, 91, 112, 134, 189, 251, 262, 9001, 10058, 10107, 11600, 11601, 11602, 13435, 13436, 64, 100,
]);

const RETRYABLE_LABELS = ['RetryableWriteError', 'ResetPool'];

const TRANSIENT_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
  'MongoWriteConcernError',
  'MongoOperationTimeoutError',
  'MongoWaitQueueTimeoutError',
  'ConnectionClosedError',
]);

interface ErrorLike {
  name?: string;
  code?: unknown;
  errorLabels?: unknown;
  hasErrorLabel?: (label: string) => boolean;
  cause?: unknown;
  message?: string;
}

export function isTransientError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as ErrorLike;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'number' && TRANSIENT_CODES.has(e.code)) return true;
  if (typeof e.hasErrorLabel === 'function' && RETRYABLE_LABELS.some((label) => e.hasErrorLabel!(label))) return true;
  // A server reply's labels, as plain data (before the driver wraps it).
  if (Array.isArray(e.errorLabels) && RETRYABLE_LABELS.some((label) => (e.errorLabels as unknown[]).includes(label))) return true;
  // A bulk write refused only because the primary stepped down: every document is worth retrying.
  const writeErrors = writeErrorsOf(err);
  if (writeErrors?.length && writeErrors.every((we) => typeof we.code === 'number' && TRANSIENT_CODES.has(we.code))) return true;
  if (/ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket|connection .*closed|not connected|timed out/i.test(e.message ?? '')) return true;
  return e.cause !== undefined && e.cause !== err && isTransientError(e.cause);
}

/**
 * A server error that says nothing about the documents (MongoDB's UnknownError and
 * InternalError, or no code at all; mongo-java-server answers "Unknown error" under load right
 * after a restart): worth a few retries before the documents are given up.
 */
export function isUncertainError(err: unknown): boolean {
  if (!err || typeof err !== 'object' || (err as ErrorLike).name !== 'MongoServerError') return false;
  const code = (err as ErrorLike).code;
  return code === undefined || code === 1 || code === 8;
}

export const DUPLICATE_KEY = 11000;

export interface WriteErrorLike {
  index: number;
  code?: number;
  errmsg?: string;
  message?: string;
}

/** The per-document errors of a bulk write error (the driver gives one or an array). */
export function writeErrorsOf(err: unknown): WriteErrorLike[] | undefined {
  if (!err || typeof err !== 'object' || !('writeErrors' in err)) return undefined;
  const we = (err as { writeErrors: unknown }).writeErrors;
  if (Array.isArray(we)) return we as WriteErrorLike[];
  if (we && typeof we === 'object') return [we as WriteErrorLike];
  return undefined;
}

/** True when a bulk write error also carries a write-concern error (durability unknown: retry). */
export function hasWriteConcernError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { writeConcernError?: unknown; result?: { getWriteConcernError?: () => unknown; writeConcernErrors?: unknown[] } };
  return !!e.writeConcernError || !!e.result?.getWriteConcernError?.() || (Array.isArray(e.result?.writeConcernErrors) && e.result!.writeConcernErrors!.length > 0);
}

/**
 * The server is older than the loaded driver supports ("Server at h:p reports maximum wire
 * version 8, but this version of the Node.js Driver requires at least 9 (MongoDB 4.4)"): its
 * wire versions, else undefined.
 */
export function wireVersionMismatch(err: unknown): { server: number; required: number } | undefined {
  for (let e = err as ErrorLike | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as ErrorLike | undefined, depth++) {
    const m = /maximum wire version (\d+), but this version of the Node\.js Driver requires at least (\d+)/.exec(e.message ?? '');
    if (m) return { server: Number(m[1]), required: Number(m[2]) };
  }
  return undefined;
}
