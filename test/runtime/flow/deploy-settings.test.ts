/**
 * deploy/settings.js, the plant-PC template, in a real Node-RED: the editor and admin API need a
 * login (bcrypt hash from the environment; the placeholder admits nobody), the credential secret
 * comes from the environment and is required, contexts live in the localfilesystem store.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../helpers/wait';
import { nodeRed, nodeRedPath, removingOnStop, repoRoot, type NodeRedProcess } from './harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs') as { hashSync(password: string, rounds: number): string };

const PASSWORD = 'line-3-editor';

async function startWithTemplate(env: Record<string, string>): Promise<NodeRedProcess & { home: string }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-deploy-'));
  fs.copyFileSync(path.join(repoRoot, 'deploy', 'settings.js'), path.join(home, 'settings.js'));
  fs.writeFileSync(path.join(home, 'flows.json'), JSON.stringify([
    { id: 'a1b2c3d4e5f60718', type: 'tab', label: 'Line 3' },
    { id: '0718a1b2c3d4e5f6', type: 'inject', z: 'a1b2c3d4e5f60718', props: [{ p: 'payload' }], repeat: '', once: true, onceDelay: 0.1,
      payload: '', payloadType: 'date', x: 100, y: 100, wires: [['c3d4e5f60718a1b2']] },
    { id: 'c3d4e5f60718a1b2', type: 'change', z: 'a1b2c3d4e5f60718', rules: [{ t: 'set', p: 'last', pt: 'flow', to: 'payload', tot: 'msg' }],
      x: 300, y: 100, wires: [[]] },
  ]));
  const port = await nodeRed.freePort();
  const running = await nodeRed.startNodeRed({
    userDir: home, port, nodeRedPath, startTimeoutMs: 30_000,
    env: { NODE_RED_HOST: '127.0.0.1', ...env },
  });
  return { ...removingOnStop(running, home), home };
}

async function token(url: string, password: string): Promise<Response> {
  return fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password }),
  });
}

describe('deploy/settings.js (plant PC template)', function () {
  this.timeout(60_000);

  it('refuses to start without NODE_RED_CREDENTIAL_SECRET, saying what to set', async () => {
    await assert.rejects(startWithTemplate({ NODE_RED_CREDENTIAL_SECRET: '' }), /NODE_RED_CREDENTIAL_SECRET is not set/);
  });

  describe('with a secret and an admin hash from the environment', () => {
    let running: (NodeRedProcess & { home: string }) | undefined;
    before(async () => {
      running = await startWithTemplate({ NODE_RED_CREDENTIAL_SECRET: 'a-long-random-secret', NODE_RED_ADMIN_HASH: bcrypt.hashSync(PASSWORD, 8) });
    });
    after(async () => running?.stop());

    it('the admin API needs a login; the right password gets a token, a wrong one does not', async () => {
      const url = running!.url;
      assert.equal((await fetch(`${url}/flows`)).status, 401);
      assert.equal((await token(url, 'guess')).status, 403);
      const ok = await token(url, PASSWORD);
      assert.equal(ok.status, 200);
      const { access_token: accessToken } = (await ok.json()) as { access_token: string };
      const flows = await fetch(`${url}/flows`, { headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal(flows.status, 200);
      assert.ok(((await flows.json()) as Array<{ type: string }>).some((n) => n.type === 'inject'));
    });

    it('flow context goes to the localfilesystem store, written out when Node-RED stops (survives restarts)', async () => {
      const { url, home } = running!;
      const { access_token: accessToken } = (await (await token(url, PASSWORD)).json()) as { access_token: string };
      // The admin API's view of the tab's context: set by the change node once the inject has fired.
      await waitFor('the flow sets its context', async () => {
        const context = await fetch(`${url}/context/flow/a1b2c3d4e5f60718?store=default`, { headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(context.status, 200);
        return 'last' in (((await context.json()) as { default?: Record<string, unknown> }).default ?? {});
      });
      // Long before the 30 s flushInterval: a clean stop writes the cache out.
      running!.child.kill('SIGINT');
      await running!.exited;
      const file = path.join(home, 'context', 'a1b2c3d4e5f60718', 'flow.json');
      assert.ok(fs.existsSync(file), `no ${file}`);
      assert.equal(typeof (JSON.parse(fs.readFileSync(file, 'utf8')) as { last?: unknown }).last, 'number');
      assert.ok(running!.log.some((l) => /Context store\s*:\s*'default' \[module=localfilesystem\]/.test(l)), 'default store is localfilesystem');
      assert.ok(running!.log.some((l) => /Context store\s*:\s*'memory' \[module=memory\]/.test(l)), 'memory store too');
    });
  });

  it('with the placeholder hash, no password logs in', async () => {
    const running = await startWithTemplate({ NODE_RED_CREDENTIAL_SECRET: 'another-secret' });
    try {
      for (const guess of ['admin', 'password', '$2b$08$REPLACE.WITH.THE.OUTPUT.OF.node-red.admin.hash-pw....']) {
        assert.equal((await token(running.url, guess)).status, 403, `"${guess}" is refused`);
      }
      assert.equal((await fetch(`${running.url}/flows`)).status, 401);
    } finally {
      await running.stop();
    }
  });
});
