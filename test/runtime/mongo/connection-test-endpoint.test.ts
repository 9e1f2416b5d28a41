/**
 * mongo-connection's "Test connection" (POST /mongo-connection/test) against a real server:
 * the dialog's unsaved settings, the stored password when the field is unchanged, ok or the
 * cause, never a password; and within its time limit when the server accepts the connection
 * and then stops answering (test/runtime/mongo/frozen-link.ts).
 */
import assert from 'node:assert/strict';
import { ConnectionTestTimeoutError, testConnection, type TestClient } from '../../../lib/mongo/connection-test';
import { ManualClock } from '../../helpers/manual-clock';
import { describeEachMongoServer, getMongoServer, mongoServerNames, type MongoServerInfo } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';
import { startFrozenLink, type FrozenLink } from './frozen-link';
import { NODES, translate } from './sink-harness';

const STORED = 'Stored-Pw-4711';
const TYPED = 'Typed-Pw-0815';

describe('mongo-connection: Test connection [ferretdb]', function () {
  this.timeout(60_000);
  let server: MongoServerInfo;
  // FerretDB (SQLite backend) accepts any user with PLAIN; the driver refuses PLAIN without a password.
  const plain = (): string => `${server.uri}${server.uri.includes('?') ? '&' : '?'}authMechanism=PLAIN`;

  before(async function () {
    if (!mongoServerNames().includes('ferretdb')) this.skip();
    server = await getMongoServer('ferretdb');
    helper.settings({});
    await helper.load(NODES as never, [{ id: 'conn', type: 'mongo-connection', uri: server.uri, database: 'stored_db' }] as never,
      { conn: { username: 'ann', password: STORED } } as never);
  });
  after(() => helper.unload());

  const test = (config: Record<string, unknown>, credentials: Record<string, unknown> = {}, id = 'conn') =>
    helper.request().post('/mongo-connection/test').send({ id, config, credentials }).expect(200);

  it('connects with the unsaved settings and names the database', async () => {
    const res = await test({ mode: 'uri', uri: server.uri, database: 'unsaved_db' }, { username: '', password: '' }, '');
    assert.deepEqual(res.body, { ok: true, database: 'unsaved_db' });
  });

  it('uses the stored password when the password field is unchanged, and none when it was cleared', async () => {
    const unchanged = await test({ mode: 'uri', uri: plain(), database: 'd' }, { username: 'ann', password: '__PWRD__' });
    assert.deepEqual(unchanged.body, { ok: true, database: 'd' });
    const cleared = await test({ mode: 'uri', uri: plain(), database: 'd' }, { username: 'ann', password: '' });
    assert.equal(cleared.body.ok, false);
    assert.ok(cleared.body.error, 'the cause is named');
  });

  it('reports the cause of a failure without any password', async () => {
    const refused = await test({ mode: 'host', host: '127.0.0.1', port: 1, database: 'd', serverSelectionTimeoutMS: 60_000 }, { username: 'ann', password: TYPED });
    assert.equal(refused.body.ok, false);
    assert.match(refused.body.error, /ECONNREFUSED|connect|Server selection/i);
    const inUri = await test({ mode: 'uri', uri: server.uri.replace('mongodb://', `mongodb://ann:${TYPED}@`), database: 'd' }, {}, '');
    assert.equal(inUri.body.ok, false);
    assert.match(inUri.body.error, /mongo-connection.errors.passwordInUri|Password field/);
    for (const body of [refused.body, inUri.body]) {
      const text = JSON.stringify(body);
      assert.ok(!text.includes(TYPED) && !text.includes(STORED), text);
    }
  });
});

/** A ping command's first element as BSON puts it ({ ping: 1 }: int32 "ping"): the chunk that freezes the link. */
const PING = Buffer.from('\x10ping\x00', 'latin1');
const isPing = (chunk: Buffer): boolean => chunk.includes(PING);
/** The limit the lib-level tests give the test (the endpoint's own is 10 s). */
const LIMIT_MS = 10_000;

describeEachMongoServer('mongo-connection: Test connection against a server that stops answering', (target) => {
  let link: FrozenLink | undefined;
  const linkUri = (): string => `mongodb://127.0.0.1:${link!.port}/`;
  // The driver's own timeouts far beyond the limit: only the test's clock ends the wait.
  const client = (): TestClient =>
    new (target().driver.MongoClient)(linkUri(), { connectTimeoutMS: 60_000, serverSelectionTimeoutMS: 60_000 }) as unknown as TestClient;

  beforeEach(async () => {
    link = await startFrozenLink(Number(new URL(target().server.uri).port));
  });
  afterEach(async () => {
    await helper.unload();
    await link?.close(); // cuts what the abandoned clients still wait for
    link = undefined;
  });

  it('answers with an error naming the unanswered ping, without the address, when the server accepts the connection and then stops answering', async function () {
    this.timeout(120_000); // a limit, not a measure
    const { server } = target();
    helper.settings({ s7productionMongoDriver: server.driver } as never);
    await helper.load(NODES as never, [] as never);
    link!.freezeWhen(isPing);
    // The driver interrupts a command only once its monitor's check of the server times out: a
    // heartbeat plus the connect timeout (15 s by default, here over a minute). The old endpoint
    // waited that long; supertest's timeout turns the wait into a failure, not a measure.
    const res = await helper.request().post('/mongo-connection/test')
      .send({ id: '', config: { mode: 'uri', uri: `${linkUri()}?heartbeatFrequencyMS=60000`, database: 'test_db' }, credentials: {} })
      .timeout(50_000)
      .expect(200);
    assert.ok(link!.heldBytes > 0, 'the ping was sent into the frozen link');
    assert.deepEqual(res.body, { ok: false, error: translate('mongo-connection.test.noAnswer.ping', { seconds: 10 }) });
    assert.ok(!JSON.stringify(res.body).includes(String(link!.port)), 'no address in the answer');
  });

  it('names the stage that did not answer, the ping or the connect, at the limit on its clock', async function () {
    this.timeout(120_000); // a limit, not a measure
    for (const stage of ['ping', 'connect'] as const) {
      const clock = new ManualClock();
      if (stage === 'ping') link!.freezeWhen(isPing);
      else link!.freeze();
      const acceptedBefore = link!.accepted;
      const heldBefore = link!.heldBytes;
      const test = testConnection(client(), { databaseName: 'test_db', limitMs: LIMIT_MS, clock }).then(() => undefined, (err: Error) => err);
      let settled = false;
      void test.then(() => (settled = true));
      await waitFor(`the ${stage} sent into the frozen link`, () => link!.heldBytes > heldBefore && link!.accepted > acceptedBefore);
      await clock.advance(LIMIT_MS - 1);
      assert.equal(settled, false, 'no answer before the limit');
      await clock.advance(1);
      const failure = await test;
      assert.ok(failure instanceof ConnectionTestTimeoutError, String(failure));
      assert.equal(failure.stage, stage);
      link!.cut();
    }
  });
});
