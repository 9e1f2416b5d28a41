/**
 * mongo-connection over TLS with a CA, a client certificate and an encrypted client key (its
 * password a credential), against FerretDB's TLS listener. Certificates are made with openssl.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DedicatedMongoServer, mongoServerNames } from '../../helpers/mongo-servers';
import { helper } from '../../helpers/node-red';
import { waitFor } from '../../helpers/wait';
import { T0, counter, loadSink, readingsMessage, sinkFlow, statusTexts } from './sink-harness';

const KEY_PASSWORD = 'key-Pass-77';

function makeCertificates(dir: string): void {
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2',
    '-extfile', path.join(dir, 'san.cnf'));
  ssl('req', '-newkey', 'rsa:2048', '-passout', `pass:${KEY_PASSWORD}`, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=node-red');
  ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2');
}

describe('mongo-connection over TLS [ferretdb]', function () {
  this.timeout(90_000);
  let dir: string;
  let server: DedicatedMongoServer;

  before(async function () {
    if (!mongoServerNames().includes('ferretdb')) this.skip();
    dir = mkdtempSync(path.join(os.tmpdir(), 'mongo-tls-'));
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > san.cnf'], { cwd: dir });
    makeCertificates(dir);
    server = new DedicatedMongoServer('ferretdb', 0, { cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key'), ca: path.join(dir, 'ca.pem') });
    await server.start();
  });
  after(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => helper.unload());

  const tlsConnection = (): Record<string, unknown> => ({
    tls: true, tlsCAFile: path.join(dir, 'ca.pem'), tlsCertFile: path.join(dir, 'client.pem'), tlsKeyFile: path.join(dir, 'client.key'),
  });

  it('connects with the CA, the client certificate and the encrypted key, and writes', async () => {
    const info = server.info!;
    await loadSink(info, sinkFlow(info.tlsUri!, 'tls_test', { connection: tlsConnection() }), { conn: { tlsKeyPassword: KEY_PASSWORD } });
    const written = counter('written');
    helper.getNode('sink').receive(readingsMessage('a'.repeat(24), ['b'.repeat(24)], T0) as never);
    await waitFor('written over TLS', () => written.count === 1);
  });

  it('does not connect with a wrong key password, and never logs the password', async () => {
    const info = server.info!;
    const wrong = 'wrong-Key-Pw-1';
    await loadSink(info, sinkFlow(info.tlsUri!, 'tls_test', { connection: tlsConnection() }), { conn: { tlsKeyPassword: wrong } });
    const written = counter('written');
    const sink = helper.getNode('sink');
    sink.receive(readingsMessage('a'.repeat(24), ['b'.repeat(24)], T0) as never);
    await waitFor('the failed connect logged', () => /MongoDB disconnected/.test(JSON.stringify(helper.log().args)));
    await waitFor('the reading waiting in the status', () => statusTexts(sink).some((t) => t.startsWith('disconnected · queued 1')));
    assert.equal(written.count, 0);
    const logged = JSON.stringify(helper.log().args);
    assert.doesNotMatch(logged, new RegExp(`${wrong}|${KEY_PASSWORD}`));
  });
});
