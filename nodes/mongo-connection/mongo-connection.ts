/**
 * mongo-connection: one MongoClient per config node, shared by every node that uses it, kept
 * alive by a ConnectionSupervisor, closed (and awaited) on redeploy. Credentials come from
 * Node-RED's credentials store and are redacted from everything it logs or reports.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { buildClientSettings, normalizeConnectionConfig, type ClientSettings } from '../../lib/mongo/client-settings';
import type { MongoConnectionConfig, MongoConnectionCredentials } from '../../lib/mongo/connection-config';
import type { ConnectionState, DriverModule, MongoConnectionHandle } from '../../lib/mongo/connection-handle';
import { redact } from '../../lib/mongo/redact';
import { ConnectionSupervisor, type SupervisedClient } from '../../lib/mongo/supervisor';
import { DRIVER_SETTING, MONGO_CONNECTION_TYPE } from './types';

type MongoConnectionDef = NodeDef & Partial<Record<keyof MongoConnectionConfig, unknown>>;
type MongoConnectionNode = Node<MongoConnectionCredentials> & MongoConnectionHandle;
type Db = Awaited<ReturnType<MongoConnectionHandle['getDb']>>;

function loadDriver(RED: NodeAPI): DriverModule {
  const configured = (RED.settings as unknown as Record<string, unknown>)[DRIVER_SETTING];
  const name = typeof configured === 'string' && configured ? configured : 'mongodb';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(name) as DriverModule;
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
    let settingsError: string | undefined;
    try {
      settings = buildClientSettings(config, credentials);
      if (settings.warning) node.warn(settings.warning);
    } catch (err) {
      settingsError = hide((err as Error).message);
      node.error(`MongoDB connection settings: ${settingsError}`);
    }
    const databaseName = settings?.databaseName ?? config.database;

    const supervisor = new ConnectionSupervisor<Db>({
      createClient: () => {
        if (!settings) throw new Error(settingsError);
        return new driver.MongoClient(settings.uri, settings.options) as unknown as SupervisedClient<Db>;
      },
      databaseName,
      redact: hide,
    });
    let lastLogged = '';
    supervisor.on('status', (state: ConnectionState) => {
      const line = state.error ? `${state.status}: ${state.error}` : state.status;
      if (line !== lastLogged) {
        lastLogged = line;
        if (state.status === 'disconnected') node.warn(`MongoDB ${line}`);
        else node.log(`MongoDB ${line}`);
      }
      node.emit('status', state);
    });

    Object.defineProperties(node, {
      databaseName: { value: databaseName, enumerable: true },
      driver: { value: driver },
      state: { get: () => supervisor.state },
    });
    node.getDb = (options?: { waitMs?: number }) => supervisor.getDb(options?.waitMs);
    node.redact = hide;
    supervisor.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      supervisor.close().then(done, (err: unknown) => {
        node.warn(`closing the MongoDB connection: ${hide(String(err))}`);
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
};
