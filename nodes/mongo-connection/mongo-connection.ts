/**
 * mongo-connection: one MongoClient per config node, shared by every node that uses it, kept
 * alive by a ConnectionSupervisor, closed (and awaited) on redeploy. Credentials come from
 * Node-RED's credentials store and are redacted from everything it logs or reports.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { ConnectionSettingsError, buildClientSettings, normalizeConnectionConfig, type ClientSettings } from '../../lib/mongo/client-settings';
import type { MongoConnectionConfig, MongoConnectionCredentials } from '../../lib/mongo/connection-config';
import { ConnectionTestTimeoutError, testConnection, type TestClient } from '../../lib/mongo/connection-test';
import type { ConnectionState, DriverModule, MongoConnectionHandle } from '../../lib/mongo/connection-handle';
import { wireVersionMismatch } from '../../lib/mongo/errors';
import { redact } from '../../lib/mongo/redact';
import { CLOSE_GRACE_MS, ConnectionSupervisor, type SupervisedClient } from '../../lib/mongo/supervisor';
import { envReferenceOf } from '../shared/editor/field-checks';
import { DRIVER_ENV, DRIVER_SETTING, MONGO_CONNECTION_TYPE } from './types';

type MongoConnectionDef = NodeDef & Partial<Record<keyof MongoConnectionConfig, unknown>> & { _alias?: string };
type MongoConnectionNode = Node<MongoConnectionCredentials> & MongoConnectionHandle;
type Db = Awaited<ReturnType<MongoConnectionHandle['getDb']>>;

/** How long a close waits for users' last writes (the sink bounds its own at 5 s); then the client gets CLOSE_GRACE_MS. */
const HOLD_LIMIT_MS = 10_000;
/** The dialog's "Test connection" caps the driver's connect and server selection timeouts at this, so a failed connect names its cause. */
const TEST_TIMEOUT_MS = 5_000;
/** The whole "Test connection", the ping included (which the driver does not bound), answers within this. */
const TEST_LIMIT_MS = 2 * TEST_TIMEOUT_MS;
/** What the editor shows in a password field whose stored value it does not know. */
const UNCHANGED_PASSWORD = '__PWRD__';

interface LoadedDriver {
  module: DriverModule;
  name: string;
  version: string;
}

/** The driver named by the setting, else by the environment, else `mongodb`. */
function loadDriver(RED: NodeAPI): LoadedDriver {
  const configured = (RED.settings as unknown as Record<string, unknown>)[DRIVER_SETTING];
  const fromEnv = process.env[DRIVER_ENV];
  const name = typeof configured === 'string' && configured ? configured : fromEnv || 'mongodb';
  let module: DriverModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(name) as DriverModule;
  } catch (err) {
    throw new Error(RED._('mongo-connection.errors.driverMissing', { driver: name, error: (err as Error).message.split('\n')[0] }));
  }
  let version = '';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    version = (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // Only the old-server message shows the version.
  }
  return { module, name, version };
}

/**
 * True when the flow gives the URI as an environment variable reference (`${MONGODB_URI}`):
 * Node-RED hands the node the value, so the reference is looked up in the deployed flow itself.
 */
function uriFromEnvironment(RED: NodeAPI, def: MongoConnectionDef): boolean {
  const id = def._alias ?? def.id;
  let raw: unknown;
  RED.nodes.eachNode((n) => {
    if (n.id === id) raw = (n as unknown as Record<string, unknown>).uri;
  });
  return typeof raw === 'string' && /^\$\{\S+\}$/.test(raw);
}

/** Cause and fix of a server too old for the driver, with the exact commands: the driver's own message names neither. */
function oldServerAdvice(RED: NodeAPI, driver: LoadedDriver, error: string): string {
  const versions = wireVersionMismatch({ message: error });
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir ?? '~/.node-red';
  return RED._('mongo-connection.errors.oldServer', {
    driver: `${driver.name} ${driver.version}`.trim(),
    server: versions?.server ?? '?',
    required: versions?.required ?? '?',
    userDir,
    setting: DRIVER_SETTING,
    env: DRIVER_ENV,
  });
}

