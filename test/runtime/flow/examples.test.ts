/**
 * The smaller examples (examples/, Import > Examples) do what their comments say, unchanged, in
 * Node-RED against the PLC simulator's demo machines and a MongoDB-compatible server: what reaches
 * their debug nodes is observed over the editor's websocket, as the debug sidebar sees it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import WebSocket from 'ws';
import { driverModule, getMongoServers, type MongoServerInfo } from '../../helpers/mongo-servers';
import { startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';
import { repoRoot, startNodeRedWithPackage, type NodeRedProcess } from './harness';

interface DebugMessage { name: string; msg: unknown }

/** Runs an example and collects its debug messages until `enough` says so. */
async function runExample(file: string, env: Record<string, string>, settings: Record<string, unknown>,
  enough: (messages: DebugMessage[]) => boolean): Promise<DebugMessage[]> {
  const log: string[] = [];
  const nodeRed: NodeRedProcess = await startNodeRedWithPackage({
    flowSource: path.join(repoRoot, 'examples', file), env, settings, onLine: (line) => log.push(line),
  });
  const messages: DebugMessage[] = [];
  const socket = new WebSocket(`${nodeRed.url.replace('http', 'ws')}/comms`);
  try {
    await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
    socket.send(JSON.stringify({ subscribe: 'debug' }));
    socket.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as unknown;
      for (const event of (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ topic: string; data: { name: string; msg: string; format: string } }>) {
        if (event.topic !== 'debug') continue;
        const { name, msg, format } = event.data;
        messages.push({ name, msg: /^(Object|array)/.test(format) ? JSON.parse(msg) as unknown : msg });
      }
    });
    await waitFor(`${file}: enough debug messages`, () => enough(messages)).catch((err: Error) => {
      throw new Error(`${err.message}; got ${JSON.stringify(messages).slice(0, 600)}\nlog:\n${log.slice(-20).join('\n')}`);
    });
    // Errors, and warnings of the flow's nodes (not Node-RED's start-up notes); the edge counter's
    // sampling advice about its very first samples is no fault of the example.
    const problems = log.filter((l) => (/\[error\]/.test(l) || /\[warn\] \[/.test(l)) && !/seen in a single sample/.test(l));
    assert.deepEqual(problems, [], `${file}: errors or warnings in the log`);
    return messages;
  } finally {
    socket.close();
    await nodeRed.stop();
  }
}

describe('the smaller examples, as shipped', function () {
  this.timeout(90_000);
  let server: MongoServerInfo;
  let client: MongoClient;
  let db: Db;
  let plc: SimulatorHandle;
  let env: Record<string, string>;
  let settings: Record<string, unknown>;
  const dbName = `examples_${Date.now().toString(36)}`;

  before(async function () {
    this.timeout(300_000);
    server = (await getMongoServers())[0];
    client = new (driverModule(server).MongoClient)(server.uri) as unknown as MongoClient;
    await client.connect();
    db = client.db(dbName);
    plc = await startSimulator({ demo: true });
    env = { PLC_HOST: '127.0.0.1', PLC_PORT: String(plc.port), MONGODB_URI: server.uri, MONGODB_DB: dbName };
    settings = server.driver === 'mongodb' ? {} : { s7productionMongoDriver: server.driver };
  });

  after(async () => {
    await plc?.close();
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
  });

  it('read-signals: one message per poll with every value of the table', async () => {
    const messages = await runExample('read-signals.json', env, settings, (m) => m.length >= 2);
    const payload = messages[1].msg as Record<string, unknown>;
    assert.equal(messages[1].name, 'one message per poll');
    assert.equal(payload['power kW'], Math.fround(18.5), 'press-1 draws 18.5 kW');
    assert.equal(payload['power on'], true);
    assert.equal(typeof payload['unit counter'], 'number');
    assert.equal(typeof payload.cycle, 'boolean');
    assert.equal(payload.label, 'Hello S7');
  });

  it('count-units: units from the cycle bit\'s rising edges and from the counter register', async () => {
    const has = (m: DebugMessage[], name: string): boolean => m.some((d) => d.name === name);
    const messages = await runExample('count-units.json', env, settings, (m) => has(m, 'units from edges') && has(m, 'units from the counter'));
    for (const [name, source] of [['units from edges', 'rising'], ['units from the counter', 'counter']]) {
      const units = messages.find((d) => d.name === name)!.msg as { source: string; delta: number; total: number; key: string };
      assert.equal(units.source, source);
      assert.equal(units.delta, 1, `${name}: one unit at a time (press-1 makes one every 4 s)`);
      assert.ok(units.total >= 1);
    }
  });

  it('write-own-collection: the power reading as a document of the user\'s own shape in line_power', async () => {
    await runExample('write-own-collection.json', env, settings, (m) => m.some((d) => d.name === 'written'));
    const docs = await db.collection('line_power').find().toArray();
    assert.equal(docs.length, 1);
    const { _id: _ignored, ...doc } = docs[0];
    assert.deepEqual(Object.keys(doc).sort(), ['createdAt', 'kw', 'line', 'readAt', 'updatedAt']);
    assert.equal(doc.line, 'press line 1');
    assert.equal(doc.kw, Math.fround(18.5));
    assert.ok(!Number.isNaN(Date.parse(doc.readAt as string)));
    assert.ok(doc.createdAt instanceof Date);
  });
});
