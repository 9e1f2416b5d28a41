import assert from 'node:assert/strict';
import { ConnectionSettingsError, buildClientSettings, normalizeConnectionConfig } from '../../../lib/mongo/client-settings';
import { MONGO_CONNECTION_DEFAULTS } from '../../../lib/mongo/connection-config';
import { redact, redactError } from '../../../lib/mongo/redact';
import { formatMongoUri, parseMongoUri, splitCredentials } from '../../../lib/mongo/uri';

describe('mongo uri', () => {
  it('parses several hosts, credentials, database and options', () => {
    const p = parseMongoUri('mongodb://ann:s%40cret@h1:27017,h2:27018/plant?replicaSet=rs0&authSource=admin');
    assert.deepEqual(p, { scheme: 'mongodb', username: 'ann', password: 's@cret', hosts: 'h1:27017,h2:27018', database: 'plant', query: 'replicaSet=rs0&authSource=admin' });
    assert.equal(formatMongoUri(p), 'mongodb://h1:27017,h2:27018/plant?replicaSet=rs0&authSource=admin');
    assert.equal(formatMongoUri(p, true), 'mongodb://ann:s%40cret@h1:27017,h2:27018/plant?replicaSet=rs0&authSource=admin');
  });

  it('parses SRV strings without a database', () => {
    assert.deepEqual(parseMongoUri('mongodb+srv://cluster0.example.net'), { scheme: 'mongodb+srv', hosts: 'cluster0.example.net', query: '' });
  });

  it('splits a typed password out of the URI', () => {
    assert.deepEqual(splitCredentials('mongodb://u:p4ss@127.0.0.1:27017/industrial_iot'), { uri: 'mongodb://127.0.0.1:27017/industrial_iot', username: 'u', password: 'p4ss' });
  });

  it('refuses what is not a connection string, without echoing it', () => {
    assert.throws(() => parseMongoUri('http://u:secret@host/'), (err: Error) => !err.message.includes('secret'));
  });
});

describe('mongo redact', () => {
  it('removes user-info from every URI in a text and the given secrets', () => {
    const text = 'failed mongodb://ann:hunter2@h1:1/x and mongodb+srv://bob@c.example/ (password hunter2)';
    assert.equal(redact(text, ['hunter2']), 'failed mongodb://***@h1:1/x and mongodb+srv://***@c.example/ (password ***)');
    assert.equal(redactError(new Error('at mongodb://a:b@h/')), 'at mongodb://***@h/');
  });
});

describe('mongo client settings', () => {
  it('puts credentials in options, never in the URI, and defaults the database', () => {
    const config = normalizeConnectionConfig({ ...MONGO_CONNECTION_DEFAULTS, uri: 'mongodb://127.0.0.1:27017/', authSource: 'admin', maxPoolSize: '5' as unknown as number });
    const s = buildClientSettings(config, { username: 'ann', password: 'pw-123' });
    assert.equal(s.uri, 'mongodb://127.0.0.1:27017/');
    assert.equal(s.databaseName, 'industrial_iot');
    assert.deepEqual(s.options.auth, { username: 'ann', password: 'pw-123' });
    assert.equal(s.options.authSource, 'admin');
    assert.equal(s.options.maxPoolSize, 5);
    assert.deepEqual(s.options.writeConcern, { w: 'majority' });
    assert.deepEqual(s.secrets, ['pw-123']);
  });

  it('refuses a password written into the flow\'s URI, without echoing it', () => {
    const config = normalizeConnectionConfig({ uri: 'mongodb://u:pw-9@h:1/plant' });
    assert.throws(
      () => buildClientSettings(config, {}),
      (err: unknown) => err instanceof ConnectionSettingsError && err.problem === 'password-in-uri' && !err.message.includes('pw-9'),
    );
    assert.throws(() => buildClientSettings(config, { username: 'u', password: 'other' }), ConnectionSettingsError, 'credentials do not make it acceptable');
  });

  it('takes the database from the URI (a password in it only when the flow gives an environment reference) and host mode from host and port', () => {
    const fromUri = buildClientSettings(normalizeConnectionConfig({ uri: 'mongodb://u:pw-9@h:1/plant' }), {}, { uriFromEnvironment: true });
    assert.equal(fromUri.databaseName, 'plant');
    assert.equal(fromUri.uri, 'mongodb://h:1/plant');
    assert.deepEqual(fromUri.options.auth, { username: 'u', password: 'pw-9' });
    assert.deepEqual(fromUri.secrets, ['pw-9']);
    assert.deepEqual(buildClientSettings(normalizeConnectionConfig({ uri: 'mongodb://u@h:1/' }), {}).options.auth, { username: 'u' }, 'a user name alone is no secret');
    const host = buildClientSettings(normalizeConnectionConfig({ mode: 'host', host: '10.0.0.5', port: 27018, database: 'x', writeConcern: '1', journal: true }), {});
    assert.equal(host.uri, 'mongodb://10.0.0.5:27018/');
    assert.equal(host.databaseName, 'x');
    assert.deepEqual(host.options.writeConcern, { w: 1, journal: true });
    assert.equal(host.options.readPreference, undefined, 'the driver\'s default (or the URI\'s)');
  });

  it('passes write timeout and read preference to the driver, ignoring an unknown read preference', () => {
    const replicaSet = buildClientSettings(normalizeConnectionConfig({ uri: 'mongodb://a,b,c/?replicaSet=rs0', wtimeoutMS: '5000' as unknown as number, readPreference: 'primaryPreferred' }), {});
    assert.deepEqual(replicaSet.options.writeConcern, { w: 'majority', wtimeoutMS: 5000 });
    assert.equal(replicaSet.options.readPreference, 'primaryPreferred');
    const odd = normalizeConnectionConfig({ readPreference: 'everywhere', wtimeoutMS: -1 });
    assert.equal(odd.readPreference, '');
    assert.equal(odd.wtimeoutMS, 0);
  });

  it('names an unreadable TLS file', () => {
    const config = normalizeConnectionConfig({ tls: true, tlsCAFile: '/nonexistent/ca.pem' });
    assert.throws(() => buildClientSettings(config, {}), /CA file "\/nonexistent\/ca.pem" cannot be read: ENOENT/);
    assert.throws(() => buildClientSettings(config, {}), ConnectionSettingsError);
  });
});
