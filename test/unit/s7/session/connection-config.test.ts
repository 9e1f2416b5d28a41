import assert from 'node:assert/strict';
import type { S7ConnectionOptions } from '../../../../lib/s7/connection';
import { CONNECTION_DEFAULTS, legacyConnections, parseTsap, PLC_FAMILY_PRESETS, toConnectionOptions } from '../../../../lib/s7/session/connection-config';

const pick = ({ maxConnections, fixedConnections }: S7ConnectionOptions): Pick<S7ConnectionOptions, 'maxConnections' | 'fixedConnections'> => ({ maxConnections, fixedConnections });

describe('reader connection settings', () => {
  it('turns rack/slot settings (numbers as strings too) into connection options', () => {
    assert.deepEqual(toConnectionOptions({ ...CONNECTION_DEFAULTS, host: ' 127.0.0.1 ', port: '1102', rack: '0', slot: '2', pduSize: '240' }), {
      host: '127.0.0.1', engine: 'wire', port: 1102, connectionType: 'PG', pduSize: 240, connectTimeoutMs: 3000, receiveTimeoutMs: 2000,
      reconnectMinMs: 1000, reconnectMaxMs: 30000, maxConnections: 3, fixedConnections: false, maxGap: 16, rack: 0, slot: 2,
    });
  });

  it('reads with the built-in wire engine unless snap7 is chosen; an unknown engine is named', () => {
    const { engine: _absent, ...savedBefore } = CONNECTION_DEFAULTS;
    assert.equal(toConnectionOptions({ ...savedBefore, host: 'plc' }).engine, 'wire', 'flows saved before the setting');
    assert.equal(toConnectionOptions({ host: 'plc', engine: '' as 'wire' }).engine, 'wire');
    assert.equal(toConnectionOptions({ host: 'plc', engine: 'snap7' }).engine, 'snap7');
    assert.throws(() => toConnectionOptions({ host: 'plc', engine: 'nodes7' as 'wire' }), /engine must be wire or snap7, got "nodes7"/);
  });

  it('adapts with at most 3 connections by default; a fixed count when asked', () => {
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc' })), { maxConnections: 3, fixedConnections: false });
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', maxConnections: '1', fixedConnections: 'true' })), { maxConnections: 1, fixedConnections: true });
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', maxConnections: 5, fixedConnections: false })), { maxConnections: 5, fixedConnections: false });
    assert.throws(() => toConnectionOptions({ host: 'plc', maxConnections: 9 }), /maxConnections must be an integer from 1 to 8, got "9"/);
    assert.throws(() => toConnectionOptions({ host: 'plc', fixedConnections: 'maybe' }), /fixedConnections must be true or false, got "maybe"/);
  });

  it('maps the old "Connections" (poolSize) of older flows: 1 adapts, 2 to 8 stay fixed', () => {
    assert.deepEqual(legacyConnections(undefined), undefined);
    assert.deepEqual(legacyConnections(''), undefined, 'cleared by the dialog');
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', poolSize: 1 })), { maxConnections: 3, fixedConnections: false });
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', poolSize: '1', maxConnections: 3 })), { maxConnections: 3, fixedConnections: false });
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', poolSize: '4' })), { maxConnections: 4, fixedConnections: true });
    // the old setting wins over defaults the editor may have filled in without the dialog
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', poolSize: 2, maxConnections: 3, fixedConnections: false })), { maxConnections: 2, fixedConnections: true });
    assert.deepEqual(pick(toConnectionOptions({ host: 'plc', poolSize: '', maxConnections: 2 })), { maxConnections: 2, fixedConnections: false });
    assert.throws(() => toConnectionOptions({ host: 'plc', poolSize: 12 }), /poolSize must be an integer from 1 to 8, got "12"/);
  });

  it('uses TSAPs instead of rack/slot for LOGO!', () => {
    const logo = PLC_FAMILY_PRESETS.LOGO;
    const options = toConnectionOptions({ host: 'logo.local', addressing: logo.addressing, localTSAP: logo.localTSAP, remoteTSAP: logo.remoteTSAP });
    assert.equal(options.localTSAP, 0x0100);
    assert.equal(options.remoteTSAP, 0x0200);
    assert.equal(options.rack, undefined);
    assert.equal(parseTsap('4D57'), 0x4d57);
    assert.equal(parseTsap('0200h'), 0x200);
  });

  it('names the field that is wrong', () => {
    assert.throws(() => toConnectionOptions({ host: '' }), /host is empty/);
    assert.throws(() => toConnectionOptions({ host: 'a b' }), /host "a b" is not a host name/);
    assert.throws(() => toConnectionOptions({ host: 'plc', port: 70000 }), /port must be an integer from 1 to 65535, got "70000"/);
    assert.throws(() => toConnectionOptions({ host: 'plc', slot: 'x' }), /slot must be an integer/);
    assert.throws(() => toConnectionOptions({ host: 'plc', pduSize: 100 }), /pduSize must be an integer from 240 to 960/);
    assert.throws(() => toConnectionOptions({ host: 'plc', reconnectMinMs: 5000, reconnectMaxMs: 1000 }), /reconnectMaxMs \(1000\) is below reconnectMinMs \(5000\)/);
    assert.throws(() => toConnectionOptions({ host: 'plc', addressing: 'tsap', localTSAP: 'zz' }), /TSAP "zz" is not a hex number/);
    assert.throws(() => toConnectionOptions({ host: 'plc', connectionType: 'XX' as 'PG' }), /connectionType must be PG, OP or S7_BASIC/);
  });

  it('has presets for the families: S7-300/400 slot 2, S7-1200/1500 slot 1', () => {
    assert.equal(PLC_FAMILY_PRESETS['S7-300/400'].slot, 2);
    assert.equal(PLC_FAMILY_PRESETS['S7-1200/1500'].slot, 1);
    assert.match(PLC_FAMILY_PRESETS['S7-1200/1500'].pduHint, /240.*960/);
  });
});