/**
 * The dialog's "Test connection": connects with the dialog's unsaved settings (the stored
 * credentials where a password field is unchanged), pings the database and disconnects in the
 * background. The answer is ok or the cause, redacted (never a password), within TEST_LIMIT_MS.
 */
function registerConnectionTest(RED: NodeAPI): void {
  RED.httpAdmin.post('/mongo-connection/test', RED.auth.needsPermission('mongo-connection.write'), (req, res) => {
    const body = (req.body ?? {}) as { id?: unknown; config?: Record<string, unknown>; credentials?: Partial<Record<keyof MongoConnectionCredentials, unknown>> };
    const id = typeof body.id === 'string' ? body.id : '';
    const stored = ((id && RED.nodes.getCredentials(id)) || {}) as MongoConnectionCredentials;
    const given = body.credentials ?? {};
    const secret = (key: 'password' | 'tlsKeyPassword'): string | undefined =>
      (given[key] === undefined || given[key] === UNCHANGED_PASSWORD ? stored[key] : String(given[key])) || undefined;
    const credentials: MongoConnectionCredentials = {
      username: given.username === undefined ? stored.username : String(given.username),
      password: secret('password'),
      tlsKeyPassword: secret('tlsKeyPassword'),
    };
    // ${MONGODB_URI}, ${MONGODB_DB} …: resolved as a deploy resolves them for the deployed node (an
    // unset variable is empty); a URI from the environment may hold the password
    const raw = { ...(body.config ?? {}) };
    const deployed = (id ? RED.nodes.getNode(id) : null) as Parameters<typeof RED.util.getSetting>[0];
    const uriVariable = envReferenceOf(raw.uri);
    for (const [key, value] of Object.entries(raw)) {
      const variable = envReferenceOf(value);
      if (variable) raw[key] = RED.util.getSetting(deployed, variable) ?? '';
    }
    const hide = (text: string): string => redact(text, [credentials.password, credentials.tlsKeyPassword]);
    let driver: LoadedDriver | undefined;
    const run = async (): Promise<{ ok: true; database: string }> => {
      if (uriVariable && raw.uri === '') throw new Error(RED._('mongo-connection.test.unset', { variable: uriVariable }));
      driver = loadDriver(RED);
      const config = normalizeConnectionConfig(raw);
      const settings = buildClientSettings(config, credentials, { uriFromEnvironment: uriVariable !== undefined });
      const options = {
        ...settings.options,
        connectTimeoutMS: Math.min(config.connectTimeoutMS || TEST_TIMEOUT_MS, TEST_TIMEOUT_MS),
        serverSelectionTimeoutMS: Math.min(config.serverSelectionTimeoutMS || TEST_TIMEOUT_MS, TEST_TIMEOUT_MS),
      };
      const client = new driver.module.MongoClient(settings.uri, options) as unknown as TestClient;
      await testConnection(client, {
        databaseName: settings.databaseName,
        limitMs: TEST_LIMIT_MS,
        onCloseAbandoned: () => RED.log.warn(RED._('mongo-connection.log.testCloseAbandoned', { seconds: CLOSE_GRACE_MS / 1000 })),
      });
      return { ok: true, database: settings.databaseName };
    };
    run().then((answer) => res.json(answer), (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const text = err instanceof ConnectionSettingsError && err.problem === 'password-in-uri'
        ? RED._('mongo-connection.errors.passwordInUri')
        : err instanceof ConnectionTestTimeoutError ? RED._(`mongo-connection.test.noAnswer.${err.stage}`, { seconds: err.limitMs / 1000 })
        : driver && wireVersionMismatch({ message }) ? oldServerAdvice(RED, driver, message) : message;
      res.json({ ok: false, error: hide(text) });
    });
  });
}

