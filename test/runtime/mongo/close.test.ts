/**
 * Closing while the server has stopped answering, with real drivers and servers: the link to the
 * server freezes (test/runtime/mongo/frozen-link.ts) with a write in flight, so the driver's
 * close() waits for good: it closes the busy connection, needs a new one to end its sessions, and
 * that connection's handshake is never answered (only connectTimeoutMS, here 30 s, ends it). The
 * supervisor gives up after its grace, and a deploy completes without Node-RED's close timeout.
 */
import assert from 'node:assert/strict';
import type { DbLike } from '../../../lib/mongo/store';
import { CLOSE_GRACE_MS, ConnectionSupervisor, type CloseOutcome, type SupervisedClient } from '../../../lib/mongo/supervisor';
import { ManualClock } from '../../helpers/manual-clock';
import { describeEachMongoServer } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';
import { startFrozenLink, type FrozenLink } from './frozen-link';
import { T0, counter, loadSink, readingsMessage, recordLog, sinkFlow, translate } from './sink-harness';

const CONNECT_TIMEOUT_MS = 30_000;

describeEachMongoServer('mongo close while the server does not answer', (target) => {
  const database = 'close_test';
  let link: FrozenLink | undefined;
  const oid = (): string => new (target().driver.ObjectId)().toHexString();
  const linkUri = (): string => `mongodb://127.0.0.1:${link!.port}/`;

  beforeEach(async () => {
    link = await startFrozenLink(Number(new URL(target().server.uri).port));
  });
  afterEach(async () => {
    await helper.unload();
    await link?.close();
    link = undefined;
  });

  it('the supervisor gives up on a client whose close is stuck after the close grace; the client finishes closing once the link fails', async function () {
    this.timeout(120_000); // a limit, not a measure
    const clock = new ManualClock();
    const { driver } = target();
    let client: SupervisedClient<DbLike> | undefined;
    const supervisor = new ConnectionSupervisor<DbLike>({
      createClient: () =>
        (client = new driver.MongoClient(linkUri(), { connectTimeoutMS: CONNECT_TIMEOUT_MS, serverSelectionTimeoutMS: 1000 }) as unknown as SupervisedClient<DbLike>),
      databaseName: database,
      redact: (t) => t,
      clock,
    });
    supervisor.start();
    const db = await supervisor.getDb(60_000);
    await db.collection('signaldatas').insertMany([{ n: 1 }], { ordered: false });
    link!.freeze();
    const inFlight = db.collection('signaldatas').insertMany([{ n: 2 }], { ordered: false }).catch(() => undefined);
    await waitFor('the write sent into the frozen link', () => link!.heldBytes > 0);
    const acceptedBefore = link!.accepted;
    let outcome: CloseOutcome | undefined;
    void supervisor.close().then((o) => (outcome = o));
    // The driver's close has closed the busy connection and opens a new one to end its sessions,
    // whose handshake the frozen link never answers.
    await waitFor('the close opening a connection the server never answers', () => link!.accepted > acceptedBefore);
    assert.equal(outcome, undefined, 'the supervisor waits during the grace');
    await clock.advance(CLOSE_GRACE_MS);
    assert.equal(outcome, 'abandoned');
    assert.equal(supervisor.state.status, 'closed');
    let driverClosed = false;
    void client!.close().then(() => (driverClosed = true)); // the same close, still under way
    await link!.close(); // the link fails for good: connections cut, new ones refused
    await waitFor('the abandoned client closed once the link failed', () => driverClosed);
    await inFlight;
  });

  it('a deploy completes within Node-RED\'s close timeout while the old client cannot close, says so once, and the new flow writes', async function () {
    this.timeout(180_000); // a limit, not a measure: the sink waits 5 s for its write, the client CLOSE_GRACE_MS
    const { server } = target();
    const oldFlow = sinkFlow(linkUri(), database, { connection: { connectTimeoutMS: CONNECT_TIMEOUT_MS } });
    await loadSink(server, oldFlow);
    const written = counter('written');
    const machine = oid();
    const sensors = [oid()];
    helper.getNode('sink').receive(readingsMessage(machine, sensors, T0) as never);
    await waitFor('the first message written', () => written.count === 1);
    link!.freeze();
    helper.getNode('sink').receive(readingsMessage(machine, sensors, T0 + 1) as never);
    await waitFor('the second write sent into the frozen link', () => link!.heldBytes > 0);

    const log = recordLog();
    const newFlow = sinkFlow(server.uri, database);
    // What the editor's Deploy button runs (POST /flows calls the runtime's setFlows); resolves
    // once the old nodes are closed and the new ones started.
    await helper.setFlows(newFlow as never, 'full');
    log.stop();
    const gaveUp = translate('mongo-connection.log.closeAbandoned', { seconds: CLOSE_GRACE_MS / 1000 });
    assert.deepEqual(log.lines.filter((l) => l.includes(gaveUp)), [`mongo-connection: ${gaveUp}`], log.lines.join(' | '));
    // Node-RED logs a close that outlasts its 15 s as an error of that node ("Close timed out").
    // (The sink's message in flight fails, rightly: it was not written.)
    const connectionErrors = log.errors.filter((l) => l.startsWith('mongo-connection:'));
    assert.deepEqual(connectionErrors, [], `the connection closed without Node-RED's close timeout: ${log.lines.join(' | ')}`);
    assert.ok(!log.lines.some((l) => l.includes(String(link!.port))), 'no address in the log');

    const writtenAfter = counter('written');
    helper.getNode('sink').receive(readingsMessage(machine, sensors, T0 + 2) as never);
    await waitFor('the new flow writes', () => writtenAfter.count === 1);
    await link!.close();
  });
});
