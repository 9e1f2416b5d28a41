import assert from 'node:assert/strict';
import { DedicatedMongoServer, describeEachMongoServer, driverModule, mongoServerNames } from '../../helpers/mongo-servers';

describeEachMongoServer('test database server', (target) => {
  it('stores and returns ObjectIds and Dates through its driver', async () => {
    const { server, driver } = target();
    const client = new driver.MongoClient(server.uri);
    try {
      const collection = client.db('servers_test').collection('roundtrip');
      const id = new driver.ObjectId();
      const when = new Date('2026-01-02T03:04:05.678Z');
      await collection.insertOne({ _id: id, at: when, n: 1.5 });
      const back = await collection.findOne({ _id: id });
      assert.ok(back?._id instanceof driver.ObjectId);
      assert.equal(back._id.toHexString(), id.toHexString());
      assert.ok(back.at instanceof Date);
      assert.equal(back.at.toISOString(), when.toISOString());
      assert.equal(back.n, 1.5);
    } finally {
      await client.close();
    }
  });
});

describe('dedicated test database server', () => {
  for (const name of mongoServerNames().filter((n) => n !== 'external')) {
    it(`${name} keeps its port and data across a stop and start`, async function () {
      this.timeout(120_000);
      const server = new DedicatedMongoServer(name);
      try {
        const first = await server.start();
        const { MongoClient } = driverModule(first);
        const client = new MongoClient(first.uri);
        await client.db('servers_test').collection('kept').insertOne({ k: 'v' });
        await client.close();
        await server.stop();
        const second = await server.start();
        assert.equal(second.uri, first.uri);
        const again = new MongoClient(second.uri);
        try {
          assert.equal((await again.db('servers_test').collection('kept').findOne({ k: 'v' }))?.k, 'v');
        } finally {
          await again.close();
        }
      } finally {
        await server.dispose();
      }
    });
  }
});
