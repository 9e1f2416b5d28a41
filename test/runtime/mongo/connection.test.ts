/**
 * mongo-connection in a real Node-RED runtime: what it refuses to run with (a password written
 * into the flow's URI), what it accepts instead (an environment variable reference), and how it
 * names a server too old for the loaded driver, and the driver chosen through the environment.
 */
import assert from 'node:assert/strict';
import type { MongoClient } from 'mongodb';
import { driverModule, getMongoServer, mongoServerNames, type MongoServerInfo } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';
import { DRIVER_ENV, DRIVER_SETTING } from '../../../nodes/mongo-connection/types';
import { NODES, T0, counter, onErrorCall, readingsMessage, sinkFlow, statusTexts } from './sink-harness';

const PASSWORD = 'Lit3ral-Pw-91';

/** Every log line, status and node error of the run so far, as one text. */
function everythingShown(): string {
  const status = JSON.stringify((helper.getNode('sink') as unknown as { status: { args: unknown[] } }).status.args);
  return JSON.stringify(helper.log().args) + status;
}

async function documentCount(server: MongoServerInfo, database: string): Promise<number> {
  const client = new (driverModule(server).MongoClient)(server.uri) as unknown as MongoClient;
  try {
    return await client.db(database).collection('signaldatas').countDocuments({});
  } finally {
    await client.close();
  }
}

/** With the environment variable set while the flow starts (Node-RED resolves `${...}` then). */
async function withEnv<T>(values: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('mongo-connection: a password in the flow [ferretdb]', function () {
  this.timeout(60_000);
  let server: MongoServerInfo;
  // FerretDB (SQLite backend) accepts any user with PLAIN: a connection with a password works.
  const withPassword = (): string => `${server.uri.replace('mongodb://', `mongodb://ann:${PASSWORD}@`)}?authMechanism=PLAIN`;

  before(async function () {
    if (!mongoServerNames().includes('ferretdb')) this.skip();
    server = await getMongoServer('ferretdb');
  });
  afterEach(() => helper.unload());

  it('refuses to connect with a literal password in the URI, says why and where it belongs, and never shows it', async () => {
    const database = `refused_${Date.now()}`;
    helper.settings({});
    await helper.load(NODES as never, sinkFlow(withPassword(), database) as never);
    const sink = helper.getNode('sink');
    const errors: string[] = [];
    onErrorCall(sink, (text) => errors.push(text));
    sink.receive(readingsMessage('a'.repeat(24), ['b'.repeat(24)], T0) as never);
    await waitFor('the reading refused through done(err)', () => errors.length === 1);
    assert.match(errors[0], /connection refused: the connection string in the flow holds a password/);
    await waitFor('the status naming the cause', () => statusTexts(sink).includes("refused: password in the flow's URI (see log)"));
    const logged = JSON.stringify(helper.log().args);
    assert.match(logged, /Password field/, 'where to put it: the credential field');
    assert.match(logged, /\$\{MONGODB_URI\}/, 'or an environment variable reference');
    assert.doesNotMatch(everythingShown() + errors.join(), new RegExp(PASSWORD));
    assert.equal(await documentCount(server, database), 0, 'nothing written');
  });

  it('connects with the same URI given as ${MONGODB_URI}: the flow holds only the reference', async () => {
    const database = `from_env_${Date.now()}`;
    helper.settings({});
    await withEnv({ MONGODB_URI: withPassword() }, () => helper.load(NODES as never, sinkFlow('${MONGODB_URI}', database) as never));
    const written = counter('written');
    const sink = helper.getNode('sink');
    sink.receive(readingsMessage('a'.repeat(24), ['b'.repeat(24)], T0) as never);
    await waitFor('the reading written', () => written.count === 1);
    assert.equal(await documentCount(server, database), 1);
    const exported = JSON.stringify((helper as unknown as { _redNodes: { getFlows(): unknown } })._redNodes.getFlows());
    assert.doesNotMatch(exported, new RegExp(PASSWORD), 'the flow holds the reference only');
    assert.doesNotMatch(everythingShown(), new RegExp(PASSWORD));
  });
});

describe('mongo-connection: a server older than the driver [mongo-java-server]', function () {
  this.timeout(60_000);
  let server: MongoServerInfo;
  const database = 'driver_choice';

  before(async function () {
    if (!mongoServerNames().includes('mongo-java-server')) this.skip();
    server = await getMongoServer('mongo-java-server');
  });
  afterEach(() => helper.unload());

  it('names the cause and the fix, with the exact commands and setting, when the 7.x driver meets wire version 8', async () => {
    helper.settings({ [DRIVER_SETTING]: 'mongodb' } as never);
    // The setting wins over the environment.
    await withEnv({ [DRIVER_ENV]: 'mongodb6' }, () => helper.load(NODES as never, sinkFlow(server.uri, database) as never));
    const sink = helper.getNode('sink');
    await waitFor('the status naming the cause', () => statusTexts(sink).includes('MongoDB too old for this driver (see log)'));
    const logged = JSON.stringify(helper.log().args);
    assert.match(logged, /MongoDB server too old for the loaded driver mongodb 7\.\d+\.\d+: the server speaks wire version 8, the driver needs 9/);
    assert.match(logged, /npm install mongodb6@npm:mongodb@\^6\.9/);
    assert.match(logged, /s7productionMongoDriver: 'mongodb6'/);
    assert.match(logged, /S7P_MONGO_DRIVER=mongodb6/);
  });

  it('loads the driver named by S7P_MONGO_DRIVER when no setting names one', async () => {
    helper.settings({});
    await withEnv({ [DRIVER_ENV]: 'mongodb6' }, () => helper.load(NODES as never, sinkFlow(server.uri, database) as never));
    const written = counter('written');
    helper.getNode('sink').receive(readingsMessage('a'.repeat(24), ['c'.repeat(24)], T0) as never);
    await waitFor('the reading written through the 6.x driver', () => written.count === 1);
  });
});
