// Node-RED settings for a plant PC that records production data with
// @linesentry/node-red-s7-production. Copy to /etc/node-red/settings.js (see README, "Operations").
//
// Secrets come from the environment (the systemd unit reads /etc/node-red/production.env), never
// from this file or the flow file:
//   NODE_RED_CREDENTIAL_SECRET  encrypts the credentials file (MongoDB user/password). Required.
//                               Keep a copy: without it the stored credentials cannot be read.
//   NODE_RED_ADMIN_USER         editor user name (default "admin").
//   NODE_RED_ADMIN_HASH         bcrypt hash of the editor password, made with
//                                 node-red admin hash-pw
//                               Until it is set, the placeholder below matches no password, so the
//                               editor stays locked.
// The flow itself reads PLC_HOST, PLC_PORT, PLC_RACK, PLC_SLOT, MONGODB_URI, MONGODB_DB, PLANT_TZ.
//   S7P_MONGO_DRIVER            the MongoDB driver module the mongo-connection loads (default
//                               "mongodb", 7.x: MongoDB 4.4+). For an older server (wire version 8,
//                               MongoDB 4.2) run  npm install mongodb6@npm:mongodb@^6.9  in the user
//                               directory and set S7P_MONGO_DRIVER=mongodb6, or the setting
//                               s7productionMongoDriver at the end (it wins when both are set).
'use strict';

const credentialSecret = process.env.NODE_RED_CREDENTIAL_SECRET;
if (!credentialSecret) {
  throw new Error('NODE_RED_CREDENTIAL_SECRET is not set: put a long random string in /etc/node-red/production.env (see README, "Operations")');
}

// Not a valid bcrypt hash: no password matches it until NODE_RED_ADMIN_HASH replaces it.
const ADMIN_HASH_PLACEHOLDER = '$2b$08$REPLACE.WITH.THE.OUTPUT.OF.node-red.admin.hash-pw....';

module.exports = {
  uiHost: process.env.NODE_RED_HOST || '0.0.0.0',
  uiPort: Number(process.env.NODE_RED_PORT || 1880),

  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret,

  adminAuth: {
    type: 'credentials',
    sessionExpiryTime: 8 * 60 * 60,
    users: [{
      username: process.env.NODE_RED_ADMIN_USER || 'admin',
      password: process.env.NODE_RED_ADMIN_HASH || ADMIN_HASH_PLACEHOLDER,
      permissions: '*',
    }],
  },

  // Where edge counters and hourly aggregators keep their state, and what each choice costs.
  // Both write their state within a second of every change to a journal file per node in the
  // user directory (<userDir>/s7-production-state/<node id>.json, replaced atomically and synced
  // to disk): a Full, Modified or Flows deploy, a restart, kill -9 or a power cut loses at most the
  // last second, whatever is configured below. The context store the node picks holds a second
  // copy; on start the newer copy wins.
  //   memory           this copy is gone after every restart. Costs nothing.
  //   localfilesystem  this copy is written every flushInterval seconds (default 30) and at a clean
  //                    stop: kill -9 or a power cut loses up to flushInterval seconds of it. A
  //                    smaller flushInterval costs one file write per interval for every node with
  //                    context; `cache: false` writes on every change (costly at 1 change/s/node).
  // The store matters only while the journal cannot be written (a full or read-only disk, a user
  // directory that is not kept, e.g. a container without a volume for it): the nodes then turn
  // yellow, warn, keep the state in memory and retry. Keep the user directory on persistent storage.
  // `memory` is also there for flows that want volatile context.
  contextStorage: {
    default: { module: 'localfilesystem', config: { flushInterval: 30 } },
    memory: { module: 'memory' },
  },

  logging: {
    console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false },
  },

  // A plant PC installs nodes deliberately (npm in the user directory), not from the editor.
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  functionExternalModules: false,
  editorTheme: {
    projects: { enabled: false },
    tours: false,
  },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: true, ui: true },
  runtimeState: { enabled: false, ui: false },
  exportGlobalContextKeys: false,

  // The MongoDB driver for the mongo-connection; unset: S7P_MONGO_DRIVER, else "mongodb" (see above).
  // s7productionMongoDriver: 'mongodb6',
};
