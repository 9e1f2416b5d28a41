/** The mongo-sink node's settings (shared by runtime and editor). */
export {
  MONGO_SINK_DEFAULTS,
  SIGNAL_MODES,
  collectionNameProblem,
  sinkConfigProblems,
  type MongoSinkConfig,
  type OverflowPolicy,
  type SignalMode,
} from '../../lib/mongo/sink-config';

export const MONGO_SINK_TYPE = 'mongo-sink';
/** Where spool files go, inside Node-RED's userDir. */
export const SPOOL_DIR = 's7-production-spool';
