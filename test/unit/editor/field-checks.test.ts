/**
 * The dialogs' field checks (nodes/shared/editor): host and IP validation, the messages' catalogue
 * keys in both languages, the ${ENV} reports (never the value), and the inferred data type the
 * signal table shows, which must be the one the runtime reads.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { CONNECTION_DEFAULTS, PLC_FAMILY_PRESETS, toConnectionOptions } from '../../../lib/s7/session/connection-config';
import { resolveSignals } from '../../../lib/reader/signals';
import { hostProblem, splitHostPort } from '../../../lib/shared/host';
import { checkEnvFields, envReferenceOf, inferredDataType, type FieldProblem } from '../../../nodes/shared/editor/field-checks';
import { EDGE_COUNTER_CHECKS, HOURLY_AGGREGATOR_CHECKS, PLC_CONNECTION_CHECKS, PLC_READER_CHECKS } from '../../../nodes/shared/editor/node-checks';

const root = path.resolve(__dirname, '../../../..');

describe('dialog field checks', () => {
  describe('host and IP', () => {
    it('accepts host names, IPv4 and IPv6 addresses', () => {
      for (const host of ['192.168.0.1', '10.0.0.255', 'plc-1', 'plc_sim', 'plc.example.com', '::1', 'fe80::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1']) {
        assert.equal(hostProblem(host), undefined, host);
      }
    });

    it('rejects an IPv4 address with a part above 255, text that is no host, and a host with a port', () => {
      assert.deepEqual(hostProblem('999.1.1.1'), { key: 'ipv4Octet', params: { octet: '999' } });
      assert.deepEqual(hostProblem('192.168.0.256'), { key: 'ipv4Octet', params: { octet: '256' } });
      assert.deepEqual(hostProblem('192.168.0'), { key: 'notHost' });
      assert.deepEqual(hostProblem('a b'), { key: 'notHost' });
      assert.deepEqual(hostProblem('-plc'), { key: 'notHost' });
      assert.deepEqual(hostProblem(''), { key: 'empty' });
      assert.deepEqual(hostProblem('192.168.0.1:102'), { key: 'hostWithPort', params: { host: '192.168.0.1', port: 102 } });
      assert.deepEqual(hostProblem('[::1]:1102'), { key: 'hostWithPort', params: { host: '::1', port: 1102 } });
    });

    it('splits host:port only when the port is a port', () => {
      assert.deepEqual(splitHostPort(' plc.local:102 '), { host: 'plc.local', port: 102 });
      assert.equal(splitHostPort('plc.local:0'), undefined);
      assert.equal(splitHostPort('plc.local:99999'), undefined);
      assert.equal(splitHostPort('plc.local'), undefined);
    });

    it('is the same check at run time: the runtime rejects what the dialog rejects', () => {
      assert.throws(() => toConnectionOptions({ host: '999.1.1.1' }), /999 is not an IPv4 address part/);
      assert.throws(() => toConnectionOptions({ host: '192.168.0.1:102' }), /contains a port: enter 192.168.0.1 as host and 102 as port/);
      fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
        const dialogAccepts = PLC_CONNECTION_CHECKS.host(text) === undefined;
        let runtimeAccepts = true;
        try {
          toConnectionOptions({ host: text });
        } catch {
          runtimeAccepts = false;
        }
        assert.equal(runtimeAccepts, dialogAccepts, JSON.stringify(text));
      }));
    });
  });

  it('gives words for the issue\'s examples: interval 0, slot 40, bad time zone', () => {
    assert.deepEqual(PLC_READER_CHECKS.intervalMs('0'), { key: 'atLeast', params: { min: 10 } });
    assert.deepEqual(PLC_CONNECTION_CHECKS.slot('40'), { key: 'range', params: { min: 0, max: 31 } });
    assert.deepEqual(PLC_CONNECTION_CHECKS.port('1.5'), { key: 'notInteger', params: { min: 1, max: 65535 } });
    assert.deepEqual(HOURLY_AGGREGATOR_CHECKS.timeZone('Mars/Olympus'), { key: 'timeZone' });
    assert.equal(HOURLY_AGGREGATOR_CHECKS.timeZone('Europe/Berlin'), undefined);
    assert.equal(PLC_READER_CHECKS.pinMap('DQ.0=Q0.0, nonsense')?.key, 'pinMap');
    assert.equal(PLC_READER_CHECKS.mappingIntervalMs('0'), undefined);
    assert.deepEqual(PLC_READER_CHECKS.mappingIntervalMs('5'), { key: 'zeroOrAtLeast', params: { min: 10 } });
  });

  it('has every message in both languages, in the catalogue of each node whose dialog shows it', () => {
    const samples = ['', ' ', '0', '-1', '5', '1.5', 'x', '40', '1e9', '999.1.1.1', 'a b', 'h:102', 'Mars/Olympus', 'DQ.0', 'zz'];
    const tables = { 'plc-connection': PLC_CONNECTION_CHECKS, 'plc-reader': PLC_READER_CHECKS, 'edge-counter': EDGE_COUNTER_CHECKS, 'hourly-aggregator': HOURLY_AGGREGATOR_CHECKS };
    for (const [type, checks] of Object.entries(tables)) {
      const keys = new Set(['env.asking', 'env.unset', 'env.invalid', 'env.ok', 'env.unknown', 'env.noPermission']);
      for (const check of Object.values(checks)) for (const v of samples) {
        const problem: FieldProblem | undefined = check(v);
        if (problem) keys.add(problem.key);
      }
      if (type === 'plc-connection') keys.add('host.split');
      for (const lang of ['en-US', 'de']) {
        const catalogue = JSON.parse(fs.readFileSync(path.join(root, 'nodes', type, 'locales', lang, `${type}.json`), 'utf8'))[type].check;
        for (const key of keys) {
          const text = key.split('.').reduce((o: Record<string, unknown> | undefined, k) => o?.[k] as Record<string, unknown> | undefined, catalogue);
          assert.equal(typeof text, 'string', `${type} ${lang}: check.${key}`);
        }
      }
    }
  });

  describe('${ENV} references', () => {
    const env: Record<string, string> = { PLC_HOST: '127.0.0.1', BAD_HOST: 'hunter2 secret', PLC_SLOT: '40', PLANT_TZ: 'Europe/Berlin' };
    const getEnv = (name: string): string | undefined => env[name];

    it('knows a whole-field reference', () => {
      assert.equal(envReferenceOf(' ${PLC_HOST} '), 'PLC_HOST');
      assert.equal(envReferenceOf('plc-${N}'), undefined);
      assert.equal(envReferenceOf(42), undefined);
    });

    it('reports set and valid, set and invalid (in words, without the value), and unset', () => {
      const reports = checkEnvFields({ host: '${PLC_HOST}', slot: '${PLC_SLOT}', port: '${PLC_PORT}', rack: '0', nope: '${PLC_HOST}' }, PLC_CONNECTION_CHECKS, getEnv);
      assert.deepEqual({ ...reports }, {
        host: { variable: 'PLC_HOST', set: true },
        slot: { variable: 'PLC_SLOT', set: true, problem: { key: 'range', params: { min: 0, max: 31 } } },
        port: { variable: 'PLC_PORT', set: false },
      });
      assert.deepEqual({ ...checkEnvFields({ timeZone: '${PLANT_TZ}' }, HOURLY_AGGREGATOR_CHECKS, getEnv) }, { timeZone: { variable: 'PLANT_TZ', set: true } });
    });

    it('never sends a value, or a part of one, to the editor', () => {
      const secrets = { BAD_HOST: 'hunter2 secret', WITH_PORT: 'hunter2:4711', OCTET: '777.1.2.3', MAP: 'DQ.0=Q0.0, hunter2' };
      const fields = { host: '${BAD_HOST}', port: '${WITH_PORT}', slot: '${OCTET}' };
      const text = JSON.stringify({
        connection: checkEnvFields({ ...fields, localTSAP: '${WITH_PORT}' }, PLC_CONNECTION_CHECKS, (n) => secrets[n as keyof typeof secrets]),
        hostWithPort: checkEnvFields({ host: '${WITH_PORT}' }, PLC_CONNECTION_CHECKS, (n) => secrets[n as keyof typeof secrets]),
        octet: checkEnvFields({ host: '${OCTET}' }, PLC_CONNECTION_CHECKS, (n) => secrets[n as keyof typeof secrets]),
        pinMap: checkEnvFields({ pinMap: '${MAP}' }, PLC_READER_CHECKS, (n) => secrets[n as keyof typeof secrets]),
      });
      for (const part of ['hunter2', '4711', '777']) assert.ok(!text.includes(part), `${part} in ${text}`);
      assert.match(text, /"key":"host.notHost"/);
      assert.match(text, /"key":"host.hostWithPort"/);
      assert.match(text, /"key":"pinMap"/);
    });

    it('ignores what is no object', () => {
      assert.deepEqual({ ...checkEnvFields(null, PLC_CONNECTION_CHECKS, getEnv) }, {});
      assert.deepEqual({ ...checkEnvFields('x', PLC_CONNECTION_CHECKS, getEnv) }, {});
    });
  });

  describe('the inferred data type of an empty Type cell', () => {
    it('is DWORD for DB1.DBD0 (not REAL), and the runtime reads the same', () => {
      assert.equal(inferredDataType('DB1.DBD0'), 'DWORD');
      const addresses = ['DB1.DBD0', 'DB1.DBW2', 'DB1.DBB4', 'DB1.DBX5.3', 'DB1,REAL4', 'DB2,INT10.3', 'DB3,STRING20.10', '%Q0.3', 'MW2', 'MD4', 'IB1', 'DQ.0', 'DQ.7'];
      const { signals, problems } = resolveSignals(addresses.map((address, i) => ({ name: `s${i}`, address })), 1000);
      assert.deepEqual(problems, []);
      for (const [i, address] of addresses.entries()) assert.equal(inferredDataType(address), signals[i].identity.dataType, address);
    });

    it('is undefined for an address the runtime cannot read', () => {
      assert.equal(inferredDataType('DB1.DBX99999.9'), undefined);
      assert.equal(inferredDataType(''), undefined);
    });
  });

  it('has PDU defaults that agree with their hints: the family\'s largest, which the PLC lowers to its own', () => {
    assert.equal(CONNECTION_DEFAULTS.pduSize, PLC_FAMILY_PRESETS[CONNECTION_DEFAULTS.family as 'S7-1200/1500'].pduSize);
    for (const preset of Object.values(PLC_FAMILY_PRESETS)) {
      const sizes = (preset.pduHint.match(/\d{3}/g) ?? []).map(Number);
      assert.equal(preset.pduSize, Math.max(...sizes), preset.pduHint);
    }
  });
});
