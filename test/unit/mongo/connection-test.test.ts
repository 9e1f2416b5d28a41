/**
 * "Test connection" (lib/mongo/connection-test.ts) on a ManualClock: its answer never waits for
 * the client's close. The real servers behind a frozen link are in
 * test/runtime/mongo/connection-test-endpoint.test.ts; a close that never ends could not be made
 * real for this client (connect and ping leave the driver nothing to wait for on close), so its
 * client here is a stand-in whose close never settles.
 */
import assert from 'node:assert/strict';
import { testConnection, type TestClient } from '../../../lib/mongo/connection-test';
import { CLOSE_GRACE_MS } from '../../../lib/mongo/supervisor';
import { ManualClock } from '../../helpers/manual-clock';

/** A client whose server answers connect and ping (unless told otherwise) and whose close does what `close` says. */
function standIn(close: () => Promise<void>, connect: () => Promise<unknown> = async () => undefined): TestClient & { pings: number } {
  const client = {
    pings: 0,
    connect,
    db: () => ({
      command: async () => {
        client.pings++;
        return { ok: 1 };
      },
    }),
    close,
  };
  return client;
}

describe('mongo connection test', () => {
  it('answers once the ping is answered, without waiting for a close that never ends, which it leaves after the grace, said once', async () => {
    const clock = new ManualClock();
    const client = standIn(() => new Promise<void>(() => undefined));
    let abandoned = 0;
    await testConnection(client, { databaseName: 'd', limitMs: 10_000, clock, onCloseAbandoned: () => abandoned++ });
    assert.equal(client.pings, 1);
    await clock.advance(CLOSE_GRACE_MS - 1);
    assert.equal(abandoned, 0, 'the close has its grace');
    await clock.advance(1);
    assert.equal(abandoned, 1);
    await clock.advance(60_000);
    assert.equal(abandoned, 1, 'said once');
  });

  it('passes on the driver\'s own failure, and a close that fails counts as ended', async () => {
    const clock = new ManualClock();
    let abandoned = 0;
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const client = standIn(async () => Promise.reject(new Error('already closed')), async () => Promise.reject(refused));
    await assert.rejects(testConnection(client, { databaseName: 'd', limitMs: 10_000, clock, onCloseAbandoned: () => abandoned++ }), (err) => err === refused);
    await clock.advance(CLOSE_GRACE_MS);
    assert.equal(abandoned, 0);
    assert.equal(client.pings, 0);
  });
});
