/**
 * The S7 wire codec against bytes written out from the protocol descriptions (RFC 1006, ISO 8073,
 * the Wireshark S7comm dissector's field layout), not against our own builder.
 */
import assert from 'node:assert/strict';
import { connectionRequest, dataFrame, FrameError, parseTpdu, remoteTsap, TpktReader, TsduAssembler } from '../../../../lib/s7/wire/frames';
import { parseHeader, parseReadVarReply, parseSetupReply, readRequestProblem, readVarRequest, S7ProtocolError, setupCommunication } from '../../../../lib/s7/wire/s7comm';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** A Read Var acknowledgement: header with the given error, then parameters and data. */
function readReply(pduRef: number, items: string, count: number, error = 0): Buffer {
  const data = hex(items);
  const head = Buffer.alloc(12);
  head[0] = 0x32; head[1] = 0x03;
  head.writeUInt16BE(pduRef, 4); head.writeUInt16BE(2, 6); head.writeUInt16BE(data.length, 8); head.writeUInt16BE(error, 10);
  return Buffer.concat([head, Buffer.from([0x04, count]), data]);
}

describe('s7 wire codec', () => {
  describe('framing', () => {
    it('builds the COTP connection request with the TSAPs of rack and slot', () => {
      assert.equal(remoteTsap(0, 1), 0x0101);
      assert.equal(remoteTsap(0, 2, 'OP'), 0x0202);
      assert.equal(remoteTsap(1, 3, 'S7_BASIC'), 0x0323);
      assert.deepEqual(connectionRequest(0x0100, 0x0102), hex('0300 0016 11 e0 0000 0001 00 c0010a c1020100 c2020102'));
      assert.throws(() => remoteTsap(0, 32), /slot must be 0..31/);
    });

    it('wraps an S7 PDU in TPKT and a COTP data TPDU with end of TSDU', () => {
      assert.deepEqual(dataFrame(hex('32 01')), hex('0300 0009 02 f0 80 3201'));
      assert.deepEqual(parseTpdu(dataFrame(hex('32 01'))), { type: 'DT', endOfTsdu: true, payload: hex('3201') });
    });

    it('reassembles frames split across chunks and separates frames merged in one chunk', () => {
      const a = dataFrame(hex('aa bb cc'));
      const b = dataFrame(hex('dd'));
      const c = dataFrame(Buffer.alloc(300, 7));
      const stream = Buffer.concat([a, b, c]);
      // every way of cutting the stream in two, and byte by byte
      for (let cut = 0; cut <= stream.length; cut++) {
        const reader = new TpktReader();
        const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
        assert.deepEqual(frames, [a, b, c], `cut at ${cut}`);
        assert.equal(reader.pendingBytes, 0);
      }
      const reader = new TpktReader();
      const frames: Buffer[] = [];
      for (const byte of stream) frames.push(...reader.push(Buffer.from([byte])));
      assert.deepEqual(frames, [a, b, c]);
      // a frame completed later stays pending until then
      const partial = new TpktReader();
      assert.deepEqual(partial.push(stream.subarray(0, a.length + 2)), [a]);
      assert.equal(partial.pendingBytes, 2);
    });

    it('rejects a stream that is not TPKT', () => {
      assert.throws(() => new TpktReader().push(hex('0400 0009 02f080 3201')), (e: Error) => e instanceof FrameError && /version byte 0x4/.test(e.message));
      assert.throws(() => new TpktReader().push(hex('0300 0003 00')), /too short/);
    });

    it('parses connection confirm, disconnect request and error TPDUs', () => {
      assert.deepEqual(parseTpdu(hex('0300 0016 11 d0 0001 4455 00 c0010a c1020100 c2020102')), { type: 'CC', sourceRef: 0x4455 });
      assert.deepEqual(parseTpdu(hex('0300 000b 06 80 0001 0002 85')), { type: 'DR', reason: 0x85 });
      assert.equal(parseTpdu(hex('0300 0009 04 70 0001 03')).type, 'ER');
      assert.throws(() => parseTpdu(hex('0300 0007 02 20 80')), /unexpected COTP TPDU type 0x20/);
      assert.throws(() => parseTpdu(hex('0300 0007 09 f0 80')), /does not fit/);
    });

    it('joins a PDU sent in several data TPDUs', () => {
      const assembler = new TsduAssembler();
      assert.equal(assembler.push(hex('3203'), false), undefined);
      assert.equal(assembler.push(hex('0000'), false), undefined);
      assert.deepEqual(assembler.push(hex('0001'), true), hex('320300000001'));
      assert.deepEqual(assembler.push(hex('32'), true), hex('32'));
      assert.throws(() => new TsduAssembler(4).push(hex('0102030405'), false), /exceed 4 bytes/);
    });
  });

  describe('S7comm', () => {
    it('builds "Setup communication" and reads the negotiated values', () => {
      assert.deepEqual(setupCommunication(1, 8, 480), hex('32 01 0000 0001 0008 0000 f0 00 0008 0008 01e0'));
      const reply = hex('32 03 0000 0001 0008 0000 0000 f0 00 0003 0003 00f0');
      assert.deepEqual(parseSetupReply(reply), { maxJobsCalling: 3, maxJobsCalled: 3, pduSize: 240 });
      assert.throws(() => parseSetupReply(readReply(1, 'ff040008 01', 1)), /not an answer to "Setup communication"/);
    });

    it('builds Read Var items as S7ANY addresses: area, DB, transport size, length, bit address', () => {
      const pdu = readVarRequest(0x1234, [
        { area: 'DB', dbNumber: 1, start: 48, length: 4 },
        { area: 'M', start: 1, bit: 3, length: 1 },
        { area: 'I', start: 64, length: 2 },
        { area: 'Q', dbNumber: 7, start: 0x1fffff, length: 1 },
      ]);
      assert.deepEqual(pdu, hex(`32 01 0000 1234 0032 0000 04 04
        12 0a 10 02 0004 0001 84 000180
        12 0a 10 01 0001 0000 83 00000b
        12 0a 10 02 0002 0000 81 000200
        12 0a 10 02 0001 0000 82 fffff8`));
      assert.throws(() => readVarRequest(1, [{ area: 'DB', dbNumber: 0, start: 0, length: 1 }]), /read item 0 \(DB0 at byte 0\): DB number must be 1..65535/);
      assert.throws(() => readVarRequest(1, [{ area: 'M', start: 0, bit: 8, length: 1 }]), /bit 0..7 and length 1/);
      assert.throws(() => readVarRequest(1, []), /1..255 items/);
    });

    it('says when items do not fit the PDU, as the planner counts it', () => {
      const item = { area: 'DB' as const, dbNumber: 1, start: 0, length: 2 };
      assert.equal(readRequestProblem(Array(19).fill(item), 240), undefined);
      assert.match(readRequestProblem(Array(20).fill(item), 240) as string, /252-byte request, over the PDU of 240 \(at most 19 items\)/);
      assert.equal(readRequestProblem([{ ...item, length: 222 }], 240), undefined);
      assert.match(readRequestProblem([{ ...item, length: 223 }], 240) as string, /reply to these items needs 242 bytes/);
    });

    it('parses reply items: bit and byte lengths in bits, octet strings in bytes, padding after odd items', () => {
      const pdu = readReply(7, `
        ff 04 0018 05a5be 00
        ff 03 0001 01 00
        ff 09 0003 616263 00
        ff 07 0004 40490fd0
        ff 04 0008 81`, 5);
      const header = parseHeader(pdu);
      assert.equal(header.pduRef, 7);
      assert.deepEqual(parseReadVarReply(pdu, header, 5), [
        { ok: true, data: hex('05a5be') },
        { ok: true, data: hex('01') },
        { ok: true, data: hex('616263') },
        { ok: true, data: hex('40490fd0') },
        { ok: true, data: hex('81') },
      ]);
    });

    it('gives each failed item its return code, and reads on past it (no data, whatever length it announces)', () => {
      const pdu = readReply(2, 'ff 04 0010 1234  0a 00 0004  05 00 0000  ff 04 0008 07 00  03 00 0000', 5);
      const results = parseReadVarReply(pdu, parseHeader(pdu), 5);
      assert.deepEqual(results, [
        { ok: true, data: hex('1234') },
        { ok: false, returnCode: 0x0a, error: 'object does not exist (S7 return code 0x0a)' },
        { ok: false, returnCode: 0x05, error: 'address out of range (S7 return code 0x05)' },
        { ok: true, data: hex('07') },
        { ok: false, returnCode: 0x03, error: 'access to the object not allowed (S7 return code 0x03)' },
      ]);
    });

    it('reports a header error of an acknowledgement', () => {
      const pdu = readReply(3, '', 0, 0x8104);
      assert.equal(parseHeader(pdu).error, 0x8104);
    });

    it('rejects replies that break the protocol', () => {
      const bad = (pdu: Buffer, items: number, pattern: RegExp): void => {
        assert.throws(() => parseReadVarReply(pdu, parseHeader(pdu), items), (e: Error) => e instanceof S7ProtocolError && pattern.test(e.message));
      };
      bad(readReply(1, 'ff 04 0010 1234', 1), 2, /holds 1 items, the request asked for 2/);
      bad(readReply(1, 'ff 04 0020 1234', 1), 1, /announces 4 bytes, the reply holds 2/);
      bad(readReply(1, 'ff 04 0008 12 00', 2), 2, /ends before item 2 of 2/);
      bad(readReply(1, 'ff 0b 0001 12', 1), 1, /unknown transport size 0xb/);
      assert.throws(() => parseHeader(hex('33 03 0000 0001 0000 0000 0000')), /not an S7comm PDU/);
      assert.throws(() => parseHeader(hex('32 03 0000 0001 0002 0004 0000 0401')), /announces 2 parameter and 4 data bytes but holds 2/);
    });
  });
});