export = function register(RED: NodeAPI): void {
  function MongoConnection(this: MongoConnectionNode, def: MongoConnectionDef): void {
    RED.nodes.createNode(this, def);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the closures below outlive `this`
    const node = this;
    const config = normalizeConnectionConfig(def);
    const credentials: MongoConnectionCredentials = node.credentials ?? {};
    const driver = loadDriver(RED);
    const secrets = [credentials.password, credentials.tlsKeyPassword];
    const hide = (text: string): string => redact(text, secrets);

    let settings: ClientSettings | undefined;
    let refusal: ConnectionSettingsError | undefined;
    try {
      settings = buildClientSettings(config, credentials, { uriFromEnvironment: config.mode === 'uri' && uriFromEnvironment(RED, def) });
    } catch (err) {
      const problem = err instanceof ConnectionSettingsError ? err.problem : 'settings';
      const text = problem === 'password-in-uri'
        ? RED._('mongo-connection.errors.passwordInUri')
        : RED._('mongo-connection.errors.settings', { error: hide((err as Error).message) });
      refusal = new ConnectionSettingsError(problem, text);
      node.error(text);
    }
    const databaseName = settings?.databaseName ?? config.database;

    const supervisor = new ConnectionSupervisor<Db>({
      createClient: () => {
        if (!settings) throw refusal!;
        return new driver.module.MongoClient(settings.uri, settings.options) as unknown as SupervisedClient<Db>;
      },
      databaseName,
      redact: hide,
    });
    let lastLogged = '';
    let lastProblem: ConnectionState['problem'];
    supervisor.on('status', (state: ConnectionState) => {
      // A problem is said once, in full, when it appears (refused settings were said above).
      if (state.problem !== lastProblem) {
        lastProblem = state.problem;
        if (state.problem === 'old-server') node.error(oldServerText(state.error ?? ''));
      }
      const line = RED._(`mongo-connection.log.${state.status}`, { error: state.error ?? '' });
      if (line !== lastLogged && !state.problem) {
        lastLogged = line;
        if (state.status === 'disconnected') node.warn(line);
        else node.log(line);
      }
      node.emit('status', state);
    });

    const oldServerText = (error: string): string => oldServerAdvice(RED, driver, error);

    Object.defineProperties(node, {
      databaseName: { value: databaseName, enumerable: true },
      driver: { value: driver.module },
      state: { get: () => supervisor.state },
    });
    node.getDb = (options?: { waitMs?: number }) => supervisor.getDb(options?.waitMs);
    node.replaceClient = (reason: string) => supervisor.replaceClient(reason);
    node.redact = hide;
    const holds = new Set<object>();
    let allReleased: (() => void) | undefined;
    node.hold = () => {
      const hold = {};
      holds.add(hold);
      return () => {
        holds.delete(hold);
        if (holds.size === 0) allReleased?.();
      };
    };
    supervisor.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      // A sink writing its last entries on close keeps the client until it is done (bounded,
      // within Node-RED's own close timeout of 15 s).
      let bound: NodeJS.Timeout | undefined;
      const released = holds.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => {
        allReleased = resolve;
        bound = setTimeout(resolve, HOLD_LIMIT_MS);
      });
      released
        .then(() => {
          clearTimeout(bound);
          return supervisor.close();
        })
        .then((outcome) => {
          if (outcome === 'abandoned') node.warn(RED._('mongo-connection.log.closeAbandoned', { seconds: CLOSE_GRACE_MS / 1000 }));
          done();
        }, (err: unknown) => {
          node.warn(RED._('mongo-connection.log.closeFailed', { error: hide(String(err)) }));
          done();
        });
    });
  }

  RED.nodes.registerType(MONGO_CONNECTION_TYPE, MongoConnection as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      tlsKeyPassword: { type: 'password' },
    },
  });
  registerConnectionTest(RED);
};
