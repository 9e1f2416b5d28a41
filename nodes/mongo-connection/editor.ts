import type * as EditorClient from '@node-red/editor-client';
import { splitCredentials } from '../../lib/mongo/uri';
import { showMessage } from '../shared/editor/field-messages';
import { requiredNumber } from '../shared/editor/fields';
import type { MongoColor } from '../shared/editor/palette';
import { MONGO_CONNECTION_DEFAULTS as D, MONGO_CONNECTION_TYPE, type MongoConnectionConfig } from './types';

declare const RED: EditorClient.RED;

// 0 means "no timeout"; the editor shows a default of 0 as an empty field, which means the same.
const optionalNum = (v: number) => ({ value: v, validate: (x: unknown) => x === '' || x === undefined || x === null || RED.validators.number()(x) });

/** Moves a password typed into the URI into the password field; true when it did. */
function movePasswordOutOfUri(): boolean {
  const input = $('#node-config-input-uri');
  let parts;
  try {
    parts = splitCredentials(String(input.val() ?? ''));
  } catch {
    return false; // not a connection string (yet): validation tells the user
  }
  if (parts.password === undefined && parts.username === undefined) return false;
  input.val(parts.uri);
  if (parts.username !== undefined) $('#node-config-input-username').val(parts.username);
  if (parts.password !== undefined) $('#node-config-input-password').val(parts.password);
  return true;
}

RED.nodes.registerType<MongoConnectionConfig & EditorClient.NodeProperties, { username: string; password: string; tlsKeyPassword: string }>('mongo-connection' satisfies typeof MONGO_CONNECTION_TYPE, {
  category: 'config',
  color: '#2E8C93' satisfies MongoColor,
  defaults: {
    name: { value: D.name },
    mode: { value: D.mode },
    uri: {
      value: D.uri,
      validate(this: { mode?: string }, v: string) {
        if (this.mode === 'host') return true;
        try {
          splitCredentials(v);
          return true;
        } catch {
          return false;
        }
      },
    },
    host: { value: D.host },
    port: requiredNumber(D.port),
    database: { value: D.database },
    authSource: { value: D.authSource },
    authMechanism: { value: D.authMechanism },
    tls: { value: D.tls },
    tlsCAFile: { value: D.tlsCAFile },
    tlsCertFile: { value: D.tlsCertFile },
    tlsKeyFile: { value: D.tlsKeyFile },
    tlsAllowInvalidCertificates: { value: D.tlsAllowInvalidCertificates },
    appName: { value: D.appName },
    maxPoolSize: requiredNumber(D.maxPoolSize),
    connectTimeoutMS: requiredNumber(D.connectTimeoutMS),
    serverSelectionTimeoutMS: requiredNumber(D.serverSelectionTimeoutMS),
    socketTimeoutMS: optionalNum(D.socketTimeoutMS),
    writeConcern: { value: D.writeConcern },
    journal: { value: D.journal },
    wtimeoutMS: optionalNum(D.wtimeoutMS),
    readPreference: { value: D.readPreference },
  } as never,
  credentials: {
    username: { type: 'text' },
    password: { type: 'password' },
    tlsKeyPassword: { type: 'password' },
  },
  label(this: MongoConnectionConfig) {
    if (this.name) return this.name;
    const target = this.mode === 'host' ? `${this.host}:${this.port}` : (this.uri || '').replace(/^mongodb(\+srv)?:\/\//, '');
    return `${target}${this.database ? ' / ' + this.database : ''}`;
  },
  oneditprepare() {
    const showMode = () => {
      const host = $('#node-config-input-mode').val() === 'host';
      $('.mongo-connection-uri').toggle(!host);
      $('.mongo-connection-host').toggle(host);
    };
    const showTls = () => $('.mongo-connection-tls').toggle($('#node-config-input-tls').is(':checked'));
    $('#node-config-input-mode').on('change', showMode);
    $('#node-config-input-tls').on('change', showTls);
    $('#node-config-input-uri').on('change', () => {
      if (movePasswordOutOfUri()) $('.mongo-connection-uri-note').show();
    });
    showMode();
    showTls();
    $('#mongo-connection-test-button').on('click', () => {
      movePasswordOutOfUri();
      const out = $('#mongo-connection-test-result');
      showMessage(out, this._('mongo-connection.test.connecting'), false);
      const config: Record<string, unknown> = {};
      for (const key of Object.keys(D)) {
        const input = $(`#node-config-input-${key}`);
        config[key] = input.is(':checkbox') ? input.is(':checked') : input.val();
      }
      // An unchanged password field holds the editor's placeholder: the runtime then uses the stored one.
      const credentials = {
        username: $('#node-config-input-username').val(),
        password: $('#node-config-input-password').val(),
        tlsKeyPassword: $('#node-config-input-tlsKeyPassword').val(),
      };
      $.ajax({
        url: 'mongo-connection/test',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ id: this.id, config, credentials }),
      }).done((answer: { ok: boolean; database?: string; error?: string }) => {
        showMessage(out, answer.ok
          ? this._('mongo-connection.test.ok', { database: answer.database ?? '' })
          : this._('mongo-connection.test.failed', { error: answer.error ?? '' }), !answer.ok);
      }).fail((xhr: JQuery.jqXHR) => showMessage(out, this._('mongo-connection.test.failed', { error: xhr.statusText }), true));
    });
  },
  oneditsave() {
    // A password must never be stored in (or exported with) the flow: it goes to the credentials.
    movePasswordOutOfUri();
  },
});
