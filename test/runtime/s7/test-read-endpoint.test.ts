/**
 * The dialog's "test connection / read now" endpoint in a real Node-RED process with adminAuth:
 * it needs the permission deploying needs, runs one test read per user at a time with capped
 * timeouts, and a production reader never waits behind test reads that hang on a silent PLC.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { plcConnectionNode, plcReaderNode, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';
import { startNodeRedWithPackage, type NodeRedProcess } from '../flow/harness';

const PASSWORD = 's7-test-password';
/** bcrypt of PASSWORD, as adminAuth wants it (a test fixture, not a secret). */
const PASSWORD_HASH = '$2b$08$IzcbXOaMKDgTRaQkm3/tFueVQtWuKrUNO1R6rv8O.UriyoYGBIPE.';
const EDITORS = ['anna', 'bert', 'carl'];

interface Report { connected: boolean; error?: string }

describe('the test-read endpoint with adminAuth', function () {
  this.timeout(120_000);
  let production: SimulatorHandle;
  let silent: SimulatorHandle;
  let nodeRed: NodeRedProcess | undefined;
  let flowDir: string;

  before(async () => {
    production = await startSimulator();
    silent = await startSimulator();
    await silent.silence();
    flowDir = fs.mkdtempSync(path.join(os.tmpdir(), 's7-test-read-'));
    const flowFile = path.join(flowDir, 'flows.json');
    fs.writeFileSync(flowFile, JSON.stringify([
      { id: 'tab', type: 'tab', label: 'line' },
      plcConnectionNode(production),
      plcReaderNode({ z: 'tab', name: 'press', intervalMs: 200, outputMode: 'per-cycle',
        signals: [{ name: 'power', address: 'DB1.DBD0', dataType: 'REAL', kind: 'other' }], wires: [[]] }),
    ]));
    nodeRed = await startNodeRedWithPackage({
      flowSource: flowFile,
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            ...EDITORS.map((username) => ({ username, password: PASSWORD_HASH, permissions: '*' })),
            { username: 'viewer', password: PASSWORD_HASH, permissions: 'read' },
          ],
        },
      },
    });
  });

  after(async () => {
    await nodeRed?.stop();
    await Promise.all([production?.close(), silent?.close()]);
    fs.rmSync(flowDir, { recursive: true, force: true });
  });

  async function token(username: string, scope = '*'): Promise<string> {
    const res = await fetch(`${nodeRed!.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: PASSWORD }),
    });
    assert.equal(res.status, 200, `token for ${username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const testRead = (bearer: string | undefined, port: number): Promise<Response> => fetch(`${nodeRed!.url}/plc-reader/test-read`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    // the longest timeouts the dialog allows: the endpoint caps them
    body: JSON.stringify({ connection: { host: '127.0.0.1', port, connectTimeoutMs: 60000, receiveTimeoutMs: 60000 }, signals: [{ name: 'power', address: 'DB1.DBD0', dataType: 'REAL' }] }),
  });

  const productionState = async (bearer: string): Promise<string> => {
    const res = await fetch(`${nodeRed!.url}/plc-connection/plc/status`, { headers: { authorization: `Bearer ${bearer}` } });
    return ((await res.json()) as { state: string }).state;
  };

  it('refuses users who may not deploy, and reads for those who may', async () => {
    const viewer = await token('viewer', 'read');
    // The production reader's own connect must be done first, or it would count as the viewer's.
    await waitFor('the production reader is connected', async () => (await productionState(viewer)) === 'connected');
    const accepted = await production.connectionsAccepted();
    assert.equal((await testRead(undefined, production.port)).status, 401);
    // Node-RED answers a lack of permission with 401, as on its own admin endpoints
    const refused = await testRead(viewer, production.port);
    assert.equal(refused.status, 401, 'a read-only user may not make the runtime open connections');
    assert.equal(await production.connectionsAccepted(), accepted, 'nothing reached the PLC for them');
    const ok = await testRead(await token(EDITORS[0]), production.port);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as Report).connected, true);
  });

  it('one test read per user at a time; test reads hanging on a silent PLC never hold up the production reader', async () => {
    const [anna, bert, carl] = await Promise.all(EDITORS.map((name) => token(name)));
    await waitFor('the production reader is connected', async () => (await productionState(anna)) === 'connected');
    const answered: string[] = [];
    const pending = [anna, bert, carl].map(async (bearer, i) => {
      if (i > 0) await waitFor('the first test read hangs on the silent PLC', async () => (await silent.connectionCount()) > 0);
      const res = await testRead(bearer, silent.port);
      answered.push(EDITORS[i]);
      return res;
    });
    await waitFor('the first test read hangs on the silent PLC', async () => (await silent.connectionCount()) > 0);
    const again = await testRead(anna, silent.port);
    assert.equal(again.status, 429, 'a second test read of the same user is refused while the first runs');
    assert.match(((await again.json()) as { error: string }).error, /still running/);

    // a blip of the production PLC: its reader must reconnect while the test reads still hang
    await production.stopServer();
    await waitFor('the production reader noticed', async () => (await productionState(anna)) !== 'connected');
    await production.startServer();
    await waitFor('the production reader reconnected', async () => (await productionState(anna)) === 'connected');
    assert.ok(answered.length < EDITORS.length, `reconnected before the test reads were answered (answered: ${answered.join(', ') || 'none'})`);

    for (const res of await Promise.all(pending)) {
      assert.equal(res.status, 200);
      const report = (await res.json()) as Report;
      assert.equal(report.connected, false, 'the silent PLC never answered');
      assert.ok(report.error, 'and the report says why');
    }
  });
});
