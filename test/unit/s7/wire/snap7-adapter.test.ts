/**
 * The adapter speaks node-snap7's dialect: the same constants, texts and error codes, classified
 * by lib/s7/errors.ts as connection.ts expects (link errors reconnect, the rest marks items bad).
 */
import assert from 'node:assert/strict';
import { isLinkError } from '../../../../lib/s7/errors';
import { snap7, type Snap7Client } from '../../../../lib/s7/snap7';
import { S7WireError, type WireFailure } from '../../../../lib/s7/wire/client';
import { failureCode, itemCode, WireSnap7Client } from '../../../../lib/s7/wire/snap7-adapter';

describe('s7 wire snap7 adapter', () => {
  const real: Snap7Client = new (snap7().S7Client)();
  const wire = new WireSnap7Client();

  it('has node-snap7\'s constants and parameter numbers', () => {
    for (const key of ['S7AreaPE', 'S7AreaPA', 'S7AreaMK', 'S7AreaDB', 'S7WLBit', 'S7WLByte', 'CONNTYPE_PG', 'CONNTYPE_OP', 'CONNTYPE_BASIC',
      'RemotePort', 'PingTimeout', 'SendTimeout', 'RecvTimeout', 'PDURequest'] as const) {
      assert.equal(wire[key], real[key], key);
    }
    assert.equal(wire.GetParam(wire.PDURequest), real.GetParam(real.PDURequest));
    assert.equal(wire.SetParam(wire.RemotePort, 1102), true);
    assert.equal(wire.GetParam(wire.RemotePort), 1102);
    assert.equal(wire.SetParam(99, 1), false);
  });

  it('maps item return codes to snap7\'s codes and texts, none of them a link error', () => {
    const cases: [number, string][] = [[0x05, 'CPU : Address out of range'], [0x06, 'CPU : Invalid Transport size'], [0x07, 'CPU : Data size mismatch'],
      [0x0a, 'CPU : Item not available'], [0x03, 'CLI : function refused by CPU (Unknown error)'], [0x01, 'CLI : function refused by CPU (Unknown error)']];
    for (const [returnCode, text] of cases) {
      const code = itemCode(returnCode);
      assert.equal(wire.ErrorText(code), text, `return code ${returnCode}`);
      assert.equal(real.ErrorText(code).trim(), text, `snap7's text for return code ${returnCode}`);
      assert.equal(isLinkError(code), false);
    }
    assert.equal(itemCode(0xff), 0);
  });

  it('reports connection failures as link errors and refused or impossible reads as item errors, with snap7\'s texts', () => {
    const link: WireFailure[] = ['connect-timeout', 'timeout', 'closed', 'socket', 'protocol', 'iso-refused', 'negotiation', 'closed-by-client', 'not-connected'];
    for (const reason of link) {
      const err = new S7WireError('x', reason, reason === 'socket' ? 'ECONNREFUSED' : undefined);
      assert.equal(err.isLinkError, true, reason);
      const code = failureCode(err);
      assert.equal(isLinkError(code), true, `${reason} → 0x${code.toString(16)}`);
      assert.equal(wire.ErrorText(code), real.ErrorText(code).trim(), reason);
    }
    for (const [reason, detail, text] of [['refused', 0x8104, 'CPU : Function not available'], ['refused', 0xd241, 'CPU : Function not authorized for current protection level'],
      ['refused', 0x8500, 'CPU : total data exceeds the PDU size'], ['too-large', undefined, 'CPU : total data exceeds the PDU size'],
      ['invalid', undefined, 'CLI : invalid param(s) supplied']] as const) {
      const err = new S7WireError('x', reason, detail);
      assert.equal(err.isLinkError, false);
      const code = failureCode(err);
      assert.equal(isLinkError(code), false, `${reason} ${detail}`);
      assert.equal(wire.ErrorText(code), text);
      assert.equal(real.ErrorText(code).trim(), text);
    }
  });

  it('calls back with snap7\'s codes when not connected, never within the call', async () => {
    let calledBack = false;
    const done = new Promise<number>((resolve) => wire.ReadMultiVars([{ Area: wire.S7AreaDB, WordLen: wire.S7WLByte, DBNumber: 1, Start: 0, Amount: 1 }], (err) => {
      calledBack = true;
      resolve(Number(err));
    }));
    assert.equal(calledBack, false);
    const code = await done;
    assert.equal(isLinkError(code), true);
    assert.equal(wire.LastError(), code);
    assert.equal(wire.Connected(), false);
    assert.equal(wire.PDULength(), false);
    const tooMany = await new Promise<number>((resolve) => wire.ReadMultiVars(Array(21).fill({ Area: wire.S7AreaDB, WordLen: wire.S7WLByte, DBNumber: 1, Start: 0, Amount: 1 }), (err) => resolve(Number(err))));
    assert.equal(wire.ErrorText(tooMany), real.ErrorText(tooMany));
  });
});
