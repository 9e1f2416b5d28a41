/**
 * mongo-connection's "Test connection" (POST /mongo-connection/test) against a real server:
 * the dialog's unsaved settings, the stored password when the field is unchanged, ok or the
 * cause, never a password.
 */
import assert from 'node:assert/strict';
import { getMongoServer, mongoServerNames, type MongoServerInfo } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { NODES } from './sink-harness';

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
