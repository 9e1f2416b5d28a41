/** The hourly-aggregator node's settings (shared by runtime and editor). */
export interface HourlyAggregatorConfig {
  name: string;
  /** IANA time zone of the plant, e.g. "Europe/Berlin". */
  timeZone: string;
  powerTimeoutMinutes: number;
  cycleTimeoutMinutes: number;
  /** Analog power at or above this many kW means "powered". */
  powerThresholdKw: number;
  snapshotMinutes: number;
  graceMinutes: number;
  tickSeconds: number;
  retainHours: number;
  /** A machine without input for longer than this turns the status yellow (the PLC is down). */
  staleSeconds: number;
  zeroFill: boolean;
  endStoppageOnPowerLoss: boolean;
  /** Context store for open hours ("" = the default store). */
  store: string;
  /** Optional mongo-connection config node. */
  mongo: string;
  /** Read the timeouts from the application's configs document (needs mongo). */
  timeoutsFromDb: boolean;
  /** On start, continue the hours of the correction window the database holds and the context store does not (needs mongo; on by default). */
  restoreFromDb: boolean;
  /** This instance's share of the machines, "department=<id> machine=<id> host=<PLC host>" (usually ${ENV}); empty = all. */
  machineScope: string;
}

export const HOURLY_AGGREGATOR_CONFIG_DEFAULTS: HourlyAggregatorConfig = {
  name: '',
  timeZone: 'UTC',
  powerTimeoutMinutes: 5,
  cycleTimeoutMinutes: 2,
  powerThresholdKw: 0.5,
  snapshotMinutes: 1,
  graceMinutes: 2,
  tickSeconds: 5,
  retainHours: 24,
  // above the reader's default heartbeat (60 s): an on-change reader stays quiet that long
  staleSeconds: 90,
  zeroFill: false,
  endStoppageOnPowerLoss: false,
  store: '',
  mongo: '',
  timeoutsFromDb: false,
  restoreFromDb: true,
  machineScope: '',
};

/** Accepted [min, max] of the numeric settings, the same in the dialog and at run time. */
export const HOURLY_AGGREGATOR_LIMITS = {
  timeoutMinutes: [0.005, 1440],
  powerThresholdKw: [0, 1e6],
  snapshotMinutes: [0.005, 60],
  graceMinutes: [0, 1440],
  tickSeconds: [0.1, 60],
  retainHours: [2, 24 * 31],
  staleSeconds: [1, 86_400],
} as const;

export const HOURLY_AGGREGATOR_TYPE = 'hourly-aggregator';
