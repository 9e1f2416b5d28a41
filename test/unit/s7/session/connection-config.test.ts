import assert from 'node:assert/strict';
import { CONNECTION_DEFAULTS, parseTsap, PLC_FAMILY_PRESETS, toConnectionOptions } from '../../../../lib/s7/session/connection-config';

describe('reader connection settings', () => {
  it('turns rack/slot settings (numbers as strings too) into connection options', () => {
    assert.deepEqual(toConnectionOptions({ ...CONNECTION_DEFAULTS, host: ' 127.0.0.1 ', port: '1102', rack: '0', slot: '2', pduSize: '240' }), {
      host: '127.0.0.1', port: 1102, connectionType: 'PG', pduSize: 240, connectTimeoutMs: 3000, receiveTimeoutMs: 2000,
      reconnectMinMs: 1000, reconnectMaxMs: 30000, poolSize: 1, maxGap: 16, rack: 0, slot: 2,
    });
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
