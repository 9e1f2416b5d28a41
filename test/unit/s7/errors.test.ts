import assert from 'node:assert/strict';
import { describeError, errorHint, isLinkError, SNAP7 } from '../../../lib/s7/errors';

describe('s7 error classification', () => {
  it('treats TCP, ISO, timeouts and garbled answers as link errors', () => {
    for (const code of [0x68, 0x6e, 0x2751, 0x00010000, 0x000a0000, SNAP7.errCliJobTimeout, SNAP7.errCliInvalidPlcAnswer, SNAP7.errNegotiatingPDU]) {
      assert.equal(isLinkError(code), true, code.toString(16));
    }
  });

  it('treats CPU item errors as item errors', () => {
    for (const code of [SNAP7.errCliItemNotAvailable, SNAP7.errCliAddressOutOfRange, SNAP7.errCliFunNotAvailable, SNAP7.errCliFunctionRefused]) {
      assert.equal(isLinkError(code), false, code.toString(16));
    }
  });

  it('hints at PUT/GET, optimized block access and missing DBs', () => {
    assert.match(errorHint(SNAP7.errCliFunNotAvailable) ?? '', /PUT\/GET/);
    assert.match(errorHint(SNAP7.errCliItemNotAvailable, 'DB') ?? '', /DB does not exist.*Optimized block access/);
    assert.match(errorHint(SNAP7.errCliAddressOutOfRange, 'DB') ?? '', /beyond the end of the DB/);
    assert.equal(errorHint(0x12345), undefined);
    assert.equal(describeError(SNAP7.errCliItemNotAvailable, 'CPU : Item not available', 'DB'),
      'CPU : Item not available (the DB does not exist in the PLC, or (S7-1200/1500: untick "Optimized block access" in the DB\'s attributes and download again))');
    assert.equal(describeError(0x99999999, ''), 'snap7 error 0x99999999');
  });
});
