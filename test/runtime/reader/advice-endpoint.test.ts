/**
 * GET plc-reader/:id/advice in a real Node-RED process with adminAuth, against the PLC simulator:
 * it needs the permission the live view needs (plc-reader.read), names the edge counters the
 * reader feeds (not others), and reports what they ask for once they have seen pulses read too
 * slowly: 500 ms pulses read every 1000 ms.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReaderAdvice } from '../../../lib/shared/telemetry-advice';
import { plcConnectionNode, plcReaderNode, startSimulator, type SimulatorHandle } from '../../helpers/simulator';
import { waitFor } from '../../helpers/wait';
import { startNodeRedWithPackage, type NodeRedProcess } from '../flow/harness';

const PASSWORD = 's7-test-password';
/** bcrypt of PASSWORD, as adminAuth wants it (a test fixture, not a secret). */
const PASSWORD_HASH = '$2b$08$IzcbXOaMKDgTRaQkm3/tFueVQtWuKrUNO1R6rv8O.UriyoYGBIPE.';

describe('the counters\' advice endpoint with adminAuth', function () {
  this.timeout(120_000);
  let plc: SimulatorHandle;
  let nodeRed: NodeRedProcess | undefined;
  let flowDir: string;

  before(async () => {
    // a cycle that is no multiple of the interval, so the readings drift over the pulses
    plc = await startSimulator({ machines: [{ name: 'press', db: 1, powerPin: 0, cyclePin: 1, scenario: 'running', cycleTimeMs: 2300, pulseWidthMs: 500 }] });
    flowDir = fs.mkdtempSync(path.join(os.tmpdir(), 's7-advice-'));
    const flowFile = path.join(flowDir, 'flows.json');
    const counter = (id: string, name: string) => ({ id, type: 'edge-counter', z: 'tab', name, mode: 'rising', keyBy: 'name', minHighMs: 0, minLowMs: 0,
      counterBits: 16, maxStep: 1000, idealCycleSeconds: 0, gapWarnSeconds: 10, store: '', wires: [[]] });
    fs.writeFileSync(flowFile, JSON.stringify([
      { id: 'tab', type: 'tab', label: 'line' },
      plcConnectionNode(plc),
      plcReaderNode({ z: 'tab', name: 'press', intervalMs: 1000, outputMode: 'per-signal',
        signals: [{ name: 'press-cycle', address: 'Q0.1', dataType: 'BOOL', kind: 'unit-cycle' }], wires: [['pass']] }),
      // a node in between: the counter is found along the wires all the same
      { id: 'pass', type: 'junction', z: 'tab', wires: [['fed']] },
      counter('fed', 'Units'),
      counter('unfed', 'Other line'),
    ]));
    nodeRed = await startNodeRedWithPackage({
      flowSource: flowFile,
      settings: { adminAuth: { type: 'credentials', users: [{ username: 'viewer', password: PASSWORD_HASH, permissions: 'read' }] } },
    });
  });

  after(async () => {
    await nodeRed?.stop();
    await plc?.close();
    fs.rmSync(flowDir, { recursive: true, force: true });
  });

  async function token(): Promise<string> {
    const res = await fetch(`${nodeRed!.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: 'read', username: 'viewer', password: PASSWORD }),
    });
    assert.equal(res.status, 200, 'token for the viewer');
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const advice = (id: string, bearer?: string): Promise<Response> =>
    fetch(`${nodeRed!.url}/plc-reader/${id}/advice`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

  it('refuses a request without a token; for a viewer, names the fed counter and what it asks for', async () => {
    assert.equal((await advice('reader')).status, 401, 'no token, no advice');
    const viewer = await token();
    assert.equal((await advice('nobody', viewer)).status, 404, 'an unknown reader is named as such');
    // until a pulse has been read, the counter judges the phases it has seen (long low ones) fine
    const asked = await waitFor('the counter asks for a faster interval', async () => {
      const res = await advice('reader', viewer);
      if (res.status !== 200) return false;
      const body = (await res.json()) as ReaderAdvice;
      return body.tooSlow && body;
    });
    assert.equal(asked.intervalMs, 1000);
    assert.deepEqual(asked.counters.map((c) => [c.nodeId, c.name]), [['fed', 'Units']], 'the counter fed by the reader, not the other one');
    assert.equal(asked.asked?.key, 'press-cycle');
    assert.equal(asked.asked?.counter, 'Units');
    assert.ok((asked.asked?.readEveryMs ?? Infinity) <= 400, `asks for ≤ ${asked.asked?.readEveryMs} ms: 2.5 readings a 500 ms pulse at most`);
    const [k] = asked.counters[0].keys;
    assert.equal(k.tooSlow, true);
  });
});
