/**
 * The application's collections (Mongoose's plurals, FRONTEND-CONTRACT.md) and the one field of
 * our own that productionrecords carries. Every other module takes these names from here.
 */
export const COLLECTIONS = {
  machines: 'machines',
  sensors: 'sensors',
  pinMappings: 'sensorpinmappings',
  configs: 'configs',
  signals: 'signaldatas',
  production: 'productionrecords',
} as const;

/** The indexes the application's models declare on a signal collection, in order. */
export const SIGNAL_INDEXES: readonly Readonly<Record<string, 1 | -1>>[] = [{ timestamp: 1 }, { sensorId: 1, timestamp: -1 }, { machineId: 1, timestamp: -1 }];

/** One pin maps to one sensor: the application's unique index on the pin mappings. */
export const PIN_MAPPING_INDEX = { key: { pinId: 1 }, unique: true } as const;

/**
 * Per hour slot of a productionrecords document, what the package wrote (lib/app-contract/
 * production-records.ts). Top-level, so the application's saves keep it; a field inside the
 * hourlyData entries would be dropped when it rewrites that array through its schema.
 */
export const LEDGER_FIELD = 's7Ledger';

/** The per-hour revisions of package versions before the ledger (read, never written). */
export const LEGACY_REVISIONS_FIELD = 's7Revisions';
